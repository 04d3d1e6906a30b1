//! Command-line definition and its validation into a [`ScanConfig`].

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::decode::DefragLimits;
use crate::dissect::DissectorConfig;
use crate::engine::Limits;

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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `text` on a terminal, `jsonl` otherwise.
    Auto,
    /// One readable line per finding.
    Text,
    /// One JSON object per line (see docs/findings.md).
    Jsonl,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Capture files, directories (scanned for capture files, recursively) or `-` for
    /// standard input.
    #[arg(required = true, value_name = "CAPTURE")]
    pub inputs: Vec<PathBuf>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,

    /// Print secrets. Without it, secrets (and hashes) are left out of the output.
    #[arg(long)]
    pub reveal: bool,

    /// Write findings to FILE (created with mode 0600) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Do not print the summary on standard error.
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Caps that bound memory and work; each one that triggers is counted in the summary.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Most flows tracked at once; the least recently active is evicted beyond it.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_flows)]
    pub max_flows: usize,

    /// Most out-of-order bytes buffered per flow direction.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_flow_buffer)]
    pub max_flow_buffer: usize,

    /// Most out-of-order bytes buffered over all flows.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_total_buffer)]
    pub max_total_buffer: usize,

    /// Most bytes held by protocol detection and dissectors over all flows.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_app_memory)]
    pub max_app_memory: usize,

    /// Bytes of a flow direction inspected without finding a login before the flow is no
    /// longer inspected.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_inspect)]
    pub max_inspect: u64,

    /// Longest line a text protocol (FTP, POP3...) buffers; longer lines are skipped.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().dissector.max_line)]
    pub max_line: usize,

    /// Most bytes held for incomplete IP datagrams (fragments waiting for the rest).
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().defrag.max_bytes)]
    pub max_fragment_bytes: usize,

    /// Most incomplete IP datagrams held at once.
    #[arg(long, value_name = "N", default_value_t = Limits::default().defrag.max_datagrams)]
    pub max_fragment_datagrams: usize,

    /// Seconds of capture time after which an idle flow is expired.
    #[arg(long, value_name = "SECONDS", default_value_t = Limits::default().idle_timeout)]
    pub idle_timeout: u64,

    /// Seconds of capture time an incomplete IP datagram waits for its fragments.
    #[arg(long, value_name = "SECONDS", default_value_t = Limits::default().defrag.timeout)]
    pub fragment_timeout: u64,
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        let d = Limits::default();
        Limits {
            max_flows: self.max_flows.max(1),
            max_flow_buffer: self.max_flow_buffer,
            max_total_buffer: self.max_total_buffer,
            max_app_memory: self.max_app_memory,
            max_inspect: self.max_inspect,
            idle_timeout: self.idle_timeout,
            closed_timeout: d.closed_timeout,
            defrag: DefragLimits {
                max_bytes: self.max_fragment_bytes,
                max_datagrams: self.max_fragment_datagrams.max(1),
                timeout: self.fragment_timeout,
            },
            dissector: DissectorConfig {
                max_line: self.max_line.max(64),
            },
        }
    }
}
