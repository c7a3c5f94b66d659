//! JSON text: validated, re-indented or compacted without touching keys or number spelling.

use super::error::{Format, PayloadError};

/// The payload as indented JSON, or why it is not JSON.
///
/// The document is validated by serde_json and then re-indented from its own text, so keys keep
/// the publisher's order and numbers keep their exact spelling (`0.90` stays `0.90`).
pub fn pretty_json(payload: &[u8]) -> Result<String, PayloadError> {
    let text = std::str::from_utf8(payload).map_err(|e| PayloadError::invalid(Format::Json, e))?;
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map_err(|e| PayloadError::invalid(Format::Json, e))?;
    Ok(reindent_json(text))
}

/// Re-indent valid JSON text with two spaces, leaving strings and numbers untouched.
fn reindent_json(text: &str) -> String {
    const INDENT: &str = "  ";
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(INDENT);
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                let mut escaped = false;
                for c in chars.by_ref() {
                    out.push(c);
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    // Keep empty containers on one line: {} and [].
                    if let Some(close) = chars.next() {
                        out.push(close);
                    }
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// JSON re-indented for reading (keys and numbers as typed), or compacted onto one line.
pub fn reformat_json(text: &str, pretty: bool) -> Result<String, PayloadError> {
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map_err(|e| PayloadError::invalid(Format::Json, e))?;
    if pretty {
        return Ok(reindent_json(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_json_keeps_order_and_number_spelling() {
        let cases: &[(&str, &str)] = &[
            (r#"{"z":1,"a":0.90}"#, "{\n  \"z\": 1,\n  \"a\": 0.90\n}"),
            (
                r#"[1, [], {}, "a,b:{c}"]"#,
                "[\n  1,\n  [],\n  {},\n  \"a,b:{c}\"\n]",
            ),
            (
                r#"{"esc":"quote \" and \\"}"#,
                "{\n  \"esc\": \"quote \\\" and \\\\\"\n}",
            ),
            (
                r#"{"n":{"deep":[true,null]}}"#,
                "{\n  \"n\": {\n    \"deep\": [\n      true,\n      null\n    ]\n  }\n}",
            ),
            ("42", "42"),
            (r#""text""#, r#""text""#),
            ("  { }  ", "{}"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                pretty_json(input.as_bytes()).as_deref(),
                Ok(*expected),
                "input {input}"
            );
        }
        assert!(pretty_json(b"{\"a\":}").is_err());
        assert!(pretty_json(b"\xff").is_err());
    }

    #[test]
    fn json_can_be_compacted_and_prettied_as_typed() {
        let typed = "{ \"b\" : [1, 2.50],\n \"a\": \"x y\" }";
        assert_eq!(
            reformat_json(typed, false).as_deref(),
            Ok(r#"{"b":[1,2.50],"a":"x y"}"#)
        );
        assert_eq!(
            reformat_json(typed, true).as_deref(),
            Ok("{\n  \"b\": [\n    1,\n    2.50\n  ],\n  \"a\": \"x y\"\n}")
        );
        assert!(reformat_json("{", true).is_err());
    }
}
