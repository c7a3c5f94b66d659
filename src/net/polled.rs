//! What one poll of rumqttc's event loop means to Canopy: its events, for either protocol
//! version, turned into the few cases the connection task acts on (a received message becomes
//! an [`Incoming`]).

use crate::model::{Incoming, MessageProperties};
use crate::mqtt::{Qos, ReasonCode};
use std::sync::Arc;
use std::time::SystemTime;

/// What one poll of the event loop meant to us.
pub(super) enum Polled {
    ConnAck {
        session_present: bool,
    },
    Publish(Incoming),
    SentSubscribe(u16),
    /// A PUBLISH went out (packet id 0 for QoS 0).
    SentPublish(u16),
    /// PUBACK (QoS 1) or PUBCOMP (QoS 2): the publish is done; `refused` holds an MQTT 5 failure.
    PublishAcked {
        pkid: u16,
        refused: Option<ReasonCode>,
    },
    /// PUBREC carrying an MQTT 5 failure code: the QoS 2 publish ends there.
    PublishRefused {
        pkid: u16,
        code: ReasonCode,
    },
    SubAck {
        pkid: u16,
        refusals: Vec<Option<ReasonCode>>,
    },
    BrokerDisconnect(String),
    Other,
}

fn model_qos(qos: rumqttc::QoS) -> Qos {
    match qos {
        rumqttc::QoS::AtMostOnce => Qos::AtMostOnce,
        rumqttc::QoS::AtLeastOnce => Qos::AtLeastOnce,
        rumqttc::QoS::ExactlyOnce => Qos::ExactlyOnce,
    }
}

fn model_qos_v5(qos: rumqttc::v5::mqttbytes::QoS) -> Qos {
    use rumqttc::v5::mqttbytes::QoS;
    match qos {
        QoS::AtMostOnce => Qos::AtMostOnce,
        QoS::AtLeastOnce => Qos::AtLeastOnce,
        QoS::ExactlyOnce => Qos::ExactlyOnce,
    }
}

pub(super) fn polled_v311(event: rumqttc::Event) -> Polled {
    use rumqttc::{Event, Outgoing, Packet, SubscribeReasonCode};
    match event {
        Event::Incoming(Packet::Publish(publish)) => Polled::Publish(Incoming {
            topic: publish.topic,
            payload: publish.payload,
            qos: model_qos(publish.qos),
            retain: publish.retain,
            received_at: SystemTime::now(),
            properties: None,
        }),
        Event::Incoming(Packet::ConnAck(ack)) => Polled::ConnAck {
            session_present: ack.session_present,
        },
        Event::Incoming(Packet::SubAck(ack)) => Polled::SubAck {
            pkid: ack.pkid,
            refusals: ack
                .return_codes
                .iter()
                .map(|code| match code {
                    SubscribeReasonCode::Success(_) => None,
                    SubscribeReasonCode::Failure => Some(ReasonCode::UnspecifiedError),
                })
                .collect(),
        },
        Event::Outgoing(Outgoing::Subscribe(pkid)) => Polled::SentSubscribe(pkid),
        Event::Outgoing(Outgoing::Publish(pkid)) => Polled::SentPublish(pkid),
        Event::Incoming(Packet::PubAck(ack)) => Polled::PublishAcked {
            pkid: ack.pkid,
            refused: None,
        },
        Event::Incoming(Packet::PubComp(ack)) => Polled::PublishAcked {
            pkid: ack.pkid,
            refused: None,
        },
        _ => Polled::Other,
    }
}

/// [`polled_v311`] for MQTT 5. Long: one arm per event, and a received PUBLISH's properties
/// copied field by field.
pub(super) fn polled_v5(event: rumqttc::v5::Event) -> Polled {
    use rumqttc::Outgoing;
    use rumqttc::v5::Event;
    use rumqttc::v5::mqttbytes::v5::{Packet, SubscribeReasonCode};
    match event {
        Event::Incoming(Packet::Publish(publish)) => Polled::Publish(Incoming {
            topic: match String::from_utf8(publish.topic.to_vec()) {
                Ok(topic) => topic,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            },
            payload: publish.payload,
            qos: model_qos_v5(publish.qos),
            retain: publish.retain,
            received_at: SystemTime::now(),
            properties: publish.properties.and_then(|p| {
                let properties = MessageProperties {
                    payload_format_indicator: p.payload_format_indicator,
                    message_expiry_interval_secs: p.message_expiry_interval,
                    content_type: p.content_type,
                    response_topic: p.response_topic,
                    correlation_data: p.correlation_data,
                    user_properties: p.user_properties,
                    subscription_identifiers: p.subscription_identifiers,
                };
                (!properties.is_empty()).then(|| Arc::new(properties))
            }),
        }),
        Event::Incoming(Packet::ConnAck(ack)) => Polled::ConnAck {
            session_present: ack.session_present,
        },
        Event::Incoming(Packet::SubAck(ack)) => Polled::SubAck {
            pkid: ack.pkid,
            refusals: ack
                .return_codes
                .iter()
                .map(|code| match code {
                    SubscribeReasonCode::Success(_) => None,
                    refused => Some(suback_code(*refused)),
                })
                .collect(),
        },
        Event::Incoming(Packet::Disconnect(disconnect)) => {
            let reason = disconnect
                .properties
                .and_then(|p| p.reason_string)
                .map_or_else(
                    || disconnect_code(disconnect.reason_code).to_string(),
                    |text| format!("{}: {text}", disconnect_code(disconnect.reason_code)),
                );
            Polled::BrokerDisconnect(reason)
        }
        Event::Outgoing(Outgoing::Subscribe(pkid)) => Polled::SentSubscribe(pkid),
        Event::Outgoing(Outgoing::Publish(pkid)) => Polled::SentPublish(pkid),
        Event::Incoming(Packet::PubAck(ack)) => {
            use rumqttc::v5::mqttbytes::v5::PubAckReason;
            let refused = match ack.reason {
                PubAckReason::Success | PubAckReason::NoMatchingSubscribers => None,
                other => Some(puback_code(other)),
            };
            Polled::PublishAcked {
                pkid: ack.pkid,
                refused,
            }
        }
        Event::Incoming(Packet::PubRec(rec)) => {
            use rumqttc::v5::mqttbytes::v5::PubRecReason;
            match rec.reason {
                PubRecReason::Success | PubRecReason::NoMatchingSubscribers => Polled::Other,
                other => Polled::PublishRefused {
                    pkid: rec.pkid,
                    code: pubrec_code(other),
                },
            }
        }
        Event::Incoming(Packet::PubComp(comp)) => Polled::PublishAcked {
            pkid: comp.pkid,
            refused: None,
        },
        _ => Polled::Other,
    }
}

/// rumqttc's SUBACK failure as our reason code.
fn suback_code(code: rumqttc::v5::mqttbytes::v5::SubscribeReasonCode) -> ReasonCode {
    use rumqttc::v5::mqttbytes::v5::SubscribeReasonCode as R;
    match code {
        R::Success(qos) => ReasonCode::granted(model_qos_v5(qos)),
        R::Failure | R::Unspecified => ReasonCode::UnspecifiedError,
        R::ImplementationSpecific => ReasonCode::ImplementationSpecificError,
        R::NotAuthorized => ReasonCode::NotAuthorized,
        R::TopicFilterInvalid => ReasonCode::TopicFilterInvalid,
        R::PkidInUse => ReasonCode::PacketIdentifierInUse,
        R::QuotaExceeded => ReasonCode::QuotaExceeded,
        R::SharedSubscriptionsNotSupported => ReasonCode::SharedSubscriptionsNotSupported,
        R::SubscriptionIdNotSupported => ReasonCode::SubscriptionIdentifiersNotSupported,
        R::WildcardSubscriptionsNotSupported => ReasonCode::WildcardSubscriptionsNotSupported,
    }
}

/// rumqttc's PUBACK reason as our reason code.
fn puback_code(reason: rumqttc::v5::mqttbytes::v5::PubAckReason) -> ReasonCode {
    use rumqttc::v5::mqttbytes::v5::PubAckReason as R;
    match reason {
        R::Success => ReasonCode::Success,
        R::NoMatchingSubscribers => ReasonCode::NoMatchingSubscribers,
        R::UnspecifiedError => ReasonCode::UnspecifiedError,
        R::ImplementationSpecificError => ReasonCode::ImplementationSpecificError,
        R::NotAuthorized => ReasonCode::NotAuthorized,
        R::TopicNameInvalid => ReasonCode::TopicNameInvalid,
        R::PacketIdentifierInUse => ReasonCode::PacketIdentifierInUse,
        R::QuotaExceeded => ReasonCode::QuotaExceeded,
        R::PayloadFormatInvalid => ReasonCode::PayloadFormatInvalid,
    }
}

/// rumqttc's PUBREC reason as our reason code.
fn pubrec_code(reason: rumqttc::v5::mqttbytes::v5::PubRecReason) -> ReasonCode {
    use rumqttc::v5::mqttbytes::v5::PubRecReason as R;
    match reason {
        R::Success => ReasonCode::Success,
        R::NoMatchingSubscribers => ReasonCode::NoMatchingSubscribers,
        R::UnspecifiedError => ReasonCode::UnspecifiedError,
        R::ImplementationSpecificError => ReasonCode::ImplementationSpecificError,
        R::NotAuthorized => ReasonCode::NotAuthorized,
        R::TopicNameInvalid => ReasonCode::TopicNameInvalid,
        R::PacketIdentifierInUse => ReasonCode::PacketIdentifierInUse,
        R::QuotaExceeded => ReasonCode::QuotaExceeded,
        R::PayloadFormatInvalid => ReasonCode::PayloadFormatInvalid,
    }
}

/// rumqttc's DISCONNECT reason as our reason code (its variants carry the wire values).
fn disconnect_code(reason: rumqttc::v5::mqttbytes::v5::DisconnectReasonCode) -> ReasonCode {
    ReasonCode::from_u8(reason as u8).unwrap_or(ReasonCode::UnspecifiedError)
}
