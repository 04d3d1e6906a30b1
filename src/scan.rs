//! `plainsight scan`: runs the engine over every input and writes findings to a sink.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::capture::{CaptureError, ChunkedFile, FileSource, PacketSource, is_capture_file};
use crate::dissect::detect::Registry;
use crate::engine::{Limits, Stats};
use crate::finding::Finding;
use crate::output::progress::Progress;
use crate::output::{Reporter, Sink};
use crate::pipeline;

/// The reporter, and the progress bar moved along as the run goes.
struct ScanOutput<'r, 'a> {
    reporter: &'r mut Reporter<'a>,
    progress: Option<&'r Progress>,
    /// Bytes of the inputs already read.
    done_before: u64,
    name: &'r str,
    /// Standard input: findings go out as they come, flushed every tick.
    streaming: bool,
}

impl pipeline::Output for ScanOutput<'_, '_> {
    fn finding(&mut self, f: Finding) -> bool {
        match self.progress {
            // A stream's findings are written at once: the bar steps aside.
            Some(p) => p.suspend(|| self.reporter.report(f)),
            None => self.reporter.report(f),
        }
    }

    fn tick(&mut self, progress: &pipeline::Progress) {
        if self.streaming {
            self.reporter.flush();
        }
        if let Some(p) = self.progress {
            p.update(
                self.done_before + progress.read,
                self.reporter.received,
                self.name,
            );
        }
    }
}

/// One input to scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

/// A problem with one input, reported and then skipped.
#[derive(Debug)]
pub struct InputError {
    pub input: String,
    pub error: CaptureError,
}

impl InputError {
    /// A capture cut short inside its last record was still read to that point, and one
    /// read whole on fewer threads than asked for: warnings. Everything else means part
    /// of the input could not be read.
    pub fn is_warning(&self) -> bool {
        matches!(
            self.error,
            CaptureError::Truncated { .. } | CaptureError::Threads(_)
        )
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.input, self.error)
    }
}

/// Expands directories into the capture files they hold (recursively, sorted by path;
/// files are recognised by their magic number, not their name).
pub fn expand_inputs(args: &[PathBuf], errors: &mut Vec<InputError>) -> Vec<Input> {
    let mut out = Vec::new();
    for a in args {
        if a.as_os_str() == "-" {
            out.push(Input::Stdin);
        } else if a.is_dir() {
            let before = out.len();
            walk(a, &mut out, errors);
            if out.len() == before {
                errors.push(InputError {
                    input: a.display().to_string(),
                    error: CaptureError::Io(io::Error::new(
                        io::ErrorKind::NotFound,
                        "directory holds no pcap or pcapng file",
                    )),
                });
            }
        } else {
            out.push(Input::File(a.clone()));
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<Input>, errors: &mut Vec<InputError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(InputError {
                input: dir.display().to_string(),
                error: CaptureError::Io(e),
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, out, errors);
        } else if p.is_file() {
            let mut head = [0u8; 4];
            let is_capture = File::open(&p)
                .and_then(|mut f| f.read_exact(&mut head))
                .map(|_| is_capture_file(&head))
                .unwrap_or(false);
            if is_capture {
                out.push(Input::File(p));
            }
        }
    }
}

/// Totals of a scan.
#[derive(Debug, Default)]
pub struct ScanResult {
    pub stats: Stats,
    /// Inputs that could not be read (wholly or from some point on).
    pub errors: Vec<InputError>,
    /// Inputs read with a problem that lost nothing before it (a truncated last record).
    pub warnings: Vec<InputError>,
    /// The sink failed (e.g. a closed pipe): the scan stopped early.
    pub output_error: Option<io::Error>,
}

/// Bytes of the input files (for the progress bar; standard input counts nothing).
pub fn total_bytes(inputs: &[Input]) -> u64 {
    inputs
        .iter()
        .map(|i| match i {
            Input::File(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
            Input::Stdin => 0,
        })
        .sum()
}

/// Scans `inputs` one after the other with `threads` workers; flows do not continue from
/// one input to the next. Repeated credentials are written once over all inputs.
/// `progress`: a bar to move along (file scans on a terminal).
/// The end of one input: its findings go out (files hold them to write them in capture
/// order), the progress bar moves on.
fn end_of_input(progress: Option<&Progress>, reporter: &mut Reporter<'_>, done: u64, name: &str) {
    match progress {
        Some(p) => {
            p.update(done, reporter.received, name);
            p.suspend(|| reporter.end_of_input());
        }
        None => {
            reporter.end_of_input();
        }
    }
}

/// The name a source's findings carry: the file's name, or `-` for standard input.
fn source_name(input: &Input, name: &str) -> Arc<str> {
    Arc::from(match input {
        Input::Stdin => "-".to_string(),
        Input::File(p) => p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.to_string()),
    })
}

/// Adds a run's counters to the scan's, the threads it lacked and the error that ended it.
fn record_run(
    result: &mut ScanResult,
    run: pipeline::RunResult,
    input: String,
    on_error: &mut impl FnMut(&InputError),
) {
    result.stats.add(&run.stats);
    let errors = run
        .shortfall
        .map(CaptureError::Threads)
        .into_iter()
        .chain(run.error);
    for e in errors {
        let err = InputError {
            input: input.clone(),
            error: e,
        };
        on_error(&err);
        if err.is_warning() {
            result.warnings.push(err);
        } else {
            result.errors.push(err);
        }
    }
}

pub fn scan(
    inputs: &[Input],
    registry: Arc<Registry>,
    limits: Limits,
    threads: usize,
    sink: &mut dyn Sink,
    progress: Option<&Progress>,
    mut on_error: impl FnMut(&InputError),
) -> ScanResult {
    let mut on_error = |e: &InputError| match progress {
        Some(p) => p.suspend(|| on_error(e)),
        None => on_error(e),
    };
    let mut result = ScanResult::default();
    let mut reporter = Reporter::new(sink, false, true);
    let mut done_before = 0;
    for input in inputs {
        let name = input.name();
        // A pcap or pcapng file is cut into chunks that the workers read in turns; a file
        // that cannot be (not mapped, pcap's modified record format, pcapng whose first
        // blocks do not read) is read by every worker (no packet is copied between
        // threads); a stream goes through one reader that hands packets to the workers. A
        // chunked file needs no source of its own (whose first map window would be loaded
        // for nothing).
        let chunked = match input {
            Input::File(p) if threads > 1 => File::open(p)
                .ok()
                .and_then(|f| ChunkedFile::open(&f))
                .filter(|c| !c.is_empty()),
            _ => None,
        };
        // A file cut into chunks is read by the workers; one whose workers could not be
        // started is read below, on this thread.
        let mut refused = None;
        if let Some(file) = &chunked {
            reporter.set_hold(true);
            let mut output = ScanOutput {
                reporter: &mut reporter,
                progress,
                done_before,
                name: &name,
                streaming: false,
            };
            match pipeline::run_chunked(
                file,
                threads,
                registry.clone(),
                limits,
                source_name(input, &name),
                &mut output,
            ) {
                Ok(run) => {
                    done_before += file.len();
                    end_of_input(progress, &mut reporter, done_before, &name);
                    record_run(&mut result, run, name, &mut on_error);
                    if reporter.error.is_some() {
                        break;
                    }
                    continue;
                }
                Err(shortfall) => refused = Some(shortfall),
            }
        }
        let opened = match input {
            Input::Stdin => FileSource::new(io::stdin()).map(Some),
            Input::File(p) => match File::open(p) {
                Ok(f) => FileSource::open(f).map(Some),
                Err(e) => {
                    let err = InputError {
                        input: name,
                        error: CaptureError::Io(e),
                    };
                    on_error(&err);
                    result.errors.push(err);
                    continue;
                }
            },
        };
        let source = match opened {
            Ok(s) => s,
            Err(e) => {
                let err = InputError {
                    input: name,
                    error: e,
                };
                on_error(&err);
                result.errors.push(err);
                continue;
            }
        };
        // A stream on standard input may never end (tcpdump -w -): its findings go out
        // as they come. Files are written in capture order at their end.
        reporter.set_hold(!matches!(input, Input::Stdin));
        let mut output = ScanOutput {
            reporter: &mut reporter,
            progress,
            done_before,
            name: &name,
            streaming: matches!(input, Input::Stdin),
        };
        let Some(mut source) = source else {
            continue;
        };
        let threads = if refused.is_some() { 1 } else { threads };
        let replicas: Option<Vec<Box<dyn PacketSource + Send>>> = match input {
            Input::File(p) if threads > 1 => (1..threads)
                .map(|_| {
                    let f = File::open(p).ok()?;
                    let s = FileSource::open(f).ok()?;
                    Some(Box::new(s) as Box<dyn PacketSource + Send>)
                })
                .collect(),
            _ => None,
        };
        let mut run = match replicas {
            Some(others) => pipeline::run_replicated(
                &mut source,
                others,
                registry.clone(),
                limits,
                source_name(input, &name),
                &mut output,
            ),
            None => pipeline::run(
                &mut source,
                threads,
                registry.clone(),
                limits,
                source_name(input, &name),
                &mut output,
            ),
        };
        if let Some(s) = refused {
            run.shortfall = Some(s);
        }
        done_before += PacketSource::bytes_read(&source);
        end_of_input(progress, &mut reporter, done_before, &name);
        record_run(&mut result, run, name, &mut on_error);
        if reporter.error.is_some() {
            break;
        }
    }
    match progress {
        Some(p) => p.suspend(|| reporter.finish()),
        None => reporter.finish(),
    }
    result.stats.findings = reporter.written;
    result.stats.repeats = reporter.repeats;
    result.output_error = reporter.error.take();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts the findings written.
    struct Count(usize);

    impl Sink for Count {
        fn finding(&mut self, _: &Finding) -> io::Result<()> {
            self.0 += 1;
            Ok(())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A file none of whose worker threads the operating system starts is read whole on
    /// the calling thread, and the scan says so (a warning: nothing is missed).
    #[test]
    fn a_file_is_read_on_this_thread_when_no_worker_starts() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo.pcap");
        // The file goes to the chunked runner (which leaves it to this thread).
        let file = ChunkedFile::open(&File::open(&path).unwrap());
        assert!(file.is_some_and(|c| !c.is_empty()));
        let run = |threads| {
            let mut sink = Count(0);
            let mut told = Vec::new();
            let r = scan(
                &[Input::File(path.clone())],
                Arc::new(Registry::builtin()),
                Limits::default(),
                threads,
                &mut sink,
                None,
                |e| told.push(e.to_string()),
            );
            (sink.0, r, told)
        };
        let (one, alone, told) = run(1);
        assert!(one > 0);
        assert!(alone.warnings.is_empty() && told.is_empty());
        pipeline::refuse::after(0);
        let (found, r, told) = run(2);
        assert_eq!(found, one);
        assert_eq!(r.stats.packets, alone.stats.packets);
        assert_eq!(r.stats.findings, alone.stats.findings);
        assert!(r.errors.is_empty());
        match &r.warnings[..] {
            [w] => match &w.error {
                CaptureError::Threads(s) => assert_eq!((s.wanted, s.used), (2, 1)),
                e => panic!("not a shortfall: {e}"),
            },
            w => panic!("one warning wanted: {w:?}"),
        }
        assert_eq!(told.len(), 1);
        assert!(told[0].contains("read whole with 1 thread"), "{}", told[0]);
    }
}
