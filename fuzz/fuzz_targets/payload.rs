//! Any bytes as a payload, in every view the message panel offers (JSON, MessagePack, CBOR,
//! Sparkplug B with and without aliases, protobuf by a schema and without one, images, text,
//! hex…): each renders or says why not, and never panics, loops or allocates without bound.

#![no_main]

use canopy::mqtt::sparkplug::AliasNames;
use canopy::payload::{Hint, PayloadView, protobuf, render};
use libfuzzer_sys::fuzz_target;
use prost_reflect::MessageDescriptor;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const SCHEMA: &str = r#"syntax = "proto3";
package fuzz;
import "google/protobuf/timestamp.proto";
message Inner { repeated double values = 1; map<string, Inner> children = 2; }
message Outer {
  enum Kind { KIND_UNKNOWN = 0; A = 1; }
  string name = 1;
  google.protobuf.Timestamp at = 2;
  Inner inner = 3;
  Kind kind = 4;
  bytes blob = 5;
  oneof choice { int64 number = 6; Outer nested = 7; }
}
"#;

fn message() -> Option<&'static MessageDescriptor> {
    static MESSAGE: OnceLock<Option<MessageDescriptor>> = OnceLock::new();
    MESSAGE
        .get_or_init(|| {
            let sources = BTreeMap::from([("fuzz.proto".to_owned(), SCHEMA.to_owned())]);
            protobuf::compile(sources).ok()?.message("fuzz.Outer")
        })
        .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let plain = Hint::default();
    let names: AliasNames = (0..8).map(|alias| (alias, format!("metric/{alias}"))).collect();
    let rich = Hint {
        topic: "spBv1.0/plant/DDATA/edge/device",
        content_type: None,
        aliases: Some(&names),
        message_type: message(),
    };
    for view in PayloadView::ALL {
        let _ = render(data, view, &plain);
        let _ = render(data, view, &rich);
    }
});
