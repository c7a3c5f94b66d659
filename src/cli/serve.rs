//! The long-running commands: `canopy broker` and `canopy sim` run until Ctrl-C.

use anyhow::Context as _;
use std::sync::mpsc::Receiver;
use std::time::Duration;

/// A channel that receives once when the user presses Ctrl-C.
fn interrupted() -> anyhow::Result<Receiver<()>> {
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .context("could not install the Ctrl-C handler")?;
    Ok(stop_rx)
}

/// `canopy broker`: serve until Ctrl-C. Prints each listener's address (scripts read them,
/// useful with `--port 0`) and warns when the broker is reachable from other machines.
pub fn broker(config: crate::broker::BrokerConfig) -> anyhow::Result<()> {
    let bind = config.bind;
    let stop = interrupted()?;
    let broker = crate::broker::Broker::start(config)?;
    for listener in broker.listeners() {
        println!(
            "listening on {}://{}",
            listener.kind.scheme(),
            listener.address
        );
    }
    if !bind.is_loopback() {
        eprintln!("warning: listening on {bind}: anyone who can reach this machine can connect");
    }
    let _ = stop.recv();
    broker.stop();
    Ok(())
}

/// `canopy sim`: run the demo fleet until Ctrl-C, with a line of progress every 5 s.
pub fn sim(options: crate::sim::SimOptions) -> anyhow::Result<()> {
    anyhow::ensure!(
        options.rate_hz.is_finite() && options.rate_hz > 0.0,
        "--rate must be a positive number of messages per second"
    );
    let stop = interrupted()?;
    let (host, port, rate) = (options.host.clone(), options.port, options.rate_hz);
    let fleet = crate::sim::Fleet::start(options)?;
    println!(
        "simulating {} devices at {rate} msg/s each against {host}:{port}",
        fleet.device_count()
    );
    while stop.recv_timeout(Duration::from_secs(5)).is_err() {
        eprintln!(
            "{} messages published, {} of {} devices connected",
            fleet.stats().published(),
            fleet.stats().connected(),
            fleet.device_count()
        );
    }
    fleet.stop();
    Ok(())
}
