//! Headless commands. `main.rs` parses arguments into these option structs and calls `run`.

pub mod sub;
