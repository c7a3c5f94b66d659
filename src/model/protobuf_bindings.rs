//! Which protobuf message type decodes which topics: bindings from topic filters to message
//! types, per connection; the most specific matching filter wins.

use crate::mqtt::{matches, specificity_cmp};
use prost_reflect::MessageDescriptor;

/// A topic filter bound to a message type.
#[derive(Clone, Debug)]
pub struct Binding {
    /// An MQTT topic filter (`factory/+/telemetry`, `#`).
    pub filter: String,
    /// The message type's full name (`plant.Telemetry`).
    pub type_name: String,
    /// The type, when the loaded schemas define it.
    pub message: Option<MessageDescriptor>,
}

/// The bindings of one connection.
#[derive(Clone, Debug, Default)]
pub struct ProtobufBindings {
    bindings: Vec<Binding>,
}

impl ProtobufBindings {
    /// Bindings in the order the user made them (it breaks no ties: equal filters are one).
    pub fn new(bindings: Vec<Binding>) -> Self {
        Self { bindings }
    }

    #[expect(missing_docs, reason = "the name says it")]
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    #[expect(missing_docs, reason = "the name says it")]
    pub fn is_empty(&self) -> bool {
        self.bindings.is_empty()
    }

    /// The most specific binding whose filter matches `topic`.
    pub fn binding_for(&self, topic: &str) -> Option<&Binding> {
        self.bindings
            .iter()
            .filter(|b| matches(&b.filter, topic))
            .max_by(|a, b| specificity_cmp(&a.filter, &b.filter))
    }

    /// The message type `topic` decodes as, if it is bound to one the schemas define.
    pub fn message_for(&self, topic: &str) -> Option<&MessageDescriptor> {
        self.binding_for(topic)?.message.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(filter: &str, type_name: &str) -> Binding {
        Binding {
            filter: filter.to_owned(),
            type_name: type_name.to_owned(),
            message: None,
        }
    }

    #[test]
    fn the_most_specific_binding_wins_whatever_the_order() {
        let bindings = ProtobufBindings::new(vec![
            binding("#", "any.Envelope"),
            binding("factory/+/telemetry", "plant.Telemetry"),
            binding("factory/line1/+", "plant.Line1"),
            binding("factory/#", "plant.Factory"),
        ]);
        let bound = |topic| bindings.binding_for(topic).map(|b| b.type_name.as_str());
        assert_eq!(bound("factory/line1/telemetry"), Some("plant.Line1"));
        assert_eq!(bound("factory/line2/telemetry"), Some("plant.Telemetry"));
        assert_eq!(bound("factory/line2/alarms"), Some("plant.Factory"));
        assert_eq!(bound("home/kitchen"), Some("any.Envelope"));
        assert_eq!(bound("$SYS/broker/uptime"), None, "# does not reach $SYS");
        assert!(
            bindings.message_for("factory/line1/x").is_none(),
            "type not loaded"
        );
    }
}
