//! Everything the broker knows, behind one lock: sessions, subscriptions, retained messages.
//! All of it synchronous and free of I/O, so the routing rules are tested without a network.

use super::config::BrokerConfig;
use super::meters::Meters;
use super::session::{
    BrokerMessage, ConnectionLink, Delivery, Outgoing, Session, SubscriptionOptions, Will,
};
use super::trie::SubscriptionTrie;
use crate::mqtt::Qos;
use crate::mqtt::{self, TopicError, TopicFilter};
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
        for options in session.subscriptions.into_values() {
            self.subscriptions.remove(
                &options.filter,
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

        let targets = self.targets(&message);
        self.deliver(&message, targets, now, congested)
    }

    /// Who gets `message`: every matching subscriber, and one member of each shared group.
    fn targets(&mut self, message: &BrokerMessage) -> FxHashMap<Arc<str>, Target> {
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

        targets
    }

    /// Queue `message` for each target (skipping what its session does not keep or the ACL
    /// withholds); returns how many took it.
    fn deliver(
        &mut self,
        message: &Arc<BrokerMessage>,
        targets: FxHashMap<Arc<str>, Target>,
        now: Instant,
        congested: &mut Vec<Arc<str>>,
    ) -> usize {
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
                message: Arc::clone(message),
                qos,
                retain: target.retain_as_published && message.retain,
                subscription_ids: ids,
                from_retained_store: false,
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
                session.dropped_unreported += 1;
                if let Some(link) = &session.link {
                    // Its connection tells the client (MQTT 5) and the log.
                    link.wake.notify_one();
                }
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
        let filter = TopicFilter::with_limits(full_filter, &self.config.topic_limits)?;
        let (group, inner) = (filter.shared_group(), filter.pattern());
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
            for (name, message) in &self.retained {
                if !mqtt::matches(inner, name) || message.expired(now) {
                    continue;
                }
                if let Some(acl) = &self.config.acl
                    && !acl.can_receive(session.user.as_deref(), client_id, name)
                {
                    continue;
                }
                session.enqueue_from_store(Delivery {
                    message: Arc::clone(message),
                    qos: options.qos.min(message.qos),
                    retain: true,
                    subscription_ids: options.subscription_id.into_iter().collect(),
                    from_retained_store: true,
                });
            }
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
#[path = "state_tests.rs"]
mod tests;
