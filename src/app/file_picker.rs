//! Choosing files: the system's dialog in the window, a fixed answer in tests.

/// Picks a file for the user. A seam: the window uses the system dialog (rfd), tests answer
/// without one.
pub trait FilePicker {
    /// The chosen file (the dialog titled `title`), or `None` if the user cancelled.
    fn pick_file(&mut self, title: &str) -> Option<std::path::PathBuf>;

    /// Where to save a new file (`suggested_name` pre-filled), or `None` if the user cancelled.
    fn save_file(&mut self, title: &str, suggested_name: &str) -> Option<std::path::PathBuf>;

    /// The chosen folder, or `None` if the user cancelled (or the picker picks no folders).
    fn pick_folder(&mut self, _title: &str) -> Option<std::path::PathBuf> {
        None
    }

    /// Whether a dialog can be shown at all. When not, callers save to a default folder or
    /// say so, instead of a click that silently does nothing.
    fn available(&self) -> bool {
        true
    }
}

/// Where files are saved when no dialog can be shown: the user's downloads folder, else home.
pub fn fallback_folder() -> std::path::PathBuf {
    directories::UserDirs::new()
        .and_then(|dirs| {
            dirs.download_dir()
                .map(std::path::Path::to_path_buf)
                .or_else(|| Some(dirs.home_dir().to_path_buf()))
        })
        .unwrap_or_else(|| std::path::PathBuf::from("."))
}

/// The system's file dialog.
pub struct SystemFilePicker;

impl FilePicker for SystemFilePicker {
    fn pick_file(&mut self, title: &str) -> Option<std::path::PathBuf> {
        rfd::FileDialog::new().set_title(title).pick_file()
    }

    fn pick_folder(&mut self, title: &str) -> Option<std::path::PathBuf> {
        rfd::FileDialog::new().set_title(title).pick_folder()
    }

    fn save_file(&mut self, title: &str, suggested_name: &str) -> Option<std::path::PathBuf> {
        rfd::FileDialog::new()
            .set_title(title)
            .set_file_name(suggested_name)
            .save_file()
    }

    /// On Linux rfd needs the desktop portal (a session bus) or zenity; a bare X server or a
    /// minimal desktop has neither.
    fn available(&self) -> bool {
        if !cfg!(target_os = "linux") {
            return true;
        }
        let session_bus =
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty());
        let zenity = std::env::var_os("PATH").is_some_and(|paths| {
            std::env::split_paths(&paths).any(|dir| dir.join("zenity").is_file())
        });
        session_bus || zenity
    }
}
