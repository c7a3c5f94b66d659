//! Recordings: writing, reading and exporting 1,000,000 messages (50-byte payloads over 1,000
//! topics, as in the loopback flood) through a real file. Run with `cargo bench --bench
//! recording`; RECORD_MESSAGES overrides the count (the CI smoke run uses a small one).
#![expect(
    clippy::expect_used,
    reason = "a benchmark whose setup fails stops with the reason"
)]

use canopy::model::Incoming;
use canopy::record::{ExportFormat, McapWriter, Reader, export};
use std::time::{Duration, SystemTime};

fn main() {
    canopy::process::tune_allocator();
    divan::main();
}

fn count() -> usize {
    std::env::var("RECORD_MESSAGES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(1_000_000)
}

fn flood(n: usize) -> Vec<Incoming> {
    let start = SystemTime::now();
    (0..n)
        .map(|i| {
            let mut message = Incoming::new(
                format!("flood/{}", i % 1000),
                format!("{i:08}")
                    .into_bytes()
                    .into_iter()
                    .chain(std::iter::repeat_n(b'x', 42))
                    .collect::<Vec<u8>>(),
            );
            message.received_at = start + Duration::from_micros(i as u64 * 5);
            message
        })
        .collect()
}

fn write_file(path: &std::path::Path, messages: &[Incoming]) {
    let mut writer = McapWriter::create(path).expect("create");
    for message in messages {
        writer.write(message).expect("write");
    }
    writer.finish().expect("finish");
}

/// Messages written to an MCAP file per second (zstd chunks, index and footer included).
#[divan::bench(sample_count = 3)]
fn write(bencher: divan::Bencher) {
    let messages = flood(count());
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("w.mcap");
    bencher
        .counter(divan::counter::ItemsCount::new(messages.len()))
        .bench_local(|| write_file(&path, &messages));
}

/// Messages read back per second.
#[divan::bench(sample_count = 3)]
fn read(bencher: divan::Bencher) {
    let n = count();
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("r.mcap");
    write_file(&path, &flood(n));
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench_local(|| {
            let mut reader = Reader::open(&path).expect("open");
            let mut read = 0usize;
            while reader.next_message().is_some() {
                read += 1;
            }
            assert_eq!(read, n);
        });
}

/// Messages read and exported to CSV per second.
#[divan::bench(sample_count = 3)]
fn export_csv(bencher: divan::Bencher) {
    let n = count();
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("e.mcap");
    write_file(&path, &flood(n));
    let out = dir.path().join("e.csv");
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench_local(|| {
            let mut reader = Reader::open(&path).expect("open");
            let file = std::fs::File::create(&out).expect("create");
            let mut writer = std::io::BufWriter::new(file);
            let exported = export(
                std::iter::from_fn(|| reader.next_message()),
                ExportFormat::Csv,
                &mut writer,
                &mut |_| {},
            )
            .expect("export");
            assert_eq!(exported.messages as usize, n);
        });
}
