//! Profile passwords in the operating system's keyring (Secret Service on Linux, Keychain on
//! macOS, Credential Manager on Windows), through the keyring crate. Where there is none (a
//! headless machine, no keyring daemon), callers fall back to asking, or to the profiles file
//! on the user's explicit consent.

/// The keyring service name Canopy's entries are filed under.
const SERVICE: &str = "canopy";

use super::SettingsError;

fn entry(profile: &str) -> Result<keyring::Entry, SettingsError> {
    keyring::Entry::new(SERVICE, profile).map_err(SettingsError::KeyringUnavailable)
}

/// Whether this machine has a keyring Canopy can use. The first call connects to it.
pub fn keyring_available() -> bool {
    keyring::Entry::store_status().is_ok()
}

/// Keep `password` for `profile` in the keyring.
pub fn store_password(profile: &str, password: &str) -> Result<(), SettingsError> {
    entry(profile)?
        .set_password(password)
        .map_err(|source| SettingsError::Keyring {
            action: "take",
            source,
        })
}

/// The password kept for `profile`.
pub fn load_password(profile: &str) -> Result<String, SettingsError> {
    entry(profile)?.get_password().map_err(|e| match e {
        keyring::Error::NoEntry => SettingsError::NoPassword(profile.to_owned()),
        source => SettingsError::Keyring {
            action: "give",
            source,
        },
    })
}

/// Forget the password kept for `profile` (nothing happens if there is none).
pub fn forget_password(profile: &str) {
    if let Ok(entry) = entry(profile) {
        let _ = entry.delete_credential();
    }
}
