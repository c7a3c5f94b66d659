//! Any bytes as a payload, in every view the message panel offers (JSON, MessagePack, CBOR,
//! Sparkplug B, protobuf without a schema, images, text, hex…): each renders or says why not,
//! and never panics, loops or allocates without bound.

#![no_main]

use canopy::payload::{Hint, PayloadView, render};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let hint = Hint::default();
    for view in PayloadView::ALL {
        let _ = render(data, view, &hint);
    }
});
