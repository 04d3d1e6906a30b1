//! Running the engine over a packet source, on one thread or on several.
//!
//! With one thread the decoder and the flow stage run inline. With N threads a reader
//! thread decodes every packet (IP fragments are reassembled there, before the flow is
//! known) and hands it to one of N workers chosen by a symmetric hash of the flow, so
//! both directions of a connection meet in the same worker and its findings stay in
//! order. Packets travel in batches whose buffers are recycled: no allocation per packet.
//! Findings go back to the calling thread, which writes them.

mod chunked;

pub use chunked::run_chunked;

use std::io;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{Scope, ScopedJoinHandle};
use std::time::{Duration, Instant};

use crate::capture::{CaptureError, KernelStats, LinkType, Next, Packet, PacketSource};
use crate::decode::{Decoded, DecodedAt, Decoder, Skip, Transport as L4, decode_stateless};
use crate::dissect::detect::Registry;
use crate::engine::{Engine, FlowEngine, Limits, Meta, Stats};
use crate::finding::{CapturedPacket, Finding};
use crate::timestamp::Timestamp;

/// Packets per batch, and bytes a batch may hold before it is sent.
const BATCH_PACKETS: usize = 512;
const BATCH_BYTES: usize = 1 << 20;
/// Batches in flight per worker.
const QUEUE: usize = 4;

/// A decoded packet in a batch: its transport bytes (TCP header and payload, or UDP
/// payload) are `start..end` of the batch's buffer, and it is decoded over them.
#[derive(Clone, Copy, Debug)]
struct Entry {
    meta: Meta,
    /// `None` for a datagram of a protocol other than TCP and UDP, which is decoded
    /// again from its whole packet in `raw` (rare: routing and PPP protocols).
    decoded: Option<DecodedAt>,
    start: u32,
    end: u32,
    /// The whole captured packet, when packets are kept as evidence.
    raw: Option<Raw>,
    /// The latest capture time of the packets read before this one, whichever worker
    /// owns them (see [`FlowEngine::advance`]).
    clock: Timestamp,
}

#[derive(Clone, Copy, Debug)]
struct Raw {
    start: u32,
    end: u32,
    linktype: LinkType,
    orig_len: u32,
}

#[derive(Debug, Default)]
struct Batch {
    entries: Vec<Entry>,
    bytes: Vec<u8>,
    /// The latest capture time read when the batch was handed over.
    clock: Timestamp,
}

impl Batch {
    fn push(&mut self, d: &Decoded<'_>, meta: Meta, packet: Option<&Packet<'_>>, clock: Timestamp) {
        let raw = packet.map(|p| {
            let start = self.bytes.len() as u32;
            self.bytes.extend_from_slice(p.data);
            Raw {
                start,
                end: self.bytes.len() as u32,
                linktype: p.linktype,
                orig_len: p.orig_len,
            }
        });
        // Only the transport bytes travel: the decoder's slices all lie in them (a TCP
        // payload is the end of its segment), so the packing cannot fail (a test in
        // `decode` packs every fixture packet so, reassembled datagrams included).
        let l4 = match d.transport {
            L4::Tcp(t) => t.segment,
            L4::Udp(u) => u.payload,
        };
        let Some(decoded) = DecodedAt::new(d, l4) else {
            return;
        };
        let start = self.bytes.len() as u32;
        self.bytes.extend_from_slice(l4);
        self.entries.push(Entry {
            meta,
            decoded: Some(decoded),
            start,
            end: self.bytes.len() as u32,
            raw,
            clock,
        });
    }

    /// A packet carrying a protocol other than TCP and UDP (see [`Stateless::other`]):
    /// it travels whole.
    fn push_other(&mut self, p: &Packet<'_>, meta: Meta, clock: Timestamp) {
        let start = self.bytes.len() as u32;
        self.bytes.extend_from_slice(p.data);
        let end = self.bytes.len() as u32;
        self.entries.push(Entry {
            meta,
            decoded: None,
            start,
            end,
            raw: Some(Raw {
                start,
                end,
                linktype: p.linktype,
                orig_len: p.orig_len,
            }),
            clock,
        });
    }

    fn full(&self) -> bool {
        self.entries.len() >= BATCH_PACKETS || self.bytes.len() >= BATCH_BYTES
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.bytes.clear();
    }

    /// Hands every packet of the batch to a flow stage.
    fn replay(&self, flows: &mut FlowEngine) {
        for e in &self.entries {
            flows.advance(e.clock);
            let bytes = self
                .bytes
                .get(e.start as usize..e.end as usize)
                .unwrap_or_default();
            let Some(decoded) = e.decoded else {
                self.replay_other(e, bytes, flows);
                continue;
            };
            let Some(d) = decoded.over(bytes) else {
                continue;
            };
            let raw = e.raw.map(|r| Packet {
                frame: e.meta.frame,
                ts: e.meta.ts,
                linktype: r.linktype,
                data: self
                    .bytes
                    .get(r.start as usize..r.end as usize)
                    .unwrap_or_default(),
                orig_len: r.orig_len,
            });
            flows.decoded(&d, e.meta, raw.as_ref());
        }
        flows.advance(self.clock);
    }

    /// An entry of [`Batch::push_other`]: its packet decoded again.
    fn replay_other(&self, e: &Entry, bytes: &[u8], flows: &mut FlowEngine) {
        let Some(r) = e.raw else {
            return;
        };
        let pkt = Packet {
            frame: e.meta.frame,
            ts: e.meta.ts,
            linktype: r.linktype,
            data: bytes,
            orig_len: r.orig_len,
        };
        if let Some(o) = decode_stateless(&pkt).other(&pkt) {
            flows.other(&o, e.meta, Some(&pkt));
        }
    }
}

/// A worker's own registry: a clone, which shares the compiled rules and has matching
/// caches of its own. The regex crate gives the first thread that searches with a pattern
/// a cache it reaches without a lock, and every other thread one taken from a pool under a
/// lock, at every search; with one registry for all the workers, every worker but one took
/// that lock for each flow's pass over the rules, and the lock's cache line went back and
/// forth between their cores.
pub(crate) fn own_registry(registry: &Registry) -> Arc<Registry> {
    Arc::new(registry.clone())
}

/// Which worker a decoded packet's flow belongs to.
///
/// The two endpoints added (the same both ways, without a [`crate::flow::FlowKey`] to
/// order and hash whole), mixed with the transport and scaled to `0..workers` by the high
/// bits of a multiply (where a remainder was a 64-bit division). Short: the list a packet
/// goes to waits for it.
pub(crate) fn shard(d: &Decoded<'_>, workers: usize) -> usize {
    let (src_port, dst_port, udp) = match d.transport {
        L4::Tcp(t) => (t.src_port, t.dst_port, 0),
        L4::Udp(u) => (u.src_port, u.dst_port, 1),
    };
    let mut h = endpoint(&d.src, src_port).wrapping_add(endpoint(&d.dst, dst_port)) ^ udp;
    h ^= h >> 29;
    h = h.wrapping_mul(0xd6e8_feb8_6659_fd93);
    h ^= h >> 32;
    ((u128::from(h) * workers as u128) >> 64) as usize
}

/// One endpoint of a flow as 64 bits for [`shard`]: the address (an IPv6 one folded, and
/// apart from every IPv4 address) and the port. By reference: an address is read as wide
/// as its family (see [`crate::decode::Stateless`]).
fn endpoint(ip: &std::net::IpAddr, port: u16) -> u64 {
    let bits = match ip {
        std::net::IpAddr::V4(a) => u64::from(u32::from_be_bytes(a.octets())),
        std::net::IpAddr::V6(a) => {
            let v = u128::from_be_bytes(a.octets());
            (v as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (v >> 64) as u64 ^ (1 << 63)
        }
    };
    bits.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (u64::from(port) << 48)
}

/// Counts a packet that yields nothing for the flow stage.
pub(crate) fn count_skip(stats: &mut Stats, skip: Skip) {
    match skip {
        Skip::NotTcpUdp => stats.other_packets += 1,
        Skip::Malformed => stats.malformed += 1,
        Skip::Fragment => {}
        Skip::UnsupportedLinkType => stats.unsupported_linktype += 1,
    }
}

/// What a run over one source gives back.
pub struct RunResult {
    pub stats: Stats,
    /// Why the source stopped early, if it did.
    pub error: Option<CaptureError>,
    /// The kernel's counters at the end, for a live capture.
    pub kernel: Option<KernelStats>,
    /// The run got fewer threads than it asked for.
    pub shortfall: Option<Shortfall>,
}

/// Threads a run asked for and the ones it was made with, when the operating system
/// refused one (a limit on a user's processes, `ulimit -u`, or a container's pids limit).
/// The threads of a run wait for one another before they read anything: when one cannot
/// be started, the others stop, and the run is made again with as many as were started
/// (on the calling thread alone when fewer than two were).
#[derive(Debug)]
pub struct Shortfall {
    pub wanted: usize,
    pub used: usize,
    pub cause: io::Error,
}

impl std::fmt::Display for Shortfall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let threads = |n: usize| {
            if n == 1 {
                "1 thread".to_string()
            } else {
                format!("{n} threads")
            }
        };
        write!(
            f,
            "could not start {} ({}); read whole with {}",
            threads(self.wanted),
            self.cause,
            threads(self.used)
        )
    }
}

/// The word the threads of a run wait for once started: go ahead, or stop (another thread
/// of the run could not be started).
#[derive(Default)]
pub(crate) struct Gate {
    go: Mutex<Option<bool>>,
    told: Condvar,
}

impl Gate {
    /// Waits for the word; true to go ahead.
    pub(crate) fn wait(&self) -> bool {
        let Ok(mut go) = self.go.lock() else {
            return false;
        };
        loop {
            if let Some(go) = *go {
                return go;
            }
            go = match self.told.wait(go) {
                Ok(g) => g,
                Err(_) => return false,
            };
        }
    }

    pub(crate) fn tell(&self, go: bool) {
        if let Ok(mut g) = self.go.lock() {
            *g = Some(go);
        }
        self.told.notify_all();
    }
}

/// Starts a thread of a run; the operating system may refuse it.
pub(crate) fn start_thread<'scope, T, F>(
    scope: &'scope Scope<'scope, '_>,
    name: &str,
    f: F,
) -> io::Result<ScopedJoinHandle<'scope, T>>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    #[cfg(test)]
    if refuse::now() {
        return Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            "Resource temporarily unavailable (refused by the test)",
        ));
    }
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn_scoped(scope, f)
}

/// Keeps the handle of a thread just started; one refused ends the attempt, and tells
/// those started at `gate` (if they wait at one) to stop.
pub(crate) fn keep<'scope, T>(
    handles: &mut Vec<ScopedJoinHandle<'scope, T>>,
    started: io::Result<ScopedJoinHandle<'scope, T>>,
    gate: Option<&Gate>,
) -> Result<(), Refused> {
    match started {
        Ok(h) => {
            handles.push(h);
            Ok(())
        }
        Err(cause) => {
            if let Some(g) = gate {
                g.tell(false);
            }
            Err(Refused {
                started: handles.len(),
                cause,
            })
        }
    }
}

/// A thread of a run was refused after `started` others were started (none has read
/// anything: they wait for one another first).
pub(crate) struct Refused {
    pub started: usize,
    pub cause: io::Error,
}

/// Makes a run with `threads`, and again with as many as were started while the operating
/// system refuses one, down to `least` (the run is then reported with the threads it was
/// made with); `Err` when even `least` could not be started.
pub(crate) fn with_threads(
    threads: usize,
    least: usize,
    output: &mut dyn Output,
    mut attempt: impl FnMut(usize, &mut dyn Output) -> Result<RunResult, Refused>,
) -> Result<RunResult, Shortfall> {
    let mut n = threads;
    let mut refused = None;
    loop {
        match attempt(n, output) {
            Ok(mut run) => {
                run.shortfall = refused;
                return Ok(run);
            }
            Err(r) if n > least => {
                n = r.started.clamp(least, n - 1);
                let shortfall = Shortfall {
                    wanted: threads,
                    used: n,
                    cause: r.cause,
                };
                output.fewer_threads(&shortfall);
                refused = Some(shortfall);
            }
            Err(r) => {
                return Err(Shortfall {
                    wanted: threads,
                    used: 1,
                    cause: r.cause,
                });
            }
        }
    }
}

/// A run that cannot fail to start (it has an attempt on the calling thread alone).
fn started(run: Result<RunResult, Shortfall>) -> RunResult {
    run.unwrap_or_else(|s| RunResult {
        stats: Stats::default(),
        error: Some(CaptureError::Threads(s)),
        kernel: None,
        shortfall: None,
    })
}

/// Tests make the operating system refuse the `n`th thread a run on this thread starts.
#[cfg(test)]
pub(crate) mod refuse {
    use std::cell::Cell;

    thread_local! {
        /// Threads still to start before one is refused; `None`: none is.
        static AFTER: Cell<Option<usize>> = const { Cell::new(None) };
    }

    /// The thread after `started` more is refused (once).
    pub(crate) fn after(started: usize) {
        AFTER.with(|a| a.set(Some(started)));
    }

    pub(super) fn now() -> bool {
        AFTER.with(|a| match a.get() {
            Some(0) => {
                a.set(None);
                true
            }
            Some(n) => {
                a.set(Some(n - 1));
                false
            }
            None => false,
        })
    }
}

/// Counters while a run goes on.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    pub packets: u64,
    pub bytes: u64,
    /// Bytes of the source read so far (headers included): how far into a file the run is.
    pub read: u64,
    pub kernel: Option<KernelStats>,
}

/// Where a run's findings go, on the calling thread.
pub trait Output {
    /// A finding, as soon as it is complete; false when the output is gone (the run stops).
    fn finding(&mut self, f: Finding) -> bool;

    /// Called about every [`TICK`] while the run goes on (live captures and idle
    /// sources), for periodic work: flushing, statistics, reopening a rotated file.
    fn tick(&mut self, _progress: &Progress) {}

    /// Packets of a flow that produced findings, when the limits keep packets.
    fn evidence(&mut self, _packets: Vec<CapturedPacket>) {}

    /// The run is made again on fewer threads than asked for (the operating system
    /// refused one; [`Shortfall::used`] is the number tried next), before it begins: a
    /// live capture says so at once. The run's result tells it too.
    fn fewer_threads(&mut self, _shortfall: &Shortfall) {}
}

/// What workers send back to the output thread.
pub(crate) enum Message {
    Findings(Vec<Finding>),
    Evidence(Vec<CapturedPacket>),
}

/// Findings a worker over a file has not sent yet.
///
/// A file's findings are held by the output to the end of its scan, so a worker need not
/// send each as it comes: every message wakes the output thread, which on a machine with a
/// core per worker takes a worker's core and stalls the other workers that wait for that
/// one's lists (see BENCHMARKS.md). Findings go together once [`OUTBOX_MAX`] wait or
/// [`BATCH_AGE`] has passed (the progress line counts them in time); kept packets go at
/// once, with the findings before them (the output pairs them in that order).
pub(crate) struct Outbox {
    found: Vec<Finding>,
    since: Instant,
}

/// Findings held by a worker before it sends them.
const OUTBOX_MAX: usize = 256;

impl Outbox {
    pub(crate) fn new() -> Outbox {
        Outbox {
            found: Vec::new(),
            since: Instant::now(),
        }
    }

    /// Takes the findings and kept packets `flows` has; sends what waits when it is time,
    /// or at once with `now`. The findings taken are passed to `taken` first. False when
    /// the output is gone.
    pub(crate) fn send(
        &mut self,
        flows: &mut FlowEngine,
        tx: &Sender<Message>,
        now: bool,
        taken: impl FnOnce(&[Finding]),
    ) -> bool {
        let kept: Vec<CapturedPacket> = flows.drain_evidence().collect();
        self.post(flows.drain_findings(), kept, tx, now, taken)
    }

    /// [`Outbox::send`] of `found` and `kept`.
    fn post(
        &mut self,
        found: impl IntoIterator<Item = Finding>,
        kept: Vec<CapturedPacket>,
        tx: &Sender<Message>,
        now: bool,
        taken: impl FnOnce(&[Finding]),
    ) -> bool {
        let before = self.found.len();
        self.found.extend(found);
        if self.found.len() > before {
            taken(&self.found[before..]);
        }
        let due = now
            || !kept.is_empty()
            || self.found.len() >= OUTBOX_MAX
            || (!self.found.is_empty() && self.since.elapsed() >= BATCH_AGE);
        if !due {
            return true;
        }
        self.since = Instant::now();
        if !self.found.is_empty()
            && tx
                .send(Message::Findings(std::mem::take(&mut self.found)))
                .is_err()
        {
            return false;
        }
        kept.is_empty() || tx.send(Message::Evidence(kept)).is_ok()
    }
}

/// Gives `output` what the workers send until every one of them is done (after the output
/// has gone, what still comes is dropped), and calls its tick about every [`TICK`] with
/// `progress()`.
pub(crate) fn serve_output(
    found_rx: &Receiver<Message>,
    output: &mut dyn Output,
    progress: impl Fn() -> Progress,
) {
    let mut output_open = true;
    let mut last_tick = Instant::now();
    loop {
        match found_rx.recv_timeout(TICK) {
            Ok(Message::Findings(found)) => {
                for f in found {
                    if output_open && !output.finding(f) {
                        output_open = false;
                    }
                }
            }
            Ok(Message::Evidence(packets)) => output.evidence(packets),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            output.tick(&progress());
        }
    }
}

/// Waits for the workers of a file and adds up their counters; the error is the first
/// worker's that has one (they read the same file), or a worker that failed.
pub(crate) fn join_workers(
    handles: Vec<std::thread::ScopedJoinHandle<'_, (Stats, Option<CaptureError>)>>,
) -> RunResult {
    let mut stats = Stats::default();
    let mut error = None;
    for h in handles {
        match h.join() {
            Ok((s, e)) => {
                stats.add(&s);
                if error.is_none() {
                    error = e;
                }
            }
            Err(_) => {
                error = Some(CaptureError::Io(std::io::Error::other(
                    "a worker thread failed",
                )));
            }
        }
    }
    RunResult {
        stats,
        error,
        kernel: None,
        shortfall: None,
    }
}

/// How often [`Output::tick`] is called, and the longest a packet waits in a batch.
pub const TICK: Duration = Duration::from_millis(200);
const BATCH_AGE: Duration = Duration::from_millis(50);

/// Runs the engine over `source` with `threads` workers (fewer if the operating system
/// refuses some, see [`Shortfall`]).
pub fn run(
    source: &mut (dyn PacketSource + Send),
    threads: usize,
    registry: Arc<Registry>,
    limits: Limits,
    name: Arc<str>,
    output: &mut dyn Output,
) -> RunResult {
    started(with_threads(threads.max(1), 1, output, |n, output| {
        if n <= 1 {
            Ok(run_inline(
                source,
                registry.clone(),
                limits,
                name.clone(),
                output,
            ))
        } else {
            run_threads(source, n, registry.clone(), limits, name.clone(), output)
        }
    }))
}

/// [`run`] with a reader thread and `workers` worker threads.
fn run_threads(
    source: &mut (dyn PacketSource + Send),
    workers: usize,
    registry: Arc<Registry>,
    limits: Limits,
    name: Arc<str>,
    output: &mut dyn Output,
) -> Result<RunResult, Refused> {
    // Each worker tracks its share of the flows.
    let worker_limits = limits.per_worker(workers);
    let (found_tx, found_rx) = mpsc::channel::<Message>();
    let progress = Arc::new(Mutex::new(Progress::default()));
    std::thread::scope(|scope| {
        let mut to_workers: Vec<SyncSender<Batch>> = Vec::new();
        let mut recycled: Vec<Receiver<Batch>> = Vec::new();
        let mut handles = Vec::new();
        for _ in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<Batch>(QUEUE);
            let (back_tx, back_rx) = mpsc::sync_channel::<Batch>(QUEUE + 2);
            to_workers.push(tx);
            recycled.push(back_rx);
            let found_tx = found_tx.clone();
            let registry = registry.clone();
            let name = name.clone();
            // A worker refused ends the attempt: the others, given no batch, end too.
            let worker = start_thread(scope, "plainsight-worker", move || {
                let mut flows = FlowEngine::new(own_registry(&registry), worker_limits, name);
                let send = |flows: &mut FlowEngine| -> bool {
                    let found: Vec<Finding> = flows.drain_findings().collect();
                    if !found.is_empty() && found_tx.send(Message::Findings(found)).is_err() {
                        return false;
                    }
                    let kept: Vec<CapturedPacket> = flows.drain_evidence().collect();
                    kept.is_empty() || found_tx.send(Message::Evidence(kept)).is_ok()
                };
                for mut batch in rx {
                    batch.replay(&mut flows);
                    if !send(&mut flows) {
                        break;
                    }
                    batch.clear();
                    let _ = back_tx.try_send(batch);
                }
                flows.finish();
                send(&mut flows);
                flows.stats()
            });
            keep(&mut handles, worker, None)?;
        }
        drop(found_tx);
        let shared = progress.clone();
        let reader = start_thread(scope, "plainsight-reader", move || {
            let mut decoder = Decoder::new(limits.defrag);
            let mut stats = Stats::default();
            let mut batches: Vec<Batch> = (0..workers).map(|_| Batch::default()).collect();
            let mut error = None;
            let mut last_flush = Instant::now();
            let mut last_progress = Instant::now();
            // The latest capture time of the packets that reached the flow stage.
            let mut clock = Timestamp::ZERO;
            let send = |w: usize,
                        batches: &mut Vec<Batch>,
                        recycled: &Vec<Receiver<Batch>>,
                        clock: Timestamp| {
                let fresh = recycled[w].try_recv().unwrap_or_default();
                let mut full = std::mem::replace(&mut batches[w], fresh);
                full.clock = clock;
                to_workers[w].send(full).is_ok()
            };
            'read: loop {
                // The packet and its decoding used where they were written, by reference,
                // and an IP fragment (rare) decoded again by the reassembling decoder: as
                // in `run` and `Engine::packet` (see `Stateless`).
                let polled = source.poll();
                let idle = match &polled {
                    Ok(Next::Packet(pkt)) => {
                        stats.packets += 1;
                        stats.bytes += pkt.data.len() as u64;
                        let meta = Meta {
                            frame: pkt.frame,
                            ts: pkt.ts,
                        };
                        let stateless = decode_stateless(pkt);
                        let mut again = None;
                        match decoder.reassembling(pkt, &stateless, &mut again) {
                            Ok(d) => {
                                let w = shard(d, workers);
                                let raw = limits.keep_packets.then_some(pkt);
                                batches[w].push(d, meta, raw, clock);
                                clock = clock.max(meta.ts);
                                if batches[w].full() && !send(w, &mut batches, &recycled, clock) {
                                    break 'read;
                                }
                            }
                            Err(skip) => {
                                count_skip(&mut stats, skip);
                                // Neither TCP nor UDP (routing protocols, PPP,
                                // EAPOL): the first worker reads them all.
                                if stateless.other(pkt).is_some() {
                                    batches[0].push_other(pkt, meta, clock);
                                    clock = clock.max(meta.ts);
                                }
                            }
                        }
                        false
                    }
                    Ok(Next::Idle) => true,
                    Ok(Next::End) => break,
                    Err(_) => {
                        error = polled.err();
                        break;
                    }
                };
                // Packets do not wait long in a batch: live findings come out promptly.
                if (idle || stats.packets.is_multiple_of(64)) && last_flush.elapsed() >= BATCH_AGE {
                    last_flush = Instant::now();
                    for w in 0..workers {
                        if !batches[w].entries.is_empty()
                            && !send(w, &mut batches, &recycled, clock)
                        {
                            break 'read;
                        }
                    }
                }
                if (idle || stats.packets.is_multiple_of(1024)) && last_progress.elapsed() >= TICK {
                    last_progress = Instant::now();
                    if let Ok(mut p) = shared.lock() {
                        p.packets = stats.packets;
                        p.bytes = stats.bytes;
                        p.read = source.bytes_read();
                        p.kernel = source.kernel_stats();
                    }
                }
            }
            for (w, mut batch) in batches.into_iter().enumerate() {
                batch.clock = clock;
                if !batch.entries.is_empty() {
                    match to_workers[w].try_send(batch) {
                        Ok(()) => {}
                        Err(TrySendError::Full(b)) => {
                            let _ = to_workers[w].send(b);
                        }
                        Err(TrySendError::Disconnected(_)) => {}
                    }
                }
            }
            drop(to_workers);
            stats.defrag = decoder.defrag_stats();
            (stats, error, source.kernel_stats())
        });
        // The reader refused (it had the workers' batches: they end): one worker fewer.
        let reader = reader.map_err(|cause| Refused {
            started: workers - 1,
            cause,
        })?;
        serve_output(&found_rx, output, || {
            progress.lock().map(|p| *p).unwrap_or_default()
        });
        let (mut stats, error, kernel) = reader.join().unwrap_or_else(|_| {
            (
                Stats::default(),
                Some(CaptureError::Io(std::io::Error::other(
                    "reader thread failed",
                ))),
                None,
            )
        });
        for h in handles {
            if let Ok(s) = h.join() {
                let (packets, bytes, defrag) = (stats.packets, stats.bytes, stats.defrag);
                stats.add(&s);
                stats.packets = packets;
                stats.bytes = bytes;
                stats.defrag = defrag;
            }
        }
        Ok(RunResult {
            stats,
            error,
            kernel,
            shortfall: None,
        })
    })
}

fn run_inline(
    source: &mut (dyn PacketSource + Send),
    registry: Arc<Registry>,
    limits: Limits,
    name: Arc<str>,
    output: &mut dyn Output,
) -> RunResult {
    let mut engine = Engine::new(registry, limits, name);
    let mut error = None;
    let mut open = true;
    let mut last_tick = Instant::now();
    let mut n: u64 = 0;
    loop {
        // The packet used where the source wrote it, by reference (a move copies it with
        // loads wider than the stores just made, which wait for them: see BENCHMARKS.md).
        let polled = source.poll();
        let idle = match &polled {
            Ok(Next::Packet(pkt)) => {
                engine.packet(pkt);
                n += 1;
                false
            }
            Ok(Next::Idle) => true,
            Ok(Next::End) => break,
            Err(_) => {
                error = polled.err();
                break;
            }
        };
        if engine.has_findings() {
            for f in engine.drain_findings() {
                open = open && output.finding(f);
            }
        }
        if engine.has_evidence() {
            output.evidence(engine.drain_evidence().collect());
        }
        if !open {
            break;
        }
        if (idle || n.is_multiple_of(1024)) && last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            let s = engine.stats();
            let progress = Progress {
                packets: s.packets,
                bytes: s.bytes,
                read: source.bytes_read(),
                kernel: source.kernel_stats(),
            };
            output.tick(&progress);
        }
    }
    engine.finish();
    for f in engine.drain_findings() {
        open = open && output.finding(f);
    }
    let kept: Vec<CapturedPacket> = engine.drain_evidence().collect();
    if !kept.is_empty() {
        output.evidence(kept);
    }
    RunResult {
        stats: engine.stats(),
        error,
        kernel: source.kernel_stats(),
        shortfall: None,
    }
}

/// Runs one engine per source over a capture file that every source reads in full (a
/// file opened once per worker): each worker decodes every packet and keeps the flows of
/// its share, by the same hash as [`run`]. Nothing is copied or handed between threads
/// but findings, so on a file this scales where the reader-and-workers pipeline of
/// [`run`] (which a stream or a live capture needs) spends its time copying packets.
/// Packet counters, skipped packets, IP fragment counters and read errors are those of
/// the first source.
pub fn run_replicated(
    first: &mut (dyn PacketSource + Send),
    others: Vec<Box<dyn PacketSource + Send>>,
    registry: Arc<Registry>,
    limits: Limits,
    name: Arc<str>,
    output: &mut dyn Output,
) -> RunResult {
    let mut others = others;
    started(with_threads(others.len() + 1, 1, output, |n, output| {
        if n <= 1 {
            return Ok(run_inline(
                first,
                registry.clone(),
                limits,
                name.clone(),
                output,
            ));
        }
        let mut sources: Vec<&mut (dyn PacketSource + Send)> = vec![&mut *first];
        sources.extend(
            others
                .iter_mut()
                .take(n - 1)
                .map(|s| &mut **s as &mut (dyn PacketSource + Send)),
        );
        replicated(sources, registry.clone(), limits, name.clone(), output)
    }))
}

/// [`run_replicated`] with a worker thread per source.
fn replicated(
    sources: Vec<&mut (dyn PacketSource + Send)>,
    registry: Arc<Registry>,
    limits: Limits,
    name: Arc<str>,
    output: &mut dyn Output,
) -> Result<RunResult, Refused> {
    let workers = sources.len();
    let worker_limits = limits.per_worker(workers);
    let (found_tx, found_rx) = mpsc::channel::<Message>();
    let progress = Arc::new(Mutex::new(Progress::default()));
    // The workers read nothing before every one of them is started.
    let gate = Gate::default();
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for (me, source) in sources.into_iter().enumerate() {
            let found_tx = found_tx.clone();
            let registry = registry.clone();
            let name = name.clone();
            let shared = progress.clone();
            let gate = &gate;
            let worker = start_thread(scope, "plainsight-worker", move || {
                if !gate.wait() {
                    return (Stats::default(), None);
                }
                let primary = me == 0;
                let mut decoder = Decoder::new(limits.defrag);
                let mut flows = FlowEngine::new(own_registry(&registry), worker_limits, name);
                let mut stats = Stats::default();
                let mut error = None;
                let mut last_progress = Instant::now();
                let mut outbox = Outbox::new();
                let mut n: u64 = 0;
                loop {
                    // By reference, fragments alone through the reassembling decoder
                    // again: as in `run_inline` (see `Stateless`).
                    let polled = source.poll();
                    match &polled {
                        Ok(Next::Packet(pkt)) => {
                            n += 1;
                            if primary {
                                stats.packets += 1;
                                stats.bytes += pkt.data.len() as u64;
                            }
                            let meta = Meta {
                                frame: pkt.frame,
                                ts: pkt.ts,
                            };
                            let stateless = decode_stateless(pkt);
                            let mut again = None;
                            match decoder.reassembling(pkt, &stateless, &mut again) {
                                Ok(d) => {
                                    if shard(d, workers) == me {
                                        let raw = limits.keep_packets.then_some(pkt);
                                        flows.decoded(d, meta, raw);
                                    } else {
                                        flows.advance(meta.ts);
                                    }
                                }
                                Err(skip) if primary => {
                                    count_skip(&mut stats, skip);
                                    if let Some(o) = stateless.other(pkt) {
                                        flows.other(&o, meta, Some(pkt));
                                    }
                                }
                                Err(_) => {}
                            }
                        }
                        Ok(Next::Idle) => {}
                        Ok(Next::End) => break,
                        Err(_) => {
                            error = polled.err();
                            break;
                        }
                    }
                    if n.is_multiple_of(256) && !outbox.send(&mut flows, &found_tx, false, |_| {}) {
                        break;
                    }
                    if primary && n.is_multiple_of(1024) && last_progress.elapsed() >= TICK {
                        last_progress = Instant::now();
                        if let Ok(mut p) = shared.lock() {
                            p.packets = stats.packets;
                            p.bytes = stats.bytes;
                            p.read = source.bytes_read();
                        }
                    }
                }
                flows.finish();
                outbox.send(&mut flows, &found_tx, true, |_| {});
                let mut s = flows.stats();
                if primary {
                    s.packets = stats.packets;
                    s.bytes = stats.bytes;
                    s.other_packets += stats.other_packets;
                    s.malformed += stats.malformed;
                    s.unsupported_linktype += stats.unsupported_linktype;
                    s.defrag = decoder.defrag_stats();
                    if let Ok(mut p) = shared.lock() {
                        p.read = source.bytes_read();
                    }
                }
                (s, error)
            });
            keep(&mut handles, worker, Some(gate))?;
        }
        gate.tell(true);
        drop(found_tx);
        serve_output(&found_rx, output, || {
            progress.lock().map(|p| *p).unwrap_or_default()
        });
        Ok(join_workers(handles))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode_stateless;
    use crate::synth::{Flags, Link, tcp_packet};
    use crate::timestamp::Timestamp;

    fn packet(data: &[u8]) -> Packet<'_> {
        Packet {
            frame: 1,
            ts: Timestamp::ZERO,
            linktype: Link::Ethernet.linktype(),
            data,
            orig_len: data.len() as u32,
        }
    }

    fn login(n: u16) -> Finding {
        use crate::finding::{Credential, Endpoint, Kind};
        let mut c = Credential::new("ftp", "USER/PASS", Kind::Cleartext, Timestamp::ZERO);
        c.username = Some(format!("user{n}").into_bytes());
        let end = |port| Endpoint::new("10.0.0.1".parse().unwrap(), port);
        Finding {
            credential: c,
            client: end(n),
            server: end(21),
            source: "-".into(),
            packets: Vec::new(),
        }
    }

    /// What the output thread got, message by message: `F` and the findings' client
    /// ports, or `E` and the kept packets' frames.
    fn received(rx: &Receiver<Message>) -> Vec<String> {
        rx.try_iter()
            .map(|m| match m {
                Message::Findings(f) => {
                    format!("F{:?}", f.iter().map(|f| f.client.port).collect::<Vec<_>>())
                }
                Message::Evidence(p) => {
                    format!("E{:?}", p.iter().map(|p| p.frame).collect::<Vec<_>>())
                }
            })
            .collect()
    }

    /// A worker's findings wait in its outbox and go together: when `OUTBOX_MAX` wait,
    /// when the oldest unsent waited `BATCH_AGE`, at once with kept packets (findings
    /// first) and at the end; every finding is shown to `taken` as it comes, once.
    #[test]
    fn outbox_sends_findings_together_in_order() {
        let (tx, rx) = mpsc::channel();
        let mut outbox = Outbox::new();
        // Not due by age unless the test says so, however slowly it runs.
        let hold = |outbox: &mut Outbox| outbox.since = Instant::now() + Duration::from_secs(3600);
        hold(&mut outbox);
        let mut seen = Vec::new();
        let mut post = |outbox: &mut Outbox, ports: std::ops::Range<u16>, kept: Vec<u64>, now| {
            let kept = kept
                .into_iter()
                .map(|frame| CapturedPacket {
                    frame,
                    ts: Timestamp::ZERO,
                    linktype: Link::Ethernet.linktype(),
                    data: Vec::new(),
                    orig_len: 0,
                })
                .collect();
            assert!(outbox.post(ports.map(login), kept, &tx, now, |f| {
                seen.extend(f.iter().map(|f| f.client.port))
            }));
        };
        post(&mut outbox, 1..3, vec![], false);
        post(&mut outbox, 3..3, vec![], false);
        post(&mut outbox, 3..4, vec![], false);
        assert!(received(&rx).is_empty());
        post(&mut outbox, 4..5, vec![7, 8], false);
        assert_eq!(received(&rx), ["F[1, 2, 3, 4]", "E[7, 8]"]);
        hold(&mut outbox);
        post(&mut outbox, 5..5, vec![9], false);
        assert_eq!(received(&rx), ["E[9]"]);
        hold(&mut outbox);
        let max = OUTBOX_MAX as u16;
        post(&mut outbox, 10..10 + max - 1, vec![], false);
        assert!(received(&rx).is_empty());
        post(&mut outbox, 10 + max - 1..10 + max, vec![], false);
        let full = received(&rx);
        assert_eq!(full.len(), 1);
        assert_eq!(full[0].matches(',').count(), OUTBOX_MAX - 1);
        hold(&mut outbox);
        post(&mut outbox, 5..6, vec![], false);
        assert!(received(&rx).is_empty());
        outbox.since = Instant::now() - BATCH_AGE;
        post(&mut outbox, 6..6, vec![], false);
        assert_eq!(received(&rx), ["F[5]"]);
        hold(&mut outbox);
        post(&mut outbox, 6..7, vec![], false);
        post(&mut outbox, 7..7, vec![], true);
        assert_eq!(received(&rx), ["F[6]"]);
        post(&mut outbox, 7..7, vec![], true);
        assert!(received(&rx).is_empty());
        let mut expected: Vec<u16> = (1..5).collect();
        expected.extend(10..10 + max);
        expected.extend([5, 6]);
        assert_eq!(seen, expected);
        drop(rx);
        assert!(!outbox.post([login(1)], Vec::new(), &tx, true, |_| {}));
    }

    /// Every flow lands on one worker in range, the same for both directions, and the
    /// workers get fair shares of many flows (the multiply-high scaling of the hash).
    #[test]
    fn shard_is_symmetric_in_range_and_balanced() {
        use std::net::SocketAddr;
        // Kinds of many flows: clients apart by address, one client's connections apart
        // by port only, IPv6 clients apart in the low bits, UDP.
        let v4 = |i: u32| SocketAddr::from(([10, 1, (i >> 8) as u8, i as u8], 40_000));
        let ports = |i: u32| SocketAddr::from(([10, 1, 0, 7], 20_000 + i as u16));
        let v6 =
            |i: u32| SocketAddr::from(([0xfd00, 0, 0, 0, 0, 0, (i >> 8) as u16, i as u16], 50_000));
        let server = |i: u32| SocketAddr::from(([10, 2, 0, 1], 1000 + (i % 50) as u16));
        let server6 = |_| SocketAddr::from(([0xfd00, 0, 0, 2, 0, 0, 0, 0x16], 143));
        type Ends = fn(u32) -> SocketAddr;
        let kinds: [(Ends, Ends, bool); 4] = [
            (v4, server, false),
            (ports, server, false),
            (v6, server6, false),
            (v4, server, true),
        ];
        for (client, server, udp) in kinds {
            for workers in [1usize, 2, 3, 5] {
                let mut counts = vec![0usize; workers];
                for i in 0..6000u32 {
                    let (a, b) = (client(i), server(i));
                    let frame = |src, dst| {
                        Link::Ethernet.frame(&if udp {
                            crate::synth::udp_packet(src, dst, b"x")
                        } else {
                            tcp_packet(src, dst, 1, 1, Flags::default(), b"x")
                        })
                    };
                    let (ab, ba) = (frame(a, b), frame(b, a));
                    let (p, q) = (packet(&ab), packet(&ba));
                    let (da, db) = (decode_stateless(&p), decode_stateless(&q));
                    let w = shard(da.get().unwrap(), workers);
                    assert!(w < workers);
                    assert_eq!(w, shard(db.get().unwrap(), workers), "both directions");
                    counts[w] += 1;
                }
                let fair = 6000 / workers;
                for c in counts {
                    assert!(
                        c * 10 >= fair * 9 && c * 10 <= fair * 11,
                        "{workers}: {c} of {fair} ({udp})"
                    );
                }
            }
        }
    }
}
