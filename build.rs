//! Puts the commit Canopy is built from into `CANOPY_COMMIT` (for `canopy --version` and the
//! About box): `git rev-parse` when building from a clone, else the `CANOPY_COMMIT` variable
//! the packaging scripts may set, else "unknown".

use std::process::Command;

fn main() {
    let from_git = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|commit| commit.trim().to_owned())
        .filter(|commit| !commit.is_empty());
    let commit = from_git
        .or_else(|| std::env::var("CANOPY_COMMIT").ok())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=CANOPY_COMMIT={commit}");
    println!("cargo:rerun-if-env-changed=CANOPY_COMMIT");
    for git_file in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if std::path::Path::new(git_file).exists() {
            println!("cargo:rerun-if-changed={git_file}");
        }
    }
}
