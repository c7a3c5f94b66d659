//! The `canopy` command: the window, or a headless subcommand. Parsing and dispatch only.

use anyhow::Context as _;
use canopy::mqtt::ProtocolVersion;
use canopy::mqtt::Qos;
use canopy::net::BrokerUrl;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "canopy",
    version = canopy::VERSION,
    about = "A fast native MQTT explorer and broker monitor",
    long_about = "A fast native MQTT explorer and broker monitor.\n\nWith no argument, canopy opens \
                  its window; on a first run (no saved connection) it starts its bundled broker \
                  and a demo device fleet and connects to them. With FILE.mcap it opens a \
                  recording. The subcommands work without a window: subscribe, publish, record, \
                  replay, export, clear retained messages, run the bundled broker or the demo \
                  fleet. Settings and saved connections live in ~/.config/canopy/.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// A recording (.mcap) to open in the window
    #[arg(value_name = "FILE.mcap")]
    recording: Option<std::path::PathBuf>,
    /// Open the window already connected to this broker, e.g. mqtt://localhost:1883
    #[arg(long, value_name = "URL")]
    connect: Option<String>,
    /// MQTT version for --connect: 5 or 3.1.1
    #[arg(long, value_name = "VERSION", default_value = "5")]
    mqtt_version: ProtocolVersion,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Subscribe with no window: a summary each second, a closing line with totals
    Sub(SubArgs),
    /// Publish one message and wait until the broker has it
    Pub(PubArgs),
    /// Record a broker's traffic to an MCAP file (the mapping: docs/recordings.md)
    Record(RecordArgs),
    /// Publish a recording's messages into a broker, with the recorded timing
    Replay(ReplayArgs),
    /// Write a recording's messages to CSV or JSON Lines
    Export(ExportArgs),
    /// Delete every retained message under a topic filter (prints how many it found and cleared)
    ClearRetained(ClearArgs),
    /// Run the bundled MQTT broker with no window, until Ctrl-C
    Broker(BrokerArgs),
    /// Run the demo device fleet against a broker, until Ctrl-C
    Sim(SimArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell) on stdout
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (canopy.1 and one per subcommand) into a folder, for packaging
    #[command(hide = true)]
    Manpages {
        /// The folder (created if needed)
        #[arg(value_name = "DIR")]
        out: std::path::PathBuf,
    },
}

#[derive(clap::Args)]
struct SubArgs {
    /// Broker URL: mqtt://, mqtts://, ws:// or wss://HOST[:PORT][/PATH] (or --profile)
    url: Option<String>,
    #[command(flatten)]
    connect: ConnectArgs,
    /// Topic filter to subscribe to (repeatable; default '#')
    #[arg(short = 't', long = "topic", value_name = "FILTER")]
    topics: Vec<String>,
    /// Exit 0 once this many messages have arrived
    #[arg(short = 'n', long)]
    count: Option<u64>,
    /// Give up (exit 1) after this many seconds
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// QoS to subscribe with
    #[arg(short = 'q', long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
    qos: u8,
}

#[derive(clap::Args)]
struct ClearArgs {
    /// Broker URL: mqtt://, mqtts://, ws:// or wss://HOST[:PORT][/PATH]
    url: String,
    /// Topic filter, e.g. 'home/#'
    filter: String,
    /// Only count and list them
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    connect: ConnectArgs,
}

#[derive(clap::Args)]
struct SimArgs {
    /// Broker URL
    #[arg(default_value = "mqtt://127.0.0.1:1883")]
    url: String,
    /// Number of simulated devices
    #[arg(long, default_value_t = 50)]
    devices: usize,
    /// Telemetry messages per second per device
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// Keep every device connected (by default a few drop off now and then and come back)
    #[arg(long)]
    no_dropouts: bool,
}

#[derive(clap::Args)]
struct RecordArgs {
    /// Broker URL: mqtt://, mqtts://, ws:// or wss://HOST[:PORT][/PATH] (or --profile)
    url: Option<String>,
    #[command(flatten)]
    connect: ConnectArgs,
    /// The recording to write (.mcap; replaced if it exists)
    #[arg(short = 'o', long, value_name = "FILE")]
    output: std::path::PathBuf,
    /// Topic filter to record (repeatable; default '#')
    #[arg(short = 't', long = "topic", value_name = "FILTER")]
    topics: Vec<String>,
    /// Stop after this many seconds
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Stop once this many messages have arrived
    #[arg(short = 'n', long)]
    count: Option<u64>,
    /// QoS to subscribe with
    #[arg(short = 'q', long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=2))]
    qos: u8,
}

#[derive(clap::Args)]
struct ReplayArgs {
    /// The recording to replay (.mcap)
    file: std::path::PathBuf,
    /// Broker URL: mqtt://, mqtts://, ws:// or wss://HOST[:PORT][/PATH] (or --profile)
    url: Option<String>,
    #[command(flatten)]
    connect: ConnectArgs,
    /// Replay this many times faster than recorded
    #[arg(long, default_value_t = 1.0, conflicts_with = "max")]
    speed: f64,
    /// Replay as fast as the broker takes the messages
    #[arg(long)]
    max: bool,
    /// Start again from the beginning at the end, until Ctrl-C
    #[arg(long = "loop")]
    repeat: bool,
    /// Only topics matching this filter (repeatable)
    #[arg(short = 't', long = "topic", value_name = "FILTER")]
    topics: Vec<String>,
    /// Publish every topic under this prefix, e.g. 'replay/'
    #[arg(long)]
    prefix: Option<String>,
}

#[derive(clap::Args)]
struct ExportArgs {
    /// The recording to export (.mcap)
    file: std::path::PathBuf,
    /// The file to write (.csv or .jsonl), or - for standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    output: std::path::PathBuf,
    /// The format, when the file name does not say it
    #[arg(long, value_enum)]
    format: Option<ExportFormatArg>,
    /// Only messages received from this time on (RFC 3339, or Unix ms)
    #[arg(long, value_name = "TIME", value_parser = canopy::cli::export::parse_time)]
    from: Option<std::time::SystemTime>,
    /// Only messages received before this time (RFC 3339, or Unix ms)
    #[arg(long, value_name = "TIME", value_parser = canopy::cli::export::parse_time)]
    to: Option<std::time::SystemTime>,
    /// Only topics matching this filter (repeatable)
    #[arg(short = 't', long = "topic", value_name = "FILTER")]
    topics: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormatArg {
    Csv,
    Jsonl,
}

#[derive(clap::Args)]
struct PubArgs {
    /// Broker URL: mqtt://, mqtts://, ws:// or wss://HOST[:PORT][/PATH] (or --profile)
    url: Option<String>,
    #[command(flatten)]
    connect: ConnectArgs,
    /// Topic to publish to
    #[arg(short = 't', long)]
    topic: String,
    /// Payload given on the command line
    #[arg(short = 'm', long, conflicts_with_all = ["file", "null"])]
    message: Option<String>,
    /// Payload read from a file, byte for byte
    #[arg(short = 'f', long, value_name = "FILE", conflicts_with = "null")]
    file: Option<std::path::PathBuf>,
    /// Send an empty payload (with -r: delete the topic's retained message)
    #[arg(short = 'n', long)]
    null: bool,
    /// How -m is written: text, json (checked), hex or base64
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// QoS
    #[arg(short = 'q', long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
    qos: u8,
    /// Retain the message on the broker
    #[arg(short = 'r', long)]
    retain: bool,
    /// MQTT 5 user property (repeatable)
    #[arg(long = "user-property", value_name = "KEY=VALUE")]
    user_properties: Vec<String>,
    /// MQTT 5 content type
    #[arg(long)]
    content_type: Option<String>,
    /// MQTT 5 response topic
    #[arg(long)]
    response_topic: Option<String>,
    /// MQTT 5 correlation data (as text)
    #[arg(long)]
    correlation_data: Option<String>,
    /// MQTT 5 message expiry, in seconds
    #[arg(long, value_name = "SECONDS")]
    message_expiry: Option<u32>,
    /// MQTT 5 payload format indicator: the payload is UTF-8 text
    #[arg(long)]
    utf8: bool,
}

/// How to reach the broker, beyond its URL.
#[derive(clap::Args)]
struct ConnectArgs {
    /// Use a saved connection profile instead of a URL
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// User name
    #[arg(short = 'u', long)]
    username: Option<String>,
    /// Password
    #[arg(short = 'P', long)]
    password: Option<String>,
    /// CA certificate file (PEM) to trust instead of the system's
    #[arg(long, value_name = "FILE")]
    cafile: Option<std::path::PathBuf>,
    /// Client certificate (PEM), with --key
    #[arg(long, value_name = "FILE")]
    cert: Option<std::path::PathBuf>,
    /// Client private key (PEM), with --cert
    #[arg(long, value_name = "FILE")]
    key: Option<std::path::PathBuf>,
    /// Do not verify the broker's certificate (testing only)
    #[arg(long)]
    insecure: bool,
    /// Server name to send (SNI) and check the broker's certificate against, instead of the host
    #[arg(long, value_name = "NAME", visible_alias = "sni")]
    server_name: Option<String>,
    /// ALPN protocol to offer (repeatable)
    #[arg(long, value_name = "PROTOCOL")]
    alpn: Vec<String>,
    /// MQTT version: 5 (the default) or 3.1.1
    #[arg(long, value_name = "VERSION")]
    mqtt_version: Option<ProtocolVersion>,
    /// Client id (random by default)
    #[arg(short = 'i', long)]
    client_id: Option<String>,
}

impl ConnectArgs {
    fn options(self, url: Option<&str>) -> anyhow::Result<canopy::net::ConnectOptions> {
        let flags = canopy::cli::connect::ConnectFlags {
            profile: self.profile,
            username: self.username,
            password: self.password,
            ca_file: self.cafile,
            cert: self.cert,
            key: self.key,
            insecure: self.insecure,
            cert_name: self.server_name,
            alpn: self.alpn,
            protocol: self.mqtt_version,
            client_id: self.client_id,
        };
        Ok(canopy::cli::connect::connect_options(url, &flags, None)?)
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// UTF-8 text as given
    Text,
    /// JSON, checked before sending
    Json,
    /// Hex digits
    Hex,
    /// Base64
    Base64,
}

impl From<Format> for canopy::payload::PayloadFormat {
    fn from(format: Format) -> Self {
        match format {
            Format::Text => Self::Text,
            Format::Json => Self::Json,
            Format::Hex => Self::Hex,
            Format::Base64 => Self::Base64,
        }
    }
}

impl PubArgs {
    fn options(self) -> anyhow::Result<canopy::cli::publish::PubOptions> {
        let payload = match (&self.message, &self.file) {
            (Some(text), _) => canopy::payload::encode(text, self.format.into())
                .map_err(|e| anyhow::anyhow!("-m: {e}"))?,
            (None, Some(path)) => {
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?
            }
            (None, None) if self.null => Vec::new(),
            (None, None) => {
                anyhow::bail!("give a payload with -m TEXT, -f FILE, or -n for an empty one")
            }
        };
        let properties = canopy::cli::publish::properties(
            self.content_type,
            self.response_topic,
            self.correlation_data,
            &self.user_properties,
            self.message_expiry,
            self.utf8,
        )?;
        Ok(canopy::cli::publish::PubOptions {
            connect: self.connect.options(self.url.as_deref())?,
            message: canopy::net::OutgoingMessage {
                topic: self.topic,
                payload: payload.into(),
                qos: Qos::from_level(self.qos).unwrap_or_default(),
                retain: self.retain,
                properties,
            },
        })
    }
}

#[derive(clap::Args)]
struct BrokerArgs {
    /// Address to listen on (any address other than 127.0.0.1 exposes the broker to the network)
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// TCP port (0 picks a free one)
    #[arg(short = 'p', long, default_value_t = 1883)]
    port: u16,
    /// Also listen for MQTT over TLS, with this PEM certificate chain (needs --tls-key)
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_key",
        conflicts_with = "tls_self_signed"
    )]
    tls_cert: Option<std::path::PathBuf>,
    /// PEM private key for --tls-cert
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// Also listen for MQTT over TLS with a certificate generated now for localhost
    #[arg(long)]
    tls_self_signed: bool,
    /// Port of the TLS listener
    #[arg(long, default_value_t = 8883)]
    tls_port: u16,
    /// Also listen for MQTT over WebSocket on this port
    #[arg(long, value_name = "PORT")]
    ws_port: Option<u16>,
    /// mosquitto-format password file (make one with mosquitto_passwd)
    #[arg(long, value_name = "FILE")]
    users: Option<std::path::PathBuf>,
    /// mosquitto-format ACL file: anything it does not grant is refused
    #[arg(long, value_name = "FILE")]
    acl: Option<std::path::PathBuf>,
    /// Accept clients without a user name even when --users is given
    #[arg(long)]
    allow_anonymous: bool,
    /// Largest packet accepted, in bytes
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    max_packet_size: u32,
    /// Seconds between $SYS updates (0 turns $SYS off)
    #[arg(long, default_value_t = 5)]
    sys_interval: u64,
    /// Longest keep alive granted to MQTT 5 clients; one asking for more (or none) is told this
    /// as Server Keep Alive (0: grant whatever is asked)
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    max_keep_alive: u16,
    /// Most levels in a topic name or filter
    #[arg(long, value_name = "N", default_value_t = canopy::mqtt::DEFAULT_MAX_TOPIC_LEVELS)]
    max_topic_levels: usize,
    /// Longest topic name or filter, in bytes (MQTT allows 65,535)
    #[arg(long, value_name = "BYTES", default_value_t = canopy::mqtt::DEFAULT_MAX_TOPIC_BYTES)]
    max_topic_bytes: usize,
    /// Largest CONNECT accepted, in bytes: clients are not trusted with more before they are
    /// authenticated
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024)]
    max_connect_size: u32,
    /// The SUBACK code for a subscription the ACL refuses, in MQTT 5: 0x87 (Not authorized, as
    /// mosquitto) or 0x80 (Unspecified error, which some test suites expect)
    #[arg(long, value_name = "CODE", default_value = "0x87", value_parser = parse_refusal_code)]
    acl_suback_code: canopy::mqtt::ReasonCode,
}

fn parse_refusal_code(text: &str) -> Result<canopy::mqtt::ReasonCode, String> {
    use canopy::mqtt::ReasonCode;
    match text.trim().to_ascii_lowercase().as_str() {
        "0x87" | "135" | "not-authorized" => Ok(ReasonCode::NotAuthorized),
        "0x80" | "128" | "unspecified" => Ok(ReasonCode::UnspecifiedError),
        other => Err(format!("'{other}' is not 0x87 or 0x80")),
    }
}

impl BrokerArgs {
    fn config(&self) -> anyhow::Result<canopy::broker::BrokerConfig> {
        use canopy::broker::{Acl, BrokerConfig, TlsIdentity, TlsListenerConfig, Users};
        let identity = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsIdentity::PemFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ if self.tls_self_signed => Some(TlsIdentity::SelfSigned),
            _ => None,
        };
        let users = self.users.as_deref().map(Users::load).transpose()?;
        Ok(BrokerConfig {
            bind: self.bind,
            port: self.port,
            max_packet_size: self.max_packet_size,
            max_keep_alive_secs: self.max_keep_alive,
            max_connect_size: self.max_connect_size,
            acl_suback_code: self.acl_suback_code,
            topic_limits: canopy::mqtt::TopicLimits {
                max_levels: self.max_topic_levels.max(1),
                max_bytes: self
                    .max_topic_bytes
                    .clamp(1, canopy::mqtt::DEFAULT_MAX_TOPIC_BYTES),
            },
            sys_interval: Duration::from_secs(self.sys_interval),
            allow_anonymous: users.is_none() || self.allow_anonymous,
            users,
            acl: self.acl.as_deref().map(Acl::load).transpose()?,
            tls: identity.map(|identity| TlsListenerConfig {
                port: self.tls_port,
                identity,
            }),
            websocket_port: self.ws_port,
            ..BrokerConfig::default()
        })
    }
}

#[cfg(feature = "gui")]
use canopy::app::Startup;

#[cfg(feature = "gui")]
fn open_window(startup: Startup, started: std::time::Instant) -> anyhow::Result<()> {
    canopy::app::run(startup, started)
        .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
}

/// What the window would have started with, in a build without it.
#[cfg(not(feature = "gui"))]
enum Startup {
    Connect(Box<canopy::net::ConnectOptions>),
    Demo,
    Open(std::path::PathBuf),
}

#[cfg(not(feature = "gui"))]
fn open_window(startup: Startup, _started: std::time::Instant) -> anyhow::Result<()> {
    let what = match startup {
        Startup::Connect(options) => format!("a window on {}", options.address()),
        Startup::Demo => "the window".to_owned(),
        Startup::Open(path) => format!("{} in the window", path.display()),
    };
    anyhow::bail!(
        "cannot open {what}: this canopy was built without the \"gui\" feature; the subcommands work"
    )
}

impl SubArgs {
    fn run(self) -> anyhow::Result<()> {
        let options = canopy::cli::sub::SubOptions {
            connect: self.connect.options(self.url.as_deref())?,
            filters: self.topics,
            qos: Qos::from_level(self.qos).unwrap_or_default(),
            count: self.count,
            timeout: self.timeout.map(Duration::from_secs_f64),
        };
        let report = canopy::cli::sub::run(&options, stop_on_ctrl_c()?, &mut std::io::stderr())?;
        println!("{}", report.final_line());
        Ok(())
    }
}

impl ClearArgs {
    fn run(self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.connect.profile.is_none(),
            "clear-retained takes a broker URL, not --profile"
        );
        let report = canopy::cli::clear_retained::run(
            self.connect.options(Some(&self.url))?,
            &self.filter,
            self.dry_run,
            &mut std::io::stderr(),
        )?;
        canopy::cli::clear_retained::print_report(&report, &self.filter, self.dry_run)
    }
}

/// Ctrl-C sets the flag this returns.
fn stop_on_ctrl_c() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let on_signal = Arc::clone(&stop);
    ctrlc::set_handler(move || on_signal.store(true, Ordering::Relaxed))
        .context("could not install the Ctrl-C handler")?;
    Ok(stop)
}

impl RecordArgs {
    fn run(self) -> anyhow::Result<()> {
        let options = canopy::cli::record::RecordOptions {
            connect: self.connect.options(self.url.as_deref())?,
            output: self.output,
            filters: self.topics,
            qos: Qos::from_level(self.qos).unwrap_or_default(),
            duration: self.duration.map(Duration::from_secs_f64),
            count: self.count,
        };
        let stats = canopy::cli::record::run(&options, stop_on_ctrl_c()?, &mut std::io::stderr())?;
        println!(
            "recorded {} messages to {} ({} KiB) in {:.1} s, {} dropped",
            stats.messages,
            stats.path.display(),
            stats.file_bytes / 1024,
            stats.elapsed.as_secs_f64(),
            stats.dropped
        );
        Ok(())
    }
}

impl ReplayArgs {
    fn run(self) -> anyhow::Result<()> {
        use canopy::cli::replay::{Pace, ReplayOptions};
        anyhow::ensure!(
            self.speed > 0.0 && self.speed.is_finite(),
            "--speed must be a positive number"
        );
        let options = ReplayOptions {
            input: self.file,
            connect: self.connect.options(self.url.as_deref())?,
            pace: if self.max {
                Pace::Max
            } else {
                Pace::Speed(self.speed)
            },
            repeat: self.repeat,
            filters: self.topics,
            prefix: self.prefix,
        };
        let report = canopy::cli::replay::run(&options, stop_on_ctrl_c()?, &mut std::io::stderr())?;
        if let Some(damage) = &report.file.damage {
            eprintln!("note: {damage}");
        }
        println!("{}", report.final_line());
        anyhow::ensure!(
            report.failed == 0,
            "{} messages were not accepted",
            report.failed
        );
        Ok(())
    }
}

impl ExportArgs {
    fn run(self) -> anyhow::Result<()> {
        use canopy::record::ExportFormat;
        let options = canopy::cli::export::ExportOptions {
            input: self.file,
            output: self.output,
            format: self.format.map(|f| match f {
                ExportFormatArg::Csv => ExportFormat::Csv,
                ExportFormatArg::Jsonl => ExportFormat::JsonLines,
            }),
            filters: self.topics,
            from: self.from,
            to: self.to,
        };
        let (exported, file) = canopy::cli::export::run(&options, &mut std::io::stderr())?;
        if let Some(damage) = &file.damage {
            eprintln!("note: {damage}");
        }
        eprintln!(
            "exported {} messages ({} payloads as base64)",
            exported.messages, exported.base64_payloads
        );
        Ok(())
    }
}

impl SimArgs {
    fn run(self) -> anyhow::Result<()> {
        let url = BrokerUrl::parse(&self.url)?;
        let mut options = canopy::sim::SimOptions::new(url.host.clone(), url.port);
        options.devices = self.devices;
        options.rate_hz = self.rate;
        options.dropouts = !self.no_dropouts;
        canopy::cli::serve::sim(options)
    }
}

fn main() -> std::process::ExitCode {
    canopy::process::tune_allocator();
    let started = std::time::Instant::now();
    match run(started) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // One readable line (with its causes), never a backtrace dump.
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(started: std::time::Instant) -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(&cli.command);
    match cli.command {
        None => {
            let startup = match &cli.connect {
                Some(url) => {
                    let mut options = BrokerUrl::parse(url)?.connect_options();
                    options.protocol = cli.mqtt_version;
                    Startup::Connect(Box::new(options))
                }
                None => match cli.recording {
                    Some(path) => Startup::Open(path),
                    // A first run (no saved profile) gets the demo; otherwise the saved profiles.
                    None => Startup::Demo,
                },
            };
            open_window(startup, started)
        }
        Some(Command::Sub(args)) => args.run(),
        Some(Command::Pub(args)) => {
            let line = canopy::cli::publish::run(args.options()?)?;
            println!("{line}");
            Ok(())
        }
        Some(Command::ClearRetained(args)) => args.run(),
        Some(Command::Sim(args)) => args.run(),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(shell, &mut Cli::command(), "canopy", &mut std::io::stdout());
            Ok(())
        }
        Some(Command::Manpages { out }) => write_manpages(&out),
        Some(Command::Record(args)) => args.run(),
        Some(Command::Replay(args)) => args.run(),
        Some(Command::Export(args)) => args.run(),
        Some(Command::Broker(args)) => canopy::cli::serve::broker(args.config()?),
    }
}

/// Log to stderr: the headless broker's connections by default, otherwise only warnings
/// (`RUST_LOG` overrides).
fn init_logging(command: &Option<Command>) {
    let default_filter = if matches!(command, Some(Command::Broker(_))) {
        "info"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// canopy.1 and canopy-SUBCOMMAND.1 for every visible subcommand, into `out`.
fn write_manpages(out: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)?;
    let command = Cli::command();
    let mut pages = vec![("canopy".to_owned(), command.clone())];
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let page = sub
            .clone()
            .display_name(format!("canopy-{}", sub.get_name()))
            .bin_name(format!("canopy {}", sub.get_name()));
        pages.push((format!("canopy-{}", sub.get_name()), page));
    }
    for (name, page) in pages {
        let path = out.join(format!("{name}.1"));
        let mut file = std::fs::File::create(&path)?;
        clap_mangen::Man::new(page)
            .title(name.to_uppercase())
            .source(format!("canopy {}", canopy::VERSION))
            .manual("Canopy")
            .render(&mut file)?;
        println!("{}", path.display());
    }
    Ok(())
}
