//! The Broker panel: run the bundled broker, see its clients, and watch each packet.

use super::format;
use super::local_broker::LocalBroker;
use crate::broker::{ClientSummary, Direction, TraceEntry, TracedPacket};
use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};
use std::time::SystemTime;

/// What the Broker panel asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(missing_docs, reason = "the names say what these are")]
pub enum BrokerAction {
    /// Start (or restart) the broker with the form's settings.
    Start,
    Stop,
    /// Retry on this port (offered when the chosen one is taken).
    UsePort(u16),
    /// Start the demo fleet.
    StartFleet,
    /// Stop the demo fleet.
    StopFleet,
    /// Close one client's connection.
    Disconnect(String),
    /// Record packets or not.
    Trace(bool),
    /// Forget recorded packets.
    ClearTrace,
    /// The trace filter changed: refresh now.
    Refilter,
    /// Connect the explorer to the bundled broker.
    Explore,
}

const RED: Color32 = Color32::from_rgb(230, 90, 80);
const GREEN: Color32 = Color32::from_rgb(80, 200, 120);

/// Draw the panel.
pub fn broker_ui(ui: &mut egui::Ui, local: &mut LocalBroker) -> Vec<BrokerAction> {
    let mut actions = Vec::new();
    let running = local.is_running();
    ui.horizontal(|ui| header_ui(ui, local, &mut actions));
    if let Some(failure) = &local.failure {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(&failure.message).color(super::colors::adapt(RED, ui.visuals())),
            );
            if let Some(port) = failure.free_port
                && ui.button(format!("Use free port {port}")).clicked()
            {
                actions.push(BrokerAction::UsePort(port));
            }
        });
    }
    if local.form.exposed_without_auth() {
        ui.label(
            RichText::new(
                "Warning: this address is reachable from other machines and clients need no password. \
                 Add users (and untick anonymous access) or bind to 127.0.0.1.",
            )
            .color(super::colors::adapt(RED, ui.visuals())),
        );
    }

    egui::CollapsingHeader::new("Settings")
        .default_open(!running)
        .show(ui, |ui| settings_ui(ui, local));

    if !running {
        return actions;
    }
    ui.separator();
    status_ui(ui, local);
    egui::CollapsingHeader::new("Dashboard ($SYS values, read from the broker's own meters)")
        .default_open(true)
        .show(ui, |ui| {
            super::monitor_ui::sys_dashboard_ui(ui, local.dashboard(), "bundled");
        });
    ui.separator();
    ui.strong(format!(
        "Connected clients ({})",
        local.status().clients.len()
    ));
    clients_ui(ui, local, &mut actions);
    ui.separator();
    trace_ui(ui, local, &mut actions);
    actions
}

/// Running or stopped, with its addresses and the buttons that change that.
fn header_ui(ui: &mut egui::Ui, local: &LocalBroker, actions: &mut Vec<BrokerAction>) {
    let running = local.is_running();
    ui.heading("Bundled broker");
    if running {
        let addresses: Vec<String> = local
            .status()
            .listeners
            .iter()
            .map(|l| format!("{}://{}", l.kind.scheme(), l.address))
            .collect();
        ui.label(
            RichText::new(format!("Running on {}", addresses.join(", ")))
                .color(super::colors::adapt(GREEN, ui.visuals())),
        );
        if ui.button("Stop broker").clicked() {
            actions.push(BrokerAction::Stop);
        }
        if ui
            .button("Restart")
            .on_hover_text("Apply changed settings")
            .clicked()
        {
            actions.push(BrokerAction::Start);
        }
        if ui
            .button("Explore it")
            .on_hover_text("Connect the explorer to this broker")
            .clicked()
        {
            actions.push(BrokerAction::Explore);
        }
        let mut fleet_on = local.fleet().is_some();
        if ui.checkbox(&mut fleet_on, "Demo fleet").changed() {
            actions.push(if fleet_on {
                BrokerAction::StartFleet
            } else {
                BrokerAction::StopFleet
            });
        }
        if let Some(fleet) = local.fleet() {
            ui.weak(format!(
                "{} of {} devices online",
                fleet.stats().connected(),
                fleet.device_count()
            ));
        }
    } else {
        ui.label("Stopped");
        if ui.button("Start broker").clicked() {
            actions.push(BrokerAction::Start);
        }
    }
}

fn labelled_edit(ui: &mut egui::Ui, label: &str, text: &mut String, width: f32) {
    super::cells::labelled_field(ui, label, text, "", width);
}

fn settings_ui(ui: &mut egui::Ui, local: &mut LocalBroker) {
    let form = &mut local.form;
    ui.weak("Changes apply when the broker starts or restarts.");
    egui::Grid::new("broker_settings")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                labelled_edit(ui, "Bind address", &mut form.bind, 120.0);
                labelled_edit(ui, "Port", &mut form.port, 60.0);
                labelled_edit(ui, "Max packet (KiB)", &mut form.max_packet_kib, 70.0);
            });
            ui.end_row();
            ui.horizontal(|ui| {
                ui.checkbox(&mut form.tls, "TLS");
                labelled_edit(ui, "TLS port", &mut form.tls_port, 60.0);
                labelled_edit(ui, "Certificate (PEM)", &mut form.tls_cert, 150.0);
                labelled_edit(ui, "Key (PEM)", &mut form.tls_key, 150.0);
            });
            ui.end_row();
            if form.tls && form.tls_cert.trim().is_empty() {
                ui.weak(
                    "No certificate given: a self-signed one for localhost is generated at start.",
                );
                ui.end_row();
            }
            ui.horizontal(|ui| {
                ui.checkbox(&mut form.websocket, "WebSocket");
                labelled_edit(ui, "WebSocket port", &mut form.websocket_port, 60.0);
            });
            ui.end_row();
        });
    ui.horizontal(|ui| {
        ui.strong("Users");
        if ui.small_button("Add user").clicked() {
            form.users
                .push((format!("user{}", form.users.len() + 1), String::new()));
        }
        ui.checkbox(
            &mut form.allow_anonymous,
            "Allow clients without a user name",
        );
    });
    let mut remove = None;
    for (index, (name, password)) in form.users.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            labelled_edit(ui, "Name", name, 120.0);
            let label = ui.label("Password");
            ui.add(
                egui::TextEdit::singleline(password)
                    .password(true)
                    .desired_width(120.0),
            )
            .labelled_by(label.id);
            if ui.small_button("Remove").clicked() {
                remove = Some(index);
            }
        });
    }
    if let Some(index) = remove {
        form.users.remove(index);
    }
    let label = ui.strong("ACL (mosquitto format; empty allows everything)");
    ui.add(
        egui::TextEdit::multiline(&mut form.acl)
            .font(egui::TextStyle::Monospace)
            .desired_rows(3)
            .desired_width(f32::INFINITY)
            .hint_text("user alice\ntopic readwrite home/#\npattern readwrite devices/%c/#"),
    )
    .labelled_by(label.id);
}

fn status_ui(ui: &mut egui::Ui, local: &LocalBroker) {
    let status = local.status();
    egui::Grid::new("broker_status").num_columns(8).spacing([16.0, 2.0]).show(ui, |ui| {
        ui.weak("Uptime");
        ui.label(format::duration(status.uptime));
        ui.weak("Messages in");
        ui.label(format::rate(status.received_per_sec));
        ui.weak("Messages out");
        ui.label(format::rate(status.sent_per_sec));
        ui.weak("Retained");
        ui.label(format::thousands(status.retained as u64));
        ui.end_row();
        ui.weak("Clients");
        ui.label(format!(
            "{} now, {} at most",
            status.clients.len(),
            status.meters.clients_maximum
        ));
        ui.weak("Bytes in");
        ui.label(format!("{}/s", format::bytes(status.bytes_in_per_sec as u64)));
        ui.weak("Bytes out");
        ui.label(format!("{}/s", format::bytes(status.bytes_out_per_sec as u64)));
        ui.weak("Dropped");
        let dropped = status.meters.publish_dropped;
        let text = RichText::new(format::thousands(dropped));
        ui.label(if dropped > 0 { text.color(super::colors::adapt(RED, ui.visuals())) } else { text })
            .on_hover_text("Messages not delivered because a client stopped reading or set a smaller maximum packet size");
        ui.weak("Refused");
        let refused = status.meters.publish_refused;
        let text = RichText::new(format::thousands(refused));
        ui.label(if refused > 0 { text.color(super::colors::adapt(RED, ui.visuals())) } else { text })
            .on_hover_text("Publishes refused: to $SYS (the broker's own topics) or not allowed by the ACL");
        ui.end_row();
    });
}

fn clients_ui(ui: &mut egui::Ui, local: &LocalBroker, actions: &mut Vec<BrokerAction>) {
    let clients = &local.status().clients;
    if clients.is_empty() {
        ui.weak("No clients connected.");
        return;
    }
    let now = SystemTime::now();
    let row_height = ui.spacing().interact_size.y;
    ui.push_id("clients", |ui| {
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        TableBuilder::new(ui)
            .striped(true)
            .max_scroll_height(180.0)
            .column(
                Column::initial(180.0)
                    .at_least(100.0)
                    .resizable(true)
                    .clip(true),
            )
            .column(Column::exact(130.0))
            .column(Column::exact(40.0))
            .column(Column::exact(70.0))
            .column(Column::exact(90.0))
            .column(Column::exact(90.0))
            .column(Column::exact(80.0))
            .column(Column::exact(80.0))
            .column(Column::remainder())
            .header(row_height, |mut header| {
                for title in [
                    "Client ID",
                    "Address",
                    "MQTT",
                    "Keep alive",
                    "Connected",
                    "Subscriptions",
                    "In",
                    "Out",
                    "",
                ] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, clients.len(), |mut row| {
                    let Some(client) = clients.get(row.index()) else {
                        return;
                    };
                    client_row_ui(&mut row, client, now, actions);
                });
            });
    });
}

/// One connected client, with its Disconnect button.
fn client_row_ui(
    row: &mut egui_extras::TableRow<'_, '_>,
    client: &ClientSummary,
    now: SystemTime,
    actions: &mut Vec<BrokerAction>,
) {
    row.col(|ui| {
        ui.label(RichText::new(&client.client_id).monospace());
    });
    row.col(|ui| {
        ui.label(client.address.to_string());
    });
    row.col(|ui| {
        ui.label(client.protocol.number());
    });
    row.col(|ui| {
        ui.label(format!("{} s", client.keep_alive_secs));
    });
    row.col(|ui| {
        ui.label(format::age(client.connected_at, now));
    });
    row.col(|ui| {
        ui.label(client.subscriptions.len().to_string())
            .on_hover_text(client.subscriptions.join("\n"));
    });
    row.col(|ui| {
        ui.label(format::thousands(client.messages_in));
    });
    row.col(|ui| {
        ui.label(format::thousands(client.messages_out));
    });
    row.col(|ui| {
        let button = ui.small_button("Disconnect");
        button.widget_info(|| {
            egui::WidgetInfo::labeled(
                egui::Role::Button,
                true,
                format!("Disconnect {}", client.client_id),
            )
        });
        if button.clicked() {
            actions.push(BrokerAction::Disconnect(client.client_id.clone()));
        }
    });
}

fn trace_ui(ui: &mut egui::Ui, local: &mut LocalBroker, actions: &mut Vec<BrokerAction>) {
    ui.horizontal(|ui| trace_bar_ui(ui, local, actions));
    trace_table_ui(ui, local.trace());
}

/// Recording on or off, the client and packet-type filters, Clear.
fn trace_bar_ui(ui: &mut egui::Ui, local: &mut LocalBroker, actions: &mut Vec<BrokerAction>) {
    {
        ui.strong("Packet trace");
        let mut enabled = local.trace_enabled();
        if ui.checkbox(&mut enabled, "Record packets").changed() {
            actions.push(BrokerAction::Trace(enabled));
        }
        let clients: Vec<String> = local
            .status()
            .clients
            .iter()
            .map(|c| c.client_id.clone())
            .collect();
        let filter = &mut local.trace_filter;
        let before = filter.clone();
        let label = ui.label("Client");
        egui::ComboBox::from_id_salt("trace_client")
            .selected_text(filter.client.clone().unwrap_or_else(|| "all".to_owned()))
            .width(180.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut filter.client, None, "all");
                for client in clients {
                    ui.selectable_value(&mut filter.client, Some(client.clone()), client);
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Type");
        egui::ComboBox::from_id_salt("trace_kind")
            .selected_text(filter.kind.unwrap_or("all"))
            .width(120.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut filter.kind, None, "all");
                for kind in TracedPacket::KINDS {
                    ui.selectable_value(&mut filter.kind, Some(kind), kind);
                }
            })
            .response
            .labelled_by(label.id);
        if *filter != before {
            actions.push(BrokerAction::Refilter);
        }
        if ui.small_button("Clear").clicked() {
            actions.push(BrokerAction::ClearTrace);
        }
        ui.weak(format!("{} shown, newest first", local.trace().len()));
    }
}

/// The kept packets, newest first.
fn trace_table_ui(ui: &mut egui::Ui, trace: &[TraceEntry]) {
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace) + 4.0;
    ui.push_id("trace", |ui| {
        ui.style_mut().interaction.selectable_labels = false;
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        TableBuilder::new(ui)
            .striped(true)
            .column(Column::exact(100.0))
            .column(
                Column::initial(170.0)
                    .at_least(80.0)
                    .resizable(true)
                    .clip(true),
            )
            .column(Column::exact(30.0))
            .column(Column::exact(100.0))
            .column(Column::remainder().clip(true))
            .header(row_height, |mut header| {
                for title in ["Time", "Client", "", "Packet", "Details"] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, trace.len(), |mut row| {
                    let Some(entry) = trace
                        .len()
                        .checked_sub(row.index() + 1)
                        .and_then(|i| trace.get(i))
                    else {
                        return;
                    };
                    trace_row_ui(&mut row, entry);
                });
            });
    });
}

/// One traced packet: time, client, direction, type and its fields.
fn trace_row_ui(row: &mut egui_extras::TableRow<'_, '_>, entry: &TraceEntry) {
    row.col(|ui| {
        ui.label(RichText::new(format::clock(entry.at)).monospace());
    });
    row.col(|ui| {
        ui.label(RichText::new(&*entry.client_id).monospace());
    });
    row.col(|ui| {
        // Words, not arrow glyphs: egui's built-in fonts have no arrows.
        let (word, tip) = match entry.direction {
            Direction::In => ("in", "client to broker"),
            Direction::Out => ("out", "broker to client"),
        };
        ui.label(word).on_hover_text(tip);
    });
    row.col(|ui| {
        ui.label(RichText::new(entry.packet.kind()).strong());
    });
    row.col(|ui| {
        let mut details = entry.packet.summary();
        if let TracedPacket::Publish {
            payload_preview, ..
        } = &entry.packet
            && !payload_preview.is_empty()
        {
            details.push_str(&format!(
                ": {}",
                crate::payload::preview(&payload_preview[..], 48)
            ));
        }
        ui.add(egui::Label::new(RichText::new(details).monospace()).truncate());
    });
}
