//! Opening the native window: the viewport (title, app id, icon, the remembered size and
//! place), the renderer, and the app inside it.

use super::{APP_ID, CanopyApp, Startup, layout};
use std::time::Instant;

/// The renderer: `CANOPY_RENDERER=glow` (OpenGL) or `wgpu`, else [`DEFAULT_RENDERER`].
fn renderer_from_env() -> eframe::Renderer {
    match std::env::var("CANOPY_RENDERER").as_deref().map(str::trim) {
        Ok("glow") => eframe::Renderer::Glow,
        Ok("wgpu") => eframe::Renderer::Wgpu,
        Ok(other) => {
            tracing::warn!("CANOPY_RENDERER={other} is not glow or wgpu; using the default");
            DEFAULT_RENDERER
        }
        Err(_) => DEFAULT_RENDERER,
    }
}

/// Chosen by measurement under Xvfb with software rendering (BENCHMARKS.md, "The window").
const DEFAULT_RENDERER: eframe::Renderer = eframe::Renderer::Glow;

/// Open the window and run until it is closed. `started` is when the process started, for
/// timing the first frame.
pub fn run(startup: Startup, started: Instant) -> eframe::Result {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Canopy")
        .with_app_id(APP_ID)
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([640.0, 400.0]);
    if let Some(window) = layout::saved_window() {
        viewport = viewport
            .with_inner_size([window.width.max(640) as f32, window.height.max(400) as f32])
            .with_position([window.x as f32, window.y as f32]);
    }
    match eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon-256.png")) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(error) => tracing::warn!("window icon not loaded: {error}"),
    }
    let options = eframe::NativeOptions {
        viewport,
        renderer: renderer_from_env(),
        ..Default::default()
    };
    eframe::run_native(
        "Canopy",
        options,
        Box::new(move |cc| {
            let mut app = CanopyApp::with_context(&cc.egui_ctx, startup);
            app.first_frame_pending = Some(started);
            Ok(Box::new(app))
        }),
    )
}
