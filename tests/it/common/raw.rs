//! An MQTT client on a raw socket, for tests that send what no library would: every byte is
//! written by the test, and what comes back is read packet by packet.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// MQTT 3.1.1 or 5, for the encoders below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum V {
    /// MQTT 3.1.1.
    V311,
    /// MQTT 5.0.
    V5,
}

/// One packet as received: its first byte and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub first_byte: u8,
    pub body: Vec<u8>,
}

impl Received {
    pub fn kind(&self) -> u8 {
        self.first_byte >> 4
    }
}

pub struct RawClient {
    pub stream: TcpStream,
    buffer: Vec<u8>,
}

/// A packet from its first byte and body, the remaining length encoded minimally.
pub fn packet(first_byte: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first_byte];
    let mut len = body.len();
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
    out.extend_from_slice(body);
    out
}

/// A length-prefixed UTF-8 string (or any bytes).
pub fn string(text: impl AsRef<[u8]>) -> Vec<u8> {
    let bytes = text.as_ref();
    let mut out = (bytes.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

fn properties(v: V) -> &'static [u8] {
    if v == V::V5 { &[0] } else { &[] }
}

pub fn connect_packet(v: V, client_id: &str, keep_alive: u16) -> Vec<u8> {
    let level = if v == V::V5 { 5 } else { 4 };
    let [hi, lo] = keep_alive.to_be_bytes();
    let body = [
        &string("MQTT")[..],
        &[level, 0x02, hi, lo],
        properties(v),
        &string(client_id),
    ]
    .concat();
    packet(0x10, &body)
}

pub fn subscribe_packet(v: V, pkid: u16, filter: &str, qos: u8) -> Vec<u8> {
    let body = [
        &pkid.to_be_bytes()[..],
        properties(v),
        &string(filter),
        &[qos],
    ]
    .concat();
    packet(0x82, &body)
}

pub fn unsubscribe_packet(v: V, pkid: u16, filter: &str) -> Vec<u8> {
    let body = [&pkid.to_be_bytes()[..], properties(v), &string(filter)].concat();
    packet(0xA2, &body)
}

pub fn publish_packet(
    v: V,
    topic: &str,
    payload: &[u8],
    qos: u8,
    retain: bool,
    pkid: u16,
) -> Vec<u8> {
    let first = 0x30 | (qos << 1) | u8::from(retain);
    let id: &[u8] = &pkid.to_be_bytes();
    let body = [
        &string(topic)[..],
        if qos > 0 { id } else { &[] },
        properties(v),
        payload,
    ]
    .concat();
    packet(first, &body)
}

impl RawClient {
    /// A socket to `addr` that has sent nothing.
    pub fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Self {
            stream,
            buffer: Vec::new(),
        }
    }

    /// A client that has completed CONNECT; panics unless the CONNACK accepts it.
    pub fn connect(addr: SocketAddr, v: V, client_id: &str) -> Self {
        let mut client = Self::open(addr);
        client.send(&connect_packet(v, client_id, 60));
        let connack = client
            .next(Duration::from_secs(5))
            .expect("a CONNACK before the connection closed");
        assert_eq!(connack.kind(), 2, "CONNACK expected, got {connack:?}");
        // The return code (3.1.1) and the reason code (5.0) are both the second byte.
        let code = connack.body[1];
        assert_eq!(code, 0, "CONNACK refused: {connack:?}");
        client
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// Like `send`, but a connection the broker already closed is not a failure.
    pub fn send_lossy(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes);
    }

    fn whole_packet(&mut self) -> Option<Received> {
        let mut len = 0usize;
        for index in 0..4 {
            let byte = *self.buffer.get(1 + index)?;
            len |= usize::from(byte & 0x7F) << (7 * index);
            if byte & 0x80 == 0 {
                let header = 2 + index;
                if self.buffer.len() < header + len {
                    return None;
                }
                let first_byte = self.buffer[0];
                let body = self.buffer[header..header + len].to_vec();
                self.buffer.drain(..header + len);
                return Some(Received { first_byte, body });
            }
        }
        panic!("the broker sent a remaining length longer than four bytes");
    }

    /// The next packet within `within`; `None` when the connection closes first. Panics when
    /// nothing arrives in time on an open connection.
    pub fn next(&mut self, within: Duration) -> Option<Received> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(packet) = self.whole_packet() {
                return Some(packet);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "nothing arrived within {within:?}");
            self.stream.set_read_timeout(Some(left)).expect("timeout");
            let mut chunk = [0u8; 65536];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("read failed: {e}"),
            }
        }
    }

    /// Every packet until the broker closes the connection; panics if it stays open.
    pub fn until_closed(&mut self, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        let mut packets = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "the broker kept the connection open past {within:?}"
            );
            match self.next(left) {
                Some(packet) => packets.push(packet),
                None => return packets,
            }
        }
    }

    /// Whether the connection is still served: a PINGREQ gets its PINGRESP.
    pub fn ping(&mut self) -> bool {
        self.send_lossy(&[0xC0, 0x00]);
        matches!(self.next(Duration::from_secs(5)), Some(p) if p.first_byte == 0xD0)
    }
}
