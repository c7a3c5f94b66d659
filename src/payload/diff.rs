//! What changed between two payloads: by path for structured documents, by line for text.

use super::value::{Path, Value};

/// One change between two structured documents.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// A value that was not there before.
    Added {
        /// Where.
        path: Path,
        /// The new value (a summary for containers).
        value: String,
    },
    /// A value that is gone.
    Removed {
        /// Where.
        path: Path,
        /// The old value.
        value: String,
    },
    /// A value that is different.
    Changed {
        /// Where.
        path: Path,
        /// Before.
        old: String,
        /// After.
        new: String,
    },
}

/// The changes from `old` to `new`, in document order; empty when they are equal.
///
/// Objects are compared by key, arrays by index; a value that changes kind (say a number that
/// becomes an object) is one change at its path.
pub fn structural(old: &Value, new: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    compare(&Path::default(), old, new, &mut changes);
    changes
}

fn compare(path: &Path, old: &Value, new: &Value, out: &mut Vec<Change>) {
    use super::value::PathSegment;
    match (old, new) {
        (Value::Object(before), Value::Object(after)) => {
            for (key, old_value) in before {
                let child = path.child(PathSegment::Key(key.clone()));
                match after.iter().find(|(k, _)| k == key) {
                    Some((_, new_value)) => compare(&child, old_value, new_value, out),
                    None => out.push(Change::Removed {
                        path: child,
                        value: old_value.summary(),
                    }),
                }
            }
            for (key, new_value) in after {
                if !before.iter().any(|(k, _)| k == key) {
                    out.push(Change::Added {
                        path: path.child(PathSegment::Key(key.clone())),
                        value: new_value.summary(),
                    });
                }
            }
        }
        (Value::Array(before), Value::Array(after)) => {
            for i in 0..before.len().max(after.len()) {
                let child = path.child(PathSegment::Index(i));
                match (before.get(i), after.get(i)) {
                    (Some(a), Some(b)) => compare(&child, a, b, out),
                    (Some(a), None) => out.push(Change::Removed {
                        path: child,
                        value: a.summary(),
                    }),
                    (None, Some(b)) => out.push(Change::Added {
                        path: child,
                        value: b.summary(),
                    }),
                    (None, None) => {}
                }
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(Change::Changed {
            path: path.clone(),
            old: a.summary(),
            new: b.summary(),
        }),
    }
}

/// One line of a text diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffLine {
    /// In both.
    Same(String),
    /// Only in the new text.
    Added(String),
    /// Only in the old text.
    Removed(String),
}

/// A line-by-line diff (Myers, via `similar`), with a deadline so huge inputs cannot stall a frame.
pub fn lines(old: &str, new: &str) -> Vec<DiffLine> {
    let diff = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_millis(200))
        .diff_lines(old, new);
    diff.iter_all_changes()
        .map(|change| {
            let text = change.value().trim_end_matches(['\n', '\r']).to_owned();
            match change.tag() {
                similar::ChangeTag::Equal => DiffLine::Same(text),
                similar::ChangeTag::Insert => DiffLine::Added(text),
                similar::ChangeTag::Delete => DiffLine::Removed(text),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::value::parse_json;

    fn json(text: &str) -> Value {
        parse_json(text).expect("valid JSON")
    }

    fn describe(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| match c {
                Change::Added { path, value } => format!("+ {path} {value}"),
                Change::Removed { path, value } => format!("- {path} {value}"),
                Change::Changed { path, old, new } => format!("~ {path} {old} -> {new}"),
            })
            .collect()
    }

    #[test]
    fn structural_diff_table() {
        let cases: &[(&str, &str, &[&str])] = &[
            (r#"{"a":1}"#, r#"{"a":1}"#, &[]),
            (r#"{"a":1}"#, r#"{"a":2}"#, &["~ $.a 1 -> 2"]),
            (r#"{"a":1}"#, r#"{"a":1,"b":true}"#, &["+ $.b true"]),
            (r#"{"a":1,"b":"x"}"#, r#"{"a":1}"#, &["- $.b \"x\""]),
            (
                r#"{"s":{"t":20.5,"h":40}}"#,
                r#"{"s":{"t":21,"h":40}}"#,
                &["~ $.s.t 20.5 -> 21"],
            ),
            (r#"[1,2]"#, r#"[1,3,4]"#, &["~ $[1] 2 -> 3", "+ $[2] 4"]),
            (r#"{"a":1}"#, r#"{"a":{"b":1}}"#, &["~ $.a 1 -> {1 key}"]),
            (r#"{"a":1.0}"#, r#"{"a":1.00}"#, &["~ $.a 1.0 -> 1.00"]),
            (r#"{"b":1,"a":2}"#, r#"{"a":2,"b":1}"#, &[]),
            ("3", "4", &["~ $ 3 -> 4"]),
        ];
        for (old, new, expected) in cases {
            assert_eq!(
                describe(&structural(&json(old), &json(new))),
                *expected,
                "{old} -> {new}"
            );
        }
    }

    #[test]
    fn line_diff_marks_added_and_removed_lines() {
        let diff = lines("a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!(
            diff,
            [
                DiffLine::Same("a".into()),
                DiffLine::Removed("b".into()),
                DiffLine::Added("B".into()),
                DiffLine::Same("c".into()),
                DiffLine::Added("d".into()),
            ]
        );
        assert!(
            lines("same", "same")
                .iter()
                .all(|l| matches!(l, DiffLine::Same(_)))
        );
    }
}
