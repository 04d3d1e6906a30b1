//! The `plainsight` binary: arguments in, exit status out.
#![forbid(unsafe_code)]

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use clap::{CommandFactory, Parser};

use plainsight::capture::PcapWriter;
use plainsight::capture::{CaptureError, LiveOptions, LiveSource, live};
use plainsight::cli::{
    Cli, Command, Format, LiveArgs, OutputArgs, RuleArgs, RulesCommand, ScanArgs, SummaryFormat,
};
use plainsight::dissect::detect::Registry;
use plainsight::finding::CapturedPacket;
use plainsight::output::dedup::Dedup;
use plainsight::output::explain::Explain;
use plainsight::output::file::{OutputFile, open_private};
use plainsight::output::progress::Progress;
use plainsight::output::summary::{self, Totals};
use plainsight::output::{Audit, Findings, JsonLines, Reporter, Style, Text, View, human_bytes};
use plainsight::pipeline::{self, Output, Progress as RunProgress};
use plainsight::rules::RuleSet;
use plainsight::scan::{Input, InputError, expand_inputs, scan, total_bytes};

/// Exit statuses: nothing found, credentials found, an input could not be read.
const EXIT_CLEAN: u8 = 0;
const EXIT_FOUND: u8 = 1;
const EXIT_INPUT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => {
            plainsight::output::strength::prepare();
            run_scan(&args)
        }
        Command::Live(args) => {
            plainsight::output::strength::prepare();
            run_live(&args)
        }
        Command::Rules(cmd) => run_rules(&cmd),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "plainsight", &mut io::stdout());
            Ok(EXIT_CLEAN)
        }
        Command::Man { dir } => run_man(dir.as_deref()),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("plainsight: error: {e:#}");
            ExitCode::from(EXIT_INPUT_ERROR)
        }
    }
}

/// `plainsight man`: the manual page on standard output, or every page into a folder.
fn run_man(dir: Option<&Path>) -> anyhow::Result<u8> {
    let cmd = Cli::command();
    match dir {
        Some(dir) => {
            clap_mangen::generate_to(cmd, dir).map_err(|e| {
                anyhow::anyhow!(
                    "cannot write the manual pages into {} (--dir): {e}; check that the folder exists and is writable",
                    dir.display()
                )
            })?;
        }
        None => {
            let mut out = io::stdout().lock();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            out.flush()?;
        }
    }
    Ok(EXIT_CLEAN)
}

/// The format the options ask for: `auto` is text on a terminal, JSON Lines otherwise.
fn resolve_format(out: &OutputArgs) -> Format {
    let terminal = out.output.is_none() && io::stdout().is_terminal();
    match out.format {
        Format::Auto if terminal => Format::Text,
        Format::Auto => Format::Jsonl,
        f => f,
    }
}

/// `--dedup` is the default of the views for people; JSON Lines keep one finding per login.
fn wants_dedup(out: &OutputArgs, format: Format) -> bool {
    match format {
        Format::Jsonl | Format::Auto => out.dedup,
        Format::Text | Format::Explain => !out.no_dedup,
    }
}

/// The view the output options ask for. `append` and `reopen` are for live captures.
fn open_view(
    out: &OutputArgs,
    format: Format,
    append: bool,
    reopen: Option<Arc<AtomicBool>>,
) -> anyhow::Result<Box<dyn View>> {
    let writer: Box<dyn Write> = match &out.output {
        Some(path) => Box::new(OutputFile::open(path, append, reopen).map_err(|e| {
            anyhow::anyhow!(
                "cannot open {} for findings (-o): {e}; check that its folder exists and is writable",
                path.display()
            )
        })?),
        None => Box::new(io::BufWriter::new(io::stdout().lock())),
    };
    let terminal = out.output.is_none() && io::stdout().is_terminal();
    let style = Style::new(out.color.resolve(terminal));
    Ok(match format {
        Format::Text => Box::new(Text::new(writer, out.reveal, style)),
        Format::Explain => Box::new(Explain::new(writer, out.reveal, style)),
        Format::Jsonl | Format::Auto => Box::new(JsonLines::new(writer, out.reveal)),
    })
}

/// Writes the summary where the options say: standard error (unless `-q`) or a file.
fn write_summary(out: &OutputArgs, totals: &Totals<'_>, audit: &Audit) {
    if out.summary == SummaryFormat::None {
        return;
    }
    let result = match &out.summary_file {
        Some(path) => open_private(path, false)
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot open {} for the summary (--summary-file): {e}; check that its folder exists and is writable",
                        path.display()
                    ),
                )
            })
            .and_then(|file| {
                let mut w = io::BufWriter::new(file);
                match out.summary {
                    SummaryFormat::Json => summary::write_json(&mut w, totals, audit),
                    _ => summary::write_text(&mut w, totals, audit, Style::new(out.color.resolve(false))),
                }?;
                w.flush()
            }),
        None if out.quiet => Ok(()),
        None => {
            let mut err = io::stderr().lock();
            match out.summary {
                SummaryFormat::Json => summary::write_json(&mut err, totals, audit),
                _ => summary::write_text(
                    &mut err,
                    totals,
                    audit,
                    Style::new(out.color.resolve(io::stderr().is_terminal())),
                ),
            }
        }
    };
    if let Err(e) = result {
        eprintln!("plainsight: error: {e}");
    }
}

/// The dissectors and the rules the arguments ask for. A bad rule stops the program.
fn registry(args: &RuleArgs) -> anyhow::Result<Registry> {
    let mut r = Registry::builtin();
    let rules = RuleSet::load(&args.rules, !args.no_default_rules, &r.known()).map_err(|e| {
        anyhow::anyhow!(
            "bad rule: {e}; fix it (plainsight rules check DIR checks a folder), or leave the folder out of --rules"
        )
    })?;
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

/// What bounds the threads the system starts (said when it refused some).
macro_rules! threads_limit {
    () => {
        "--threads sets how many; ulimit -u and a container's pids limit bound them"
    };
}

/// What to do about an input that could not be read.
fn input_hint(e: &InputError) -> &'static str {
    match &e.error {
        CaptureError::Io(io) if io.kind() == io::ErrorKind::NotFound => {
            "; check the path (a folder is scanned for pcap and pcapng files)"
        }
        CaptureError::Io(io) if io.kind() == io::ErrorKind::PermissionDenied => {
            "; run plainsight as a user that can read it"
        }
        CaptureError::NotACapture(_) => {
            "; give a pcap or pcapng file (tcpdump -w, dumpcap, Wireshark's Save As)"
        }
        CaptureError::Empty => "; nothing to scan in it",
        CaptureError::Corrupt { .. } => {
            "; findings up to it are reported (editcap or pcapfix may recover the rest)"
        }
        CaptureError::Truncated { .. } => "; findings up to it are reported",
        CaptureError::Threads(_) => {
            concat!(
                "; nothing is missed, it only took longer (",
                threads_limit!(),
                ")"
            )
        }
        _ => "",
    }
}

fn report_input_error(e: &InputError) {
    let level = if e.is_warning() { "warning" } else { "error" };
    eprintln!("plainsight: {level}: {e}{}", input_hint(e));
}

/// Why findings could not be written, and what to do.
fn output_error(out: &OutputArgs, e: &io::Error) -> String {
    let to = match &out.output {
        Some(p) => p.display().to_string(),
        None => "standard output".to_string(),
    };
    format!(
        "plainsight: error: cannot write findings to {to}: {e}; check free space and that the reader of the output is still there"
    )
}

fn run_scan(args: &ScanArgs) -> anyhow::Result<u8> {
    let started = Instant::now();
    let mut errors = Vec::new();
    let inputs = expand_inputs(&args.inputs, &mut errors);
    for e in &errors {
        report_input_error(e);
    }
    let registry = Arc::new(registry(&args.rules)?);
    let format = resolve_format(&args.out);
    let view = open_view(&args.out, format, false, None)?;
    let mut limits = args.limits.limits();
    // The classroom view shows the packets that carried each credential.
    limits.keep_packets = format == Format::Explain;
    limits.lean_evidence = true;
    let streaming = inputs.iter().any(|i| matches!(i, Input::Stdin));
    let dedup = wants_dedup(&args.out, format).then(|| Dedup::new(streaming));
    let mut findings = Findings::new(view, dedup);
    findings.set_threads(threads(&args.out));
    let progress =
        (!args.out.quiet && !args.out.no_progress && !streaming && io::stderr().is_terminal())
            .then(|| Progress::new(total_bytes(&inputs)));
    let result = scan(
        &inputs,
        registry,
        limits,
        threads(&args.out),
        &mut findings,
        progress.as_ref(),
        report_input_error,
    );
    if let Some(p) = &progress {
        p.finish();
    }
    if let Some(e) = &result.output_error
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("{}", output_error(&args.out, e));
        return Ok(EXIT_INPUT_ERROR);
    }
    let failed = errors.len() + result.errors.len();
    let totals = Totals {
        command: "scan",
        stats: &result.stats,
        inputs: inputs.len(),
        failed,
        elapsed: started.elapsed(),
        written: findings.written,
        collapsed: findings.collapsed(),
        kernel: None,
    };
    write_summary(&args.out, &totals, &findings.audit);
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

    fn fewer_threads(&mut self, s: &plainsight::pipeline::Shortfall) {
        eprintln!(
            concat!(
                "plainsight: warning: could not start {} threads ({}); capturing with {}; ",
                threads_limit!()
            ),
            s.wanted, s.cause, s.used
        );
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

    fn tick(&mut self, progress: &RunProgress) {
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
    let interface = args.interface.clone().ok_or_else(|| {
        anyhow::anyhow!(
            "no interface given: add -i IFACE (plainsight live --list-interfaces lists them)"
        )
    })?;
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
            let file = open_private(path, false).map_err(|e| {
                anyhow::anyhow!(
                    "cannot create {} for --write-evidence: {e}; check that its folder exists and is writable",
                    path.display()
                )
            })?;
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
    let format = resolve_format(&args.out);
    let mut limits = args.limits.limits();
    limits.keep_packets = evidence.is_some() || format == Format::Explain;
    // An evidence file keeps whole flows; the classroom view only what findings name.
    limits.lean_evidence = evidence.is_none();
    // Everything that needs privileges is open: give them up before the first packet.
    let view = open_view(&args.out, format, true, Some(reopen))?;
    let dedup = wants_dedup(&args.out, format).then(|| Dedup::new(true));
    let mut findings = Findings::new(view, dedup);
    if let Some(user) = plainsight::privileges::drop_root(args.user.as_deref()).map_err(|e| {
        anyhow::anyhow!(
            "cannot give up root (-Z): {e}; name an existing user with -Z USER, or keep root with -Z root"
        )
    })? && !args.out.quiet
    {
        eprintln!(
            "plainsight: capturing on {} as user {user}",
            options.interface
        );
    }
    let started = Instant::now();
    let mut output = LiveOutput {
        // The explain view shows a batch at a time (findings of one packet blank each
        // other's secrets): flushed every tick rather than after each finding.
        reporter: Reporter::new(&mut findings, format != Format::Explain, false),
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
    output.reporter.finish();
    if let Some(mut w) = output.evidence.take()
        && let Err(e) = w.flush()
    {
        output.evidence_error.get_or_insert(e);
    }
    if let (Some(e), Some(path)) = (output.evidence_error.take(), &args.write_evidence) {
        eprintln!(
            "plainsight: error: cannot write the evidence capture {}: {e}; the findings are complete, the capture file is not",
            path.display()
        );
    }
    let mut stats = run.stats;
    stats.findings = output.reporter.written;
    stats.repeats = output.reporter.repeats;
    let output_error_seen = output.reporter.error.take();
    drop(output);
    let totals = Totals {
        command: "live",
        stats: &stats,
        inputs: 1,
        failed: usize::from(run.error.is_some()),
        elapsed: started.elapsed(),
        written: findings.written,
        collapsed: findings.collapsed(),
        kernel: run.kernel,
    };
    write_summary(&args.out, &totals, &findings.audit);
    if let Some(e) = run.error {
        eprintln!(
            "plainsight: error: capture on {} failed: {e}; check that the interface is still up (plainsight live --list-interfaces)",
            options.interface
        );
        return Ok(EXIT_INPUT_ERROR);
    }
    if let Some(e) = output_error_seen
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("{}", output_error(&args.out, &e));
        return Ok(EXIT_INPUT_ERROR);
    }
    Ok(if stats.findings > 0 {
        EXIT_FOUND
    } else {
        EXIT_CLEAN
    })
}
