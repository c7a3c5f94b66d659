//! The About box: the version and the commit it was built from, the license, where the
//! documentation is, and the files Canopy keeps its settings and connections in.

use std::path::Path;

/// Where the project (and its README) is published.
const PROJECT_URL: &str = "https://github.com/canopymqtt/canopy";

/// The README's sections a user looks for, as (title, anchor).
const SECTIONS: [(&str, &str); 6] = [
    ("Explorer", "explorer"),
    ("Recordings", "recordings"),
    ("Connections", "connections"),
    ("The bundled broker", "the-bundled-broker-the-broker-tab"),
    ("Keyboard", "keyboard"),
    ("Command line", "command-line"),
];

/// What the About box shows besides the build: the settings and profiles files, when known.
pub struct AboutFiles<'a> {
    /// The settings file.
    pub settings: Option<&'a Path>,
    /// The connection profiles file.
    pub profiles: Option<&'a Path>,
}

/// Draw the About box while `open`.
pub fn about_ui(ctx: &egui::Context, open: &mut bool, files: &AboutFiles<'_>) {
    egui::Window::new("About Canopy")
        .open(open)
        .resizable(false)
        .collapsible(false)
        .show(ctx, |ui| {
            ui.heading("Canopy");
            ui.label("A fast native MQTT explorer and broker monitor");
            ui.label(format!("Version {}", crate::VERSION));
            ui.label(format!("License: {}", env!("CARGO_PKG_LICENSE")));
            ui.separator();
            ui.horizontal_wrapped(|ui| {
                ui.label("Documentation:");
                ui.hyperlink_to("README", format!("{PROJECT_URL}#readme"));
                for (title, anchor) in SECTIONS {
                    ui.hyperlink_to(title, format!("{PROJECT_URL}#{anchor}"));
                }
            });
            ui.label(
                "Installed with the package: /usr/share/doc/canopy/README.md, and `man canopy`.",
            );
            ui.separator();
            egui::Grid::new("about_files")
                .num_columns(2)
                .show(ui, |ui| {
                    for (what, path) in [
                        ("Settings", files.settings),
                        ("Connections", files.profiles),
                    ] {
                        ui.label(what);
                        match path {
                            Some(path) => {
                                ui.monospace(path.display().to_string());
                            }
                            None => {
                                ui.weak("not saved (no config folder)");
                            }
                        }
                        ui.end_row();
                    }
                });
        });
}
