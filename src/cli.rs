//! Command-line definition and its validation into a [`ScanConfig`].

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

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

    /// Most flows tracked at once; the least recently active is evicted beyond it.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_flows)]
    pub max_flows: usize,

    /// Most out-of-order bytes buffered per flow direction.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_flow_buffer)]
    pub max_flow_buffer: usize,

    /// Most out-of-order bytes buffered over all flows.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_total_buffer)]
    pub max_total_buffer: usize,

    /// Bytes of a flow inspected without finding a login before it is no longer inspected.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_inspect)]
    pub max_inspect: u64,

    /// Seconds of capture time after which an idle flow is expired.
    #[arg(long, value_name = "SECONDS", default_value_t = Limits::default().idle_timeout)]
    pub idle_timeout: u64,
}

impl ScanArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            max_flows: self.max_flows.max(1),
            max_flow_buffer: self.max_flow_buffer,
            max_total_buffer: self.max_total_buffer,
            max_inspect: self.max_inspect,
            idle_timeout: self.idle_timeout,
            ..Limits::default()
        }
    }
}
