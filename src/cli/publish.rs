//! `canopy pub`: publish one message and wait until the broker has it.

use super::CliError;
use crate::model::MessageProperties;
use crate::mqtt::ProtocolVersion;
use crate::net::{ConnectOptions, EventKind, OutgoingMessage};
use std::time::{Duration, Instant};

/// How long to wait for the connection and the acknowledgement.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What `canopy pub` was asked to do.
#[derive(Clone, Debug)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct PubOptions {
    /// Where and how to connect (from a URL and flags, or a profile).
    pub connect: ConnectOptions,
    pub message: OutgoingMessage,
}

/// Build the MQTT 5 properties from command-line values; `None` when none was given.
pub fn properties(
    content_type: Option<String>,
    response_topic: Option<String>,
    correlation_data: Option<String>,
    user_properties: &[String],
    message_expiry_secs: Option<u32>,
    utf8: bool,
) -> Result<Option<MessageProperties>, CliError> {
    let mut pairs = Vec::new();
    for pair in user_properties {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| CliError::UserProperty(pair.clone()))?;
        pairs.push((key.to_owned(), value.to_owned()));
    }
    let properties = MessageProperties {
        payload_format_indicator: utf8.then_some(1),
        message_expiry_interval_secs: message_expiry_secs,
        content_type,
        response_topic,
        correlation_data: correlation_data.map(Into::into),
        user_properties: pairs,
        subscription_identifiers: Vec::new(),
    };
    Ok((!properties.is_empty()).then_some(properties))
}

/// Check a topic name that will be published to.
fn check_topic(topic: &str) -> Result<(), CliError> {
    crate::mqtt::TopicName::new(topic)
        .map(drop)
        .map_err(|reason| CliError::Topic {
            topic: topic.to_owned(),
            reason,
        })
}

/// Publish, wait for the broker's acknowledgement (QoS 1/2) or the write (QoS 0), disconnect.
/// Returns a line describing what was published.
pub fn run(options: PubOptions) -> Result<String, CliError> {
    check_topic(&options.message.topic)?;
    if options.connect.protocol == ProtocolVersion::V311 && options.message.properties.is_some() {
        return Err(CliError::PropertiesNeedV5);
    }
    let mut connect = options.connect.clone();
    connect.subscriptions.clear();
    let mut client = crate::net::BlockingClient::connect(connect, TIMEOUT)?;
    let id = client.id();
    let message = options.message.clone();
    let ticket = client.manager().publish(id, message);
    let deadline = Instant::now() + TIMEOUT;
    let outcome = loop {
        match client.next_event(deadline) {
            Some(EventKind::Published { ticket: t, result }) if t == ticket => {
                break result.map_err(CliError::Net);
            }
            Some(_) => {}
            None => break Err(CliError::PublishNotAcknowledged),
        }
    };
    client.disconnect();
    outcome?;
    let message = &options.message;
    Ok(format!(
        "published {} B to {} (QoS {}{})",
        message.payload.len(),
        message.topic,
        message.qos.level(),
        if message.retain { ", retained" } else { "" }
    ))
}
