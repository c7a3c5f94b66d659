//! TLS with a server name other than the host (an SNI override): rumqttc derives the name it
//! sends from the address it connects to, so for this case Canopy opens the TLS connection
//! itself. rumqttc then speaks plain MQTT (or WebSockets) to a loopback port of this task,
//! which carries the bytes over TLS to the broker, sending the chosen name as SNI and checking
//! the certificate against it.

use super::error::NetError;
use rustls::pki_types::ServerName;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A running TLS origin for one connection.
pub(crate) struct TlsOrigin {
    /// The loopback port rumqttc connects to.
    pub(super) local_port: u16,
    /// Why the last TLS attempt failed, in plain words, and whether retrying cannot help.
    failure: Arc<Mutex<Option<(String, bool)>>>,
    task: JoinHandle<()>,
}

impl TlsOrigin {
    /// Listen on a loopback port and, for each connection rumqttc makes to it, open TLS to
    /// `host:port` as `server_name`. Must be called inside the manager's runtime.
    pub(super) fn start(
        host: String,
        port: u16,
        server_name: ServerName<'static>,
        config: Arc<rustls::ClientConfig>,
        client_cert: bool,
        timeout: Duration,
    ) -> Result<Self, NetError> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| NetError::LocalPort(e.to_string()))?;
        let local_port = listener
            .local_addr()
            .map_err(|e| NetError::LocalPort(e.to_string()))?
            .port();
        let listener =
            TcpListener::from_std(listener).map_err(|e| NetError::LocalPort(e.to_string()))?;
        let failure = Arc::new(Mutex::new(None));
        let task = tokio::spawn(serve(Origin {
            listener,
            host,
            port,
            server_name,
            connector: tokio_rustls::TlsConnector::from(config),
            client_cert,
            timeout,
            failure: Arc::clone(&failure),
        }));
        Ok(Self {
            local_port,
            failure,
            task,
        })
    }

    /// Why the last attempt failed and whether retrying cannot help, taken (reported once).
    pub(super) fn take_failure(&self) -> Option<(String, bool)> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl Drop for TlsOrigin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Origin {
    listener: TcpListener,
    host: String,
    port: u16,
    server_name: ServerName<'static>,
    connector: tokio_rustls::TlsConnector,
    client_cert: bool,
    timeout: Duration,
    failure: Arc<Mutex<Option<(String, bool)>>>,
}

async fn serve(origin: Origin) {
    let origin = Arc::new(origin);
    loop {
        let Ok((mut local, _)) = origin.listener.accept().await else {
            return;
        };
        let origin = Arc::clone(&origin);
        tokio::spawn(async move {
            match origin.open().await {
                Ok(mut remote) => {
                    let _ = tokio::io::copy_bidirectional(&mut local, &mut remote).await;
                }
                Err(reason) => {
                    *origin
                        .failure
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) = Some(reason);
                }
            }
        });
    }
}

impl Origin {
    /// Connect and complete the TLS handshake, or say why not (and whether retrying can help).
    async fn open(&self) -> Result<tokio_rustls::client::TlsStream<TcpStream>, (String, bool)> {
        let address = format!("{}:{}", self.host, self.port);
        let connect = TcpStream::connect((self.host.as_str(), self.port));
        let tcp = tokio::time::timeout(self.timeout, connect)
            .await
            .map_err(|_| (format!("{address} did not answer in time"), false))?
            .map_err(|e| (super::describe::io_message(&e, &self.host, &address), false))?;
        let _ = tcp.set_nodelay(true);
        let name = self.server_name.to_str().into_owned();
        let handshake = self.connector.connect(self.server_name.clone(), tcp);
        tokio::time::timeout(self.timeout, handshake)
            .await
            .map_err(|_| {
                (
                    format!("{address}: the TLS handshake did not finish in time"),
                    false,
                )
            })?
            .map_err(|e| {
                match super::tls::rustls_error(&e)
                    .and_then(|r| super::tls::describe(r, &name, self.client_cert))
                {
                    Some(described) => (format!("{address}: {described}"), true),
                    None => (format!("{address}: TLS failed: {e}"), false),
                }
            })
    }
}
