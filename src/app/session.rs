//! One connection as the window sees it: its model, state, counters and notices.

use super::charts::Chart;
use super::latency_probe::LatencyProbe;
use super::message_ui::MessageView;
use super::monitor_ui::MonitorView;
use super::topic_tree_ui::TopicTreeView;
use crate::model::{Incoming, Model};
use crate::net::{ConnectOptions, ConnectionId, ConnectionState, ConnectionStats};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// Most notices kept per connection.
const NOTICES_KEPT: usize = 50;

/// A message for the user about this connection (a refused subscription, a failed publish).
#[derive(Clone, Debug)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct Notice {
    pub at: SystemTime,
    /// What happened, in plain words.
    pub text: String,
}

/// One connection's data and status. The GUI thread alone owns it.
pub struct Session {
    /// Unique among the window's tabs, connected or not: where a background job's outcome goes.
    pub key: u64,
    /// The manager's id for the connection; `None` for data injected without a connection.
    pub id: Option<ConnectionId>,
    /// What it was opened with.
    pub options: ConnectOptions,
    /// Everything received.
    pub model: Model,
    /// Latest state the manager reported.
    pub state: ConnectionState,
    /// When `state` last changed, for the reconnect countdown.
    pub state_since: Instant,
    /// Counters the manager updates (received, dropped).
    pub stats: Arc<ConnectionStats>,
    /// Recent notices, newest last.
    pub notices: VecDeque<Notice>,
    /// Filters the broker acknowledged on the current connection.
    pub active_subscriptions: Vec<String>,
    /// What is plotted from this connection.
    pub chart: Chart,
    /// The opt-in round-trip probe.
    pub probe: LatencyProbe,
    /// The tree's expansion, selection and filter for this connection.
    pub tree_view: TopicTreeView,
    /// The message panel's state for this connection.
    pub message_view: MessageView,
    /// The monitor's state for this connection.
    pub monitor_view: MonitorView,
    /// The tab's name: the profile it was opened from, or what started it (the demo).
    pub name: Option<String>,
    /// The recording of this connection's traffic, while one runs.
    pub recording: Option<crate::record::Recorder>,
    /// For a tab showing a recording: its playhead and player.
    pub playback: Option<super::recording_tab::Playback>,
    /// For a tab showing a recording: the file.
    pub source: Option<std::path::PathBuf>,
    /// The tree's expansion version last saved with the layout.
    pub expansion_saved: Option<u64>,
    /// The Home view's selection for this connection.
    pub home_view: super::home_ui::HomeView,
    /// The protobuf schema folder and bindings of this connection.
    pub schemas: super::schemas::SessionSchemas,
    /// The Sparkplug view's selection, filter and sort.
    pub sparkplug_view: super::sparkplug_ui::SparkplugView,
    /// The retained-message manager's state for this connection.
    pub retained_view: super::retained_ui::RetainedView,
    /// The message log's filters and rows for this connection.
    pub log_view: super::log_ui::LogView,
    /// What is typed in the payload search field.
    pub payload_query: String,
    /// The payload search under way or done, with its hits.
    pub payload_search: Option<crate::model::PayloadSearch>,
}

impl Session {
    /// A session for a connection the manager is opening.
    pub fn new(id: ConnectionId, options: ConnectOptions, stats: Arc<ConnectionStats>) -> Self {
        Self::with_state(Some(id), options, stats, ConnectionState::Connecting)
    }

    /// A session with no connection behind it, for data injected directly.
    pub fn detached(options: ConnectOptions) -> Self {
        Self::with_state(
            None,
            options,
            Arc::new(ConnectionStats::default()),
            ConnectionState::Disconnected { reason: None },
        )
    }

    fn with_state(
        id: Option<ConnectionId>,
        options: ConnectOptions,
        stats: Arc<ConnectionStats>,
        state: ConnectionState,
    ) -> Self {
        static NEXT_KEY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let probe = LatencyProbe::new(&options.client_id);
        Self {
            key: NEXT_KEY.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            id,
            options,
            model: Model::default(),
            state,
            state_since: Instant::now(),
            stats,
            notices: VecDeque::new(),
            active_subscriptions: Vec::new(),
            chart: Chart::default(),
            probe,
            tree_view: TopicTreeView::default(),
            message_view: MessageView::default(),
            monitor_view: MonitorView::default(),
            name: None,
            recording: None,
            playback: None,
            log_view: super::log_ui::LogView::default(),
            expansion_saved: None,
            home_view: super::home_ui::HomeView::default(),
            sparkplug_view: super::sparkplug_ui::SparkplugView::default(),
            schemas: super::schemas::SessionSchemas::default(),
            retained_view: super::retained_ui::RetainedView::default(),
            payload_query: String::new(),
            payload_search: None,
            source: None,
        }
    }

    /// The name on the connection's tab: its profile, or its address.
    pub fn title(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.options.address())
    }

    /// Record a state change.
    pub fn set_state(&mut self, state: ConnectionState) {
        if !state.is_connected() {
            self.active_subscriptions.clear();
        }
        self.state = state;
        self.state_since = Instant::now();
    }

    /// Record filters the broker acknowledged.
    pub fn subscribed(&mut self, filters: Vec<String>) {
        for filter in filters {
            if !self.active_subscriptions.contains(&filter) {
                self.active_subscriptions.push(filter);
            }
        }
    }

    /// Apply a batch of messages.
    pub fn apply(&mut self, mut batch: Vec<Incoming>) {
        let now = Instant::now();
        if self.probe.enabled {
            let probe = &mut self.probe;
            batch.retain(|m| !probe.on_message(&m.topic, &m.payload, m.received_at));
        }
        let chart = &mut self.chart;
        self.model
            .apply_with(batch, now, |model, batch, first_seq| {
                chart.ingest(batch, first_seq, model);
            });
    }

    /// Show `model` instead of the current one (a recording's playhead moved): the selection
    /// and the open branches follow their topics, plotted series are refilled from the new
    /// history.
    pub fn replace_model(&mut self, mut model: Model) {
        let old = &self.model.tree;
        // The budget may have changed since the model was ordered.
        model.tree.set_history_budget(old.history_budget());
        // The bindings are the connection's, not the recording's.
        model.protobuf = self.model.protobuf.clone();
        // Building the model is not traffic: the rate shows what plays from here.
        model.message_rate = crate::model::RateMeter::per_second();
        let selected = self.tree_view.selected.map(|id| old.topic_name(id));
        let expanded: Vec<String> = self
            .tree_view
            .expanded()
            .map(|id| old.topic_name(id))
            .collect();
        self.model = model;
        let tree = &self.model.tree;
        let filter = std::mem::take(&mut self.tree_view.filter);
        self.tree_view.reset();
        self.tree_view.filter = filter;
        for topic in expanded {
            if let Some(id) = tree.find(&topic) {
                self.tree_view.set_expanded(id, true);
            }
        }
        if let Some(id) = selected.and_then(|topic| tree.find(&topic)) {
            self.tree_view.reveal(tree, id);
        }
        self.message_view.reset();
        self.payload_search = None;
        self.log_view.forget_rows();
        self.retained_view.forget_rows();
        self.chart.refill(&self.model);
    }

    /// Add a notice, dropping the oldest past the limit.
    pub fn notice(&mut self, text: String) {
        if self.notices.len() >= NOTICES_KEPT {
            self.notices.pop_front();
        }
        self.notices.push_back(Notice {
            at: SystemTime::now(),
            text,
        });
    }
}
