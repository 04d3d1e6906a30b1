//! The `plainsight` binary: arguments in, exit status out.
#![forbid(unsafe_code)]

use std::fs::OpenOptions;
use std::io::{self, IsTerminal, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;

use plainsight::cli::{Cli, Command, Format, ScanArgs};
use plainsight::dissect::detect::Registry;
use plainsight::output::{JsonLines, Sink, Text, write_summary};
use plainsight::scan::{expand_inputs, scan};

/// Exit statuses: nothing found, credentials found, an input could not be read.
const EXIT_CLEAN: u8 = 0;
const EXIT_FOUND: u8 = 1;
const EXIT_INPUT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => match run_scan(&args) {
            Ok(code) => ExitCode::from(code),
            Err(e) => {
                eprintln!("plainsight: {e:#}");
                ExitCode::from(EXIT_INPUT_ERROR)
            }
        },
    }
}

fn run_scan(args: &ScanArgs) -> anyhow::Result<u8> {
    let started = Instant::now();
    let mut errors = Vec::new();
    let inputs = expand_inputs(&args.inputs, &mut errors);
    for e in &errors {
        eprintln!("plainsight: {e}");
    }
    let out: Box<dyn Write> = match &args.output {
        Some(path) => {
            let file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
            // An existing file keeps its mode on open: findings must not be world-readable.
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| anyhow::anyhow!("cannot restrict {}: {e}", path.display()))?;
            Box::new(io::BufWriter::new(file))
        }
        None => Box::new(io::BufWriter::new(io::stdout().lock())),
    };
    let terminal = args.output.is_none() && io::stdout().is_terminal();
    let format = match args.format {
        Format::Auto if terminal => Format::Text,
        Format::Auto => Format::Jsonl,
        f => f,
    };
    let mut sink: Box<dyn Sink> = match format {
        Format::Text => Box::new(Text::new(out, args.reveal)),
        _ => Box::new(JsonLines::new(out, args.reveal)),
    };
    let registry = Arc::new(Registry::builtin());
    let result = scan(
        &inputs,
        registry,
        args.limits.limits(),
        sink.as_mut(),
        |e| {
            if e.is_warning() {
                eprintln!("plainsight: warning: {e}; findings up to it are reported");
            } else {
                eprintln!("plainsight: error: {e}; findings up to it are reported");
            }
        },
    );
    if let Some(e) = &result.output_error
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("plainsight: cannot write findings: {e}");
        return Ok(EXIT_INPUT_ERROR);
    }
    let failed = errors.len() + result.errors.len();
    if !args.quiet {
        let _ = write_summary(
            &mut io::stderr().lock(),
            &result.stats,
            inputs.len(),
            failed,
            started.elapsed(),
        );
    }
    Ok(if failed > 0 {
        EXIT_INPUT_ERROR
    } else if result.stats.findings > 0 {
        EXIT_FOUND
    } else {
        EXIT_CLEAN
    })
}
