//! The `plainsight` binary: arguments in, exit status out.
#![forbid(unsafe_code)]

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use clap::Parser;

use plainsight::capture::PcapWriter;
use plainsight::capture::{LiveOptions, LiveSource, live};
use plainsight::cli::{
    Cli, Command, Format, LiveArgs, OutputArgs, RuleArgs, RulesCommand, ScanArgs,
};
use plainsight::dissect::detect::Registry;
use plainsight::finding::CapturedPacket;
use plainsight::output::file::{OutputFile, open_private};
use plainsight::output::{JsonLines, Reporter, Sink, Text, human_bytes, write_summary};
use plainsight::pipeline::{self, Output, Progress};
use plainsight::rules::RuleSet;
use plainsight::scan::{InputError, expand_inputs, scan};

/// Exit statuses: nothing found, credentials found, an input could not be read.
const EXIT_CLEAN: u8 = 0;
const EXIT_FOUND: u8 = 1;
const EXIT_INPUT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => run_scan(&args),
        Command::Live(args) => run_live(&args),
        Command::Rules(cmd) => run_rules(&cmd),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("plainsight: {e:#}");
            ExitCode::from(EXIT_INPUT_ERROR)
        }
    }
}

/// The sink the output options ask for. `append` and `reopen` are for live captures.
fn open_sink(
    out: &OutputArgs,
    append: bool,
    reopen: Option<Arc<AtomicBool>>,
) -> anyhow::Result<Box<dyn Sink>> {
    let writer: Box<dyn Write> = match &out.output {
        Some(path) => Box::new(
            OutputFile::open(path, append, reopen)
                .map_err(|e| anyhow::anyhow!("cannot open {} for findings: {e}", path.display()))?,
        ),
        None => Box::new(io::BufWriter::new(io::stdout().lock())),
    };
    let terminal = out.output.is_none() && io::stdout().is_terminal();
    let format = match out.format {
        Format::Auto if terminal => Format::Text,
        Format::Auto => Format::Jsonl,
        f => f,
    };
    Ok(match format {
        Format::Text => Box::new(Text::new(writer, out.reveal)),
        _ => Box::new(JsonLines::new(writer, out.reveal)),
    })
}

/// The dissectors and the rules the arguments ask for. A bad rule stops the program.
fn registry(args: &RuleArgs) -> anyhow::Result<Registry> {
    let mut r = Registry::builtin();
    let rules = RuleSet::load(&args.rules, !args.no_default_rules, &r.known())
        .map_err(|e| anyhow::anyhow!("bad rule: {e}"))?;
    r.set_rules(rules)?;
    Ok(r)
}

fn run_rules(cmd: &RulesCommand) -> anyhow::Result<u8> {
    match cmd {
        RulesCommand::Check {
            dirs,
            no_default_rules,
        } => {
            let r = registry(&RuleArgs {
                rules: dirs.clone(),
                no_default_rules: *no_default_rules,
            })?;
            let rules = r.rules();
            println!(
                "rules ok: {} detector{}, {} port map{}",
                rules.detectors.len(),
                if rules.detectors.len() == 1 { "" } else { "s" },
                rules.ports.len(),
                if rules.ports.len() == 1 { "" } else { "s" }
            );
            Ok(EXIT_CLEAN)
        }
        RulesCommand::List(args) => {
            let r = registry(args)?;
            for d in &r.rules().detectors {
                let ports = d.ports.as_ref().map_or("any port".to_string(), |p| {
                    format!(
                        "ports {}",
                        p.iter().map(u16::to_string).collect::<Vec<_>>().join(",")
                    )
                });
                let on =
                    d.on.as_ref()
                        .map_or(String::new(), |on| format!(", on {}", on.join(",")));
                println!(
                    "detector {:<24} {} {:?} {}, {:?} side{}, {:?}  [{}]\n    {}",
                    d.name,
                    d.protocol,
                    d.transport,
                    ports,
                    d.direction,
                    on,
                    d.kind,
                    d.source,
                    d.description
                );
            }
            for p in &r.rules().ports {
                let ports: Vec<String> = p.ports.iter().map(u16::to_string).collect();
                println!(
                    "port     {:<24} {:?} ports {}  [{}]",
                    p.protocol,
                    p.transport,
                    ports.join(","),
                    p.source
                );
            }
            Ok(EXIT_CLEAN)
        }
    }
}

fn threads(out: &OutputArgs) -> usize {
    match out.threads {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    }
}

fn report_input_error(e: &InputError) {
    if e.is_warning() {
        eprintln!("plainsight: warning: {e}; findings up to it are reported");
    } else if matches!(e.error, plainsight::capture::CaptureError::Corrupt { .. }) {
        eprintln!("plainsight: error: {e}; findings up to it are reported");
    } else {
        eprintln!("plainsight: error: {e}");
    }
}

fn run_scan(args: &ScanArgs) -> anyhow::Result<u8> {
    let started = Instant::now();
    let mut errors = Vec::new();
    let inputs = expand_inputs(&args.inputs, &mut errors);
    for e in &errors {
        report_input_error(e);
    }
    let registry = Arc::new(registry(&args.rules)?);
    let mut sink = open_sink(&args.out, false, None)?;
    let result = scan(
        &inputs,
        registry,
        args.limits.limits(),
        threads(&args.out),
        sink.as_mut(),
        report_input_error,
    );
    if let Some(e) = &result.output_error
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("plainsight: cannot write findings: {e}");
        return Ok(EXIT_INPUT_ERROR);
    }
    let failed = errors.len() + result.errors.len();
    if !args.out.quiet {
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

/// Live findings: written and flushed at once; statistics every `stats_interval`.
struct LiveOutput<'a> {
    reporter: Reporter<'a>,
    /// `--write-evidence`: the packets of every flow that produced a finding.
    evidence: Option<PcapWriter<io::BufWriter<std::fs::File>>>,
    evidence_error: Option<io::Error>,
    started: Instant,
    stats_every: Option<std::time::Duration>,
    last_stats: Instant,
}

impl Output for LiveOutput<'_> {
    fn finding(&mut self, f: plainsight::finding::Finding) -> bool {
        self.reporter.report(f)
    }

    fn evidence(&mut self, mut packets: Vec<CapturedPacket>) {
        let Some(w) = self.evidence.as_mut() else {
            return;
        };
        packets.sort_by_key(|p| p.frame);
        for p in &packets {
            if let Err(e) = w.write(p.ts, &p.data, p.orig_len) {
                self.evidence_error.get_or_insert(e);
                self.evidence = None;
                return;
            }
        }
    }

    fn tick(&mut self, progress: &Progress) {
        // A rotated output file is reopened on the next write; make it happen now.
        self.reporter.flush();
        if let Some(w) = self.evidence.as_mut()
            && let Err(e) = w.flush()
        {
            self.evidence_error.get_or_insert(e);
            self.evidence = None;
        }
        if let Some(every) = self.stats_every
            && self.last_stats.elapsed() >= every
        {
            self.last_stats = Instant::now();
            let mut line = format!(
                "plainsight: {:.0}s, {} packets, {}, {} findings",
                self.started.elapsed().as_secs_f64(),
                progress.packets,
                human_bytes(progress.bytes),
                self.reporter.written
            );
            if let Some(k) = progress.kernel {
                line.push_str(&format!(
                    "; kernel: {} received, {} dropped, {} dropped by the interface",
                    k.received, k.dropped, k.if_dropped
                ));
            }
            eprintln!("{line}");
        }
    }
}

fn run_live(args: &LiveArgs) -> anyhow::Result<u8> {
    if args.list_interfaces {
        for i in live::list_interfaces()? {
            let mut line = i.name;
            if let Some(d) = i.description {
                line.push_str(&format!(" ({d})"));
            }
            if !i.addresses.is_empty() {
                line.push_str(&format!(" {}", i.addresses.join(" ")));
            }
            println!("{line}");
        }
        return Ok(EXIT_CLEAN);
    }
    let interface = args
        .interface
        .clone()
        .ok_or_else(|| anyhow::anyhow!("no interface given (-i IFACE)"))?;
    let registry = Arc::new(registry(&args.rules)?);
    let stop = Arc::new(AtomicBool::new(false));
    let reopen = Arc::new(AtomicBool::new(false));
    // The first SIGINT/SIGTERM stops the capture cleanly; a second one exits at once.
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 130, stop.clone())?;
        signal_hook::flag::register(signal, stop.clone())?;
    }
    signal_hook::flag::register(signal_hook::consts::SIGHUP, reopen.clone())?;
    let filter = (!args.filter.is_empty()).then(|| args.filter.join(" "));
    let options = LiveOptions {
        interface,
        filter,
        promisc: !args.no_promisc,
        snaplen: args.snaplen,
        buffer_size: args.buffer_size.map(|b| b.min(i32::MAX as usize) as i32),
        count: args.count,
        duration: args.duration,
    };
    let mut source = LiveSource::open(&options, stop.clone())?;
    let evidence = match &args.write_evidence {
        Some(path) => {
            let file = open_private(path, false)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
            Some(PcapWriter::new(
                io::BufWriter::new(file),
                source.linktype(),
                262_144,
                false,
                false,
            )?)
        }
        None => None,
    };
    let mut limits = args.limits.limits();
    limits.keep_packets = evidence.is_some();
    // Everything that needs privileges is open: give them up before the first packet.
    let mut sink = open_sink(&args.out, true, Some(reopen))?;
    if let Some(user) =
        plainsight::privileges::drop_root(args.user.as_deref()).map_err(|e| anyhow::anyhow!(e))?
        && !args.out.quiet
    {
        eprintln!(
            "plainsight: capturing on {} as user {user}",
            options.interface
        );
    }
    let started = Instant::now();
    let mut output = LiveOutput {
        reporter: Reporter::new(sink.as_mut(), true, false),
        evidence,
        evidence_error: None,
        started,
        stats_every: args.stats_interval.map(std::time::Duration::from_secs),
        last_stats: Instant::now(),
    };
    let run = pipeline::run(
        &mut source,
        threads(&args.out),
        registry,
        limits,
        Arc::from(options.interface.as_str()),
        &mut output,
    );
    output.reporter.flush();
    if let Some(mut w) = output.evidence.take()
        && let Err(e) = w.flush()
    {
        output.evidence_error.get_or_insert(e);
    }
    if let Some(e) = output.evidence_error.take() {
        eprintln!("plainsight: error: cannot write the evidence capture: {e}");
    }
    let mut stats = run.stats;
    stats.findings = output.reporter.written;
    stats.repeats = output.reporter.repeats;
    let output_error = output.reporter.error.take();
    if !args.out.quiet {
        let mut err = io::stderr().lock();
        let _ = write_summary(
            &mut err,
            &stats,
            1,
            usize::from(run.error.is_some()),
            started.elapsed(),
        );
        if let Some(k) = run.kernel {
            let _ = writeln!(
                err,
                "plainsight: kernel: {} packets received by the filter, {} dropped by the kernel, {} dropped by the interface",
                k.received, k.dropped, k.if_dropped
            );
        }
    }
    if let Some(e) = run.error {
        eprintln!(
            "plainsight: error: capture on {} failed: {e}",
            options.interface
        );
        return Ok(EXIT_INPUT_ERROR);
    }
    if let Some(e) = output_error
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("plainsight: cannot write findings: {e}");
        return Ok(EXIT_INPUT_ERROR);
    }
    Ok(if stats.findings > 0 {
        EXIT_FOUND
    } else {
        EXIT_CLEAN
    })
}
