//! What is wrong with a form the user filled in, naming the field.

/// One field's problem: shown as "Port: '70000' is not a port number (0–65535)".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    /// The field's label, as the form shows it.
    pub field: &'static str,
    /// What is wrong with its value.
    pub problem: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: &'static str, problem: impl std::fmt::Display) -> Self {
        FieldError {
            field,
            problem: problem.to_string(),
        }
    }
}
