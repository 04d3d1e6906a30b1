//! The audit summary at the end of every scan or capture: what was read, per protocol
//! what was found, which servers took cleartext logins (user names and outcomes, never
//! secrets), and every counter of something dropped or capped. As text for people, or as
//! one stable JSON document (`--summary json`, documented in docs/summary.md).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::BuildHasher;
use std::io::{self, Write};
use std::time::Duration;

use serde_json::{Value, json};

use super::strength::Strength;
use super::style::{Style, sgr};
use super::{printable, short_time};
use crate::capture::KernelStats;
use crate::engine::Stats;
use crate::finding::{Endpoint, Finding, Kind, Outcome};

/// The version of the JSON summary's schema (`"schema"`): raised only when a field
/// changes meaning; fields are only ever added.
pub const SCHEMA: &str = "plainsight-summary/1";

/// Distinct accounts and servers remembered per protocol (for the distinct counts).
const MAX_DISTINCT: usize = 1 << 18;
/// Servers listed with their cleartext logins, and accounts listed per server.
const MAX_SERVERS: usize = 4096;
const MAX_ACCOUNTS: usize = 256;
/// What the text summary shows of those.
const TEXT_SERVERS: usize = 20;
const TEXT_ACCOUNTS: usize = 8;

fn outcome_index(o: Outcome) -> usize {
    match o {
        Outcome::Success => 0,
        Outcome::Failure => 1,
        Outcome::Unknown => 2,
    }
}

const OUTCOMES: [&str; 3] = ["success", "failure", "unknown"];

/// Findings of one protocol.
#[derive(Debug, Default)]
struct ProtocolAudit {
    logins: u64,
    cleartext: u64,
    challenge_response: u64,
    token: u64,
    outcomes: [u64; 3],
    accounts: HashSet<u64, foldhash::fast::RandomState>,
    servers: HashSet<u64, foldhash::fast::RandomState>,
    /// The distinct sets reached their cap: the counts are lower bounds.
    capped: bool,
    weakest: Option<u8>,
}

/// One account's cleartext logins on one server.
#[derive(Debug, Default)]
struct AccountAudit {
    logins: u64,
    outcomes: [u64; 3],
    weakest: Option<u8>,
    mechanisms: BTreeSet<String>,
}

/// The account a login was for: domain and user name (absent for an SNMP community).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Account {
    domain: Option<Vec<u8>>,
    user: Option<Vec<u8>>,
}

impl Account {
    fn text(&self) -> String {
        match (&self.domain, &self.user) {
            (Some(d), Some(u)) => format!("{}\\{}", printable(d), printable(u)),
            (None, Some(u)) => printable(u),
            (_, None) => "(no user name)".to_string(),
        }
    }
}

#[derive(Debug, Default)]
struct ServerAudit {
    accounts: BTreeMap<Account, AccountAudit>,
    more_accounts: u64,
}

/// Everything the summary says about the findings, gathered as they are written.
#[derive(Debug, Default)]
pub struct Audit {
    protocols: BTreeMap<String, ProtocolAudit>,
    /// Servers that took cleartext logins, by (server, protocol).
    servers: BTreeMap<(Endpoint, String), ServerAudit>,
    more_servers: u64,
    findings: u64,
}

fn min_score(a: Option<u8>, b: Option<u8>) -> Option<u8> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl Audit {
    /// Counts a finding as written (after the Reporter, before `--dedup`).
    pub fn add(&mut self, f: &Finding, strength: Option<Strength>) {
        let c = &f.credential;
        self.findings += 1;
        let p = self.protocols.entry(c.protocol.to_string()).or_default();
        p.logins += 1;
        match c.kind {
            Kind::Cleartext => p.cleartext += 1,
            Kind::ChallengeResponse => p.challenge_response += 1,
            Kind::Token => p.token += 1,
        }
        p.outcomes[outcome_index(c.outcome)] += 1;
        let hasher = foldhash::fast::FixedState::with_seed(0xa0d1);
        if p.accounts.len() < MAX_DISTINCT && p.servers.len() < MAX_DISTINCT {
            p.accounts
                .insert(hasher.hash_one((f.server.ip, f.server.mac, &c.domain, &c.username)));
            p.servers.insert(hasher.hash_one(f.server));
        } else {
            p.capped = true;
        }
        let score = strength.map(|s| s.score);
        p.weakest = min_score(p.weakest, score);
        if c.kind != Kind::Cleartext {
            return;
        }
        let key = (f.server, c.protocol.to_string());
        if !self.servers.contains_key(&key) && self.servers.len() >= MAX_SERVERS {
            self.more_servers += 1;
            return;
        }
        let server = self.servers.entry(key).or_default();
        let account = Account {
            domain: c.domain.clone(),
            user: c.username.clone(),
        };
        if !server.accounts.contains_key(&account) && server.accounts.len() >= MAX_ACCOUNTS {
            server.more_accounts += 1;
            return;
        }
        let a = server.accounts.entry(account).or_default();
        a.logins += 1;
        a.outcomes[outcome_index(c.outcome)] += 1;
        a.weakest = min_score(a.weakest, score);
        if a.mechanisms.len() < 8 {
            a.mechanisms.insert(c.mechanism.to_string());
        }
    }

    /// Findings counted.
    pub fn findings(&self) -> u64 {
        self.findings
    }
}

/// What the summary reports besides the findings.
#[derive(Debug, Clone, Copy)]
pub struct Totals<'a> {
    /// `scan` or `live`.
    pub command: &'static str,
    pub stats: &'a Stats,
    pub inputs: usize,
    /// Inputs that could not be read (wholly or in part).
    pub failed: usize,
    pub elapsed: Duration,
    /// Records written (fewer than the findings with `--dedup`).
    pub written: u64,
    /// Findings merged into another record by `--dedup`.
    pub collapsed: u64,
    pub kernel: Option<KernelStats>,
}

/// Every counter of something unusual, dropped or capped: JSON key, words, value.
fn counters(t: &Totals<'_>) -> Vec<(&'static str, &'static str, u64)> {
    let stats = t.stats;
    let r = &stats.reassembly;
    let f = &stats.defrag;
    vec![
        (
            "bad_tcp_checksums",
            "bad TCP checksums (kept)",
            stats.bad_tcp_checksums,
        ),
        ("malformed_packets", "malformed packets", stats.malformed),
        (
            "unsupported_link_type_packets",
            "packets of unsupported link types",
            stats.unsupported_linktype,
        ),
        ("ip_fragments", "IP fragments", f.fragments),
        (
            "ip_datagrams_reassembled",
            "IP datagrams reassembled",
            f.reassembled,
        ),
        (
            "ip_datagrams_timed_out",
            "incomplete IP datagrams timed out",
            f.timed_out,
        ),
        (
            "ip_datagrams_capped",
            "incomplete IP datagrams dropped (fragment caps)",
            f.capped,
        ),
        ("ip_fragments_invalid", "invalid IP fragments", f.invalid),
        (
            "ip_fragment_conflicts",
            "overlapping IP fragments that disagreed (first copy kept)",
            f.conflicts,
        ),
        ("tcp_gaps", "gaps in TCP streams", r.gaps),
        (
            "tcp_gap_bytes",
            "bytes missing from TCP streams",
            r.gap_bytes,
        ),
        ("tcp_out_of_order", "out-of-order segments", r.out_of_order),
        (
            "tcp_retransmitted",
            "retransmitted segments",
            r.retransmitted,
        ),
        (
            "tcp_conflicts",
            "overlapping segments that disagreed (first copy kept)",
            r.conflicts,
        ),
        (
            "tcp_out_of_window",
            "segments outside the window",
            r.out_of_window,
        ),
        (
            "flows_evicted",
            "flows evicted (flow table full)",
            stats.flows_evicted,
        ),
        ("flows_expired", "idle flows expired", stats.flows_expired),
        (
            "closed_forgotten",
            "ended connections forgotten early (their table full)",
            stats.closed_forgotten,
        ),
        (
            "inspection_capped",
            "flows no longer inspected (inspection cap)",
            stats.inspect_capped,
        ),
        (
            "total_buffer_capped",
            "holes skipped (total buffer cap)",
            stats.total_buffer_capped,
        ),
        (
            "app_memory_capped",
            "flows no longer inspected (memory cap)",
            stats.app_memory_capped,
        ),
        (
            "lines_too_long",
            "lines skipped (longer than the line cap)",
            stats.lines_too_long,
        ),
        (
            "evidence_capped",
            "packets not kept for the explain view or evidence (memory cap)",
            stats.evidence_capped,
        ),
        (
            "repeats",
            "repeated credentials reported once",
            stats.repeats,
        ),
        (
            "dedup_merged",
            "repeated logins merged (--dedup)",
            t.collapsed,
        ),
    ]
}

/// Per protocol: sessions (from the engine) and what the findings say.
struct ProtocolRow<'a> {
    name: &'a str,
    sessions: u64,
    audit: Option<&'a ProtocolAudit>,
}

fn protocol_rows<'a>(stats: &Stats, audit: &'a Audit) -> Vec<ProtocolRow<'a>> {
    let mut names: BTreeSet<&str> = audit.protocols.keys().map(String::as_str).collect();
    names.extend(stats.sessions.iter().map(|(n, _)| n));
    names
        .into_iter()
        .map(|name| ProtocolRow {
            name,
            sessions: stats.sessions.get(name),
            audit: audit.protocols.get(name),
        })
        .collect()
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn outcomes_text(o: &[u64; 3]) -> String {
    let parts: Vec<String> = o
        .iter()
        .zip(OUTCOMES)
        .filter(|(n, _)| **n > 0)
        .map(|(n, w)| {
            if *n == 1 {
                w.to_string()
            } else {
                format!("{n}× {w}")
            }
        })
        .collect();
    parts.join(", ")
}

/// The text summary, for people (standard error by default).
pub fn write_text(
    w: &mut dyn Write,
    t: &Totals<'_>,
    audit: &Audit,
    style: Style,
) -> io::Result<()> {
    let stats = t.stats;
    let secs = t.elapsed.as_secs_f64();
    let mut first = format!(
        "plainsight: {}{}, {} packets, {}, {}",
        plural(t.inputs as u64, "input", "inputs"),
        if t.failed > 0 {
            format!(" ({} with errors)", t.failed)
        } else {
            String::new()
        },
        stats.packets,
        human_bytes(stats.bytes),
        plural(stats.flows, "TCP flow", "TCP flows"),
    );
    if stats.udp_flows > 0 {
        first.push_str(&format!(", {} UDP conversations", stats.udp_flows));
    }
    first.push_str(&format!(
        ", {} in {:.2}s",
        plural(stats.findings, "finding", "findings"),
        secs
    ));
    if secs > 0.05 && stats.bytes > 0 {
        first.push_str(&format!(
            " ({}/s)",
            human_bytes((stats.bytes as f64 / secs) as u64)
        ));
    }
    writeln!(w, "{}", style.paint(&first, sgr::BOLD))?;
    if stats.first_ts != crate::timestamp::Timestamp::ZERO {
        let span = stats.last_ts.secs_since(stats.first_ts) as f64
            + (f64::from(stats.last_ts.nanos) - f64::from(stats.first_ts.nanos)) / 1e9;
        writeln!(
            w,
            "  capture from {} to {} UTC ({:.1}s)",
            short_time(stats.first_ts),
            short_time(stats.last_ts),
            span.max(0.0)
        )?;
    }
    let rows = protocol_rows(stats, audit);
    if !rows.is_empty() {
        let head = format!(
            "  {:<10} {:>8} {:>7} {:>10} {:>10} {:>6} {:>8} {:>8} {:>9} {:>8}",
            "protocol",
            "sessions",
            "logins",
            "cleartext",
            "challenge",
            "token",
            "success",
            "failure",
            "accounts",
            "servers"
        );
        writeln!(w, "{}", style.paint(&head, sgr::DIM))?;
        for r in &rows {
            let a = r.audit;
            let n = |f: fn(&ProtocolAudit) -> u64| a.map_or(0, f);
            let distinct = |f: fn(&ProtocolAudit) -> usize| {
                a.map_or("0".to_string(), |p| {
                    format!("{}{}", f(p), if p.capped { "+" } else { "" })
                })
            };
            let cleartext = n(|p| p.cleartext);
            let name = format!("{:<10}", r.name);
            let cleartext_text = format!("{cleartext:>10}");
            writeln!(
                w,
                "  {} {:>8} {:>7} {} {:>10} {:>6} {:>8} {:>8} {:>9} {:>8}",
                style.paint(&name, sgr::BOLD_CYAN),
                r.sessions,
                n(|p| p.logins),
                if cleartext > 0 {
                    style.paint(&cleartext_text, sgr::BOLD_RED)
                } else {
                    cleartext_text.into()
                },
                n(|p| p.challenge_response),
                n(|p| p.token),
                n(|p| p.outcomes[0]),
                n(|p| p.outcomes[1]),
                distinct(|p| p.accounts.len()),
                distinct(|p| p.servers.len()),
            )?;
        }
    }
    if !audit.servers.is_empty() {
        writeln!(
            w,
            "  {}",
            style.paint(
                "servers that took cleartext logins (accounts and outcomes; no secrets):",
                sgr::BOLD
            )
        )?;
        let width = audit
            .servers
            .keys()
            .take(TEXT_SERVERS)
            .map(|(s, _)| s.to_string().len())
            .max()
            .unwrap_or(0);
        for ((server, protocol), s) in audit.servers.iter().take(TEXT_SERVERS) {
            let accounts: Vec<String> = s
                .accounts
                .iter()
                .take(TEXT_ACCOUNTS)
                .map(|(acct, a)| {
                    let mut t = format!(
                        "{} ({}",
                        style.paint(&acct.text(), sgr::BOLD),
                        outcomes_text(&a.outcomes)
                    );
                    if let Some(score) = a.weakest {
                        t.push_str(&format!("; strength {score}/4"));
                    }
                    t.push(')');
                    t
                })
                .collect();
            let more = (s.accounts.len().saturating_sub(TEXT_ACCOUNTS)) as u64 + s.more_accounts;
            let mut line = format!(
                "    {:<width$}  {:<8} {}",
                server.to_string(),
                protocol,
                accounts.join(", ")
            );
            if more > 0 {
                line.push_str(&format!(", and {more} more"));
            }
            writeln!(w, "{line}")?;
        }
        let more = audit.servers.len().saturating_sub(TEXT_SERVERS) as u64 + audit.more_servers;
        if more > 0 {
            writeln!(
                w,
                "    … and {} (all of them in --summary json)",
                plural(more, "more server", "more servers")
            )?;
        }
    }
    let shown: Vec<String> = counters(t)
        .iter()
        .filter(|(_, _, n)| *n > 0)
        .map(|(_, what, n)| format!("{n} {what}"))
        .collect();
    if !shown.is_empty() {
        writeln!(w, "plainsight: {}", shown.join(", "))?;
    }
    if let Some(k) = t.kernel {
        writeln!(
            w,
            "plainsight: kernel: {} packets received by the filter, {} dropped by the kernel, {} dropped by the interface",
            k.received, k.dropped, k.if_dropped
        )?;
    }
    Ok(())
}

fn endpoint_json(e: &Endpoint) -> Value {
    match &e.mac {
        Some(mac) => json!({"mac": crate::finding::mac_string(mac)}),
        None => json!({"ip": e.ip.to_string(), "port": e.port}),
    }
}

fn bytes_json(key: &str, bytes: &[u8], m: &mut serde_json::Map<String, Value>) {
    m.insert(
        key.to_string(),
        Value::String(crate::finding::display_bytes(bytes).into_owned()),
    );
    if std::str::from_utf8(bytes).is_err() {
        m.insert(
            format!("{key}_hex"),
            Value::String(crate::finding::hex(bytes)),
        );
    }
}

/// The summary as one JSON document (docs/summary.md), for a SIEM.
pub fn to_json(t: &Totals<'_>, audit: &Audit) -> Value {
    let stats = t.stats;
    let secs = t.elapsed.as_secs_f64();
    let capture = (stats.first_ts != crate::timestamp::Timestamp::ZERO).then(|| {
        json!({
            "first": stats.first_ts.to_string(),
            "last": stats.last_ts.to_string(),
        })
    });
    let protocols: Vec<Value> = protocol_rows(stats, audit)
        .iter()
        .map(|r| {
            let a = r.audit;
            let n = |f: fn(&ProtocolAudit) -> u64| a.map_or(0, f);
            json!({
                "protocol": r.name,
                "sessions": r.sessions,
                "logins": n(|p| p.logins),
                "cleartext": n(|p| p.cleartext),
                "challenge_response": n(|p| p.challenge_response),
                "token": n(|p| p.token),
                "success": n(|p| p.outcomes[0]),
                "failure": n(|p| p.outcomes[1]),
                "unknown": n(|p| p.outcomes[2]),
                "accounts": a.map_or(0, |p| p.accounts.len()),
                "servers": a.map_or(0, |p| p.servers.len()),
                "distinct_capped": a.is_some_and(|p| p.capped),
                "weakest_strength": a.and_then(|p| p.weakest),
            })
        })
        .collect();
    let servers: Vec<Value> = audit
        .servers
        .iter()
        .map(|((server, protocol), s)| {
            let accounts: Vec<Value> = s
                .accounts
                .iter()
                .map(|(acct, a)| {
                    let mut m = serde_json::Map::new();
                    if let Some(d) = &acct.domain {
                        bytes_json("domain", d, &mut m);
                    }
                    match &acct.user {
                        Some(u) => bytes_json("username", u, &mut m),
                        None => {
                            m.insert("username".into(), Value::Null);
                        }
                    }
                    m.insert("logins".into(), a.logins.into());
                    m.insert("success".into(), a.outcomes[0].into());
                    m.insert("failure".into(), a.outcomes[1].into());
                    m.insert("unknown".into(), a.outcomes[2].into());
                    m.insert(
                        "mechanisms".into(),
                        a.mechanisms.iter().cloned().collect::<Vec<_>>().into(),
                    );
                    m.insert(
                        "weakest_strength".into(),
                        a.weakest.map_or(Value::Null, Value::from),
                    );
                    Value::Object(m)
                })
                .collect();
            json!({
                "protocol": protocol,
                "server": endpoint_json(server),
                "accounts": accounts,
                "more_accounts": s.more_accounts,
            })
        })
        .collect();
    let counters: serde_json::Map<String, Value> = counters(t)
        .into_iter()
        .map(|(k, _, n)| (k.to_string(), Value::from(n)))
        .collect();
    let mut doc = json!({
        "schema": SCHEMA,
        "tool": {"name": "plainsight", "version": env!("CARGO_PKG_VERSION")},
        "command": t.command,
        "inputs": t.inputs,
        "inputs_failed": t.failed,
        "elapsed_seconds": (secs * 1000.0).round() / 1000.0,
        "packets": stats.packets,
        "bytes": stats.bytes,
        "throughput_bytes_per_second": if secs > 0.0 { (stats.bytes as f64 / secs).round() as u64 } else { 0 },
        "tcp_flows": stats.flows,
        "udp_conversations": stats.udp_flows,
        "capture": capture,
        "findings": stats.findings,
        "records_written": t.written,
        "protocols": protocols,
        "cleartext_servers": servers,
        "more_cleartext_servers": audit.more_servers,
        "counters": counters,
    });
    if let (Some(k), Some(m)) = (t.kernel, doc.as_object_mut()) {
        m.insert(
            "kernel".into(),
            json!({"received": k.received, "dropped": k.dropped, "if_dropped": k.if_dropped}),
        );
    }
    doc
}

/// The JSON summary on one line.
pub fn write_json(w: &mut dyn Write, t: &Totals<'_>, audit: &Audit) -> io::Result<()> {
    serde_json::to_writer(&mut *w, &to_json(t, audit))?;
    writeln!(w)
}

/// `812 B`, `3.4 KB`, `12.0 MB`, `1.2 GB` (powers of 1000, as network tools count).
pub fn human_bytes(n: u64) -> String {
    let f = n as f64;
    if n < 1000 {
        format!("{n} B")
    } else if f < 1e6 {
        format!("{:.1} KB", f / 1e3)
    } else if f < 1e9 {
        format!("{:.1} MB", f / 1e6)
    } else {
        format!("{:.2} GB", f / 1e9)
    }
}
