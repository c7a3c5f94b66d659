//! Helpers for driving the window through egui_kittest.

use canopy::app::CanopyApp;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::time::{Duration, Instant};

/// The whole window in a harness, pumping network events every frame as the real app does.
pub fn harness(app: CanopyApp) -> Harness<'static, CanopyApp> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(
            |ui, app: &mut CanopyApp| {
                app.pump_events(ui.ctx());
                app.show(ui);
            },
            app,
        )
}

/// The app connected to the broker on `port`, drawn in a harness, once its subscriptions are
/// acknowledged.
pub fn connected_app(port: u16) -> Harness<'static, CanopyApp> {
    let mut app = CanopyApp::new(Ok(super::manager()), None);
    app.connect(canopy::net::ConnectOptions::new("127.0.0.1", port));
    let mut harness = harness(app);
    step_until(
        &mut harness,
        "the subscriptions",
        Duration::from_secs(10),
        |h| {
            h.state()
                .active_session()
                .is_some_and(|s| s.active_subscriptions.len() == 2)
        },
    );
    harness
}

/// Step frames until `done` holds; panics naming `what` after `timeout`.
pub fn step_until(
    harness: &mut Harness<'_, CanopyApp>,
    what: &str,
    timeout: Duration,
    mut done: impl FnMut(&Harness<'_, CanopyApp>) -> bool,
) {
    let deadline = Instant::now() + timeout;
    loop {
        harness.step();
        if done(harness) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether at least one widget has exactly this label.
pub fn exists(harness: &Harness<'_, CanopyApp>, label: &str) -> bool {
    harness.query_all_by_label(label).next().is_some()
}

/// Whether a widget whose label contains `text` is shown.
pub fn shows(harness: &Harness<'_, CanopyApp>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

/// A file picker that answers with a fixed path, so no dialog opens.
pub struct FixedPicker(pub std::path::PathBuf);

impl canopy::app::FilePicker for FixedPicker {
    fn pick_file(&mut self, _title: &str) -> Option<std::path::PathBuf> {
        Some(self.0.clone())
    }

    fn save_file(&mut self, _title: &str, _suggested: &str) -> Option<std::path::PathBuf> {
        Some(self.0.clone())
    }
}
