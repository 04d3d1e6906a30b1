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
    /// A capture cut short inside its last record was still read to that point: a
    /// warning. Everything else means part of the input could not be read.
    pub fn is_warning(&self) -> bool {
        matches!(self.error, CaptureError::Truncated { .. })
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

/// Adds a run's counters to the scan's, and the error that ended it.
fn record_run(
    result: &mut ScanResult,
    run: pipeline::RunResult,
    input: String,
    on_error: &mut impl FnMut(&InputError),
) {
    result.stats.add(&run.stats);
    if let Some(e) = run.error {
        let err = InputError { input, error: e };
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
        let opened = match input {
            _ if chunked.is_some() => Ok(None),
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
        let source_name: Arc<str> = Arc::from(match input {
            Input::Stdin => "-".to_string(),
            Input::File(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| name.clone()),
        });
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
        if let Some(file) = chunked {
            let run = pipeline::run_chunked(
                &file,
                threads,
                registry.clone(),
                limits,
                source_name,
                &mut output,
            );
            done_before += file.len();
            end_of_input(progress, &mut reporter, done_before, &name);
            record_run(&mut result, run, name, &mut on_error);
            if reporter.error.is_some() {
                break;
            }
            continue;
        }
        let Some(mut source) = source else {
            continue;
        };
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
        let run = match replicas {
            Some(others) => pipeline::run_replicated(
                &mut source,
                others,
                registry.clone(),
                limits,
                source_name,
                &mut output,
            ),
            None => pipeline::run(
                &mut source,
                threads,
                registry.clone(),
                limits,
                source_name,
                &mut output,
            ),
        };
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
