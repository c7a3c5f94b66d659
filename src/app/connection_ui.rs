//! The connect bar: host, port, protocol version, client id, Connect/Disconnect, and state.

use super::FieldError;
use super::format;
use super::session::Session;
use crate::mqtt::ProtocolVersion;
use crate::net::{BrokerUrl, ConnectOptions, ConnectionState};
use egui::{Color32, RichText};
use std::time::Instant;

/// What the user typed into the connect bar.
#[derive(Clone, Debug)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct ConnectForm {
    /// Host name, IP address, or a whole `mqtt://host:port` URL.
    pub host: String,
    pub port: String,
    pub protocol: ProtocolVersion,
    /// Client id sent in CONNECT.
    pub client_id: String,
    /// Why the last Connect click was not accepted.
    pub error: Option<String>,
    /// The options the form was filled from: TLS, WebSocket path, credentials, will and
    /// subscriptions are kept from them when the user edits only host, port or version.
    base: Option<Box<ConnectOptions>>,
}

impl ConnectForm {
    /// A form showing `options`.
    pub fn from_options(options: &ConnectOptions) -> Self {
        Self {
            host: options.host.clone(),
            port: options.port.to_string(),
            protocol: options.protocol,
            client_id: options.client_id.clone(),
            error: None,
            base: Some(Box::new(options.clone())),
        }
    }

    /// Options from the form, or which field is wrong and why.
    pub fn to_options(&self) -> Result<ConnectOptions, FieldError> {
        let host = self.host.trim();
        if host.is_empty() {
            return Err(FieldError::new(
                "Host",
                "enter the broker's host name or IP address",
            ));
        }
        let mut options = if host.contains("://") {
            BrokerUrl::parse(host)
                .map_err(|e| FieldError::new("Host", e))?
                .connect_options()
        } else {
            let port = self.port.trim();
            let port = match port.parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => {
                    return Err(FieldError::new(
                        "Port",
                        format!("'{port}' is not a port number (1–65535)"),
                    ));
                }
            };
            match &self.base {
                Some(base) => ConnectOptions {
                    host: host.to_owned(),
                    port,
                    ..(**base).clone()
                },
                None => ConnectOptions::new(host, port),
            }
        };
        options.protocol = self.protocol;
        options.client_id = self.client_id.trim().to_owned();
        Ok(options)
    }
}

/// What the connect bar asks the app to do.
#[derive(Debug)]
pub enum ConnectAction {
    /// Open a connection with these options (closing the current one).
    Connect(Box<ConnectOptions>),
    /// Close the current connection.
    Disconnect,
}

/// A few words for the status bar: the state without its reason.
pub fn short_state_text(session: &Session) -> &'static str {
    if session.source.is_some() {
        return "Recording (read-only)";
    }
    match &session.state {
        ConnectionState::Connecting => "Connecting…",
        ConnectionState::Connected { .. } => "Connected",
        ConnectionState::Reconnecting { .. } => "Reconnecting…",
        ConnectionState::Disconnected { reason: None } => "Disconnected",
        ConnectionState::Disconnected { reason: Some(_) } => "Connection failed",
    }
}

/// A one-line description of a session's state and the colour to show it in.
pub fn state_text(session: &Session, now: Instant) -> (String, Color32) {
    if let Some(path) = &session.source {
        return (
            format!("A recording, read-only: {}", path.display()),
            Color32::from_rgb(120, 190, 250),
        );
    }
    let address = session.options.url();
    match &session.state {
        ConnectionState::Connecting => (format!("Connecting to {address}…"), Color32::GRAY),
        ConnectionState::Connected { .. } => (
            format!("Connected to {address} ({})", session.options.protocol),
            Color32::from_rgb(80, 200, 120),
        ),
        ConnectionState::Reconnecting {
            attempt,
            retry_in,
            reason,
        } => {
            let remaining =
                retry_in.saturating_sub(now.saturating_duration_since(session.state_since));
            let when = if remaining.is_zero() {
                "now".to_owned()
            } else {
                format!("in {}", format::duration(remaining))
            };
            (
                format!("Reconnecting {when} (attempt {attempt}): {reason}"),
                Color32::from_rgb(230, 160, 60),
            )
        }
        ConnectionState::Disconnected { reason: None } => {
            ("Disconnected".to_owned(), Color32::GRAY)
        }
        ConnectionState::Disconnected {
            reason: Some(reason),
        } => (
            format!("Disconnected: {reason}"),
            Color32::from_rgb(230, 90, 80),
        ),
    }
}

/// Draw the connect bar.
pub fn connect_bar_ui(
    ui: &mut egui::Ui,
    form: &mut ConnectForm,
    session: Option<&Session>,
) -> Option<ConnectAction> {
    let mut action = None;
    let active = session.is_some_and(|s| s.id.is_some() && !s.state.is_closed());
    ui.horizontal(|ui| {
        let mut submitted = false;
        let label = ui.label("Host");
        let host = ui
            .add(
                egui::TextEdit::singleline(&mut form.host)
                    .desired_width(180.0)
                    .hint_text("localhost or mqtt://host:port"),
            )
            .labelled_by(label.id);
        submitted |= host.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));

        let label = ui.label("Port");
        let port = ui
            .add(egui::TextEdit::singleline(&mut form.port).desired_width(50.0))
            .labelled_by(label.id);
        submitted |= port.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));

        let label = ui.label("Version");
        egui::ComboBox::from_id_salt("protocol_version")
            .selected_text(form.protocol.to_string())
            .width(96.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(
                    &mut form.protocol,
                    ProtocolVersion::V5,
                    ProtocolVersion::V5.to_string(),
                );
                ui.selectable_value(
                    &mut form.protocol,
                    ProtocolVersion::V311,
                    ProtocolVersion::V311.to_string(),
                );
            })
            .response
            .labelled_by(label.id);

        let label = ui.label("Client ID");
        ui.add(egui::TextEdit::singleline(&mut form.client_id).desired_width(140.0))
            .labelled_by(label.id);

        if active {
            if ui.button("Disconnect").clicked() {
                action = Some(ConnectAction::Disconnect);
            }
        } else if ui.button("Connect").clicked() || submitted {
            match form.to_options() {
                Ok(options) => {
                    form.error = None;
                    action = Some(ConnectAction::Connect(Box::new(options)));
                }
                Err(error) => form.error = Some(error.to_string()),
            }
        }

        if let Some(error) = &form.error {
            ui.label(RichText::new(error).color(super::colors::adapt(
                Color32::from_rgb(230, 90, 80),
                ui.visuals(),
            )));
        } else if let Some(session) = session {
            let (text, color) = state_text(session, Instant::now());
            ui.add(
                egui::Label::new(
                    RichText::new(text).color(super::colors::adapt(color, ui.visuals())),
                )
                .truncate(),
            );
        }
    });
    action
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(host: &str, port: &str) -> ConnectForm {
        ConnectForm {
            host: host.into(),
            port: port.into(),
            protocol: ProtocolVersion::V311,
            client_id: "me".into(),
            error: None,
            base: None,
        }
    }

    #[test]
    fn valid_form_gives_options() {
        let options = form("broker.lan", "1884").to_options().expect("valid");
        assert_eq!(options.address(), "broker.lan:1884");
        assert_eq!(options.protocol, ProtocolVersion::V311);
        assert_eq!(options.client_id, "me");
    }

    #[test]
    fn bad_fields_are_named() {
        assert!(form("", "1883").to_options().expect_err("no host").field == "Host");
        for port in ["0", "65536", "abc", ""] {
            let error = form("h", port).to_options().expect_err("bad port");
            assert_eq!(error.field, "Port", "{error}");
        }
    }

    #[test]
    fn editing_the_bar_keeps_what_it_does_not_show() {
        let mut options = ConnectOptions::new("b", 8883);
        options.transport = crate::net::Transport::Tls;
        options.tls.insecure_skip_verify = true;
        let mut form = ConnectForm::from_options(&options);
        form.port = "8884".into();
        let edited = form.to_options().expect("valid");
        assert_eq!(edited.url(), "mqtts://b:8884");
        assert!(edited.tls.insecure_skip_verify);
    }

    #[test]
    fn a_url_in_the_host_field_is_understood() {
        let options = form("mqtt://10.0.0.5:2883", "ignored")
            .to_options()
            .expect("url");
        assert_eq!(options.address(), "10.0.0.5:2883");
    }
}
