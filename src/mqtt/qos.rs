//! Quality of service.

use std::fmt;

/// MQTT quality of service: how hard the sender tries to deliver a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Qos {
    /// QoS 0: fire and forget.
    #[default]
    AtMostOnce,
    /// QoS 1: acknowledged, may be duplicated.
    AtLeastOnce,
    /// QoS 2: exactly once.
    ExactlyOnce,
}

impl Qos {
    /// Every QoS, lowest first.
    pub const ALL: [Qos; 3] = [Qos::AtMostOnce, Qos::AtLeastOnce, Qos::ExactlyOnce];

    /// The QoS as its wire number, 0..=2.
    pub fn level(self) -> u8 {
        match self {
            Qos::AtMostOnce => 0,
            Qos::AtLeastOnce => 1,
            Qos::ExactlyOnce => 2,
        }
    }

    /// The QoS for a wire number; `None` for anything above 2 (a malformed packet).
    pub fn from_level(level: u8) -> Option<Self> {
        match level {
            0 => Some(Qos::AtMostOnce),
            1 => Some(Qos::AtLeastOnce),
            2 => Some(Qos::ExactlyOnce),
            _ => None,
        }
    }
}

impl fmt::Display for Qos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QoS {}", self.level())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_trip_and_order() {
        for qos in Qos::ALL {
            assert_eq!(Qos::from_level(qos.level()), Some(qos));
        }
        assert_eq!(Qos::from_level(3), None);
        assert!(Qos::AtMostOnce < Qos::ExactlyOnce);
        assert_eq!(Qos::AtLeastOnce.to_string(), "QoS 1");
    }
}
