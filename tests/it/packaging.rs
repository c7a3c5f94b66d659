//! What the packages are made of, checked through the real binary: the version line, the man
//! pages and the shell completions the .deb and the tarball install.

use crate::common;

#[test]
fn the_version_names_the_commit() {
    let out = common::canopy().arg("--version").output().expect("run");
    assert!(out.status.success());
    let line = String::from_utf8_lossy(&out.stdout);
    let expected = format!("canopy {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&expected), "{line}");
    assert!(!line.contains("unknown"), "built from a clone: {line}");
}

#[test]
fn man_pages_for_canopy_and_each_subcommand() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = common::canopy()
        .arg("manpages")
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let main = std::fs::read_to_string(dir.path().join("canopy.1")).expect("canopy.1");
    assert!(main.contains(".TH CANOPY 1"), "{main}");
    assert!(
        main.contains("canopy\\-record(1)"),
        "the subcommands are listed"
    );
    for sub in [
        "sub",
        "pub",
        "record",
        "replay",
        "export",
        "clear-retained",
        "broker",
        "sim",
    ] {
        let page = std::fs::read_to_string(dir.path().join(format!("canopy-{sub}.1")))
            .unwrap_or_else(|e| panic!("canopy-{sub}.1: {e}"));
        assert!(
            page.contains(&format!(".TH CANOPY-{}", sub.to_uppercase())),
            "{sub}"
        );
    }
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F _canopy"),
        ("zsh", "#compdef canopy"),
        ("fish", "complete -c canopy"),
    ] {
        let out = common::canopy()
            .args(["completions", shell])
            .output()
            .expect("run");
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell}: {marker}");
        assert!(
            script.contains("record") && script.contains("replay"),
            "{shell}"
        );
    }
    let bad = common::canopy()
        .args(["completions", "tcsh"])
        .output()
        .expect("run");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid value 'tcsh'"));
}
