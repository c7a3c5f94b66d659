//! Authentication and authorization in mosquitto's file formats, so existing password files
//! (made with `mosquitto_passwd`) and ACL files work unchanged.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::{digest, pbkdf2, rand::SecureRandom};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

/// A line of a users or ACL file that could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{path}:{line}: {reason}")]
pub struct AuthFileError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number (0 when the file itself could not be read).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// A line of users or ACL text that could not be parsed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {reason}")]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

impl LineError {
    fn at(index: usize, reason: impl Into<String>) -> Self {
        LineError {
            line: index + 1,
            reason: reason.into(),
        }
    }
}

/// The system gave no random numbers for a password's salt.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
#[error("no random numbers available for a password salt")]
pub struct NoRandomness;

#[derive(Clone, Debug, PartialEq, Eq)]
enum PasswordHash {
    /// `$7$ITERATIONS$SALT$HASH`: PBKDF2-HMAC-SHA512 (mosquitto 2's default).
    Pbkdf2Sha512 {
        iterations: NonZeroU32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
    /// `$6$SALT$HASH`: SHA512(password ‖ salt) (mosquitto 1.6 and earlier).
    Sha512 { salt: Vec<u8>, hash: Vec<u8> },
}

/// Users and their salted password hashes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Users {
    entries: Vec<(String, PasswordHash)>,
}

impl Users {
    /// Read a mosquitto password file (`user:$7$…` lines, `#` comments).
    pub fn load(path: &Path) -> Result<Self, AuthFileError> {
        load_file(path, Self::parse)
    }

    /// Parse password-file text; errors carry the 1-based line.
    pub fn parse(text: &str) -> Result<Self, LineError> {
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (user, hash) = line
                .split_once(':')
                .ok_or_else(|| LineError::at(index, "expected user:hash"))?;
            let hash = parse_hash(hash).map_err(|reason| LineError::at(index, reason))?;
            entries.push((user.to_owned(), hash));
        }
        Ok(Self { entries })
    }

    /// Whether `password` is right for `user`. The comparison is constant-time.
    pub fn verify(&self, user: &str, password: &str) -> bool {
        let Some((_, hash)) = self.entries.iter().find(|(name, _)| name == user) else {
            return false;
        };
        match hash {
            PasswordHash::Pbkdf2Sha512 {
                iterations,
                salt,
                hash,
            } => pbkdf2::verify(
                pbkdf2::PBKDF2_HMAC_SHA512,
                *iterations,
                salt,
                password.as_bytes(),
                hash,
            )
            .is_ok(),
            PasswordHash::Sha512 { salt, hash } => {
                let mut context = digest::Context::new(&digest::SHA512);
                context.update(password.as_bytes());
                context.update(salt);
                let computed = context.finish();
                ring_constant_time_eq(computed.as_ref(), hash)
            }
        }
    }

    /// Add or replace a user, hashing `password` the way mosquitto 2 does.
    pub fn set(&mut self, user: &str, password: &str) -> Result<(), NoRandomness> {
        let mut salt = vec![0u8; 12];
        ring::rand::SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| NoRandomness)?;
        let iterations = NonZeroU32::new(101).unwrap_or(NonZeroU32::MIN);
        let mut hash = vec![0u8; 64];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA512,
            iterations,
            &salt,
            password.as_bytes(),
            &mut hash,
        );
        self.entries.retain(|(name, _)| name != user);
        self.entries.push((
            user.to_owned(),
            PasswordHash::Pbkdf2Sha512 {
                iterations,
                salt,
                hash,
            },
        ));
        Ok(())
    }

    /// The file text for these users.
    pub fn to_file_text(&self) -> String {
        let mut text = String::new();
        for (user, hash) in &self.entries {
            let encoded = match hash {
                PasswordHash::Pbkdf2Sha512 {
                    iterations,
                    salt,
                    hash,
                } => {
                    format!(
                        "$7${iterations}${}${}",
                        BASE64.encode(salt),
                        BASE64.encode(hash)
                    )
                }
                PasswordHash::Sha512 { salt, hash } => {
                    format!("$6${}${}", BASE64.encode(salt), BASE64.encode(hash))
                }
            };
            text.push_str(&format!("{user}:{encoded}\n"));
        }
        text
    }

    /// User names, in file order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(name, _)| name.as_str())
    }
}

/// Read `path` and parse it, naming the file (and line) in any error.
fn load_file<T>(
    path: &Path,
    parse: impl FnOnce(&str) -> Result<T, LineError>,
) -> Result<T, AuthFileError> {
    let error = |line, reason| AuthFileError {
        path: path.to_owned(),
        line,
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(0, e.to_string()))?;
    parse(&text).map_err(|e| error(e.line, e.reason))
}

fn ring_constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn parse_hash(text: &str) -> Result<PasswordHash, String> {
    let decode = |part: &str, what: &str| {
        BASE64
            .decode(part)
            .map_err(|e| format!("{what} is not base64: {e}"))
    };
    let parts: Vec<&str> = text.split('$').collect();
    match parts.as_slice() {
        ["", "7", iterations, salt, hash] => {
            let iterations = iterations
                .parse::<u32>()
                .ok()
                .and_then(NonZeroU32::new)
                .ok_or_else(|| format!("bad iteration count {iterations:?}"))?;
            Ok(PasswordHash::Pbkdf2Sha512 {
                iterations,
                salt: decode(salt, "salt")?,
                hash: decode(hash, "hash")?,
            })
        }
        ["", "6", salt, hash] => Ok(PasswordHash::Sha512 {
            salt: decode(salt, "salt")?,
            hash: decode(hash, "hash")?,
        }),
        _ => Err(
            "expected a hashed password ($7$… or $6$…); plain-text passwords are not accepted"
                .to_owned(),
        ),
    }
}

/// What an ACL rule allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    Read,
    Write,
    ReadWrite,
    Deny,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    access: Access,
    filter: String,
    /// `pattern` lines substitute %c (client id) and %u (user name).
    pattern: bool,
}

/// Per-user topic permissions in mosquitto's ACL format:
/// `topic [read|write|readwrite|deny] FILTER` (rules before any `user` line are for anonymous
/// clients), `user NAME`, and `pattern [access] FILTER` for everyone with `%c` / `%u`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Acl {
    anonymous: Vec<Rule>,
    users: Vec<(String, Vec<Rule>)>,
    patterns: Vec<Rule>,
}

impl Acl {
    /// Read an ACL file.
    pub fn load(path: &Path) -> Result<Self, AuthFileError> {
        load_file(path, Self::parse)
    }

    /// Parse ACL text; errors carry the 1-based line.
    pub fn parse(text: &str) -> Result<Self, LineError> {
        let mut acl = Acl::default();
        let mut current_user: Option<usize> = None;
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (keyword, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let rest = rest.trim();
            match keyword {
                "user" => {
                    if rest.is_empty() {
                        return Err(LineError::at(index, "'user' needs a name"));
                    }
                    acl.users.push((rest.to_owned(), Vec::new()));
                    current_user = Some(acl.users.len() - 1);
                }
                "topic" | "pattern" => {
                    let rule = parse_rule(rest, keyword == "pattern")
                        .map_err(|reason| LineError::at(index, reason))?;
                    if rule.pattern {
                        acl.patterns.push(rule);
                    } else {
                        match current_user {
                            Some(user) => acl.users[user].1.push(rule),
                            None => acl.anonymous.push(rule),
                        }
                    }
                }
                other => {
                    return Err(LineError::at(
                        index,
                        format!("unknown keyword {other:?} (expected user, topic or pattern)"),
                    ));
                }
            }
        }
        Ok(acl)
    }

    fn rules<'a>(&'a self, user: Option<&str>) -> impl Iterator<Item = &'a Rule> {
        let own: &[Rule] = match user {
            Some(name) => self
                .users
                .iter()
                .find(|(n, _)| n == name)
                .map_or(&[], |(_, rules)| rules.as_slice()),
            None => &self.anonymous,
        };
        own.iter().chain(&self.patterns)
    }

    /// Whether `user` (None: anonymous) with `client_id` may publish to `topic`.
    pub fn can_publish(&self, user: Option<&str>, client_id: &str, topic: &str) -> bool {
        self.decide(
            user,
            client_id,
            |filter| crate::mqtt::matches(filter, topic),
            Access::Write,
        )
    }

    /// Whether a message on `topic` may be delivered to `user`.
    pub fn can_receive(&self, user: Option<&str>, client_id: &str, topic: &str) -> bool {
        self.decide(
            user,
            client_id,
            |filter| crate::mqtt::matches(filter, topic),
            Access::Read,
        )
    }

    /// Whether `user` may subscribe to `filter`: some read rule must cover every topic it matches.
    pub fn can_subscribe(&self, user: Option<&str>, client_id: &str, filter: &str) -> bool {
        self.decide(user, client_id, |rule| covers(rule, filter), Access::Read)
    }

    fn decide(
        &self,
        user: Option<&str>,
        client_id: &str,
        applies: impl Fn(&str) -> bool,
        want: Access,
    ) -> bool {
        let mut allowed = false;
        for rule in self.rules(user) {
            let filter = if rule.pattern {
                rule.filter
                    .replace("%c", client_id)
                    .replace("%u", user.unwrap_or(""))
            } else {
                rule.filter.clone()
            };
            if !applies(&filter) {
                continue;
            }
            match rule.access {
                Access::Deny => return false,
                Access::ReadWrite => allowed = true,
                access if access == want => allowed = true,
                _ => {}
            }
        }
        allowed
    }
}

fn parse_rule(rest: &str, pattern: bool) -> Result<Rule, String> {
    let (access, filter) = match rest.split_once(char::is_whitespace) {
        Some(("read", f)) => (Access::Read, f),
        Some(("write", f)) => (Access::Write, f),
        Some(("readwrite", f)) => (Access::ReadWrite, f),
        Some(("deny", f)) => (Access::Deny, f),
        _ => (Access::ReadWrite, rest),
    };
    let filter = filter.trim();
    crate::mqtt::TopicFilter::validate(filter, &crate::mqtt::TopicLimits::PROTOCOL)
        .map_err(|e| format!("bad topic filter {filter:?}: {e}"))?;
    Ok(Rule {
        access,
        filter: filter.to_owned(),
        pattern,
    })
}

/// Whether every topic matched by `filter` is also matched by `rule`.
fn covers(rule: &str, filter: &str) -> bool {
    let mut rule_levels = rule.split('/');
    let mut filter_levels = filter.split('/');
    loop {
        match (rule_levels.next(), filter_levels.next()) {
            (Some("#"), _) => return true,
            (Some(_), Some("#")) => return false,
            (Some("+"), Some(_)) => {}
            (Some(r), Some(f)) if r == f => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_mosquitto_passwd_hashes() {
        // Made with: mosquitto_passwd -c -b pw alice secret
        let file = "alice:$7$101$JgGc7koM9VbNOMl0$jQrqQ5h7bcQi7xI3cEcvXiteju5FB56BnR6EUihIxT2FctPrihJKKGpRlPUitgS9WR79erVs/RE/U76a+RNYoQ==\n";
        let users = Users::parse(file).expect("parses");
        assert!(users.verify("alice", "secret"));
        assert!(!users.verify("alice", "Secret"));
        assert!(!users.verify("bob", "secret"));
    }

    #[test]
    fn set_round_trips_through_the_file_format() {
        let mut users = Users::default();
        users.set("dev", "p@ss").expect("hash");
        let text = users.to_file_text();
        assert!(text.starts_with("dev:$7$101$"), "{text}");
        let again = Users::parse(&text).expect("parses");
        assert!(again.verify("dev", "p@ss"));
        assert!(!again.verify("dev", "nope"));
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(Users::parse("# c\n\nalice").map_err(|e| e.line), Err(3));
        let plain = Users::parse("bob:plaintext").expect_err("plain text refused");
        assert!(plain.reason.contains("plain-text"), "{plain}");
        assert!(Acl::parse("topic read a/#\nfrobnicate x").is_err_and(|e| e.line == 2));
        assert!(Acl::parse("topic read a/#/b").is_err());
    }

    #[test]
    fn acl_rules() {
        let acl = Acl::parse(
            "topic read public/#\n\
             user alice\n\
             topic readwrite home/#\n\
             topic write cmd/+\n\
             topic deny home/secret\n\
             pattern readwrite devices/%c/#\n",
        )
        .expect("parses");
        // Anonymous clients get the rules before the first user line.
        assert!(acl.can_subscribe(None, "x", "public/news"));
        assert!(!acl.can_publish(None, "x", "public/news"));
        assert!(!acl.can_subscribe(None, "x", "home/#"));
        // Alice.
        assert!(acl.can_subscribe(Some("alice"), "a1", "home/+/temp"));
        assert!(
            !acl.can_subscribe(Some("alice"), "a1", "#"),
            "'#' is wider than home/#"
        );
        assert!(acl.can_publish(Some("alice"), "a1", "cmd/lamp"));
        assert!(!acl.can_subscribe(Some("alice"), "a1", "cmd/lamp"));
        assert!(!acl.can_publish(Some("alice"), "a1", "home/secret"));
        assert!(acl.can_subscribe(Some("alice"), "a1", "home/+"));
        assert!(
            !acl.can_receive(Some("alice"), "a1", "home/secret"),
            "deny holds at delivery"
        );
        assert!(acl.can_receive(Some("alice"), "a1", "home/lamp"));
        // Patterns, for everyone.
        assert!(acl.can_publish(Some("alice"), "a1", "devices/a1/state"));
        assert!(acl.can_publish(None, "cam7", "devices/cam7/state"));
        assert!(!acl.can_publish(None, "cam7", "devices/cam8/state"));
    }
}
