//! Tests of `state.rs`.
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
    let (expired, _) = session.take_sendable(10, now + std::time::Duration::from_secs(2), &mut out);
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
