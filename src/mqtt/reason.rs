//! MQTT 5 reason codes (MQTT 5.0 §2.4), by name, with the specification's meaning.

use std::fmt;

/// A reason code, as sent in CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK,
/// DISCONNECT and AUTH. Values below 0x80 report success; 0x80 and above report failure.
/// 0x00 is "Success" in most packets, "Normal disconnection" in DISCONNECT and "Granted QoS 0"
/// in SUBACK: one variant, [`ReasonCode::Success`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum ReasonCode {
    /// Success (also: normal disconnection, granted QoS 0).
    #[default]
    Success = 0x00,
    /// Granted QoS 1.
    GrantedQos1 = 0x01,
    /// Granted QoS 2.
    GrantedQos2 = 0x02,
    /// The client disconnects and wants its will published.
    DisconnectWithWill = 0x04,
    /// Accepted, but nobody is subscribed to the topic.
    NoMatchingSubscribers = 0x10,
    /// There was no such subscription to remove.
    NoSubscriptionExisted = 0x11,
    /// Enhanced authentication goes on.
    ContinueAuthentication = 0x18,
    /// The client starts re-authentication.
    ReAuthenticate = 0x19,
    /// Refused, and the sender does not say why.
    UnspecifiedError = 0x80,
    /// The packet could not be parsed as the specification says.
    MalformedPacket = 0x81,
    /// The packet breaks the protocol's rules.
    ProtocolError = 0x82,
    /// Valid, but the receiver will not process it.
    ImplementationSpecificError = 0x83,
    /// The server does not speak the requested protocol version.
    UnsupportedProtocolVersion = 0x84,
    /// The client identifier is valid UTF-8 but not allowed.
    ClientIdentifierNotValid = 0x85,
    /// The user name or password was refused.
    BadUserNameOrPassword = 0x86,
    /// The client is not allowed to do this.
    NotAuthorized = 0x87,
    /// The server is not available.
    ServerUnavailable = 0x88,
    /// The server is busy; try again later.
    ServerBusy = 0x89,
    /// The client is banned.
    Banned = 0x8A,
    /// The server is shutting down.
    ServerShuttingDown = 0x8B,
    /// The authentication method is not supported.
    BadAuthenticationMethod = 0x8C,
    /// Nothing arrived within 1.5 times the keep alive.
    KeepAliveTimeout = 0x8D,
    /// Another connection with the same client identifier took the session.
    SessionTakenOver = 0x8E,
    /// The topic filter is well formed but not accepted.
    TopicFilterInvalid = 0x8F,
    /// The topic name is well formed but not accepted.
    TopicNameInvalid = 0x90,
    /// The packet identifier is already in use.
    PacketIdentifierInUse = 0x91,
    /// The packet identifier is not known.
    PacketIdentifierNotFound = 0x92,
    /// More unacknowledged QoS 1 and 2 publishes than the receiver allows.
    ReceiveMaximumExceeded = 0x93,
    /// The topic alias is zero, above the maximum, or unknown.
    TopicAliasInvalid = 0x94,
    /// The packet is larger than the receiver's maximum packet size.
    PacketTooLarge = 0x95,
    /// The message rate is too high.
    MessageRateTooHigh = 0x96,
    /// An implementation or administrative limit was exceeded.
    QuotaExceeded = 0x97,
    /// The connection was closed by an administrator.
    AdministrativeAction = 0x98,
    /// The payload does not match its payload format indicator.
    PayloadFormatInvalid = 0x99,
    /// The server does not support retained messages.
    RetainNotSupported = 0x9A,
    /// The QoS is above the server's maximum.
    QosNotSupported = 0x9B,
    /// The client should temporarily use another server.
    UseAnotherServer = 0x9C,
    /// The client should permanently use another server.
    ServerMoved = 0x9D,
    /// The server does not support shared subscriptions.
    SharedSubscriptionsNotSupported = 0x9E,
    /// The connection rate limit was exceeded.
    ConnectionRateExceeded = 0x9F,
    /// The maximum connection time was reached.
    MaximumConnectTime = 0xA0,
    /// The server does not support subscription identifiers.
    SubscriptionIdentifiersNotSupported = 0xA1,
    /// The server does not support wildcard subscriptions.
    WildcardSubscriptionsNotSupported = 0xA2,
}

impl ReasonCode {
    /// Every reason code the specification defines, by value.
    pub const ALL: [ReasonCode; 43] = [
        ReasonCode::Success,
        ReasonCode::GrantedQos1,
        ReasonCode::GrantedQos2,
        ReasonCode::DisconnectWithWill,
        ReasonCode::NoMatchingSubscribers,
        ReasonCode::NoSubscriptionExisted,
        ReasonCode::ContinueAuthentication,
        ReasonCode::ReAuthenticate,
        ReasonCode::UnspecifiedError,
        ReasonCode::MalformedPacket,
        ReasonCode::ProtocolError,
        ReasonCode::ImplementationSpecificError,
        ReasonCode::UnsupportedProtocolVersion,
        ReasonCode::ClientIdentifierNotValid,
        ReasonCode::BadUserNameOrPassword,
        ReasonCode::NotAuthorized,
        ReasonCode::ServerUnavailable,
        ReasonCode::ServerBusy,
        ReasonCode::Banned,
        ReasonCode::ServerShuttingDown,
        ReasonCode::BadAuthenticationMethod,
        ReasonCode::KeepAliveTimeout,
        ReasonCode::SessionTakenOver,
        ReasonCode::TopicFilterInvalid,
        ReasonCode::TopicNameInvalid,
        ReasonCode::PacketIdentifierInUse,
        ReasonCode::PacketIdentifierNotFound,
        ReasonCode::ReceiveMaximumExceeded,
        ReasonCode::TopicAliasInvalid,
        ReasonCode::PacketTooLarge,
        ReasonCode::MessageRateTooHigh,
        ReasonCode::QuotaExceeded,
        ReasonCode::AdministrativeAction,
        ReasonCode::PayloadFormatInvalid,
        ReasonCode::RetainNotSupported,
        ReasonCode::QosNotSupported,
        ReasonCode::UseAnotherServer,
        ReasonCode::ServerMoved,
        ReasonCode::SharedSubscriptionsNotSupported,
        ReasonCode::ConnectionRateExceeded,
        ReasonCode::MaximumConnectTime,
        ReasonCode::SubscriptionIdentifiersNotSupported,
        ReasonCode::WildcardSubscriptionsNotSupported,
    ];

    /// The code for a wire value; `None` for values the specification does not define.
    pub fn from_u8(value: u8) -> Option<Self> {
        Self::ALL.iter().copied().find(|code| code.value() == value)
    }

    /// The wire value.
    pub fn value(self) -> u8 {
        self as u8
    }

    /// The SUBACK code granting `qos`.
    pub fn granted(qos: crate::mqtt::Qos) -> Self {
        match qos {
            crate::mqtt::Qos::AtMostOnce => ReasonCode::Success,
            crate::mqtt::Qos::AtLeastOnce => ReasonCode::GrantedQos1,
            crate::mqtt::Qos::ExactlyOnce => ReasonCode::GrantedQos2,
        }
    }

    /// True for 0x80 and above.
    pub fn is_error(self) -> bool {
        self.value() >= 0x80
    }

    /// The specification's name for the code, as in its table of reason codes.
    pub fn name(self) -> &'static str {
        match self {
            ReasonCode::Success => "Success",
            ReasonCode::GrantedQos1 => "Granted QoS 1",
            ReasonCode::GrantedQos2 => "Granted QoS 2",
            ReasonCode::DisconnectWithWill => "Disconnect with Will Message",
            ReasonCode::NoMatchingSubscribers => "No matching subscribers",
            ReasonCode::NoSubscriptionExisted => "No subscription existed",
            ReasonCode::ContinueAuthentication => "Continue authentication",
            ReasonCode::ReAuthenticate => "Re-authenticate",
            ReasonCode::UnspecifiedError => "Unspecified error",
            ReasonCode::MalformedPacket => "Malformed Packet",
            ReasonCode::ProtocolError => "Protocol Error",
            ReasonCode::ImplementationSpecificError => "Implementation specific error",
            ReasonCode::UnsupportedProtocolVersion => "Unsupported Protocol Version",
            ReasonCode::ClientIdentifierNotValid => "Client Identifier not valid",
            ReasonCode::BadUserNameOrPassword => "Bad User Name or Password",
            ReasonCode::NotAuthorized => "Not authorized",
            ReasonCode::ServerUnavailable => "Server unavailable",
            ReasonCode::ServerBusy => "Server busy",
            ReasonCode::Banned => "Banned",
            ReasonCode::ServerShuttingDown => "Server shutting down",
            ReasonCode::BadAuthenticationMethod => "Bad authentication method",
            ReasonCode::KeepAliveTimeout => "Keep Alive timeout",
            ReasonCode::SessionTakenOver => "Session taken over",
            ReasonCode::TopicFilterInvalid => "Topic Filter invalid",
            ReasonCode::TopicNameInvalid => "Topic Name invalid",
            ReasonCode::PacketIdentifierInUse => "Packet Identifier in use",
            ReasonCode::PacketIdentifierNotFound => "Packet Identifier not found",
            ReasonCode::ReceiveMaximumExceeded => "Receive Maximum exceeded",
            ReasonCode::TopicAliasInvalid => "Topic Alias invalid",
            ReasonCode::PacketTooLarge => "Packet too large",
            ReasonCode::MessageRateTooHigh => "Message rate too high",
            ReasonCode::QuotaExceeded => "Quota exceeded",
            ReasonCode::AdministrativeAction => "Administrative action",
            ReasonCode::PayloadFormatInvalid => "Payload format invalid",
            ReasonCode::RetainNotSupported => "Retain not supported",
            ReasonCode::QosNotSupported => "QoS not supported",
            ReasonCode::UseAnotherServer => "Use another server",
            ReasonCode::ServerMoved => "Server moved",
            ReasonCode::SharedSubscriptionsNotSupported => "Shared Subscriptions not supported",
            ReasonCode::ConnectionRateExceeded => "Connection rate exceeded",
            ReasonCode::MaximumConnectTime => "Maximum connect time",
            ReasonCode::SubscriptionIdentifiersNotSupported => {
                "Subscription Identifiers not supported"
            }
            ReasonCode::WildcardSubscriptionsNotSupported => "Wildcard Subscriptions not supported",
        }
    }

    /// What the code means, in words for the person reading a log or a dialog.
    pub fn meaning(self) -> &'static str {
        match self {
            ReasonCode::Success => "success (also: normal disconnection, granted QoS 0)",
            ReasonCode::GrantedQos1 => "granted QoS 1",
            ReasonCode::GrantedQos2 => "granted QoS 2",
            ReasonCode::DisconnectWithWill => "the client disconnects and wants its will published",
            ReasonCode::NoMatchingSubscribers => "accepted, but nobody is subscribed to the topic",
            ReasonCode::NoSubscriptionExisted => "there was no such subscription to remove",
            ReasonCode::ContinueAuthentication => "enhanced authentication goes on",
            ReasonCode::ReAuthenticate => "the client starts re-authentication",
            ReasonCode::UnspecifiedError => "refused, and the sender does not say why",
            ReasonCode::MalformedPacket => {
                "the packet could not be parsed as the specification says"
            }
            ReasonCode::ProtocolError => "the packet breaks the protocol's rules",
            ReasonCode::ImplementationSpecificError => {
                "valid, but the receiver will not process it"
            }
            ReasonCode::UnsupportedProtocolVersion => {
                "the server does not speak the requested protocol version"
            }
            ReasonCode::ClientIdentifierNotValid => {
                "the client identifier is valid UTF-8 but not allowed"
            }
            ReasonCode::BadUserNameOrPassword => "the user name or password was refused",
            ReasonCode::NotAuthorized => "the client is not allowed to do this",
            ReasonCode::ServerUnavailable => "the server is not available",
            ReasonCode::ServerBusy => "the server is busy; try again later",
            ReasonCode::Banned => "the client is banned",
            ReasonCode::ServerShuttingDown => "the server is shutting down",
            ReasonCode::BadAuthenticationMethod => "the authentication method is not supported",
            ReasonCode::KeepAliveTimeout => "nothing arrived within 1.5 times the keep alive",
            ReasonCode::SessionTakenOver => {
                "another connection with the same client identifier took the session"
            }
            ReasonCode::TopicFilterInvalid => "the topic filter is well formed but not accepted",
            ReasonCode::TopicNameInvalid => "the topic name is well formed but not accepted",
            ReasonCode::PacketIdentifierInUse => "the packet identifier is already in use",
            ReasonCode::PacketIdentifierNotFound => "the packet identifier is not known",
            ReasonCode::ReceiveMaximumExceeded => {
                "more unacknowledged QoS 1 and 2 publishes than the receiver allows"
            }
            ReasonCode::TopicAliasInvalid => {
                "the topic alias is zero, above the maximum, or unknown"
            }
            ReasonCode::PacketTooLarge => {
                "the packet is larger than the receiver's maximum packet size"
            }
            ReasonCode::MessageRateTooHigh => "the message rate is too high",
            ReasonCode::QuotaExceeded => "an implementation or administrative limit was exceeded",
            ReasonCode::AdministrativeAction => "the connection was closed by an administrator",
            ReasonCode::PayloadFormatInvalid => {
                "the payload does not match its payload format indicator"
            }
            ReasonCode::RetainNotSupported => "the server does not support retained messages",
            ReasonCode::QosNotSupported => "the QoS is above the server's maximum",
            ReasonCode::UseAnotherServer => "the client should temporarily use another server",
            ReasonCode::ServerMoved => "the client should permanently use another server",
            ReasonCode::SharedSubscriptionsNotSupported => {
                "the server does not support shared subscriptions"
            }
            ReasonCode::ConnectionRateExceeded => "the connection rate limit was exceeded",
            ReasonCode::MaximumConnectTime => "the maximum connection time was reached",
            ReasonCode::SubscriptionIdentifiersNotSupported => {
                "the server does not support subscription identifiers"
            }
            ReasonCode::WildcardSubscriptionsNotSupported => {
                "the server does not support wildcard subscriptions"
            }
        }
    }

    /// The MQTT 3.1.1 CONNACK return code (§3.2.2.3) that says the same, for a refused
    /// connection: 1 unacceptable protocol version, 2 identifier rejected, 3 server
    /// unavailable, 4 bad user name or password, 5 not authorized.
    pub fn v311_connack_code(self) -> u8 {
        match self {
            ReasonCode::Success => 0,
            ReasonCode::UnsupportedProtocolVersion => 1,
            ReasonCode::ClientIdentifierNotValid => 2,
            ReasonCode::BadUserNameOrPassword => 4,
            ReasonCode::NotAuthorized
            | ReasonCode::Banned
            | ReasonCode::BadAuthenticationMethod => 5,
            _ => 3,
        }
    }
}

/// "0x87 Not authorized".
impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:02X} {}", self.value(), self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_and_nothing_else_parses() {
        for code in ReasonCode::ALL {
            assert_eq!(ReasonCode::from_u8(code.value()), Some(code));
            assert!(!code.meaning().is_empty());
        }
        let defined = (0..=255u8)
            .filter(|v| ReasonCode::from_u8(*v).is_some())
            .count();
        assert_eq!(defined, ReasonCode::ALL.len());
        assert_eq!(ReasonCode::from_u8(0x03), None);
        assert_eq!(ReasonCode::from_u8(0xA3), None);
    }

    #[test]
    fn display_errors_and_v311_mapping() {
        assert_eq!(ReasonCode::NotAuthorized.to_string(), "0x87 Not authorized");
        assert!(ReasonCode::MalformedPacket.is_error());
        assert!(!ReasonCode::NoMatchingSubscribers.is_error());
        assert_eq!(ReasonCode::BadUserNameOrPassword.v311_connack_code(), 4);
        assert_eq!(ReasonCode::ServerBusy.v311_connack_code(), 3);
        assert_eq!(ReasonCode::Success.v311_connack_code(), 0);
    }
}
