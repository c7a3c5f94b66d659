//! A recording opened as a tab. A [`Player`] indexes the file on a thread of its own and
//! builds the model at the playhead (it opens at the end: every topic with its last value);
//! the timeline moves the playhead, and playing applies the messages that follow it at the
//! recorded pace (1×, 10×) or as fast as the window takes them. The tree, history, payload
//! views, diffs and charts work on it as if it were live; the tab is read-only.

use super::replay_ui::{ReplayAction, ReplayJob, ReplayTarget, replay_dialog_ui};
use super::{CanopyApp, EVENT_BUDGET, Session, View, format};
use crate::model::{Incoming, Model};
use crate::net::ConnectOptions;
use crate::record::{ModelShape, Opened, Player, PlayerEvent, Target};
use std::collections::VecDeque;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

/// How fast a recording plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speed {
    /// As recorded.
    One,
    /// Ten times as fast as recorded.
    Ten,
    /// As fast as the window applies messages.
    Max,
}

impl Speed {
    /// The button's words.
    pub fn label(self) -> &'static str {
        match self {
            Speed::One => "1×",
            Speed::Ten => "10×",
            Speed::Max => "Max",
        }
    }

    fn factor(self) -> Option<f64> {
        match self {
            Speed::One => Some(1.0),
            Speed::Ten => Some(10.0),
            Speed::Max => None,
        }
    }
}

/// A recording's playhead and the messages streamed after it.
pub struct Playback {
    player: Player,
    /// What the index says, once read.
    pub opened: Option<Opened>,
    /// Messages applied to the tab's model: the playhead stands before message `position`.
    pub position: u64,
    /// The receive time of the last message applied.
    pub time: Option<SystemTime>,
    /// Playing (or paused).
    pub playing: bool,
    /// How fast it plays.
    pub speed: Speed,
    /// A seek was asked for and its model has not arrived yet.
    pub seeking: bool,
    /// The timeline's value while the user drags it.
    pub slider: u64,
    /// The user holds the playhead: the slider follows the hand, not the player.
    pub dragging: bool,
    /// What the user typed to jump to a time, and to a message number.
    pub jump_time: String,
    /// What the user typed to jump to a message number.
    pub jump_message: String,
    /// Why the last jump was not made.
    pub jump_error: Option<String>,
    /// The Replay dialog and the replay it started.
    pub replay: super::replay_ui::ReplayDialog,
    /// Batches streamed after the playhead, oldest first.
    pending: VecDeque<VecDeque<Incoming>>,
    /// The stream reached the end of the file.
    ended: bool,
    /// When playing at a recorded pace: this instant shows this recording time.
    anchor: Option<(Instant, SystemTime)>,
}

/// What the user asked of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub enum TimelineAction {
    /// Start playing (from the start when at the end).
    Play,
    /// Stop playing; the playhead stays.
    Pause,
    /// Play at this speed.
    Speed(Speed),
    /// Move the playhead before message `n`.
    Seek(u64),
    /// Move the playhead before the first message received at or after this time.
    SeekTime(SystemTime),
    /// Open the Replay dialog.
    Replay,
}

impl Playback {
    fn new(player: Player) -> Self {
        Self {
            player,
            opened: None,
            position: 0,
            time: None,
            playing: false,
            speed: Speed::One,
            seeking: false,
            slider: 0,
            dragging: false,
            jump_time: String::new(),
            jump_message: String::new(),
            jump_error: None,
            replay: super::replay_ui::ReplayDialog::default(),
            pending: VecDeque::new(),
            ended: false,
            anchor: None,
        }
    }

    /// Messages in the recording (0 until indexed).
    pub fn total(&self) -> u64 {
        self.opened.as_ref().map_or(0, |o| o.messages)
    }

    /// The recording time the views measure ages against: the playhead's.
    pub fn clock(&self) -> Option<SystemTime> {
        self.time
    }

    /// The file.
    pub fn path(&self) -> &Path {
        self.player.path()
    }

    fn seek(&mut self, target: Target) {
        self.player.seek(target);
        self.seeking = true;
        self.pending.clear();
        self.ended = false;
        self.anchor = None;
        if let Target::Message(n) = target {
            self.slider = n;
        }
    }

    /// Play from the playhead (from the start when at the end).
    fn play(&mut self) {
        if self.position >= self.total() {
            self.seek(Target::Message(0));
        }
        self.anchor = None;
        self.playing = true;
    }

    /// The next messages due at `now`: by the recorded clock, or (at `Max`) as many as are
    /// streamed. Tells the player about each batch used up, so it streams another.
    fn due(&mut self, now: Instant) -> Vec<Incoming> {
        let mut due = Vec::new();
        let limit = match self.speed.factor() {
            None => None,
            Some(factor) => {
                let Some(first) = self.pending.front().and_then(|b| b.front()) else {
                    return due;
                };
                let (at, shown) = *self.anchor.get_or_insert((now, first.received_at));
                Some(shown + now.duration_since(at).mul_f64(factor))
            }
        };
        while let Some(batch) = self.pending.front_mut() {
            while let Some(message) = batch.front() {
                if limit.is_some_and(|limit| message.received_at > limit) {
                    return due;
                }
                due.extend(batch.pop_front());
            }
            self.pending.pop_front();
            self.player.took_batch();
            if self.speed == Speed::Max {
                break;
            }
        }
        due
    }

    /// When the next message is due, at a recorded pace.
    fn next_due(&self) -> Option<Duration> {
        let factor = self.speed.factor()?;
        let (at, shown) = self.anchor?;
        let next = self.pending.front()?.front()?.received_at;
        let offset = next.duration_since(shown).ok()?.div_f64(factor);
        Some((at + offset).saturating_duration_since(Instant::now()))
    }
}

impl CanopyApp {
    /// Open a recording in a new read-only tab: its index is read on a thread, then the tab
    /// shows the state at the end of the recording.
    pub fn open_recording(&mut self, path: &Path, ctx: &egui::Context) {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut session = Session::detached(ConnectOptions::new(name.clone(), 0));
        session.name = Some(name);
        session.source = Some(path.to_owned());
        session
            .model
            .tree
            .set_history_budget(self.history_budget_bytes());
        let shape = ModelShape {
            history_limit: session.model.tree.history_limit(),
            history_budget_bytes: self.history_budget_bytes(),
        };
        let wake = ctx.clone();
        match Player::open(path, shape, move || wake.request_repaint()) {
            Ok(player) => session.playback = Some(Playback::new(player)),
            Err(error) => session.notice(format!("Cannot read {}: {error}", path.display())),
        }
        self.sessions.push(session);
        self.active = self.sessions.len() - 1;
        self.view = View::Explorer;
    }

    /// Take what the players sent and play what is due, within the frame's event budget.
    pub(super) fn play_recordings(&mut self, ctx: &egui::Context) {
        let deadline = Instant::now() + EVENT_BUDGET;
        for session in &mut self.sessions {
            take_player_events(session);
            play_due(session, deadline, ctx);
        }
    }

    /// Do what the timeline asked.
    pub(super) fn timeline_action(&mut self, action: TimelineAction) {
        let Some(playback) = self.active_session_mut().and_then(|s| s.playback.as_mut()) else {
            return;
        };
        match action {
            TimelineAction::Play => playback.play(),
            TimelineAction::Pause => playback.playing = false,
            TimelineAction::Speed(speed) => {
                playback.speed = speed;
                playback.play();
            }
            TimelineAction::Seek(n) => playback.seek(Target::Message(n)),
            TimelineAction::SeekTime(time) => playback.seek(Target::Time(time)),
            TimelineAction::Replay => playback.replay.open = true,
        }
    }

    /// Start the bundled broker from the Replay dialog; a failure shows in the dialog.
    fn start_broker_for_replay(&mut self) {
        if self.local_broker_mut().start() {
            return;
        }
        let failure = self
            .local_broker()
            .failure
            .as_ref()
            .map_or_else(String::new, |f| f.message.clone());
        if let Some(playback) = self.active_session_mut().and_then(|s| s.playback.as_mut()) {
            playback.replay.error = Some(format!("The bundled broker did not start: {failure}"));
        }
    }

    /// The brokers a recording can be replayed into: every open connection's, and the bundled
    /// broker when it runs and no tab is connected to it.
    pub(super) fn replay_targets(&self) -> Vec<ReplayTarget> {
        let mut targets: Vec<ReplayTarget> = self
            .sessions
            .iter()
            .filter(|s| s.id.is_some())
            .map(|s| ReplayTarget {
                name: format!("{} ({})", s.title(), s.options.url()),
                connect: s.options.clone(),
            })
            .collect();
        if let Some(address) = self.local_broker().address() {
            let local = |host: &str| matches!(host, "127.0.0.1" | "localhost" | "::1");
            if !targets
                .iter()
                .any(|t| t.connect.port == address.port() && local(&t.connect.host))
            {
                targets.push(ReplayTarget {
                    name: format!("Bundled broker (127.0.0.1:{})", address.port()),
                    connect: ConnectOptions::new("127.0.0.1", address.port()),
                });
            }
        }
        targets
    }

    /// The Replay dialog of the active recording tab, and what it asks for.
    pub(super) fn replay_dialog(&mut self, ctx: &egui::Context) {
        let targets = self.replay_targets();
        let broker_running = self.local_broker().is_running();
        let Some(playback) = self.active_session_mut().and_then(|s| s.playback.as_mut()) else {
            return;
        };
        if !playback.replay.open {
            return;
        }
        let path = playback.path().to_owned();
        let action = replay_dialog_ui(ctx, &mut playback.replay, &targets, &path, broker_running);
        if matches!(action, Some(ReplayAction::StartBroker)) {
            self.start_broker_for_replay();
            return;
        }
        match action {
            Some(ReplayAction::Start(options, target)) => {
                let wake = ctx.clone();
                match ReplayJob::start(*options, target, playback.total(), move || {
                    wake.request_repaint();
                }) {
                    Ok(job) => playback.replay.job = Some(job),
                    Err(error) => {
                        playback.replay.error = Some(format!("Cannot start the replay: {error}"));
                    }
                }
            }
            Some(ReplayAction::Stop) => {
                if let Some(job) = &playback.replay.job {
                    job.stop();
                }
            }
            Some(ReplayAction::StartBroker) | None => {}
        }
    }
}

/// Take the player's events: the index, a new model at the playhead, batches that follow.
fn take_player_events(session: &mut Session) {
    let Some(playback) = &mut session.playback else {
        return;
    };
    let mut notices = Vec::new();
    let mut positioned = None;
    while let Some(event) = playback.player.poll() {
        // Read each time: taking the index starts a seek.
        let current = playback.player.generation();
        match event {
            PlayerEvent::Opened(opened) => {
                let text = opened_notice(playback.path(), &opened);
                tracing::info!("{text}");
                notices.push(text);
                let total = opened.messages;
                playback.opened = Some(opened);
                playback.seek(Target::Message(total));
            }
            PlayerEvent::Failed(error) => notices.push(format!("Not opened: {error}")),
            PlayerEvent::Positioned {
                generation,
                position,
                model,
            } if generation == current => {
                playback.position = position;
                if !playback.dragging {
                    playback.slider = position;
                }
                playback.seeking = false;
                playback.time = last_time(&model);
                positioned = Some(model);
            }
            PlayerEvent::Batch {
                generation,
                messages,
                ..
            } if generation == current => playback.pending.push_back(messages.into()),
            PlayerEvent::End { generation, error } if generation == current => {
                playback.ended = true;
                if let Some(error) = error {
                    notices.push(format!("Stopped reading: {error}"));
                }
            }
            _ => {}
        }
    }
    if let Some(model) = positioned {
        session.replace_model(*model);
    }
    for text in notices {
        session.notice(text);
    }
}

/// Apply the messages due now; stop at the end of the recording.
fn play_due(session: &mut Session, deadline: Instant, ctx: &egui::Context) {
    let Some(playback) = &mut session.playback else {
        return;
    };
    if !playback.playing || playback.seeking {
        return;
    }
    let mut applied = Vec::new();
    loop {
        let due = playback.due(Instant::now());
        if due.is_empty() {
            break;
        }
        playback.position += due.len() as u64;
        if !playback.dragging {
            playback.slider = playback.position;
        }
        playback.time = due.last().map(|m| m.received_at).or(playback.time);
        applied.push(due);
        if Instant::now() >= deadline || playback.speed != Speed::Max {
            break;
        }
    }
    let at_end = playback.ended && playback.pending.is_empty();
    if at_end {
        playback.playing = false;
    } else if playback.speed == Speed::Max {
        ctx.request_repaint();
    } else if let Some(wait) = playback.next_due() {
        ctx.request_repaint_after(wait);
    }
    for batch in applied {
        session.apply(batch);
    }
    if at_end {
        tracing::info!("played to the end of {}", session.title());
        session.notice("Played to the end of the recording.".to_owned());
    }
}

/// The receive time of the newest message in `model`.
fn last_time(model: &Model) -> Option<SystemTime> {
    model.tree.newest_received()
}

fn opened_notice(path: &Path, opened: &Opened) -> String {
    let mut text = format!(
        "Opened {}: {} (indexed in {}{}).",
        path.display(),
        format::count(opened.messages, "message", "messages"),
        format::duration(opened.took),
        if opened.from_summary {
            ""
        } else {
            ", by reading the file: it has no index"
        }
    );
    if let Some(damage) = &opened.damage {
        text.push_str(&format!(" Note: {damage}."));
    }
    text
}

/// A time typed in the timeline: `HH:MM:SS[.mmm]` (local time on the recording's first day),
/// `YYYY-MM-DD HH:MM:SS[.mmm]` (local), RFC 3339, or `+SECS` from the recording's start.
pub fn parse_jump_time(text: &str, start: SystemTime) -> Result<SystemTime, String> {
    use chrono::{Local, NaiveDateTime, NaiveTime, TimeZone};
    let text = text.trim();
    if let Some(offset) = text.strip_prefix('+') {
        let secs: f64 = offset
            .parse()
            .map_err(|_| format!("'{text}': give seconds after the start, like +90"))?;
        if !(0.0..1e12).contains(&secs) {
            return Err(format!("'{text}': give seconds after the start, like +90"));
        }
        return Ok(start + Duration::from_secs_f64(secs));
    }
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(time.into());
    }
    let local = |naive: NaiveDateTime| {
        Local
            .from_local_datetime(&naive)
            .earliest()
            .map(SystemTime::from)
            .ok_or_else(|| format!("'{text}' does not exist in the local time zone"))
    };
    for pattern in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, pattern) {
            return local(naive);
        }
    }
    for pattern in ["%H:%M:%S%.f", "%H:%M"] {
        if let Ok(time) = NaiveTime::parse_from_str(text, pattern) {
            let day = chrono::DateTime::<Local>::from(start).date_naive();
            return local(day.and_time(time));
        }
    }
    Err(format!(
        "'{text}' is not a time: give 14:03:07, 2026-12-01 14:03:07 or +90 (seconds after the start)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jump_times_in_the_forms_people_type() {
        let start = SystemTime::from(
            chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z").expect("time"),
        );
        let at = |text: &str| parse_jump_time(text, start);
        assert_eq!(at("+90"), Ok(start + Duration::from_secs(90)));
        assert_eq!(at(" +1.5 "), Ok(start + Duration::from_millis(1500)));
        assert_eq!(
            at("2026-12-01T10:00:05Z"),
            Ok(start + Duration::from_secs(5))
        );
        // Local times: on the recording's first day, in the machine's zone.
        let local = chrono::DateTime::<chrono::Local>::from(start);
        let typed = local.format("%H:%M:%S").to_string();
        assert_eq!(at(&typed), Ok(start));
        let typed = (local + chrono::Duration::milliseconds(250))
            .format("%Y-%m-%d %H:%M:%S%.3f")
            .to_string();
        assert_eq!(at(&typed), Ok(start + Duration::from_millis(250)));
        for bad in ["", "soon", "+", "+-3", "25:00:00", "+1e40"] {
            let error = at(bad).expect_err(bad);
            assert!(error.contains(bad.trim()), "{error}");
        }
    }
}
