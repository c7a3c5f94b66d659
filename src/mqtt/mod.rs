//! MQTT's own vocabulary, shared by every part of Canopy: quality of service, protocol versions,
//! reason codes, topic names and filters (validation and matching), and Sparkplug B's namespace
//! and payload schema.
//!
//! Depends on nothing else in Canopy; everything else may use it.

mod qos;
mod reason;
pub mod sparkplug;
mod topic;
mod version;

pub use qos::Qos;
pub use reason::ReasonCode;
pub use topic::{
    DEFAULT_MAX_TOPIC_BYTES, DEFAULT_MAX_TOPIC_LEVELS, EVERY_TOPIC, TopicError, TopicFilter,
    TopicLimits, TopicName, matches, specificity_cmp,
};
pub use version::{ParseVersionError, ProtocolVersion};
