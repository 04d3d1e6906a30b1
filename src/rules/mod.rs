//! Rules: data-driven detectors and port maps that users extend without recompiling.
//!
//! A rule file is TOML with two kinds of tables (docs/rules.md documents the format):
//! - `[[port]]`: which built-in dissector to try first on which TCP/UDP ports;
//! - `[[detector]]`: a regular expression over the reassembled bytes of one direction of
//!   a stream (or over UDP payloads), whose named groups `user` / `secret` (and
//!   `context`) become a finding.
//!
//! The shipped rules (the `rules/` folder of the repository) are compiled into the binary;
//! `--rules DIR` adds a user's folder. Any mistake in a rule (TOML syntax, an unknown
//! field, an invalid regex, a missing group, a duplicate name) is an error that names the
//! file, line and column: a rule is never silently ignored.

mod scan;

pub use scan::StreamRules;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::finding::Kind;
use crate::flow::Direction;

/// The shipped rule files, embedded at build time.
pub const SHIPPED: &[(&str, &str)] = &[
    ("rules/ports.toml", include_str!("../../rules/ports.toml")),
    ("rules/http.toml", include_str!("../../rules/http.toml")),
    (
        "rules/generic.toml",
        include_str!("../../rules/generic.toml"),
    ),
];

/// Bytes of each direction of a stream a detector looks at, unless it says otherwise.
pub const DEFAULT_WINDOW: usize = 64 * 1024;
/// The longest a detector's window may be.
const MAX_WINDOW: usize = 16 << 20;
/// Compiled regexes may not grow beyond this (a hostile rule file must not exhaust memory).
const REGEX_SIZE_LIMIT: usize = 4 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleTransport {
    Tcp,
    Udp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleDirection {
    Client,
    Server,
    Both,
}

impl RuleDirection {
    pub fn matches(self, dir: Direction) -> bool {
        match self {
            RuleDirection::Both => true,
            RuleDirection::Client => dir == Direction::ToServer,
            RuleDirection::Server => dir == Direction::ToClient,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    Cleartext,
    ChallengeResponse,
    Token,
}

impl From<RuleKind> for Kind {
    fn from(k: RuleKind) -> Kind {
        match k {
            RuleKind::Cleartext => Kind::Cleartext,
            RuleKind::ChallengeResponse => Kind::ChallengeResponse,
            RuleKind::Token => Kind::Token,
        }
    }
}

/// A `[[detector]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DetectorToml {
    name: Spanned<String>,
    description: String,
    protocol: Spanned<String>,
    transport: RuleTransport,
    #[serde(default)]
    ports: Option<Vec<u16>>,
    direction: RuleDirection,
    pattern: Spanned<String>,
    kind: RuleKind,
    /// Only on flows whose protocol is one of these ("unknown": no built-in dissector
    /// recognised it). Absent: every flow.
    #[serde(default)]
    on: Option<Vec<Spanned<String>>>,
    /// Bytes of each direction looked at.
    #[serde(default)]
    window: Option<Spanned<usize>>,
    /// Also look at binary streams (by default a direction whose first bytes are not
    /// text is skipped).
    #[serde(default)]
    binary: bool,
    /// Credentials this rule finds are presented again and again: report each once.
    #[serde(default)]
    repeats: bool,
}

/// A `[[port]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PortToml {
    protocol: Spanned<String>,
    transport: RuleTransport,
    ports: Vec<u16>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    detector: Vec<DetectorToml>,
    #[serde(default)]
    port: Vec<PortToml>,
}

/// A detector ready to run.
#[derive(Debug, Clone)]
pub struct Detector {
    pub name: String,
    pub description: String,
    pub protocol: String,
    pub transport: RuleTransport,
    pub ports: Option<Vec<u16>>,
    pub direction: RuleDirection,
    pub kind: RuleKind,
    pub on: Option<Vec<String>>,
    pub window: usize,
    pub binary: bool,
    pub repeats: bool,
    pub regex: Regex,
    pub pattern: String,
    /// Where it was defined (`rules/http.toml`, or a user's path).
    pub source: String,
}

impl Detector {
    /// Whether this detector runs on a flow with this server port and protocol.
    pub fn applies(
        &self,
        transport: RuleTransport,
        server_port: u16,
        protocol: Option<&str>,
    ) -> bool {
        self.transport == transport
            && self.ports.as_ref().is_none_or(|p| p.contains(&server_port))
            && self
                .on
                .as_ref()
                .is_none_or(|on| on.iter().any(|p| p == protocol.unwrap_or("unknown")))
    }
}

/// A port map entry: try `protocol` first on these ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRule {
    pub protocol: String,
    pub transport: RuleTransport,
    pub ports: Vec<u16>,
    pub source: String,
}

/// Every loaded rule. A clone shares the compiled patterns and has matching caches of its
/// own (see [`crate::pipeline`]'s workers).
#[derive(Clone, Debug)]
pub struct RuleSet {
    pub detectors: Vec<Detector>,
    pub ports: Vec<PortRule>,
    /// All TCP (then UDP) detector patterns in one set: one pass finds which match.
    tcp_set: RegexSet,
    udp_set: RegexSet,
    tcp_index: Vec<usize>,
    udp_index: Vec<usize>,
}

/// A rule that cannot be loaded: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn error_at(file: &str, text: &str, offset: usize, message: impl Into<String>) -> RuleError {
    let (line, column) = line_column(text, offset);
    RuleError {
        file: file.to_string(),
        line,
        column,
        message: message.into(),
    }
}

/// Names of the built-in dissectors a port map may name, per transport.
#[derive(Debug, Clone, Default)]
pub struct KnownProtocols {
    pub tcp: Vec<&'static str>,
    pub udp: Vec<&'static str>,
}

/// Parses and validates one rule file.
pub fn parse_file(
    file: &str,
    text: &str,
    known: &KnownProtocols,
) -> Result<(Vec<Detector>, Vec<PortRule>), RuleError> {
    let parsed: FileToml = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        error_at(file, text, offset, e.message().to_string())
    })?;
    let mut detectors = Vec::new();
    for d in parsed.detector {
        let at = |s: &std::ops::Range<usize>| s.start;
        let name = d.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(error_at(
                file,
                text,
                at(&d.name.span()),
                "a detector needs a name",
            ));
        }
        let protocol = d.protocol.get_ref().trim().to_ascii_lowercase();
        if protocol.is_empty()
            || !protocol
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(error_at(
                file,
                text,
                at(&d.protocol.span()),
                format!("protocol {protocol:?}: use letters, digits, '-' and '_'"),
            ));
        }
        let pattern = d.pattern.get_ref();
        let regex = RegexBuilder::new(pattern)
            .unicode(false)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| {
                error_at(
                    file,
                    text,
                    at(&d.pattern.span()),
                    format!("detector {name:?}: invalid pattern: {e}"),
                )
            })?;
        let groups: HashSet<&str> = regex.capture_names().flatten().collect();
        if let Some(unknown) = groups
            .iter()
            .find(|g| !["user", "secret", "context"].contains(g))
        {
            return Err(error_at(
                file,
                text,
                at(&d.pattern.span()),
                format!("detector {name:?}: unknown group {unknown:?} (use user, secret, context)"),
            ));
        }
        if !groups.contains("secret") && !groups.contains("user") {
            return Err(error_at(
                file,
                text,
                at(&d.pattern.span()),
                format!(
                    "detector {name:?}: the pattern needs a named group (?P<secret>...) or (?P<user>...)"
                ),
            ));
        }
        if d.kind != RuleKind::Token && !groups.contains("secret") {
            return Err(error_at(
                file,
                text,
                at(&d.pattern.span()),
                format!(
                    "detector {name:?}: a {:?} detector needs a (?P<secret>...) group",
                    d.kind
                ),
            ));
        }
        let window = match &d.window {
            Some(w) if *w.get_ref() == 0 || *w.get_ref() > MAX_WINDOW => {
                return Err(error_at(
                    file,
                    text,
                    at(&w.span()),
                    format!("window must be between 1 and {MAX_WINDOW} bytes"),
                ));
            }
            Some(w) => *w.get_ref(),
            None => DEFAULT_WINDOW,
        };
        let on = d.on.as_ref().map(|list| {
            list.iter()
                .map(|p| p.get_ref().to_ascii_lowercase())
                .collect()
        });
        detectors.push(Detector {
            name,
            description: d.description,
            protocol,
            transport: d.transport,
            ports: d.ports,
            direction: d.direction,
            kind: d.kind,
            on,
            window,
            binary: d.binary,
            repeats: d.repeats,
            pattern: pattern.clone(),
            regex,
            source: file.to_string(),
        });
    }
    let mut ports = Vec::new();
    for p in parsed.port {
        let protocol = p.protocol.get_ref().trim().to_ascii_lowercase();
        let names = match p.transport {
            RuleTransport::Tcp => &known.tcp,
            RuleTransport::Udp => &known.udp,
        };
        if !names.contains(&protocol.as_str()) {
            return Err(error_at(
                file,
                text,
                p.protocol.span().start,
                format!(
                    "no built-in {:?} dissector is named {protocol:?} (known: {})",
                    p.transport,
                    names.join(", ")
                ),
            ));
        }
        ports.push(PortRule {
            protocol,
            transport: p.transport,
            ports: p.ports,
            source: file.to_string(),
        });
    }
    Ok((detectors, ports))
}

/// The `.toml` files of a folder, sorted.
fn rule_files(dir: &Path) -> Result<Vec<PathBuf>, RuleError> {
    let entries = std::fs::read_dir(dir).map_err(|e| RuleError {
        file: dir.display().to_string(),
        line: 0,
        column: 0,
        message: format!("cannot read the rules folder: {e}"),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

impl RuleSet {
    /// Loads the shipped rules (unless `shipped` is false) and every `.toml` file of
    /// `dirs` (a path to one file is accepted too).
    pub fn load(
        dirs: &[PathBuf],
        shipped: bool,
        known: &KnownProtocols,
    ) -> Result<RuleSet, RuleError> {
        let mut sources: Vec<(String, String)> = Vec::new();
        if shipped {
            sources.extend(SHIPPED.iter().map(|(n, t)| (n.to_string(), t.to_string())));
        }
        for dir in dirs {
            let files = if dir.is_file() {
                vec![dir.clone()]
            } else {
                rule_files(dir)?
            };
            for f in files {
                let text = std::fs::read_to_string(&f).map_err(|e| RuleError {
                    file: f.display().to_string(),
                    line: 0,
                    column: 0,
                    message: format!("cannot read: {e}"),
                })?;
                sources.push((f.display().to_string(), text));
            }
        }
        let mut detectors = Vec::new();
        let mut ports = Vec::new();
        let mut names: HashSet<String> = HashSet::new();
        for (file, text) in &sources {
            let (d, p) = parse_file(file, text, known)?;
            for det in &d {
                if !names.insert(det.name.clone()) {
                    let offset = text.find(&format!("\"{}\"", det.name)).unwrap_or(0);
                    return Err(error_at(
                        file,
                        text,
                        offset,
                        format!("detector name {:?} is already used", det.name),
                    ));
                }
            }
            detectors.extend(d);
            ports.extend(p);
        }
        RuleSet::new(detectors, ports)
    }

    /// Builds the combined regex sets.
    pub fn new(detectors: Vec<Detector>, ports: Vec<PortRule>) -> Result<RuleSet, RuleError> {
        let pick = |t: RuleTransport| -> Vec<usize> {
            detectors
                .iter()
                .enumerate()
                .filter(|(_, d)| d.transport == t)
                .map(|(i, _)| i)
                .collect()
        };
        let tcp_index = pick(RuleTransport::Tcp);
        let udp_index = pick(RuleTransport::Udp);
        let build = |index: &[usize]| {
            RegexSetBuilder::new(index.iter().map(|&i| detectors[i].pattern.as_str()))
                .unicode(false)
                .size_limit(REGEX_SIZE_LIMIT * 4)
                .build()
                .map_err(|e| RuleError {
                    file: "rules".into(),
                    line: 0,
                    column: 0,
                    message: format!("the detectors together are too large to compile: {e}"),
                })
        };
        Ok(RuleSet {
            tcp_set: build(&tcp_index)?,
            udp_set: build(&udp_index)?,
            tcp_index,
            udp_index,
            detectors,
            ports,
        })
    }

    /// No rules at all.
    pub fn empty() -> RuleSet {
        RuleSet::new(Vec::new(), Vec::new()).unwrap_or_else(|_| unreachable_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.detectors.is_empty()
    }

    /// The combined set and the detector index of each of its patterns.
    pub(crate) fn set(&self, t: RuleTransport) -> (&RegexSet, &[usize]) {
        match t {
            RuleTransport::Tcp => (&self.tcp_set, &self.tcp_index),
            RuleTransport::Udp => (&self.udp_set, &self.udp_index),
        }
    }
}

/// An empty set always compiles; this is never reached.
fn unreachable_empty() -> RuleSet {
    RuleSet {
        detectors: Vec::new(),
        ports: Vec::new(),
        tcp_set: RegexSet::empty(),
        udp_set: RegexSet::empty(),
        tcp_index: Vec::new(),
        udp_index: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> KnownProtocols {
        KnownProtocols {
            tcp: vec!["ftp", "pop3", "imap", "telnet", "http"],
            udp: vec!["snmp"],
        }
    }

    const GOOD: &str = r#"
[[detector]]
name = "acme-login"
description = "ACME inventory client sends LOGIN <user> <password> in clear"
protocol = "acme"
transport = "tcp"
ports = [7777]
direction = "client"
pattern = '(?m)^LOGIN (?P<user>\S+) (?P<secret>\S+)\r?$'
kind = "cleartext"

[[port]]
protocol = "ftp"
transport = "tcp"
ports = [2121, 8021]
"#;

    #[test]
    fn the_documented_example_loads() {
        let (d, p) = parse_file("acme.toml", GOOD, &known()).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].name, "acme-login");
        assert_eq!(d[0].window, DEFAULT_WINDOW);
        assert!(d[0].applies(RuleTransport::Tcp, 7777, None));
        assert!(!d[0].applies(RuleTransport::Tcp, 7778, None));
        assert_eq!(p[0].ports, vec![2121, 8021]);
    }

    #[test]
    fn shipped_rules_load() {
        let set = RuleSet::load(&[], true, &known()).unwrap();
        let names: Vec<&str> = set.detectors.iter().map(|d| d.name.as_str()).collect();
        for want in [
            "http-query-secret",
            "http-api-key-header",
            "http-bearer-token",
            "aws-access-key",
            "generic-password-field",
        ] {
            assert!(names.contains(&want), "{names:?}");
        }
        assert!(
            set.ports
                .iter()
                .any(|p| p.protocol == "ftp" && p.ports.contains(&2121))
        );
    }

    fn err(text: &str) -> RuleError {
        parse_file("bad.toml", text, &known()).unwrap_err()
    }

    #[test]
    fn errors_name_file_line_column_and_what() {
        let e = err("[[detector]]\nname = \"x\"\nnope = 1\n");
        assert_eq!(
            (e.file.as_str(), e.line, e.column),
            ("bad.toml", 3, 1),
            "{e}"
        );
        assert!(e.message.contains("unknown field `nope`"), "{e}");

        let e = err(&GOOD.replace("(?P<secret>\\S+)", "(?P<secret>\\S+"));
        assert_eq!(e.line, 9, "{e}");
        assert_eq!(e.column, 11, "{e}");
        assert!(
            e.message.contains("acme-login") && e.message.contains("invalid pattern"),
            "{e}"
        );

        let e = err(&GOOD.replace("(?P<secret>\\S+)", "(\\S+)"));
        assert!(e.message.contains("needs a (?P<secret>...) group"), "{e}");

        let e = err(&GOOD.replace("(?P<secret>\\S+)", "(?P<password>\\S+)"));
        assert!(e.message.contains("unknown group \"password\""), "{e}");

        let e = err(&GOOD.replace(
            "transport = \"tcp\"\nports = [7777]",
            "transport = \"sctp\"\nports = [7777]",
        ));
        assert!(e.message.contains("unknown variant `sctp`"), "{e}");
        assert_eq!(e.line, 6, "{e}");

        let e = err(&GOOD.replace("protocol = \"ftp\"", "protocol = \"gopher\""));
        assert!(
            e.message
                .contains("no built-in Tcp dissector is named \"gopher\""),
            "{e}"
        );
        assert_eq!(e.line, 13, "{e}");

        let e = err("[[detector]\n");
        assert_eq!(e.line, 1, "{e}");
    }

    #[test]
    fn duplicate_names_are_refused() {
        let dir = std::env::temp_dir().join(format!("plainsight-rules-dup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.toml"), GOOD).unwrap();
        std::fs::write(dir.join("b.toml"), GOOD).unwrap();
        let e = RuleSet::load(std::slice::from_ref(&dir), false, &known()).unwrap_err();
        assert!(
            e.file.ends_with("b.toml") && e.message.contains("already used"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
