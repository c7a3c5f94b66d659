//! Recordings: writing, reading and exporting 1,000,000 messages (50-byte payloads over 1,000
//! topics, as in the loopback flood) through a real file. Run with `cargo bench --bench
//! recording`; RECORD_MESSAGES overrides the count (the CI smoke run uses a small one).
//!
//! `open_large` and `seek_large` open a large recording (1 GB by default, LARGE_RECORDING_MB
//! overrides; written once to target/bench-data and reused) of 600-byte payloads that compress
//! poorly, as sensor dumps do: indexing it, and building the state at a playhead.
#![expect(
    clippy::expect_used,
    reason = "a benchmark whose setup fails stops with the reason"
)]

use canopy::model::Incoming;
use canopy::record::{
    ExportFormat, McapWriter, ModelShape, Reader, RecordingIndex, export, state_at,
};
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

/// The large recording, written on first use: about LARGE_RECORDING_MB megabytes on disk.
fn large_recording() -> std::path::PathBuf {
    let megabytes: u64 = std::env::var("LARGE_RECORDING_MB")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(1024);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench-data");
    let path = dir.join(format!("large-{megabytes}mb.mcap"));
    if path.exists() {
        return path;
    }
    let partial = dir.join("large.partial");
    let mut writer = McapWriter::create(&partial).expect("create");
    let start = SystemTime::now();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut i = 0u64;
    while std::fs::metadata(&partial).map_or(0, |m| m.len()) < megabytes * 1024 * 1024 {
        for _ in 0..10_000 {
            let mut digits = String::with_capacity(600);
            while digits.len() < 580 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                digits.push_str(&format!("{seed:016x}"));
            }
            let mut message = Incoming::new(
                format!("plant/{}/line/{}", i % 50, i % 1000),
                format!("{{\"i\":{i},\"raw\":\"{digits}\"}}"),
            );
            message.received_at = start + Duration::from_micros(i * 100);
            writer.write(&message).expect("write");
            i += 1;
        }
    }
    writer.finish().expect("finish");
    std::fs::rename(&partial, &path).expect("rename");
    path
}

fn shape() -> ModelShape {
    ModelShape {
        history_limit: 1000,
        history_budget_bytes: 256 * 1024 * 1024,
    }
}

/// Indexing the large recording (what opening it in the window waits for).
#[divan::bench(sample_count = 5)]
fn open_large(bencher: divan::Bencher) {
    let path = large_recording();
    bencher.bench_local(|| {
        let index = RecordingIndex::open(&path).expect("index");
        assert!(index.from_summary() && index.messages() > 0);
    });
}

/// Building the model at a playhead in the large recording: the end (where a tab opens), and
/// spread positions (a scrub).
#[divan::bench(args = [1.0, 0.5, 0.1], sample_count = 5)]
fn seek_large(bencher: divan::Bencher, at: f64) {
    let path = large_recording();
    let mut index = RecordingIndex::open(&path).expect("index");
    let position = (index.messages() as f64 * at) as u64;
    bencher.bench_local(|| {
        let model = state_at(&mut index, position, shape()).expect("state");
        assert!(model.tree.history_bytes() <= shape().history_budget_bytes);
    });
}
