//! The chart panel: a toolbar (time window, pause/follow, export), the series list, and the plot.

use super::charts::{Chart, TimeWindow, unix_secs};
use super::format;
use crate::model::decimate;
use egui::RichText;
use egui_plot::{HoverPosition, Legend, Line, Plot, PlotPoints};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the chart panel asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartAction {
    /// Save the chart's data as CSV (the app asks where).
    ExportCsv,
    /// Select this topic in the tree.
    Reveal(String),
}

/// Draw the chart panel.
pub fn chart_ui(ui: &mut egui::Ui, chart: &mut Chart, now: SystemTime) -> Option<ChartAction> {
    let toolbar = toolbar_ui(ui, chart, now);
    let legend = legend_ui(ui, chart);
    plots_ui(ui, chart, now);
    legend.or(toolbar)
}

/// Time window, pause/follow, export, layout, hide.
fn toolbar_ui(ui: &mut egui::Ui, chart: &mut Chart, now: SystemTime) -> Option<ChartAction> {
    let mut action = None;
    ui.horizontal_wrapped(|ui| {
        ui.strong("Chart");
        ui.separator();
        for window in TimeWindow::ALL {
            ui.selectable_value(&mut chart.window, window, window.label());
        }
        ui.separator();
        if chart.paused_at.is_some() {
            if ui
                .button("Follow")
                .on_hover_text("Follow new data again")
                .clicked()
            {
                chart.paused_at = None;
            }
            ui.label(RichText::new("Paused: drag to pan, scroll to zoom").weak());
        } else if ui
            .button("Pause")
            .on_hover_text("Freeze the view; data keeps being recorded")
            .clicked()
        {
            chart.paused_at = Some(unix_secs(now));
        }
        ui.separator();
        if ui
            .add_enabled(!chart.series.is_empty(), egui::Button::new("Export CSV…"))
            .clicked()
        {
            action = Some(ChartAction::ExportCsv);
        }
        ui.checkbox(&mut chart.stacked, "One plot per series")
            .on_hover_text("Stack the series in separate plots sharing the time axis, for values on different scales");
        if ui.button("Hide chart").clicked() {
            chart.open = false;
        }
    });

    action
}

/// Each series with its colour and last value; a click reveals its topic.
fn legend_ui(ui: &mut egui::Ui, chart: &mut Chart) -> Option<ChartAction> {
    let mut action = None;
    let mut remove = None;
    ui.horizontal_wrapped(|ui| {
        if chart.series.is_empty() {
            ui.weak("Nothing plotted yet: select a numeric topic, or a number in a JSON payload, and choose Plot.");
        }
        for (index, series) in chart.series.iter().enumerate() {
            let last = series
                .series
                .last()
                .map_or_else(|| "no samples".to_owned(), |[_, y]| format_value(y));
            let (swatch, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
            ui.painter().rect_filled(swatch, 2.0, series.color);
            if ui
                .link(RichText::new(series.label()).monospace())
                .on_hover_text("Show this topic in the tree")
                .clicked()
            {
                action = Some(ChartAction::Reveal(series.topic.clone()));
            }
            ui.label(RichText::new(last).monospace());
            if ui
                .small_button("Remove")
                .on_hover_text(format!("Stop plotting {}", series.label()))
                .clicked()
            {
                remove = Some(index);
            }
            ui.separator();
        }
    });
    if let Some(index) = remove {
        chart.remove(index);
    }

    action
}

/// The plots, following the newest data or where the user panned while paused.
fn plots_ui(ui: &mut egui::Ui, chart: &Chart, now: SystemTime) {
    let now_secs = unix_secs(now);
    let right = chart.paused_at.unwrap_or(now_secs);
    let left = match chart.window.secs() {
        Some(secs) => right - secs,
        None => chart
            .series
            .iter()
            .filter_map(|s| s.series.points().first().map(|p| p[0]))
            .fold(f64::INFINITY, f64::min)
            .min(right - 1.0),
    };
    let following = chart.paused_at.is_none();
    let plot_id = egui::Id::unique("canopy_chart_plot");
    // While paused the user pans and zooms: draw what is in view plus a width either side.
    let (draw_left, draw_right) = if following {
        (left, right)
    } else {
        egui_plot::PlotMemory::load(ui.ctx(), plot_id).map_or((left, right), |memory| {
            let bounds = memory.bounds();
            let width = bounds.width();
            (bounds.min()[0] - width, bounds.max()[0] + width)
        })
    };
    let columns = ui.available_width().max(100.0) as usize;
    let lines: Vec<(String, egui::Color32, Vec<[f64; 2]>)> = chart
        .series
        .iter()
        .map(|s| {
            (
                s.label(),
                s.color,
                decimate(s.series.window(draw_left, draw_right), columns),
            )
        })
        .collect();

    let pausing_now = chart
        .paused_at
        .is_some_and(|at| (at - now_secs).abs() < 1e-9);
    let frame = PlotFrame {
        following,
        set_x: (following || pausing_now).then_some((left, right)),
    };
    if chart.stacked && lines.len() > 1 {
        // One plot per series, x axes and cursors linked: for quantities on different scales.
        // Fill the panel exactly: a panel shrinks to content that is smaller than it.
        let count = lines.len();
        let spacing = ui.spacing().item_spacing.y;
        let height =
            ((ui.available_height() - spacing * (count - 1) as f32) / count as f32).max(60.0);
        for (index, line) in lines.into_iter().enumerate() {
            let id = if index == 0 {
                plot_id
            } else {
                plot_id.with(index)
            };
            frame.show(ui, id, Some(height), index + 1 == count, vec![line]);
        }
    } else {
        frame.show(ui, plot_id, None, true, lines);
    }
}

/// How this frame's plots behave: following new data, or paused for the user to explore.
struct PlotFrame {
    following: bool,
    /// The x range to impose this frame (always while following; once when pausing).
    set_x: Option<(f64, f64)>,
}

impl PlotFrame {
    fn show(
        &self,
        ui: &mut egui::Ui,
        id: egui::Id,
        height: Option<f32>,
        show_x_axis: bool,
        lines: Vec<(String, egui::Color32, Vec<[f64; 2]>)>,
    ) {
        let following = self.following;
        let link = egui::Id::unique("canopy_chart_link");
        let mut plot = Plot::new(id)
            .id(id)
            .legend(Legend::default())
            .link_axis(link, egui::Vec2b::new(true, false))
            .link_cursor(link, egui::Vec2b::new(true, false))
            .x_axis_formatter(|mark, _range| axis_clock(mark.value))
            .label_formatter(|position| match position {
                HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => Some(format!(
                    "{plot_name}\n{}\n{}",
                    clock_at(position.x),
                    format_value(position.y)
                )),
                HoverPosition::Elsewhere { .. } => None,
            })
            .allow_drag(!following)
            .allow_zoom(!following)
            .allow_scroll(!following)
            .allow_double_click_reset(!following)
            .show_axes(egui::Vec2b::new(show_x_axis, true));
        if let Some(height) = height {
            plot = plot.height(height);
        }
        if following {
            plot = plot.auto_bounds(egui::Vec2b::new(false, true));
        }
        plot.show(ui, |plot_ui| {
            if let Some((left, right)) = self.set_x {
                plot_ui.set_plot_bounds_x(left..=right);
            }
            if following {
                plot_ui.set_auto_bounds(egui::Vec2b::new(false, true));
            }
            for (name, color, points) in lines {
                plot_ui.line(
                    Line::new(name, PlotPoints::new(points))
                        .color(color)
                        .width(1.5),
                );
            }
        });
    }
}

/// A sample's value as shown: integers without a fraction, others to 4 significant decimals.
fn format_value(y: f64) -> String {
    if y.fract() == 0.0 && y.abs() < 1e15 {
        format!("{y:.0}")
    } else {
        let text = format!("{y:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// Local time of an axis mark, to the second.
pub(super) fn axis_clock(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return String::new();
    }
    chrono::DateTime::<chrono::Local>::from(UNIX_EPOCH + Duration::from_secs_f64(secs))
        .format("%H:%M:%S")
        .to_string()
}

/// Local wall-clock time of an x position (Unix seconds).
fn clock_at(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return String::new();
    }
    format::clock(UNIX_EPOCH + Duration::from_secs_f64(secs))
}
