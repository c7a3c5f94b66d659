//! `canopy clear-retained`: find every retained message under a filter and delete it.

use super::CliError;
use crate::mqtt::Qos;
use crate::net::{ClearRequest, ConnectOptions, EventKind, NetError, RetainedClear, Subscription};
use rustc_hash::FxHashSet;
use std::io::Write;
use std::time::{Duration, Instant};

/// Retained messages arrive right after SUBACK; this much silence means all have come.
const QUIET: Duration = Duration::from_millis(500);

/// What `canopy clear-retained` found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClearReport {
    /// Topics with a retained message under the filter, sorted.
    pub found: Vec<String>,
    /// How many were cleared.
    pub cleared: usize,
    /// Topics that could not be cleared, with the reason.
    pub failed: Vec<(String, NetError)>,
}

/// Find the retained messages under `filter` and, unless `dry_run`, clear them.
pub fn run(
    connect: ConnectOptions,
    filter: &str,
    dry_run: bool,
    progress: &mut dyn Write,
) -> Result<ClearReport, CliError> {
    crate::mqtt::TopicFilter::new(filter).map_err(|reason| CliError::Filter {
        filter: filter.to_owned(),
        reason,
    })?;
    let mut connect = connect;
    connect.subscriptions = vec![Subscription {
        filter: filter.to_owned(),
        qos: Qos::AtMostOnce,
    }];
    let mut client = crate::net::BlockingClient::connect(connect, Duration::from_secs(10))?;
    let found = collect_retained(&client)?;
    let mut report = ClearReport {
        found,
        ..ClearReport::default()
    };
    if dry_run || report.found.is_empty() {
        client.disconnect();
        return Ok(report);
    }
    let id = client.id();
    client.manager().send(crate::net::Command::Unsubscribe {
        id,
        filter: filter.to_owned(),
    });
    let mut clear = RetainedClear::new(ClearRequest {
        scope: format!("under {filter}"),
        topics: report.found.clone(),
    });
    let started = Instant::now();
    let mut last_progress = Instant::now();
    while !clear.is_done() {
        clear.top_up(client.manager(), id);
        let Some(event) = client.next_event(Instant::now() + Duration::from_secs(10)) else {
            return Err(CliError::ClearStalled {
                cleared: clear.cleared,
                total: clear.total,
            });
        };
        if let EventKind::Published { ticket, result } = event {
            clear.on_published(ticket, &result);
        }
        if last_progress.elapsed() >= Duration::from_secs(1) {
            let _ = writeln!(progress, "cleared {} of {}", clear.cleared, clear.total);
            last_progress = Instant::now();
        }
    }
    tracing::debug!(
        "cleared {} retained messages in {:?}",
        clear.cleared,
        started.elapsed()
    );
    report.cleared = clear.cleared;
    report.failed = clear.failed;
    client.disconnect();
    Ok(report)
}

/// Gather the topics whose retained messages arrive after subscribing, until a quiet spell.
fn collect_retained(client: &crate::net::BlockingClient) -> Result<Vec<String>, CliError> {
    let mut subscribed = false;
    let mut topics = FxHashSet::default();
    let give_up = Instant::now() + Duration::from_secs(60);
    let mut quiet_until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < give_up {
        let deadline = quiet_until.min(give_up);
        match client.next_event(deadline) {
            Some(EventKind::Subscribed(_)) => {
                subscribed = true;
                quiet_until = Instant::now() + QUIET;
            }
            Some(EventKind::Batch(batch)) => {
                for message in batch {
                    if message.retain && !message.payload.is_empty() {
                        topics.insert(message.topic);
                    }
                }
                quiet_until = Instant::now() + QUIET;
            }
            Some(EventKind::Error(error)) => return Err(CliError::Net(error)),
            Some(_) => {}
            None if subscribed => break,
            None => return Err(CliError::SubscriptionNotAcknowledged),
        }
    }
    let mut topics: Vec<String> = topics.into_iter().collect();
    topics.sort();
    Ok(topics)
}

/// Print what `run` found and did: with `dry_run` the topics found; otherwise what was cleared
/// and what failed (an error when anything failed).
pub fn print_report(report: &ClearReport, filter: &str, dry_run: bool) -> anyhow::Result<()> {
    if dry_run {
        for topic in &report.found {
            println!("{topic}");
        }
        println!(
            "found {} retained messages under {filter} (dry run: nothing cleared)",
            report.found.len()
        );
        return Ok(());
    }
    for (topic, reason) in &report.failed {
        eprintln!("could not clear {topic}: {reason}");
    }
    println!(
        "found {} retained messages under {filter}; cleared {}",
        report.found.len(),
        report.cleared
    );
    anyhow::ensure!(
        report.failed.is_empty(),
        "{} retained messages could not be cleared",
        report.failed.len()
    );
    Ok(())
}
