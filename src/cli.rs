//! Command-line definition (clap) and its validation.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::dissect::DissectorConfig;
use crate::engine::Limits;
pub use crate::output::ColorWhen;

#[derive(Debug, Parser)]
#[command(
    name = "plainsight",
    version,
    about = "Finds credentials that cross the network in cleartext, in captures or live traffic.",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan capture files (pcap, pcapng), directories of them, or standard input (`-`).
    Scan(ScanArgs),
    /// Watch a network interface, as tcpdump does, and report logins as they happen.
    Live(LiveArgs),
    /// Check or list the rules (data-driven detectors and port maps).
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print a shell completion script, e.g. `plainsight completions bash >
    /// /etc/bash_completion.d/plainsight`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `plainsight man | man -l -`; `--dir DIR` writes
    /// one page per command into DIR.
    Man {
        /// Write plainsight.1 and one page per subcommand into this folder.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate rule folders (and the shipped rules); report the first mistake with its
    /// file, line and column.
    Check {
        /// Folders (or files) of rules to check.
        #[arg(value_name = "DIR")]
        dirs: Vec<PathBuf>,
        #[arg(long)]
        no_default_rules: bool,
    },
    /// List every rule that would be loaded, with where it comes from.
    List(RuleArgs),
}

/// Which rules a scan uses.
#[derive(Debug, Clone, clap::Args)]
pub struct RuleArgs {
    /// Add the rules of this folder (every `.toml` file in it; repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,

    /// Leave out the rules shipped with plainsight.
    #[arg(long)]
    pub no_default_rules: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `text` on a terminal, `jsonl` otherwise.
    Auto,
    /// One readable line per finding.
    Text,
    /// One JSON object per line (see docs/findings.md).
    Jsonl,
    /// The classroom view: the packets that carried each credential as `tcpdump -x`
    /// shows them, the credential's bytes marked, and what to use instead. Secrets are
    /// blanked in the dump unless --reveal.
    Explain,
}

/// What the end-of-scan summary looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// Lines for people.
    Text,
    /// One JSON document (see docs/summary.md).
    Json,
    /// No summary.
    None,
}

/// Where findings go and how they look.
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,

    /// Print secrets. Without it, secrets (and hashes) are left out of the output.
    #[arg(long)]
    pub reveal: bool,

    /// Write findings to FILE (mode 0600) instead of standard output. `scan` replaces the
    /// file; `live` appends to it and reopens it on SIGHUP (log rotation).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Do not print the summary, nor the progress bar, on standard error.
    #[arg(short, long)]
    pub quiet: bool,

    /// Colour the text and explain views and the summary: auto (on a terminal, unless
    /// NO_COLOR is set), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,

    /// The summary at the end: text, json (one JSON document, see docs/summary.md), none.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = SummaryFormat::Text)]
    pub summary: SummaryFormat,

    /// Write the summary to FILE (mode 0600) instead of standard error.
    #[arg(long, value_name = "FILE")]
    pub summary_file: Option<PathBuf>,

    /// Merge repeats of a credential (same protocol, server, user and secret) into one
    /// finding with count, first_seen and last_seen. The default for text and explain;
    /// JSON Lines default to one finding per login.
    #[arg(long, overrides_with = "no_dedup")]
    pub dedup: bool,

    /// One finding per login, also in the text and explain views.
    #[arg(long, overrides_with = "dedup")]
    pub no_dedup: bool,

    /// No progress bar, even when standard error is a terminal.
    #[arg(long)]
    pub no_progress: bool,

    /// Worker threads (flows are spread over them by a hash of their addresses); 0 means
    /// one per core. If the system refuses some (ulimit -u, a container's pids limit), the
    /// input is read whole on those it starts, with a warning.
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Capture files, directories (scanned for capture files, recursively) or `-` for
    /// standard input.
    #[arg(required = true, value_name = "CAPTURE")]
    pub inputs: Vec<PathBuf>,

    #[command(flatten)]
    pub out: OutputArgs,

    #[command(flatten)]
    pub rules: RuleArgs,

    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, clap::Args)]
pub struct LiveArgs {
    /// The interface to capture on (`any` for all of them on Linux).
    #[arg(
        short,
        long,
        value_name = "IFACE",
        required_unless_present = "list_interfaces"
    )]
    pub interface: Option<String>,

    /// A BPF capture filter in tcpdump's syntax, e.g. `tcp port 21 or port 110`.
    #[arg(value_name = "FILTER", trailing_var_arg = true)]
    pub filter: Vec<String>,

    /// List the interfaces that can be captured on, and exit.
    #[arg(long)]
    pub list_interfaces: bool,

    /// Do not put the interface into promiscuous mode.
    #[arg(long)]
    pub no_promisc: bool,

    /// Bytes captured of each packet.
    #[arg(short, long, value_name = "BYTES", default_value_t = 262_144)]
    pub snaplen: i32,

    /// Kernel capture buffer size (e.g. 64M); raise it when the summary shows drops.
    #[arg(short = 'B', long, value_name = "BYTES", value_parser = parse_bytes)]
    pub buffer_size: Option<usize>,

    /// Stop after COUNT packets.
    #[arg(short, long, value_name = "COUNT")]
    pub count: Option<u64>,

    /// Stop after this long (e.g. 90s, 30m, 8h).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,

    /// After opening the interface, switch to this user (default: nobody, when run as
    /// root), as tcpdump -Z does. `-Z root` keeps root.
    #[arg(short = 'Z', long = "user", value_name = "USER")]
    pub user: Option<String>,

    /// Print capture statistics to standard error every SECONDS.
    #[arg(long, value_name = "SECONDS")]
    pub stats_interval: Option<u64>,

    /// Keep the packets of every flow that produced a finding in this pcap file.
    #[arg(long, value_name = "FILE")]
    pub write_evidence: Option<PathBuf>,

    #[command(flatten)]
    pub out: OutputArgs,

    #[command(flatten)]
    pub rules: RuleArgs,

    #[command(flatten)]
    pub limits: LimitArgs,
}

/// A duration: a number of seconds, or a number with s, m, h or d.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 90s, 30m, 8h)"))?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: unknown unit (use s, m, h or d)")),
    };
    Ok(Duration::from_secs(n.saturating_mul(unit)))
}

/// A byte count with an optional K, M or G suffix (powers of 1024).
pub fn parse_bytes(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a byte count (e.g. 4096, 64K, 256M, 1G)"))?;
    let shift = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => return Err(format!("{text:?}: unknown unit (use K, M or G)")),
    };
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// Caps that bound memory and work; each one that triggers is counted in the summary.
/// `--memory` sets them all from one budget; the others override one cap each.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Memory budget for flows, buffers and fragments; the caps below default to shares
    /// of it (half for the flow table, a quarter for out-of-order data, an eighth for
    /// protocol detection and dissectors, a sixteenth for IP fragments).
    #[arg(long, value_name = "BYTES", default_value = "256M", value_parser = parse_bytes)]
    pub memory: usize,

    /// Most flows tracked at once; the least recently active is evicted beyond it.
    #[arg(long, value_name = "N")]
    pub max_flows: Option<usize>,

    /// Most out-of-order bytes buffered per flow direction.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub max_flow_buffer: Option<usize>,

    /// Most out-of-order bytes buffered over all flows.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub max_total_buffer: Option<usize>,

    /// Most bytes held by protocol detection and dissectors over all flows.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub max_app_memory: Option<usize>,

    /// Bytes of a flow direction inspected without finding a login before the flow is no
    /// longer inspected [default: 1M].
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub max_inspect: Option<usize>,

    /// Longest line a text protocol (FTP, POP3...) buffers; longer lines are skipped
    /// [default: 16K].
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub max_line: Option<usize>,

    /// Most bytes held for incomplete IP datagrams (fragments waiting for the rest).
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub max_fragment_bytes: Option<usize>,

    /// Most incomplete IP datagrams held at once [default: 8192].
    #[arg(long, value_name = "N")]
    pub max_fragment_datagrams: Option<usize>,

    /// Seconds of capture time after which an idle flow is expired [default: 600].
    #[arg(long, value_name = "SECONDS")]
    pub idle_timeout: Option<u64>,

    /// Seconds of capture time an incomplete IP datagram waits for its fragments
    /// [default: 30].
    #[arg(long, value_name = "SECONDS")]
    pub fragment_timeout: Option<u64>,

    /// More HTML form field names that hold a user name, besides the built-in list
    /// (comma-separated, case-insensitive; repeatable).
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        help_heading = "Detection"
    )]
    pub form_user_fields: Vec<String>,

    /// More HTML form field names that hold a password, besides the built-in list
    /// (comma-separated, case-insensitive; repeatable).
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        help_heading = "Detection"
    )]
    pub form_password_fields: Vec<String>,

    /// A RADIUS shared secret (repeatable): PAP passwords of clients using it are shown in
    /// clear, once a server's reply proves the secret is theirs (its Response
    /// Authenticator). Other users of the machine may see command lines: prefer a short-
    /// lived session or a secret already rotated.
    #[arg(long, value_name = "SECRET", help_heading = "Detection")]
    pub radius_secret: Vec<String>,

    /// A TACACS+ key (repeatable): sessions it decrypts show their logins in clear.
    /// Without it, each encrypted connection gives a record to crack the key from
    /// (hashcat 16100).
    #[arg(long, value_name = "KEY", help_heading = "Detection")]
    pub tacacs_key: Vec<String>,
}

/// Secrets given on the command line, for the life of the process.
fn secret_list(given: &[String]) -> &'static [&'static [u8]] {
    if given.is_empty() {
        return &[];
    }
    Box::leak(
        given
            .iter()
            .map(|s| &*Box::leak(s.as_bytes().to_vec().into_boxed_slice()))
            .collect::<Vec<&'static [u8]>>()
            .into_boxed_slice(),
    )
}

/// The built-in field names followed by the user's, for the life of the process.
fn field_list(builtin: &'static [&'static str], extra: &[String]) -> &'static [&'static str] {
    if extra.iter().all(|s| s.trim().is_empty()) {
        return builtin;
    }
    let mut all: Vec<&'static str> = builtin.to_vec();
    for name in extra {
        let name = name.trim().to_ascii_lowercase();
        if !name.is_empty() && !all.iter().any(|b| b.eq_ignore_ascii_case(&name)) {
            all.push(Box::leak(name.into_boxed_str()));
        }
    }
    Box::leak(all.into_boxed_slice())
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        let mut l = Limits::for_memory(self.memory);
        if let Some(n) = self.max_flows {
            l.max_flows = n.max(1);
        }
        if let Some(n) = self.max_flow_buffer {
            l.max_flow_buffer = n;
        }
        if let Some(n) = self.max_total_buffer {
            l.max_total_buffer = n;
        }
        if let Some(n) = self.max_app_memory {
            l.max_app_memory = n;
        }
        if let Some(n) = self.max_inspect {
            l.max_inspect = n as u64;
        }
        let builtin = DissectorConfig::default();
        l.dissector = DissectorConfig {
            max_line: self.max_line.map_or(builtin.max_line, |n| n.max(16)),
            form_user_fields: field_list(builtin.form_user_fields, &self.form_user_fields),
            form_password_fields: field_list(
                builtin.form_password_fields,
                &self.form_password_fields,
            ),
            radius_secrets: secret_list(&self.radius_secret),
            tacacs_keys: secret_list(&self.tacacs_key),
        };
        if let Some(n) = self.max_fragment_bytes {
            l.defrag.max_bytes = n;
        }
        if let Some(n) = self.max_fragment_datagrams {
            l.defrag.max_datagrams = n.max(1);
        }
        if let Some(n) = self.idle_timeout {
            l.idle_timeout = n;
        }
        if let Some(n) = self.fragment_timeout {
            l.defrag.timeout = n;
        }
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("8h"), Ok(Duration::from_secs(28_800)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3w").is_err());
    }

    #[test]
    fn byte_counts() {
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert_eq!(parse_bytes("64K"), Ok(64 << 10));
        assert_eq!(parse_bytes("256M"), Ok(256 << 20));
        assert_eq!(parse_bytes("1GiB"), Ok(1 << 30));
        assert_eq!(parse_bytes("2mb"), Ok(2 << 20));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("5T").is_err());
    }
}
