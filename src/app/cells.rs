//! Table cells of a fixed width with their content on the left, for the list views (egui's
//! `add_sized` centres what it holds).

/// Add `widget` in a cell `width` points wide and one row high, aligned left.
pub fn cell(ui: &mut egui::Ui, width: f32, widget: impl egui::Widget) -> egui::Response {
    let height = ui.spacing().interact_size.y;
    ui.allocate_ui_with_layout(
        egui::vec2(width, height),
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            ui.set_min_width(width);
            ui.set_max_width(width);
            ui.add(widget)
        },
    )
    .inner
}
