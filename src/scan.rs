//! `plainsight scan`: runs the engine over every input and writes findings to a sink.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::capture::{CaptureError, FileSource, PacketSource, is_capture_file};
use crate::dissect::detect::Registry;
use crate::engine::{Engine, Limits, Stats};
use crate::output::Sink;

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

/// Scans `inputs` one after the other; flows do not continue from one input to the next.
pub fn scan(
    inputs: &[Input],
    registry: Arc<Registry>,
    limits: Limits,
    sink: &mut dyn Sink,
    mut on_error: impl FnMut(&InputError),
) -> ScanResult {
    let mut result = ScanResult::default();
    for input in inputs {
        let name = input.name();
        let reader: Box<dyn Read + Send> = match input {
            Input::Stdin => Box::new(io::stdin()),
            Input::File(p) => match File::open(p) {
                Ok(f) => Box::new(f),
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
        let mut engine = Engine::new(registry.clone(), limits, source_name);
        let outcome = match FileSource::new(reader) {
            Ok(mut src) => run_source(&mut src, &mut engine, sink),
            Err(e) => Ok(Err(e)),
        };
        match outcome {
            Ok(read_result) => {
                engine.finish();
                if let Err(e) = write_all(&mut engine, sink) {
                    result.output_error = Some(e);
                }
                if let Err(e) = read_result {
                    let err = InputError {
                        input: name,
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
            Err(e) => result.output_error = Some(e),
        }
        result.stats.add(&engine.stats());
        if result.output_error.is_some() {
            break;
        }
    }
    result
}

fn write_all(engine: &mut Engine, sink: &mut dyn Sink) -> io::Result<()> {
    for f in engine.drain_findings() {
        sink.finding(&f)?;
    }
    sink.flush()
}

/// Feeds every packet of a source to the engine, writing findings as they complete.
/// The outer error is the sink's; the inner one the source's.
fn run_source(
    src: &mut dyn PacketSource,
    engine: &mut Engine,
    sink: &mut dyn Sink,
) -> io::Result<Result<(), CaptureError>> {
    loop {
        match src.next_packet() {
            Ok(Some(pkt)) => {
                engine.packet(&pkt);
                for f in engine.drain_findings() {
                    sink.finding(&f)?;
                }
            }
            Ok(None) => return Ok(Ok(())),
            Err(e) => return Ok(Err(e)),
        }
    }
}
