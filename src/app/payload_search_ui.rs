//! Searching payloads from the tree panel: a field (Enter searches), then the hits (time,
//! topic, the text around the match, highlighted); a click shows that message. The search runs
//! a few milliseconds per frame, so the window never waits for it.

use super::format;
use crate::model::{NodeId, PayloadHit, PayloadSearch, TopicTree};
use egui::text::LayoutJob;
use egui::{Color32, TextFormat};
use std::time::{Duration, Instant};

/// Time a frame gives the search.
const STEP_BUDGET: Duration = Duration::from_millis(4);

/// Bytes of context shown on each side of a match.
const CONTEXT_BYTES: usize = 40;

/// What the user asked of the search.
#[derive(Debug, PartialEq, Eq)]
pub enum SearchAction {
    /// Start a search for this text.
    Search(String),
    /// Show this message of this topic.
    Show(NodeId, u64),
    /// Close the hits.
    Close,
}

/// The search field; `query` is what is typed.
pub fn search_field_ui(ui: &mut egui::Ui, query: &mut String) -> Option<SearchAction> {
    let label = ui.label("Payloads");
    let field = ui
        .add(
            egui::TextEdit::singleline(query)
                .id(egui::Id::unique(super::shortcuts_ui::PAYLOAD_SEARCH_ID))
                .hint_text("text to find in kept messages")
                .desired_width(180.0),
        )
        .labelled_by(label.id);
    let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    let clicked = ui
        .small_button("Search")
        .on_hover_text("Find this text (any case) in every payload kept in history")
        .clicked();
    (entered || clicked).then(|| SearchAction::Search(query.clone()))
}

/// Go on searching for a few milliseconds; asks for another frame while unfinished. Binary
/// payloads are searched through their decoded text (MessagePack, CBOR and Sparkplug B as JSON,
/// chosen as the message panel's Auto view chooses).
pub fn step(search: &mut PayloadSearch, model: &crate::model::Model, ctx: &egui::Context) {
    let tree = &model.tree;
    if !search.done {
        let mut decoded = |id: NodeId, message: &crate::model::Message| {
            let topic = tree.topic_name(id);
            let hint = crate::payload::Hint {
                topic: &topic,
                content_type: message
                    .properties
                    .as_deref()
                    .and_then(|p| p.content_type.as_deref()),
                aliases: model.sparkplug.aliases_at(&topic, message.seq),
                message_type: model.protobuf.message_for(&topic),
            };
            let view = crate::payload::auto_view(&message.payload, &hint);
            if !view.is_structured() {
                return None;
            }
            crate::payload::decode(&message.payload, view, &hint)
                .ok()
                .map(|value| value.to_json_pretty())
        };
        search.step(tree, Instant::now() + STEP_BUDGET, &mut decoded);
        if !search.done {
            ctx.request_repaint();
        }
    }
}

/// The hits, in a scrolling list of bounded height.
pub fn hits_ui(
    ui: &mut egui::Ui,
    search: &PayloadSearch,
    tree: &TopicTree,
) -> Option<SearchAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        let mut line = format!(
            "{} for \"{}\" in {}",
            format::count(search.hits.len() as u64, "hit", "hits"),
            search.needle,
            format::count(search.searched, "message", "messages")
        );
        if !search.done {
            line.push_str(" (searching…)");
        } else if search.truncated() {
            line.push_str(&format!(" (the first {})", crate::model::MAX_HITS));
        }
        ui.label(line);
        if ui.small_button("Close").clicked() {
            action = Some(SearchAction::Close);
        }
    });
    let row_height = ui.spacing().interact_size.y;
    egui::ScrollArea::vertical()
        .id_salt("payload_hits")
        .max_height(ui.available_height() * 0.4)
        .auto_shrink([false, true])
        .show_rows(ui, row_height, search.hits.len(), |ui, range| {
            for hit in &search.hits[range] {
                if hit_ui(ui, hit, tree) {
                    action = Some(SearchAction::Show(hit.node, hit.seq));
                }
            }
        });
    ui.separator();
    action
}

/// One hit as a clickable line; true when clicked.
fn hit_ui(ui: &mut egui::Ui, hit: &PayloadHit, tree: &TopicTree) -> bool {
    let message = tree.node(hit.node).and_then(|n| n.message_by_seq(hit.seq));
    let mut job = LayoutJob::default();
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let plain = TextFormat::simple(font.clone(), ui.visuals().text_color());
    let weak = TextFormat::simple(font.clone(), ui.visuals().weak_text_color());
    job.append(&format::clock(hit.received_at), 0.0, weak.clone());
    job.append(&tree.topic_name(hit.node), 8.0, plain.clone());
    match message {
        Some(message) => {
            let payload = hit
                .decoded
                .as_deref()
                .map_or(&message.payload[..], str::as_bytes);
            let (before, found, after) = snippet(payload, hit.start, hit.end);
            job.append(&before, 8.0, weak.clone());
            let highlight = TextFormat {
                background: ui.visuals().selection.bg_fill,
                color: if ui.visuals().dark_mode {
                    Color32::WHITE
                } else {
                    Color32::BLACK
                },
                ..plain
            };
            job.append(&found, 0.0, highlight);
            job.append(&after, 0.0, weak);
        }
        None => job.append("(no longer kept)", 8.0, weak),
    }
    job.wrap.max_rows = 1;
    job.wrap.break_anywhere = true;
    job.wrap.max_width = ui.available_width();
    ui.add(egui::Label::new(job).sense(egui::Sense::click()).truncate())
        .on_hover_text("Show this message")
        .clicked()
}

/// The text before the match (up to [`CONTEXT_BYTES`]), the match, and the text after, as
/// one line (line breaks shown as spaces; bytes that are not UTF-8 shown as �).
fn snippet(payload: &[u8], start: usize, end: usize) -> (String, String, String) {
    let start = start.min(payload.len());
    let end = end.clamp(start, payload.len());
    let from = start.saturating_sub(CONTEXT_BYTES);
    let to = (end + CONTEXT_BYTES).min(payload.len());
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).replace(['\n', '\r', '\t'], " ");
    let mut before = text(&payload[from..start]);
    if from > 0 {
        before.insert(0, '…');
    }
    let mut after = text(&payload[end..to]);
    if to < payload.len() {
        after.push('…');
    }
    (before, text(&payload[start..end]), after)
}

#[cfg(test)]
mod tests {
    use super::snippet;

    #[test]
    fn a_snippet_is_the_match_with_some_context_on_one_line() {
        let payload = b"{\"status\":\"ERROR\",\n\"code\":7}";
        let (before, found, after) = snippet(payload, 11, 16);
        assert_eq!(
            (before.as_str(), found.as_str()),
            ("{\"status\":\"", "ERROR")
        );
        assert_eq!(after, "\", \"code\":7}");
        let long = vec![b'x'; 500];
        let (before, _, after) = snippet(&long, 250, 251);
        assert!(before.starts_with('…') && after.ends_with('…'));
        assert_eq!(
            snippet(b"abc", 9, 99),
            ("abc".to_owned(), String::new(), String::new())
        );
    }
}
