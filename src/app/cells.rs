//! Small building blocks of the list views and dialogs: table cells of a fixed width with their
//! content on the left (egui's `add_sized` centres what it holds), labelled text fields, and
//! the confirmation every destructive or outgoing action asks for.

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

/// A label and a one-line text field named by it (so tests and screen readers find the field
/// by the label's words), `width` points wide, with `hint` shown while empty.
pub fn labelled_field(
    ui: &mut egui::Ui,
    label: &str,
    text: &mut String,
    hint: &str,
    width: f32,
) -> egui::Response {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(width),
    )
    .labelled_by(label.id)
}

/// A [`labelled_field`] that reports Enter pressed in it.
pub fn labelled_field_entered(
    ui: &mut egui::Ui,
    label: &str,
    text: &mut String,
    hint: &str,
    width: f32,
) -> bool {
    let field = labelled_field(ui, label, text, hint, width);
    field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
}

/// A modal that asks before something is done: `question` draws what will happen, then the
/// `confirm` and Cancel buttons. `Some(true)` when confirmed, `Some(false)` when cancelled or
/// closed, `None` while it waits.
pub fn confirm_modal(
    ui: &egui::Ui,
    id: &str,
    heading: &str,
    confirm: &str,
    question: impl FnOnce(&mut egui::Ui),
) -> Option<bool> {
    let mut decision = None;
    let modal = egui::Modal::new(ui.scope_id().with(id)).show(ui.ctx(), |ui| {
        ui.heading(heading);
        question(ui);
        ui.horizontal(|ui| {
            if ui.button(confirm).clicked() {
                decision = Some(true);
            }
            if ui.button("Cancel").clicked() {
                decision = Some(false);
            }
        });
    });
    if modal.should_close() && decision.is_none() {
        decision = Some(false);
    }
    decision
}
