//! Everything the broker knows, behind one lock: sessions, subscriptions, retained messages.
//! All of it synchronous and free of I/O, so the routing rules are tested without a network.

use super::config::BrokerConfig;
use super::meters::Meters;
use super::session::{
    BrokerMessage, ConnectionLink, Delivery, Outgoing, Session, SubscriptionOptions, Will,
};
use super::topic::{self, TopicError};
use super::trie::SubscriptionTrie;
use crate::model::Qos;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// Who holds a subscription: the client, and its shared-subscription group if any.
type SubscriberKey = (Arc<str>, Option<Arc<str>>);

/// Members of each shared-subscription group, keyed by (group, filter).
type SharedGroups = FxHashMap<(Arc<str>, Arc<str>), Vec<(Arc<str>, SubscriptionOptions)>>;

/// What a CONNECT asks of its session.
pub struct SessionRequest {
    /// Client identifier (assigned if the client sent none).
    pub client_id: Arc<str>,
    /// Authenticated user name.
    pub user: Option<Arc<str>>,
    /// Start from an empty session.
    pub clean_start: bool,
    /// How long the session outlives the connection (`u32::MAX`: forever).
    pub expiry_interval_secs: u32,
    /// The connection's will.
    pub will: Option<Will>,
}

/// What `connect` decided.
pub struct Connected {
    /// The broker had a session for this client and kept it.
    pub session_present: bool,
    /// Unacknowledged messages to send again.
    pub resend: Vec<Outgoing>,
    /// The connection this one replaces, to be told to close.
    pub replaced: Option<ConnectionLink>,
}

/// The broker's shared state.
pub struct BrokerState {
    config: Arc<BrokerConfig>,
    meters: Arc<Meters>,
    sessions: FxHashMap<Arc<str>, Session>,
    subscriptions: SubscriptionTrie<SubscriberKey, SubscriptionOptions>,
    shared_cursor: FxHashMap<(Arc<str>, Arc<str>), usize>,
    retained: BTreeMap<String, Arc<BrokerMessage>>,
    connected: usize,
}

impl BrokerState {
    /// Empty state.
    pub fn new(config: Arc<BrokerConfig>, meters: Arc<Meters>) -> Self {
        Self {
            config,
            meters,
            sessions: FxHashMap::default(),
            subscriptions: SubscriptionTrie::default(),
            shared_cursor: FxHashMap::default(),
            retained: BTreeMap::new(),
            connected: 0,
        }
    }

    /// Attach a new connection to the client's session (creating or clearing it as asked).
    pub fn connect(
        &mut self,
        request: SessionRequest,
        link: ConnectionLink,
        now: Instant,
    ) -> Connected {
        let SessionRequest {
            client_id,
            user,
            clean_start,
            expiry_interval_secs,
            will,
        } = request;
        let mut replaced = None;
        let mut old_will = None;
        if let Some(existing) = self.sessions.get_mut(&client_id) {
            if let Some(old_link) = existing.link.take() {
                self.connected -= 1;
                replaced = Some(old_link);
                // The old connection ends without DISCONNECT: its will goes out unless delayed,
                // and a delayed will is cancelled because the session continues right away.
                old_will = existing.will.take().filter(|w| w.delay.is_zero());
            }
            existing.will = None;
            existing.will_due = None;
        }
        if let Some(will) = old_will {
            self.publish(will.message, now);
        }
        if clean_start {
            self.remove_session(&client_id);
        }
        let session_present = self.sessions.contains_key(&client_id);
        let session = self
            .sessions
            .entry(Arc::clone(&client_id))
            .or_insert_with(|| Session::new(Arc::clone(&client_id), expiry_interval_secs));
        session.expiry_interval_secs = expiry_interval_secs;
        session.expires_at = None;
        session.will = will;
        session.user = user;
        session.link = Some(link);
        self.connected += 1;
        self.meters.note_connected(self.connected);
        let resend = if session_present {
            session.resend()
        } else {
            Vec::new()
        };
        Connected {
            session_present,
            resend,
            replaced,
        }
    }

    /// The connection `connection_id` of `client_id` ended. `publish_will` is false after a
    /// normal DISCONNECT; `expiry_override` is an MQTT 5 DISCONNECT's session expiry.
    pub fn disconnect(
        &mut self,
        client_id: &str,
        connection_id: u64,
        publish_will: bool,
        expiry_override: Option<u32>,
        now: Instant,
    ) {
        let Some(session) = self.sessions.get_mut(client_id) else {
            return;
        };
        if session.link.as_ref().map(|l| l.connection_id) != Some(connection_id) {
            return; // already replaced by a newer connection
        }
        session.link = None;
        self.connected -= 1;
        if let Some(expiry) = expiry_override {
            session.expiry_interval_secs = expiry;
        }
        let will = session.will.take().filter(|_| publish_will);
        if session.expiry_interval_secs == 0 {
            self.remove_session(client_id);
            // The session ended, so a will goes out now whatever its delay.
            if let Some(will) = will {
                self.publish(will.message, now);
            }
            return;
        }
        if session.expiry_interval_secs != u32::MAX {
            session.expires_at =
                Some(now + std::time::Duration::from_secs(u64::from(session.expiry_interval_secs)));
        }
        match will {
            Some(will) if will.delay.is_zero() => {
                self.publish(will.message, now);
            }
            Some(will) => {
                session.will_due = Some(now + will.delay);
                session.will = Some(will);
            }
            None => {}
        }
    }

    /// Publish delayed wills that are due and end expired offline sessions.
    pub fn tick(&mut self, now: Instant) {
        let mut wills = Vec::new();
        let mut expired = Vec::new();
        for (id, session) in &mut self.sessions {
            if session.link.is_some() {
                continue;
            }
            if session.will_due.is_some_and(|due| now >= due)
                || session.expires_at.is_some_and(|at| now >= at)
            {
                session.will_due = None;
                if let Some(will) = session.will.take() {
                    wills.push(will.message);
                }
            }
            if session.expires_at.is_some_and(|at| now >= at) {
                expired.push(Arc::clone(id));
            }
        }
        for id in expired {
            self.remove_session(&id);
        }
        for message in wills {
            self.publish(message, now);
        }
    }

    fn remove_session(&mut self, client_id: &str) {
        let Some(session) = self.sessions.remove(client_id) else {
            return;
        };
        for (full_filter, options) in session.subscriptions {
            let inner =
                topic::split_shared(&full_filter).map_or(full_filter.as_str(), |(_, inner)| inner);
            self.subscriptions.remove(
                inner,
                &(Arc::clone(&session.client_id), options.share_group.clone()),
            );
        }
    }

    /// Route a message to every matching subscription and update the retained store.
    /// Returns how many clients it was queued for.
    pub fn publish(&mut self, message: Arc<BrokerMessage>, now: Instant) -> usize {
        self.publish_noting_congestion(message, now, &mut Vec::new())
    }

    /// [`BrokerState::publish`], also adding to `congested` the sessions whose queues ask the
    /// publisher to slow down (see [`Session::wants_backpressure`]).
    pub fn publish_noting_congestion(
        &mut self,
        message: Arc<BrokerMessage>,
        now: Instant,
        congested: &mut Vec<Arc<str>>,
    ) -> usize {
        if message.retain {
            if message.payload.is_empty() {
                self.retained.remove(&message.topic);
            } else {
                self.retained
                    .insert(message.topic.clone(), Arc::clone(&message));
            }
        }
        if message.expired(now) {
            return 0;
        }

        /// What one client gets: one copy at the highest granted QoS with every matching id.
        #[derive(Default)]
        struct Target {
            qos: Option<Qos>,
            retain_as_published: bool,
            ids: Vec<usize>,
        }
        impl Target {
            fn merge(&mut self, options: &SubscriptionOptions, published: Qos) {
                let granted = options.qos.min(published);
                self.qos = Some(self.qos.map_or(granted, |q| q.max(granted)));
                self.retain_as_published |= options.retain_as_published;
                if let Some(id) = options.subscription_id {
                    self.ids.push(id);
                }
            }
        }
        let mut targets: FxHashMap<Arc<str>, Target> = FxHashMap::default();
        let mut groups = SharedGroups::default();
        self.subscriptions
            .for_each_match(&message.topic, |(client, group), options| {
                if let Some(group) = group {
                    groups
                        .entry((Arc::clone(group), Arc::clone(&options.filter)))
                        .or_default()
                        .push((Arc::clone(client), options.clone()));
                    return;
                }
                if options.no_local && message.publisher.as_deref() == Some(client) {
                    return;
                }
                targets
                    .entry(Arc::clone(client))
                    .or_default()
                    .merge(options, message.qos);
            });
        for (key, mut members) in groups {
            // Stable order, then round robin, preferring members that are online.
            members.sort_by(|a, b| a.0.cmp(&b.0));
            let online: Vec<usize> = (0..members.len())
                .filter(|&i| {
                    self.sessions
                        .get(&members[i].0)
                        .is_some_and(|s| s.link.is_some())
                })
                .collect();
            let candidates: Vec<usize> = if online.is_empty() {
                (0..members.len()).collect()
            } else {
                online
            };
            let cursor = self.shared_cursor.entry(key).or_insert(0);
            let (client, options) = &members[candidates[*cursor % candidates.len()]];
            *cursor = cursor.wrapping_add(1);
            targets
                .entry(Arc::clone(client))
                .or_default()
                .merge(options, message.qos);
        }

        let mut queued = 0;
        for (client, target) in targets {
            let Some(session) = self.sessions.get_mut(&client) else {
                continue;
            };
            let qos = target.qos.unwrap_or(Qos::AtMostOnce);
            if session.link.is_none() && qos == Qos::AtMostOnce {
                continue; // QoS 0 is not kept for offline sessions
            }
            if let Some(acl) = &self.config.acl
                && !acl.can_receive(session.user.as_deref(), &client, &message.topic)
            {
                continue;
            }
            let mut ids = target.ids;
            ids.sort_unstable();
            let delivery = Delivery {
                message: Arc::clone(&message),
                qos,
                retain: target.retain_as_published && message.retain,
                subscription_ids: ids,
            };
            if session.enqueue(
                delivery,
                self.config.max_queued_messages,
                self.config.max_queued_bytes,
            ) {
                queued += 1;
                if let Some(link) = &session.link {
                    link.wake.notify_one();
                }
                // A client never waits on its own queue: it is the one that drains it.
                if session.wants_backpressure(self.config.max_queued_messages, now)
                    && message.publisher.as_deref() != Some(&*client)
                    && !congested.contains(&client)
                {
                    congested.push(Arc::clone(&client));
                }
            } else {
                self.meters.note_dropped(1);
            }
        }
        queued
    }

    /// Add a subscription; returns the QoS granted. Retained messages are queued per the
    /// subscription's retain handling.
    pub fn subscribe(
        &mut self,
        client_id: &str,
        full_filter: &str,
        mut options: SubscriptionOptions,
        now: Instant,
    ) -> Result<Qos, TopicError> {
        let (group, inner) = topic::split_shared(full_filter)?;
        topic::validate_filter(inner)?;
        let Some(session) = self.sessions.get_mut(client_id) else {
            return Ok(options.qos);
        };
        options.filter = Arc::from(inner);
        options.share_group = group.map(Arc::from);
        let key = (Arc::clone(&session.client_id), options.share_group.clone());
        let existed = session
            .subscriptions
            .insert(full_filter.to_owned(), options.clone())
            .is_some();
        self.subscriptions.insert(inner, key, options.clone());

        let send_retained = group.is_none()
            && match options.retain_handling {
                0 => true,
                1 => !existed,
                _ => false,
            };
        if send_retained {
            let mut dropped = 0;
            for (name, message) in &self.retained {
                if !topic::matches(inner, name) || message.expired(now) {
                    continue;
                }
                let delivery = Delivery {
                    message: Arc::clone(message),
                    qos: options.qos.min(message.qos),
                    retain: true,
                    subscription_ids: options.subscription_id.into_iter().collect(),
                };
                if !session.enqueue(
                    delivery,
                    self.config.max_queued_messages,
                    self.config.max_queued_bytes,
                ) {
                    dropped += 1;
                }
            }
            self.meters.note_dropped(dropped);
            if let Some(link) = &session.link {
                link.wake.notify_one();
            }
        }
        Ok(options.qos)
    }

    /// Remove a subscription; returns whether it existed.
    pub fn unsubscribe(&mut self, client_id: &str, full_filter: &str) -> bool {
        let Some(session) = self.sessions.get_mut(client_id) else {
            return false;
        };
        let Some(options) = session.subscriptions.remove(full_filter) else {
            return false;
        };
        self.subscriptions.remove(
            &options.filter,
            &(Arc::clone(&session.client_id), options.share_group),
        );
        true
    }

    /// The session of a connected client, if `connection_id` is still its connection.
    pub fn session_mut(&mut self, client_id: &str, connection_id: u64) -> Option<&mut Session> {
        self.sessions.get_mut(client_id).filter(|s| {
            s.link
                .as_ref()
                .is_some_and(|l| l.connection_id == connection_id)
        })
    }

    /// For a publisher held back by `client_id`: the notification to wait on, or `None` when
    /// it may go on (the queue drained, the client left, or it is stuck).
    pub fn backpressure_wait(
        &self,
        client_id: &str,
        now: Instant,
    ) -> Option<Arc<tokio::sync::Notify>> {
        let session = self.sessions.get(client_id)?;
        (!session.relieved(self.config.max_queued_messages, now))
            .then(|| Arc::clone(&session.space))
    }

    /// The subscriptions of a client, sorted.
    pub fn subscriptions_of(&self, client_id: &str) -> Vec<String> {
        let mut filters: Vec<String> = self
            .sessions
            .get(client_id)
            .map(|s| s.subscriptions.keys().cloned().collect())
            .unwrap_or_default();
        filters.sort();
        filters
    }

    /// Number of sessions, connected or not.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Number of connected clients.
    pub fn connected_count(&self) -> usize {
        self.connected
    }

    /// Number of subscriptions.
    pub fn subscription_count(&self) -> usize {
        self.subscriptions.len()
    }

    /// Number of retained messages.
    pub fn retained_count(&self) -> usize {
        self.retained.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use tokio::sync::Notify;

    fn state() -> BrokerState {
        BrokerState::new(
            Arc::new(BrokerConfig::default()),
            Arc::new(Meters::default()),
        )
    }

    fn link(id: u64) -> ConnectionLink {
        ConnectionLink {
            connection_id: id,
            wake: Arc::new(Notify::new()),
            kick: Arc::new(Notify::new()),
            receive_maximum: 100,
        }
    }

    fn message(topic: &str, payload: &str, qos: Qos, retain: bool) -> Arc<BrokerMessage> {
        Arc::new(BrokerMessage {
            topic: topic.into(),
            payload: Bytes::copy_from_slice(payload.as_bytes()),
            qos,
            retain,
            properties: None,
            expires_at: None,
            publisher: Some(Arc::from("publisher")),
        })
    }

    fn options(qos: Qos) -> SubscriptionOptions {
        SubscriptionOptions {
            filter: Arc::from(""),
            qos,
            no_local: false,
            retain_as_published: false,
            retain_handling: 0,
            subscription_id: None,
            share_group: None,
        }
    }

    /// Take everything sendable, acknowledging as a client would, so the in-flight window moves.
    fn drain(
        state: &mut BrokerState,
        client: &str,
        connection: u64,
    ) -> Vec<(String, Qos, bool, Vec<usize>)> {
        let mut all = Vec::new();
        loop {
            let mut out = Vec::new();
            let session = state.session_mut(client, connection).expect("connected");
            session.take_sendable(usize::MAX, Instant::now(), &mut out);
            if out.is_empty() {
                return all;
            }
            for outgoing in out {
                if let Outgoing::Publish { delivery, pkid, .. } = outgoing {
                    session.puback(pkid);
                    all.push((
                        String::from_utf8_lossy(&delivery.message.payload).into_owned(),
                        delivery.qos,
                        delivery.retain,
                        delivery.subscription_ids,
                    ));
                }
            }
        }
    }

    fn connect(
        state: &mut BrokerState,
        client: &str,
        connection: u64,
        clean: bool,
        expiry: u32,
    ) -> Connected {
        state.connect(
            request(client, clean, expiry, None),
            link(connection),
            Instant::now(),
        )
    }

    fn request(client: &str, clean: bool, expiry: u32, will: Option<Will>) -> SessionRequest {
        SessionRequest {
            client_id: Arc::from(client),
            user: None,
            clean_start: clean,
            expiry_interval_secs: expiry,
            will,
        }
    }

    #[test]
    fn overlapping_subscriptions_deliver_once_at_the_highest_qos_with_all_ids() {
        let mut state = state();
        connect(&mut state, "c", 1, true, 0);
        let now = Instant::now();
        let mut first = options(Qos::AtMostOnce);
        first.subscription_id = Some(7);
        let mut second = options(Qos::ExactlyOnce);
        second.subscription_id = Some(3);
        state.subscribe("c", "a/#", first, now).expect("valid");
        state.subscribe("c", "a/+", second, now).expect("valid");
        state.publish(message("a/b", "x", Qos::AtLeastOnce, false), now);
        assert_eq!(
            drain(&mut state, "c", 1),
            vec![("x".into(), Qos::AtLeastOnce, false, vec![3, 7])]
        );
    }

    #[test]
    fn retained_messages_all_delivered_and_deleted_by_empty_payload() {
        let mut state = state();
        let now = Instant::now();
        for i in 0..1000 {
            state.publish(message(&format!("r/{i}"), "v", Qos::AtLeastOnce, true), now);
        }
        state.publish(message("r/5", "", Qos::AtMostOnce, true), now);
        assert_eq!(state.retained_count(), 999);
        connect(&mut state, "c", 1, true, 0);
        state
            .subscribe("c", "#", options(Qos::ExactlyOnce), now)
            .expect("valid");
        let got = drain(&mut state, "c", 1);
        assert_eq!(got.len(), 999);
        assert!(
            got.iter()
                .all(|(_, qos, retain, _)| *qos == Qos::AtLeastOnce && *retain)
        );
    }

    #[test]
    fn in_flight_window_holds_qos1_until_acknowledged() {
        let mut state = state();
        let now = Instant::now();
        connect(&mut state, "c", 1, true, 0); // receive maximum 100
        state
            .subscribe("c", "#", options(Qos::AtLeastOnce), now)
            .expect("valid");
        for i in 0..150 {
            state.publish(
                message(&format!("w/{i}"), "v", Qos::AtLeastOnce, false),
                now,
            );
        }
        let session = state.session_mut("c", 1).expect("connected");
        let mut out = Vec::new();
        session.take_sendable(usize::MAX, now, &mut out);
        assert_eq!(out.len(), 100);
        session.take_sendable(usize::MAX, now, &mut out);
        assert_eq!(out.len(), 100, "nothing more until an ack");
        assert!(session.puback(1));
        session.take_sendable(usize::MAX, now, &mut out);
        assert_eq!(out.len(), 101);
    }

    #[test]
    fn retain_handling_and_retain_as_published() {
        let mut state = state();
        let now = Instant::now();
        state.publish(message("t", "kept", Qos::AtMostOnce, true), now);
        connect(&mut state, "c", 1, true, 0);
        let mut only_new = options(Qos::AtMostOnce);
        only_new.retain_handling = 1;
        state
            .subscribe("c", "t", only_new.clone(), now)
            .expect("valid");
        assert_eq!(drain(&mut state, "c", 1).len(), 1);
        state.subscribe("c", "t", only_new, now).expect("valid");
        assert!(
            drain(&mut state, "c", 1).is_empty(),
            "not again for an existing subscription"
        );
        let mut never = options(Qos::AtMostOnce);
        never.retain_handling = 2;
        never.retain_as_published = true;
        state.subscribe("c", "t", never, now).expect("valid");
        assert!(drain(&mut state, "c", 1).is_empty());
        state.publish(message("t", "live", Qos::AtMostOnce, true), now);
        assert_eq!(
            drain(&mut state, "c", 1),
            vec![("live".into(), Qos::AtMostOnce, true, vec![])]
        );
    }

    #[test]
    fn no_local_skips_own_messages() {
        let mut state = state();
        let now = Instant::now();
        connect(&mut state, "publisher", 1, true, 0);
        let mut own = options(Qos::AtMostOnce);
        own.no_local = true;
        state.subscribe("publisher", "#", own, now).expect("valid");
        state.publish(message("x", "1", Qos::AtMostOnce, false), now);
        assert!(drain(&mut state, "publisher", 1).is_empty());
    }

    #[test]
    fn shared_subscriptions_take_turns() {
        let mut state = state();
        let now = Instant::now();
        connect(&mut state, "a", 1, true, 0);
        connect(&mut state, "b", 2, true, 0);
        state
            .subscribe("a", "$share/g/jobs/#", options(Qos::AtMostOnce), now)
            .expect("valid");
        state
            .subscribe("b", "$share/g/jobs/#", options(Qos::AtMostOnce), now)
            .expect("valid");
        for i in 0..10 {
            state.publish(
                message("jobs/x", &i.to_string(), Qos::AtMostOnce, false),
                now,
            );
        }
        assert_eq!(drain(&mut state, "a", 1).len(), 5);
        assert_eq!(drain(&mut state, "b", 2).len(), 5);
        assert!(
            state
                .subscribe("a", "$share//x", options(Qos::AtMostOnce), now)
                .is_err()
        );
    }

    #[test]
    fn dollar_topics_need_an_explicit_filter() {
        let mut state = state();
        let now = Instant::now();
        connect(&mut state, "c", 1, true, 0);
        state
            .subscribe("c", "#", options(Qos::AtMostOnce), now)
            .expect("valid");
        state.publish(message("$SYS/x", "1", Qos::AtMostOnce, false), now);
        assert!(drain(&mut state, "c", 1).is_empty());
        state
            .subscribe("c", "$SYS/#", options(Qos::AtMostOnce), now)
            .expect("valid");
        state.publish(message("$SYS/x", "2", Qos::AtMostOnce, false), now);
        assert_eq!(drain(&mut state, "c", 1).len(), 1);
    }

    #[test]
    fn persistent_session_queues_while_offline_and_resends_inflight() {
        let mut state = state();
        let now = Instant::now();
        connect(&mut state, "p", 1, false, u32::MAX);
        state
            .subscribe("p", "q/#", options(Qos::AtLeastOnce), now)
            .expect("valid");
        state.publish(
            message("q/1", "sent-not-acked", Qos::AtLeastOnce, false),
            now,
        );
        let mut in_flight = Vec::new();
        let session = state.session_mut("p", 1).expect("connected");
        session.take_sendable(10, now, &mut in_flight);
        assert_eq!(in_flight.len(), 1); // sent, never acknowledged
        state.disconnect("p", 1, true, None, now);
        state.publish(
            message("q/2", "while-offline", Qos::AtLeastOnce, false),
            now,
        );
        state.publish(message("q/3", "qos0-dropped", Qos::AtMostOnce, false), now);
        let resumed = connect(&mut state, "p", 2, false, u32::MAX);
        assert!(resumed.session_present);
        assert!(matches!(
            &resumed.resend[..],
            [Outgoing::Publish { dup: true, .. }]
        ));
        assert_eq!(
            drain(&mut state, "p", 2),
            vec![("while-offline".into(), Qos::AtLeastOnce, false, vec![])]
        );
        // A clean start throws the session away.
        let fresh = connect(&mut state, "p", 3, true, 0);
        assert!(!fresh.session_present && fresh.resend.is_empty());
    }

    #[test]
    fn wills_fire_on_abnormal_disconnect_and_respect_delay() {
        let mut state = state();
        let now = Instant::now();
        connect(&mut state, "watcher", 1, true, 0);
        state
            .subscribe("watcher", "wills/#", options(Qos::AtMostOnce), now)
            .expect("valid");
        let will = |delay| Will {
            message: message("wills/dev", "gone", Qos::AtMostOnce, false),
            delay: std::time::Duration::from_secs(delay),
        };
        state.connect(request("dev", true, 0, Some(will(0))), link(2), now);
        state.disconnect("dev", 2, false, None, now); // normal DISCONNECT: no will
        assert!(drain(&mut state, "watcher", 1).is_empty());
        state.connect(request("dev", true, 0, Some(will(0))), link(3), now);
        state.disconnect("dev", 3, true, None, now);
        assert_eq!(drain(&mut state, "watcher", 1).len(), 1);

        // Delayed will with a session that outlives it: sent when the delay passes.
        state.connect(request("dev", true, 60, Some(will(5))), link(4), now);
        state.disconnect("dev", 4, true, None, now);
        state.tick(now + std::time::Duration::from_secs(1));
        assert!(drain(&mut state, "watcher", 1).is_empty());
        state.tick(now + std::time::Duration::from_secs(6));
        assert_eq!(drain(&mut state, "watcher", 1).len(), 1);

        // Reconnecting before the delay cancels the will.
        state.connect(request("dev", false, 60, Some(will(5))), link(5), now);
        state.disconnect("dev", 5, true, None, now);
        state.connect(
            request("dev", false, 60, None),
            link(6),
            now + std::time::Duration::from_secs(1),
        );
        state.tick(now + std::time::Duration::from_secs(10));
        assert!(drain(&mut state, "watcher", 1).is_empty());
    }

    #[test]
    fn session_expiry_ends_offline_sessions() {
        let mut state = state();
        let now = Instant::now();
        connect(&mut state, "e", 1, true, 2);
        state
            .subscribe("e", "x", options(Qos::AtLeastOnce), now)
            .expect("valid");
        state.disconnect("e", 1, true, None, now);
        assert_eq!(state.session_count(), 1);
        state.tick(now + std::time::Duration::from_secs(3));
        assert_eq!(state.session_count(), 0);
        assert_eq!(state.subscription_count(), 0);
    }

    #[test]
    fn takeover_replaces_the_link_and_ignores_the_old_disconnect() {
        let mut state = state();
        connect(&mut state, "t", 1, false, u32::MAX);
        let second = connect(&mut state, "t", 2, false, u32::MAX);
        assert_eq!(second.replaced.map(|l| l.connection_id), Some(1));
        state.disconnect("t", 1, true, None, Instant::now());
        assert_eq!(state.connected_count(), 1);
        assert!(state.session_mut("t", 2).is_some());
    }

    #[test]
    fn an_idle_subscriber_is_not_mistaken_for_a_stuck_one() {
        let mut state = state();
        let long_ago = Instant::now();
        connect(&mut state, "idle", 1, true, 0);
        state
            .subscribe("idle", "#", options(Qos::AtMostOnce), long_ago)
            .expect("valid");
        let session = state.session_mut("idle", 1).expect("connected");
        session.last_drained = long_ago - std::time::Duration::from_secs(60); // idle for a minute
        let now = Instant::now();
        let max = BrokerConfig::default().max_queued_messages;
        let mut congested = Vec::new();
        for i in 0..max / 2 {
            state.publish_noting_congestion(
                message("t", &i.to_string(), Qos::AtMostOnce, false),
                now,
                &mut congested,
            );
        }
        assert_eq!(
            congested.len(),
            1,
            "a burst to an idle but live subscriber holds the publisher back"
        );
    }

    #[test]
    fn queue_limits_drop_and_count() {
        let config = BrokerConfig {
            max_queued_messages: 3,
            ..BrokerConfig::default()
        };
        let meters = Arc::new(Meters::default());
        let mut state = BrokerState::new(Arc::new(config), Arc::clone(&meters));
        let now = Instant::now();
        connect(&mut state, "slow", 1, true, 0);
        state
            .subscribe("slow", "#", options(Qos::AtMostOnce), now)
            .expect("valid");
        for i in 0..5 {
            state.publish(message("f", &i.to_string(), Qos::AtMostOnce, false), now);
        }
        assert_eq!(drain(&mut state, "slow", 1).len(), 3);
        assert_eq!(meters.snapshot().publish_dropped, 2);
    }

    #[test]
    fn expired_messages_are_not_delivered() {
        let mut state = state();
        let now = Instant::now();
        connect(&mut state, "c", 1, true, 0);
        state
            .subscribe("c", "#", options(Qos::AtMostOnce), now)
            .expect("valid");
        let expiring = Arc::new(BrokerMessage {
            expires_at: Some(now + std::time::Duration::from_secs(1)),
            ..Arc::unwrap_or_clone(message("x", "soon gone", Qos::AtMostOnce, true))
        });
        state.publish(expiring, now);
        let mut out = Vec::new();
        let session = state.session_mut("c", 1).expect("connected");
        let (expired, _) =
            session.take_sendable(10, now + std::time::Duration::from_secs(2), &mut out);
        assert_eq!((out.len(), expired), (0, 1));
        // Nor sent to new subscribers once expired.
        connect(&mut state, "late", 2, true, 0);
        state
            .subscribe(
                "late",
                "#",
                options(Qos::AtMostOnce),
                now + std::time::Duration::from_secs(2),
            )
            .expect("valid");
        assert!(drain(&mut state, "late", 2).is_empty());
    }
}
