//! Headless commands. `main.rs` parses arguments into these option structs and calls `run`.

pub mod clear_retained;
pub mod connect;
mod error;
pub mod export;
pub mod publish;
pub mod record;
pub mod replay;
pub mod serve;
pub mod sub;

pub use error::CliError;
