//! Several workers over one pcap or pcapng file, each reading a share of it.
//!
//! The file is cut into chunks ([`crate::capture::ChunkedFile`]); chunk `k` is *read* by
//! worker `k % W`: it walks the chunk's records, decodes each packet just far enough to
//! know its flow, and sorts the packets into one list per worker (the flow's owner, by the
//! same symmetric hash as the other runners). Each worker then *processes* the lists of
//! its flows chunk after chunk, in file order: its own list of the chunks it read, and the
//! lists the other workers read for it. A flow's packets are thus processed by one worker
//! in capture order, while the walk over the records, which every worker of
//! [`super::run_replicated`] repeated over the whole file, is shared.
//!
//! A worker reads its next chunk a record at a time while it processes packets (and while
//! it waits for another worker's list): the wait for each record header, a cache miss
//! that only the previous record's length can address, then overlaps with work.
//!
//! Chunk boundaries: the reader of chunk `k` guesses where its first record starts and
//! reads from there at once; before its lists are used it receives from the reader of
//! chunk `k - 1` where that chunk truly ended (and how many packets came before) and, if
//! the guess was wrong, reads the chunk again from the true start. Every chunk's lists are
//! therefore those a single reader going through the file would have made.
//!
//! IP fragments cannot be sorted before they are reassembled: they go into every worker's
//! list, and each worker's decoder reassembles them and keeps the datagrams of its flows.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use super::{
    Gate, Message, Outbox, Output, Progress, Refused, RunResult, Shortfall, count_skip,
    join_workers, keep, own_registry, serve_output, shard, start_thread, with_threads,
};
use crate::capture::{
    CaptureError, Chunk, ChunkSource, ChunkedFile, LinkType, Packet, Section, prefetch_head,
};
use crate::decode::{DecodedAt, Decoder, Skip, decode_stateless};
use crate::dissect::detect::Registry;
use crate::engine::{FlowEngine, Limits, Meta, Stats};
use crate::output::strength::{self, Ahead};
use crate::timestamp::Timestamp;

/// Chunks a worker reads ahead of the one it processes (bounds the memory in flight).
const AHEAD: u64 = 2;

/// Secrets kept for the workers to measure their strengths while they wait.
const AHEAD_MAX: usize = 1024;

/// Packets ahead of the one processed whose headers are prefetched.
const PREFETCH: usize = 4;

/// One packet of a chunk, for the worker that owns its flow.
#[derive(Clone, Copy)]
struct Entry {
    /// Where the packet's bytes are in the chunk's map.
    at: u32,
    len: u32,
    orig_len: u32,
    /// Packets of the chunk before this one (its frame number is the chunk's base plus
    /// this plus one).
    index: u32,
    /// Its capture time.
    ts: Time,
    /// The latest capture time of the chunk's packets before this one that reached the
    /// flow stage, whichever worker owns them: the worker's clock (flow expiry) moves as
    /// one reader's would.
    clock: Time,
    /// Its link type (a pcapng file's interfaces may differ; one that does not fit is
    /// none plainsight decodes, and such a packet gets no entry).
    link: u16,
    /// An IP fragment: in every worker's list; the reassembled datagram is kept only by
    /// the owner of its flow.
    fragment: bool,
    /// The packet as the reader decoded it (not for fragments): the worker that owns the
    /// flow need not read its headers again.
    decoded: Option<DecodedAt>,
}

/// A [`Timestamp`] in 12 bytes rather than 16 (the entries are most of what goes between
/// cores), any time a capture holds.
#[derive(Clone, Copy)]
struct Time {
    secs: [u32; 2],
    nanos: u32,
}

impl From<Timestamp> for Time {
    fn from(t: Timestamp) -> Time {
        let secs = t.secs as u64;
        Time {
            secs: [secs as u32, (secs >> 32) as u32],
            nanos: t.nanos,
        }
    }
}

impl From<Time> for Timestamp {
    fn from(t: Time) -> Timestamp {
        Timestamp {
            secs: (u64::from(t.secs[0]) | (u64::from(t.secs[1]) << 32)) as i64,
            nanos: t.nanos,
        }
    }
}

/// What one worker gets of a chunk.
struct Part {
    chunk: Option<Chunk>,
    /// Frame number of the chunk's first packet, minus one.
    base: u64,
    /// The latest capture time of all the chunk's packets that reached the flow stage.
    clock: Timestamp,
    entries: Vec<Entry>,
    /// The file's reading ends with this chunk: its end, or the error that ended it.
    last: bool,
    error: Option<CaptureError>,
}

impl Part {
    /// A part with no packets (a chunk nothing starts in, or the end of reading).
    fn empty(base: u64, last: bool) -> Part {
        Part {
            chunk: None,
            base,
            clock: Timestamp::ZERO,
            entries: Vec::new(),
            last,
            error: None,
        }
    }
}

/// From the reader of chunk `k` to the reader of chunk `k + 1`: where chunk `k` ended.
#[derive(Clone)]
enum Boundary {
    /// The next record starts at this file offset, after `frames` packets, in this pcapng
    /// section.
    At {
        offset: u64,
        frames: u64,
        section: Arc<Section>,
    },
    /// Reading ended (end of file, an error, or the run stopped).
    Stop,
}

/// Counters the output thread shows while the run goes on.
#[derive(Default)]
struct Shared {
    packets: AtomicU64,
    bytes: AtomicU64,
    read: AtomicU64,
    /// Secrets of the findings whose strengths are not measured yet.
    ahead: Mutex<Vec<Ahead>>,
}

/// Emptied lists a worker keeps for reuse, at most, and the most entries a kept list has
/// room for: a 2 MiB chunk of 100-byte packets (DNS) fills lists of about 10,000 entries
/// each, which a smaller bound dropped, and every chunk's lists then grew again by copies
/// into fresh memory (a million DNS queries, two threads: 4 % less CPU and 5 MiB less at
/// the peak with this bound). Longer ones, from chunks of still smaller packets, are
/// dropped rather than held: at most 13.6 MiB a worker (104-byte entries).
const SPARE_MAX: usize = 8;
const SPARE_ENTRIES: usize = 16384;

/// A worker's lists processed and emptied, for it to fill again when it reads a chunk: a
/// new list per chunk grew by copies into fresh memory, whose first touches (faults, cache
/// and TLB misses) also evicted the flow table's lines; and a list is refilled by the
/// worker that emptied it, whose cache holds its lines, rather than by another core that
/// would first have to take them over (see BENCHMARKS.md).
#[derive(Default)]
struct Spare(Vec<Vec<Entry>>);

impl Spare {
    /// `n` lists to fill, reused ones first.
    fn lists(&mut self, n: usize) -> Vec<Vec<Entry>> {
        let keep = self.0.len().saturating_sub(n);
        let mut lists = self.0.split_off(keep);
        lists.resize_with(n, Vec::new);
        lists
    }

    /// A processed list back for reuse.
    fn give_back(&mut self, mut list: Vec<Entry>) {
        list.clear();
        if list.capacity() <= SPARE_ENTRIES && self.0.len() < SPARE_MAX {
            self.0.push(list);
        }
    }
}

impl Shared {
    /// A secret to measure, if one is left.
    fn next_ahead(&self) -> Option<Ahead> {
        self.ahead.lock().ok()?.pop()
    }
}

/// A chunk read and sorted.
struct Sorted {
    parts: Vec<Part>,
    boundary: Boundary,
    stats: Stats,
}

/// A chunk being read from file offset `start` (after `frames` packets) and its packets
/// sorted into one list per worker, a record at a time: a worker walks the chunk it reads
/// while it processes packets (one record per packet processed), so that the wait for
/// each record header overlaps with work instead of adding up (see BENCHMARKS.md).
struct Sorting {
    chunk: Chunk,
    frames: u64,
    /// The pcapng section it was begun in.
    section: Arc<Section>,
    source: ChunkSource,
    map_start: usize,
    lists: Vec<Vec<Entry>>,
    stats: Stats,
    clock: Timestamp,
    error: Option<CaptureError>,
    /// Every record of the chunk is read.
    walked: bool,
}

impl Sorting {
    /// `lists`: one empty list per worker, to fill.
    fn new(
        file: &ChunkedFile,
        chunk: &Chunk,
        start: u64,
        frames: u64,
        section: Arc<Section>,
        lists: Vec<Vec<Entry>>,
    ) -> Sorting {
        Sorting {
            chunk: chunk.clone(),
            frames,
            source: file.source(chunk, start, &section),
            section,
            map_start: chunk.bytes().as_ptr() as usize,
            lists,
            stats: Stats::default(),
            clock: Timestamp::ZERO,
            error: None,
            walked: false,
        }
    }

    /// Reads and sorts the next packet; false once the chunk is walked.
    fn step(&mut self) -> bool {
        if self.walked {
            return false;
        }
        let workers = self.lists.len();
        // The packet and its decoding are used where they were returned, by reference:
        // moving them copies their fields with wider loads than the stores that just
        // wrote them, and such a load waits for the stores to land (see BENCHMARKS.md).
        let read = self.source.next_packet(self.frames);
        match &read {
            Ok(Some(pkt)) => {
                self.stats.packets += 1;
                self.stats.bytes += pkt.data.len() as u64;
                let entry = |fragment, decoded| Entry {
                    at: (pkt.data.as_ptr() as usize - self.map_start) as u32,
                    len: pkt.data.len() as u32,
                    orig_len: pkt.orig_len,
                    // The source's count: a pcapng packet of an interface the file
                    // never described has its frame number but no packet.
                    index: pkt.frame.saturating_sub(1) as u32,
                    ts: pkt.ts.into(),
                    clock: self.clock.into(),
                    link: u16::try_from(pkt.linktype.0).unwrap_or(u16::MAX),
                    fragment,
                    decoded,
                };
                let decoded = decode_stateless(pkt);
                match decoded.get() {
                    Ok(d) => {
                        let e = entry(false, DecodedAt::new(d, pkt.data));
                        self.lists[shard(d, workers)].push(e);
                        self.clock = self.clock.max(pkt.ts);
                    }
                    Err(Skip::Fragment) => {
                        let e = entry(true, None);
                        for l in &mut self.lists {
                            l.push(e);
                        }
                    }
                    Err(skip) => {
                        count_skip(&mut self.stats, skip);
                        // Neither TCP nor UDP (routing protocols, PPP, EAPOL): the first worker
                        // reads them all.
                        if decoded.other(pkt).is_some() {
                            self.lists[0].push(entry(false, None));
                        }
                    }
                }
                true
            }
            Ok(None) => {
                self.walked = true;
                false
            }
            Err(_) => {
                self.error = read.err();
                self.walked = true;
                false
            }
        }
    }

    /// Reads the rest of the chunk and hands over its lists and where it ended.
    fn finish(mut self, file: &ChunkedFile) -> Sorted {
        while self.step() {}
        let end = self.source.position();
        let chunk = self.chunk;
        let last = self.error.is_some() || end >= file.len() || chunk.index + 1 >= file.chunks();
        let boundary = if last {
            Boundary::Stop
        } else {
            Boundary::At {
                offset: end,
                frames: self.frames + self.source.frames(),
                section: self.source.section(),
            }
        };
        let (frames, clock) = (self.frames, self.clock);
        let mut parts: Vec<Part> = self
            .lists
            .into_iter()
            .map(|entries| Part {
                chunk: Some(chunk.clone()),
                base: frames,
                clock,
                entries,
                last,
                error: None,
            })
            .collect();
        // The error is reported once, by the first worker.
        parts[0].error = self.error;
        Sorted {
            parts,
            boundary,
            stats: self.stats,
        }
    }
}

/// A chunk this worker reads: its sorting under way, and what the reader of the chunk
/// before it said of where it ended.
struct Pending {
    k: u64,
    chunk: Chunk,
    /// Where the chunk was guessed to start, and its sorting from there (frame numbers
    /// counted from 0 until the true start is known); `None` without a convincing guess.
    guess: Option<(u64, Sorting)>,
    /// The previous chunk's end, once received (chunk 0 needs none).
    boundary: Option<Boundary>,
}

/// Runs `threads` workers over a pcap or pcapng file cut into chunks (fewer if the
/// operating system refuses some, see [`Shortfall`]); `Err` when not even two could be
/// started: nothing was read, and the file is for the caller to read on its own thread.
pub fn run_chunked(
    file: &ChunkedFile,
    threads: usize,
    registry: Arc<Registry>,
    limits: Limits,
    name: Arc<str>,
    output: &mut dyn Output,
) -> Result<RunResult, Shortfall> {
    let threads = threads.max(1);
    with_threads(threads, threads.min(2), output, |n, output| {
        chunked(file, n, registry.clone(), limits, name.clone(), output)
    })
}

/// [`run_chunked`] with `workers` threads.
fn chunked(
    file: &ChunkedFile,
    workers: usize,
    registry: Arc<Registry>,
    limits: Limits,
    name: Arc<str>,
    output: &mut dyn Output,
) -> Result<RunResult, Refused> {
    let worker_limits = limits.per_worker(workers);
    // parts[from][to]: the lists worker `from` sorted for worker `to`, chunk by chunk.
    let mut part_tx: Vec<Vec<Option<Sender<Part>>>> = Vec::new();
    let mut part_rx: Vec<Vec<Option<Receiver<Part>>>> = (0..workers)
        .map(|_| (0..workers).map(|_| None).collect())
        .collect();
    for from in 0..workers {
        let mut row = Vec::new();
        for rx_row in part_rx.iter_mut() {
            let (tx, rx) = mpsc::channel::<Part>();
            row.push(Some(tx));
            rx_row[from] = Some(rx);
        }
        part_tx.push(row);
    }
    // boundaries: from the reader of chunk k to the reader of chunk k + 1.
    let mut bound_tx: Vec<Option<Sender<Boundary>>> = Vec::new();
    let mut bound_rx: Vec<Option<Receiver<Boundary>>> = (0..workers).map(|_| None).collect();
    for from in 0..workers {
        let (tx, rx) = mpsc::channel::<Boundary>();
        bound_tx.push(Some(tx));
        bound_rx[(from + 1) % workers] = Some(rx);
    }
    let (found_tx, found_rx) = mpsc::channel::<Message>();
    let shared = Arc::new(Shared::default());
    // The workers begin together, once all are started: one begun alone would soon wait
    // for the others' lists, and a worker begun first can keep the thread starting the
    // others off its core. One the operating system refuses stops those started.
    let gate = Gate::default();
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for me in 0..workers {
            let found_tx = found_tx.clone();
            let registry = registry.clone();
            let name = name.clone();
            let shared = shared.clone();
            let to_others: Vec<Option<Sender<Part>>> =
                part_tx[me].iter_mut().map(Option::take).collect();
            let from_others: Vec<Option<Receiver<Part>>> =
                part_rx[me].iter_mut().map(Option::take).collect();
            let bound_out = bound_tx[me].take();
            let bound_in = bound_rx[me].take();
            let gate = &gate;
            let worker = start_thread(scope, "plainsight-worker", move || {
                if !gate.wait() {
                    return (Stats::default(), None);
                }
                let mut worker = Worker {
                    me,
                    workers,
                    file,
                    keep_packets: limits.keep_packets,
                    decoder: Decoder::new(limits.defrag),
                    flows: FlowEngine::new(own_registry(&registry), worker_limits, name),
                    stats: Stats::default(),
                    error: None,
                    mine: VecDeque::new(),
                    next_sort: me as u64,
                    pending: None,
                    stopped: false,
                    to_others,
                    bound_out,
                    bound_in,
                    found_tx,
                    outbox: Outbox::new(),
                    spare: Spare::default(),
                    shared,
                };
                worker.run(&from_others);
                worker.finish()
            });
            keep(&mut handles, worker, Some(gate))?;
        }
        gate.tell(true);
        drop(found_tx);
        serve_output(&found_rx, output, || Progress {
            packets: shared.packets.load(Ordering::Relaxed),
            bytes: shared.bytes.load(Ordering::Relaxed),
            read: shared.read.load(Ordering::Relaxed),
            kernel: None,
        });
        Ok(join_workers(handles))
    })
}

/// One worker: the chunks it reads and sorts, and the flows it owns.
struct Worker<'f> {
    me: usize,
    workers: usize,
    file: &'f ChunkedFile,
    keep_packets: bool,
    decoder: Decoder,
    flows: FlowEngine,
    stats: Stats,
    error: Option<CaptureError>,
    /// Its own lists of the chunks it sorted, not processed yet.
    mine: VecDeque<Part>,
    /// The next chunk it sorts.
    next_sort: u64,
    /// The chunk it is sorting, a record per packet processed.
    pending: Option<Pending>,
    /// Reading has ended: no more chunks to sort.
    stopped: bool,
    to_others: Vec<Option<Sender<Part>>>,
    bound_out: Option<Sender<Boundary>>,
    bound_in: Option<Receiver<Boundary>>,
    found_tx: Sender<Message>,
    outbox: Outbox,
    spare: Spare,
    shared: Arc<Shared>,
}

impl Worker<'_> {
    fn run(&mut self, from_others: &[Option<Receiver<Part>>]) {
        let chunks = self.file.chunks();
        for k in 0..chunks {
            // A chunk this worker reads is sorted before it is processed; the next one is
            // begun, up to a few chunks ahead, and read while packets are processed.
            loop {
                match &self.pending {
                    Some(p) if p.k <= k => self.complete(),
                    Some(_) => break,
                    None if self.can_begin(k) => self.begin(),
                    None => break,
                }
            }
            let from = (k % self.workers as u64) as usize;
            let part = if from == self.me {
                self.mine.pop_front()
            } else {
                from_others[from]
                    .as_ref()
                    .and_then(|rx| self.receive(rx, k))
            };
            let Some(part) = part else { break };
            let last = part.last;
            if !self.process(part, k) {
                break;
            }
            if last {
                break;
            }
        }
        // Whoever waits for a boundary from this worker learns that reading ended.
        self.bound_out = None;
        self.to_others.clear();
    }

    /// Whether the next chunk to read may be begun while chunk `k` is processed.
    fn can_begin(&self, k: u64) -> bool {
        !self.stopped
            && self.next_sort < self.file.chunks()
            && self.next_sort <= k + AHEAD * self.workers as u64
    }

    /// A list from another worker; while it is not there, this worker's own chunk is
    /// read on.
    fn receive(&mut self, rx: &Receiver<Part>, k: u64) -> Option<Part> {
        loop {
            match rx.try_recv() {
                Ok(part) => return Some(part),
                Err(mpsc::TryRecvError::Disconnected) => return None,
                Err(mpsc::TryRecvError::Empty) => {}
            }
            if self.keep_sorting(k) {
                continue;
            }
            // Nothing to read: the wait is used to measure a strength the output would
            // measure at the end (one at a time, under a millisecond each), once
            // zxcvbn's dictionaries are built.
            if strength::prepared()
                && let Some(secret) = self.shared.next_ahead()
            {
                secret.measure();
            } else {
                return rx.recv().ok();
            }
        }
    }

    /// One step of this worker's reading while chunk `k` is processed: a record of the
    /// chunk under way, its completion once read (when the end of the chunk before it is
    /// known), or the beginning of the next. False when there was nothing to do.
    fn keep_sorting(&mut self, k: u64) -> bool {
        let Some(p) = &mut self.pending else {
            if self.can_begin(k) {
                self.begin();
                return true;
            }
            return false;
        };
        if let Some((_, s)) = &mut p.guess
            && s.step()
        {
            return true;
        }
        if p.boundary.is_none()
            && let Some(rx) = &self.bound_in
        {
            match rx.try_recv() {
                Ok(b) => p.boundary = Some(b),
                Err(mpsc::TryRecvError::Disconnected) => p.boundary = Some(Boundary::Stop),
                Err(mpsc::TryRecvError::Empty) => return false,
            }
        }
        self.complete();
        true
    }

    /// Begins reading chunk `self.next_sort`: from a guess of where its first record
    /// starts, while the previous chunk is still being read elsewhere.
    fn begin(&mut self) {
        let k = self.next_sort;
        self.next_sort += self.workers as u64;
        let chunk = match self.file.map(k) {
            Ok(c) => c,
            Err(e) => {
                self.stop_reading(Some(CaptureError::Io(e)));
                return;
            }
        };
        let guess = self.file.guess_start(&chunk);
        let section = self.file.guessed_section(&chunk);
        // Chunk 0 needs no boundary: it starts after the file header.
        let boundary = (k == 0).then(|| Boundary::At {
            offset: guess.unwrap_or_default(),
            frames: 0,
            section: section.clone(),
        });
        self.pending = Some(Pending {
            k,
            guess: guess.map(|g| {
                let lists = self.spare.lists(self.workers);
                (g, Sorting::new(self.file, &chunk, g, 0, section, lists))
            }),
            chunk,
            boundary,
        });
    }

    /// Finishes the chunk under way: reads the rest of it, learns where the previous
    /// chunk ended (waiting for it if need be) and, if the guess was wrong, reads the
    /// chunk again from there; hands each other worker its list and the next reader the
    /// chunk's end.
    fn complete(&mut self) {
        let Some(p) = self.pending.take() else {
            return;
        };
        let boundary = match p.boundary {
            Some(b) => Some(b),
            None => self.bound_in.as_ref().and_then(|rx| rx.recv().ok()),
        };
        let (start, frames, section) = match boundary {
            Some(Boundary::At {
                offset,
                frames,
                section,
            }) => (offset, frames, section),
            Some(Boundary::Stop) | None => {
                self.stop_reading(None);
                return;
            }
        };
        let chunk = p.chunk;
        let sorted = match p.guess {
            Some((g, s))
                // (`Arc`'s equality compares the pointers first.)
                if g == start && s.section == section =>
            {
                // The guess was right: only the frame numbers were unknown.
                let mut s = s.finish(self.file);
                for p in &mut s.parts {
                    p.base = frames;
                }
                if let Boundary::At { frames: f, .. } = &mut s.boundary {
                    *f += frames;
                }
                if let Some(e) = &mut s.parts[0].error {
                    shift_frames(e, frames);
                }
                s
            }
            _ if start >= chunk.end() => {
                // A record longer than the chunk: nothing starts in it.
                Sorted {
                    parts: (0..self.workers)
                        .map(|_| Part::empty(frames, false))
                        .collect(),
                    boundary: Boundary::At {
                        offset: start,
                        frames,
                        section,
                    },
                    stats: Stats::default(),
                }
            }
            _ => {
                let lists = self.spare.lists(self.workers);
                Sorting::new(self.file, &chunk, start, frames, section, lists).finish(self.file)
            }
        };
        self.stats.add(&sorted.stats);
        self.shared
            .packets
            .fetch_add(sorted.stats.packets, Ordering::Relaxed);
        self.shared
            .bytes
            .fetch_add(sorted.stats.bytes, Ordering::Relaxed);
        if matches!(sorted.boundary, Boundary::Stop) {
            self.stopped = true;
        }
        if let Some(tx) = &self.bound_out {
            let _ = tx.send(sorted.boundary);
        }
        for (to, part) in sorted.parts.into_iter().enumerate() {
            if to == self.me {
                self.mine.push_back(part);
            } else if let Some(Some(tx)) = self.to_others.get(to) {
                let _ = tx.send(part);
            }
        }
    }

    /// Reading ends before chunk `self.next_sort`: every worker gets a last, empty list.
    fn stop_reading(&mut self, error: Option<CaptureError>) {
        let mut error = error;
        self.stopped = true;
        if let Some(tx) = &self.bound_out {
            let _ = tx.send(Boundary::Stop);
        }
        for to in 0..self.workers {
            let mut part = Part::empty(0, true);
            if to == 0 {
                part.error = error.take();
            }
            if to == self.me {
                self.mine.push_back(part);
            } else if let Some(Some(tx)) = self.to_others.get(to) {
                let _ = tx.send(part);
            }
        }
    }

    /// Processes one list (of chunk `k`); false when the output is gone.
    fn process(&mut self, part: Part, k: u64) -> bool {
        if let Some(e) = part.error {
            self.error = Some(e);
        }
        let Some(chunk) = part.chunk else {
            return true;
        };
        let bytes = chunk.bytes();
        let primary = self.me == 0;
        for (n, e) in part.entries.iter().enumerate() {
            // The packets' addresses are known ahead: their first bytes are asked for a
            // few packets before they are read (they were last read on another core, or
            // chunks ago). A packet decoded by its reader needs no header read again, but
            // its payload starts there too: probes, dissectors and the checksum read it
            // (a million DNS queries, two threads: 8 % less CPU with it).
            if let Some(ahead) = part.entries.get(n + PREFETCH)
                && let Some(b) = bytes.get(ahead.at as usize..)
            {
                prefetch_head(b);
            }
            let at = e.at as usize;
            let Some(data) = bytes.get(at..at + e.len as usize) else {
                continue;
            };
            let pkt = Packet {
                frame: part.base + u64::from(e.index) + 1,
                ts: e.ts.into(),
                linktype: LinkType(u32::from(e.link)),
                data,
                orig_len: e.orig_len,
            };
            let meta = Meta {
                frame: pkt.frame,
                ts: pkt.ts,
            };
            // Put back together before the reader's step below and used in place, by
            // reference: the flow stage reads an address whole, and a load wider than
            // the stores that just wrote it (an IPv4 address in a 16-byte slot, or a
            // move's 16-byte copies across two fields) waits for them to land; the step
            // gives them time (see BENCHMARKS.md).
            let packed = e.decoded.and_then(|d| d.over(data));
            self.flows.advance(e.clock.into());
            self.keep_sorting(k);
            let again;
            let decoded = match &packed {
                Some(d) => Ok(d),
                None => {
                    again = self.decoder.decode(&pkt);
                    again.as_ref().map_err(|skip| *skip)
                }
            };
            match decoded {
                Ok(d) => {
                    if !e.fragment || shard(d, self.workers) == self.me {
                        let raw = self.keep_packets.then_some(&pkt);
                        self.flows.decoded(d, meta, raw);
                    } else {
                        self.flows.advance(meta.ts);
                    }
                }
                Err(skip) if e.fragment && primary => count_skip(&mut self.stats, skip),
                Err(Skip::NotTcpUdp) if !e.fragment => {
                    if let Some(o) = decode_stateless(&pkt).other(&pkt) {
                        self.flows.other(&o, meta, Some(&pkt));
                    }
                }
                Err(_) => {}
            }
            if n % 256 == 255 && !self.send(false) {
                return false;
            }
        }
        self.flows.advance(part.clock);
        self.spare.give_back(part.entries);
        if primary {
            self.shared
                .read
                .fetch_max(chunk.end().min(self.file.len()), Ordering::Relaxed);
        }
        self.send(false)
    }

    /// Hands the findings and kept packets so far to the output thread, when it is time
    /// or at once with `now` ([`Outbox`]); their secrets are queued for their strengths at
    /// once.
    fn send(&mut self, now: bool) -> bool {
        let shared = &self.shared;
        self.outbox
            .send(&mut self.flows, &self.found_tx, now, |found| {
                if let Ok(mut ahead) = shared.ahead.lock() {
                    let room = AHEAD_MAX.saturating_sub(ahead.len());
                    ahead.extend(found.iter().filter_map(Ahead::of).take(room));
                }
            })
    }

    fn finish(mut self) -> (Stats, Option<CaptureError>) {
        self.flows.finish();
        self.send(true);
        // The strengths left: measured here by the workers together rather than after
        // every one of them is done.
        while let Some(secret) = self.shared.next_ahead() {
            secret.measure();
        }
        let mut s = self.flows.stats();
        s.packets += self.stats.packets;
        s.bytes += self.stats.bytes;
        s.other_packets += self.stats.other_packets;
        s.malformed += self.stats.malformed;
        s.unsupported_linktype += self.stats.unsupported_linktype;
        if self.me == 0 {
            s.defrag = self.decoder.defrag_stats();
        }
        (s, self.error)
    }
}

/// Makes the frame number of an error read with an unknown base absolute.
fn shift_frames(e: &mut CaptureError, frames: u64) {
    match e {
        CaptureError::Truncated { frame } | CaptureError::Corrupt { frame, .. } => *frame += frames,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::capture::FileSource;
    use crate::finding::Finding;

    /// Findings as comparable lines, and the threads asked for and tried next each time
    /// the run was made again with fewer.
    #[derive(Default)]
    struct Collect(Vec<String>, Vec<(usize, usize)>);

    impl Output for Collect {
        fn finding(&mut self, f: Finding) -> bool {
            self.0.push(format!(
                "{:?} {:?} {:?} {:?}",
                f.credential, f.client, f.server, f.packets
            ));
            true
        }

        fn fewer_threads(&mut self, s: &super::super::Shortfall) {
            self.1.push((s.wanted, s.used));
        }
    }

    fn limits() -> Limits {
        Limits {
            keep_packets: true,
            ..Limits::default()
        }
    }

    /// The findings sorted (threads finish in any order), the counters, the error.
    fn outcome(out: Collect, r: RunResult) -> (Vec<String>, Stats, Option<String>) {
        let mut found = out.0;
        found.sort();
        (found, r.stats, r.error.map(|e| e.to_string()))
    }

    /// One thread reading the file from start to end.
    fn inline(path: &Path) -> (Vec<String>, Stats, Option<String>) {
        let mut source = FileSource::open(File::open(path).unwrap()).unwrap();
        let mut out = Collect::default();
        let r = super::super::run(
            &mut source,
            1,
            Arc::new(Registry::builtin()),
            limits(),
            Arc::from("x"),
            &mut out,
        );
        outcome(out, r)
    }

    /// The reader-and-workers runner (streams, live), with `threads` workers.
    fn streamed(path: &Path, threads: usize) -> (Collect, RunResult) {
        let mut source = FileSource::new(File::open(path).unwrap()).unwrap();
        let mut out = Collect::default();
        let r = super::super::run(
            &mut source,
            threads,
            Arc::new(Registry::builtin()),
            limits(),
            Arc::from("x"),
            &mut out,
        );
        (out, r)
    }

    /// The runner whose workers each read the whole file, with `threads` workers.
    fn replicated(path: &Path, threads: usize) -> (Collect, RunResult) {
        let mut first = FileSource::open(File::open(path).unwrap()).unwrap();
        let rest: Vec<Box<dyn crate::capture::PacketSource + Send>> = (1..threads)
            .map(|_| {
                Box::new(FileSource::open(File::open(path).unwrap()).unwrap())
                    as Box<dyn crate::capture::PacketSource + Send>
            })
            .collect();
        let mut out = Collect::default();
        let r = super::super::run_replicated(
            &mut first,
            rest,
            Arc::new(Registry::builtin()),
            limits(),
            Arc::from("x"),
            &mut out,
        );
        (out, r)
    }

    /// The two other runners, with `threads` workers.
    fn others(path: &Path, threads: usize) -> [Outcome; 2] {
        let (out, r) = streamed(path, threads);
        let (again, s) = replicated(path, threads);
        [outcome(out, r), outcome(again, s)]
    }

    fn chunked(
        path: &Path,
        chunk: u64,
        region: u64,
        threads: usize,
    ) -> (Vec<String>, Stats, Option<String>) {
        let file = ChunkedFile::with_sizes(&File::open(path).unwrap(), chunk, region).unwrap();
        let (out, r) = run_chunks(&file, threads);
        outcome(out, r.expect("the workers started"))
    }

    /// The chunked runner over `file` with `threads` workers.
    fn run_chunks(file: &ChunkedFile, threads: usize) -> (Collect, Result<RunResult, Shortfall>) {
        let mut out = Collect::default();
        let r = run_chunked(
            file,
            threads,
            Arc::new(Registry::builtin()),
            limits(),
            Arc::from("x"),
            &mut out,
        );
        (out, r)
    }

    type Outcome = (Vec<String>, Stats, Option<String>);

    /// The same findings (with their packets and frame numbers), counters and error.
    fn assert_same(what: &str, (f, s, e): &Outcome, (found, stats, error): &Outcome) {
        assert_eq!(e, error, "{what}");
        assert_eq!(f, found, "{what}");
        assert_eq!(s.packets, stats.packets, "{what}");
        assert_eq!(s.bytes, stats.bytes, "{what}");
        assert_eq!(s.tcp_segments, stats.tcp_segments, "{what}");
        assert_eq!(s.udp_datagrams, stats.udp_datagrams, "{what}");
        assert_eq!(s.other_packets, stats.other_packets, "{what}");
        assert_eq!(s.malformed, stats.malformed, "{what}");
        assert_eq!(s.findings, stats.findings, "{what}");
    }

    /// Same findings (with their packets and frame numbers), same counters, same error.
    fn check(path: &Path) {
        let (found, stats, error) = inline(path);
        let runs = [(4096, 4096, 2), (4096, 3 * 4096, 3), (8192, 1 << 20, 2)]
            .into_iter()
            .map(|(chunk, region, threads)| {
                let what = format!(
                    "{} chunk {chunk} region {region} threads {threads}",
                    path.display()
                );
                (what, chunked(path, chunk, region, threads))
            })
            .chain(
                others(path, 2)
                    .into_iter()
                    .zip(["streamed", "replicated"])
                    .map(|(r, name)| (format!("{} {name}, 2 threads", path.display()), r)),
            );
        let want = (found, stats, error);
        for (what, got) in runs {
            assert_same(&what, &got, &want);
        }
    }

    /// A thread the operating system refuses (a limit on threads) stops the threads
    /// started before it, which have read nothing, and the run is made again with as many
    /// as were started: the findings and counters of one thread, the shortfall told. The
    /// chunked runner started with fewer than two leaves the file unread, for the caller
    /// to read on its own thread; the other runners read it on the calling thread.
    #[test]
    fn a_refused_thread_leaves_the_run_to_those_started() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo.pcap");
        let want = inline(&path);
        assert!(!want.0.is_empty());
        let file = ChunkedFile::with_sizes(&File::open(&path).unwrap(), 4096, 3 * 4096).unwrap();
        let chunks = |threads, refused| {
            super::super::refuse::after(refused);
            run_chunks(&file, threads)
        };
        // The third of three workers refused: two read the file.
        let (out, r) = chunks(3, 2);
        let r = r.expect("two workers started");
        let s = r.shortfall.as_ref().expect("the shortfall told");
        assert_eq!((s.wanted, s.used), (3, 2));
        assert!(s.to_string().contains("could not start 3 threads"), "{s}");
        assert_eq!(out.1, [(3, 2)], "told before the second attempt");
        assert_same("chunked, third refused", &outcome(out, r), &want);
        // The second of two: nothing read.
        let (out, r) = chunks(2, 1);
        let s = r.err().expect("fewer than two started");
        assert_eq!((s.wanted, s.used), (2, 1));
        assert!(out.0.is_empty() && out.1.is_empty());
        // The reader-and-workers runner: the second worker of three refused (one
        // started: the calling thread reads alone), then the reader after three workers
        // (two workers then).
        for (refused, used) in [(1, 1), (3, 2)] {
            super::super::refuse::after(refused);
            let (out, r) = streamed(&path, 3);
            let s = r.shortfall.as_ref().expect("the shortfall told");
            assert_eq!((s.wanted, s.used), (3, used));
            assert_eq!(out.1, [(3, used)]);
            assert_same(&format!("streamed, {used} used"), &outcome(out, r), &want);
        }
        // The runner whose workers each read the whole file: the second of three.
        super::super::refuse::after(1);
        let (out, r) = replicated(&path, 3);
        let s = r.shortfall.as_ref().expect("the shortfall told");
        assert_eq!((s.wanted, s.used), (3, 1));
        assert_same("replicated, second refused", &outcome(out, r), &want);
    }

    fn classic_fixtures() -> Vec<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
            .filter(|p| ChunkedFile::open(&File::open(p).unwrap()).is_some())
            .collect();
        files.sort();
        files
    }

    /// Entries carry any capture time exactly (a pcapng time need not fit 64-bit
    /// nanoseconds: resolutions, offsets, damage).
    #[test]
    fn entry_times_are_exact() {
        for secs in [
            i64::MIN,
            -1,
            0,
            1,
            1_147_305_355,
            i64::from(u32::MAX),
            1 << 40,
            i64::MAX,
        ] {
            for nanos in [0, 1, 999_999_999] {
                let t = Timestamp { secs, nanos };
                assert_eq!(Timestamp::from(Time::from(t)), t, "{secs} {nanos}");
            }
        }
    }

    /// A pcapng section with more interface descriptions than a section keeps (hostile:
    /// every chunk's reader reads the section's blocks again): the ones past the cap are
    /// ignored alike by one reader and by the chunks, whose replay stays bounded.
    #[test]
    fn interface_descriptions_past_the_cap_are_ignored_alike() {
        use crate::capture::PacketSource;
        let classic = std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/ftp-logins.pcap"),
        )
        .unwrap();
        let idb = |i: u32| {
            let mut b = vec![1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0];
            b.extend_from_slice(&(65535 + i % 2).to_le_bytes());
            b.extend_from_slice(&20u32.to_le_bytes());
            b
        };
        let many = |i: usize, block: &mut Vec<u8>| {
            if i < 8 {
                let mut idbs: Vec<u8> = (0..8_000).flat_map(idb).collect();
                idbs.append(block);
                *block = idbs;
            }
            // Interfaces kept (0, 20,000) and past the cap (60,000 on).
            let iface = [0u32, 20_000, 60_000, 63_999][i % 4];
            let at = block.len() - block_len(block);
            block[at + 8..at + 12].copy_from_slice(&iface.to_le_bytes());
        };
        fn block_len(block: &[u8]) -> usize {
            u32::from_le_bytes(block[block.len() - 4..].try_into().unwrap()) as usize
        }
        let bytes = crate::synth::to_pcapng(&classic, false, false, &many);
        assert!(bytes.len() > crate::capture::MAX_SECTION);
        let path = tmp("many-interfaces.pcapng", &bytes);
        let mut one = FileSource::open(File::open(&path).unwrap()).unwrap();
        let mut packets = 0;
        while let Ok(crate::capture::Next::Packet(_)) = one.poll() {
            packets += 1;
        }
        assert!(
            packets > 0 && one.unknown_interface > 0,
            "{packets} {}",
            one.unknown_interface
        );
        // The header (without options) and the descriptions kept.
        let sections = chunk_sections(&path, 1 << 20);
        assert!(!sections.is_empty());
        assert!(
            sections
                .iter()
                .all(|&len| len <= 28 + crate::capture::MAX_SECTION),
            "{sections:?}"
        );
        check(&path);
    }

    /// The length of the section each chunk's reader ends in (of the chunks after the
    /// first whose start is guessed), the file cut into chunks of 64 KiB.
    fn chunk_sections(path: &Path, region: u64) -> Vec<usize> {
        let file = ChunkedFile::with_sizes(&File::open(path).unwrap(), 1 << 16, region).unwrap();
        let mut sections = Vec::new();
        for k in 1..file.chunks() {
            let chunk = file.map(k).unwrap();
            if let Some(g) = file.guess_start(&chunk) {
                let mut s = file.source(&chunk, g, &file.guessed_section(&chunk));
                while let Ok(Some(_)) = s.next_packet(0) {}
                sections.push(s.section().len());
            }
        }
        sections
    }

    /// A section header with a megabyte of options (a hostile or odd writer) is not read
    /// again before every chunk: the chunks' readers get it without its options, and
    /// read what one reader reads — the header counts toward neither reader's cap on
    /// interface descriptions (400 KB of them here, which with the header would pass it).
    #[test]
    fn a_huge_section_header_is_not_replayed_whole() {
        let classic =
            std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo.pcap"))
                .unwrap();
        for big_endian in [false, true] {
            let u32_bytes = |v: u32| crate::synth::in_order(v.to_le_bytes(), big_endian);
            let u16_bytes = |v: u16| crate::synth::in_order(v.to_le_bytes(), big_endian);
            let field = |b: &[u8], at: usize| crate::capture::word(b, at, big_endian).unwrap();
            // 20,000 interface descriptions before the first eight packets; packets on
            // the first interface, the 15,000th and the last.
            let interfaces = |i: usize, block: &mut Vec<u8>| {
                if i < 8 {
                    let mut idbs = Vec::new();
                    for _ in 0..2_500 {
                        idbs.extend_from_slice(&u32_bytes(1));
                        idbs.extend_from_slice(&u32_bytes(20));
                        idbs.extend_from_slice(&u16_bytes(1));
                        idbs.extend_from_slice(&[0; 2]);
                        idbs.extend_from_slice(&u32_bytes(65_535));
                        idbs.extend_from_slice(&u32_bytes(20));
                    }
                    idbs.extend_from_slice(&block[..]);
                    *block = idbs;
                }
                let at = block.len() - field(block, block.len() - 4) as usize;
                let iface = [0u32, 15_000, 19_999][i % 3];
                block[at + 8..at + 12].copy_from_slice(&u32_bytes(iface));
            };
            let mut bytes = crate::synth::to_pcapng(&classic, big_endian, false, &interfaces);
            // 850 KB of comments in the section header (its reader must still find the
            // first packet in the file's first MiB for the file to be cut).
            crate::synth::with_long_section_header(&mut bytes, big_endian, 13);
            let path = tmp(&format!("huge-shb-{big_endian}.pcapng"), &bytes);
            // The descriptions (400 KB at most), not the header's 850 KB.
            let sections = chunk_sections(&path, 1 << 22);
            assert!(
                !sections.is_empty(),
                "no chunk after the header holds a packet"
            );
            assert!(sections.iter().all(|&len| len < 500_000), "{sections:?}");
            check(&path);
        }
    }

    #[test]
    fn every_fixture_as_pcapng_reads_the_same_in_small_chunks() {
        let files: Vec<PathBuf> = crate::synth::fixtures_and_pcapng()
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "pcapng"))
            .filter(|p| ChunkedFile::open(&File::open(p).unwrap()).is_some())
            .collect();
        assert!(files.len() > 60, "{} pcapng files", files.len());
        for path in files {
            check(&path);
        }
    }

    fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("plainsight-chunked-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// A closed connection behind an open one in activity order ends after the closed
    /// timeout, whatever other flows share its worker: a retransmitted login 40 s after the
    /// close is a new flow's (and a finding) for one thread and for every sharing of the
    /// flows over workers. Before closed and open flows had their own orders, the open
    /// flow ahead kept the closed one past its timeout with one thread, and a worker that
    /// did not own the open flow ended it: the retransmission counted there only.
    #[test]
    fn a_closed_flow_ends_on_time_whatever_shares_its_table() {
        use crate::synth::{Flags, SynthPacket, TcpConversation};
        let sa = |s: &str| -> std::net::SocketAddr { s.parse().unwrap() };
        let t0 = Timestamp::new(1_700_000_000, 0);
        let mut packets: Vec<SynthPacket> = Vec::new();
        // Open flows, quiet from the start (their idle timeout is far longer).
        for port in 40_000..40_012u16 {
            let mut open = TcpConversation::new(
                sa(&format!("10.9.0.{}:{port}", port % 7 + 2)),
                sa("10.9.1.1:80"),
            )
            .starting_at(t0);
            open.handshake();
            packets.extend(open.into_packets());
        }
        let mut ftp = TcpConversation::new(sa("10.9.0.50:41000"), sa("10.9.1.2:21"))
            .without_acks()
            .starting_at(Timestamp::new(t0.secs + 1, 0));
        ftp.handshake();
        ftp.server(b"220 ready\r\n");
        let pass_seq = ftp.next_seq(true);
        let reply_seq = ftp.next_seq(false);
        ftp.close();
        // 40 s later (closed timeout 30 s): a retransmitted password and its answer.
        ftp.wait(40);
        let data = Flags {
            syn: false,
            ack: true,
            fin: false,
            rst: false,
            psh: true,
        };
        ftp.raw(true, pass_seq, data, b"PASS late-secret\r\n");
        ftp.raw(false, reply_seq, data, b"230 ok\r\n");
        packets.extend(ftp.into_packets());
        // Another connection just before: capture time reaches the late packets' second
        // (expiry runs as time moves on, after the packet that moved it).
        let mut tick = TcpConversation::new(sa("10.9.0.99:42000"), sa("10.9.1.1:80"))
            .starting_at(Timestamp::new(t0.secs + 41, 0));
        tick.handshake();
        packets.extend(tick.into_packets());
        packets.sort_by_key(|p| p.ts);
        let path = tmp(
            "closed-behind-open.pcap",
            &crate::synth::ethernet_pcap(&packets),
        );
        let (found, _, _) = inline(&path);
        let secret = format!("{:?}", b"late-secret".to_vec());
        assert!(
            found.iter().any(|f| f.contains(&secret)),
            "the closed flow ended on time: the late login is a new flow's: {found:?}"
        );
        check(&path);
    }

    /// Lists come back empty with their room, long ones are not kept, and the store of
    /// spare lists stays bounded.
    #[test]
    fn spare_lists_are_reused_empty_and_bounded() {
        let mut spare = Spare::default();
        let entry = Entry {
            at: 1,
            len: 2,
            orig_len: 2,
            index: 0,
            ts: Timestamp::ZERO.into(),
            clock: Timestamp::ZERO.into(),
            link: 1,
            fragment: false,
            decoded: None,
        };
        let mut used = Vec::with_capacity(100);
        used.extend(std::iter::repeat_n(entry, 60));
        spare.give_back(used);
        let lists = spare.lists(2);
        assert_eq!(lists.len(), 2);
        assert!(lists.iter().all(Vec::is_empty));
        assert!(
            lists.iter().any(|l| l.capacity() >= 100),
            "the room is kept"
        );
        // Too long to keep.
        spare.give_back(Vec::with_capacity(SPARE_ENTRIES + 1));
        assert!(spare.lists(1)[0].capacity() <= SPARE_ENTRIES);
        for _ in 0..SPARE_MAX + 5 {
            spare.give_back(Vec::with_capacity(10));
        }
        assert_eq!(spare.0.len(), SPARE_MAX);
        // What a worker may hold, as its documentation says.
        assert!(SPARE_MAX * SPARE_ENTRIES * std::mem::size_of::<Entry>() <= 13_700_000);
        assert_eq!(spare.lists(SPARE_MAX + 3).len(), SPARE_MAX + 3);
        assert!(spare.0.is_empty());
    }

    #[test]
    fn every_fixture_reads_the_same_in_small_chunks() {
        let files = classic_fixtures();
        assert!(files.len() > 20, "{} classic fixtures", files.len());
        for path in files {
            check(&path);
        }
    }

    #[test]
    fn generated_traffic_with_flows_across_many_chunks_reads_the_same() {
        // Interleaved flows, retransmissions and reordering, planted logins of every
        // protocol: every flow crosses many chunks read by different threads.
        let config = crate::synth::mixed::Config {
            bytes: 3_000_000,
            seed: 7,
            concurrent: 300,
            logins_per_gb: 30_000,
            ..Default::default()
        };
        let mut bytes = Vec::new();
        let mut planted = 0;
        crate::synth::mixed::write_pcap(&config, &mut bytes, |_| planted += 1).unwrap();
        let path = tmp("mixed", &bytes);
        let (found, _, _) = inline(&path);
        assert!(
            found.len() >= planted && planted >= 40,
            "{} of {planted}",
            found.len()
        );
        check(&path);
    }

    #[test]
    fn third_party_captures_read_the_same_in_small_chunks() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/third-party");
        let Ok(dirs) = std::fs::read_dir(&dir) else {
            return;
        };
        for d in dirs.filter_map(|e| e.ok()).filter(|e| e.path().is_dir()) {
            for f in std::fs::read_dir(d.path()).unwrap().filter_map(|e| e.ok()) {
                let path = f.path();
                if File::open(&path)
                    .ok()
                    .and_then(|f| ChunkedFile::open(&f))
                    .is_some()
                {
                    check(&path);
                }
            }
        }
    }

    /// A big fixture with many findings (the most records).
    fn biggest() -> Vec<u8> {
        classic_fixtures()
            .into_iter()
            .map(|p| std::fs::read(p).unwrap())
            .filter(|b| b[..4] == [0xd4, 0xc3, 0xb2, 0xa1])
            .max_by_key(|b| crate::synth::records(b).len())
            .unwrap()
    }

    #[test]
    fn damaged_files_end_where_one_reader_ends() {
        let good = biggest();
        let recs = crate::synth::records(&good);
        let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
        for cut in [
            good.len() - 7,
            good.len() / 2,
            good.len() / 3 + 5,
            4096 + 3,
            8192,
        ] {
            cases.push((format!("cut-{cut}"), good[..cut.min(good.len())].to_vec()));
        }
        for &i in &[recs.len() / 2, recs.len() / 4, 3] {
            let mut v = good.clone();
            let at = recs[i].0;
            v[at + 8..at + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
            cases.push((format!("corrupt-{i}"), v));
        }
        for (name, bytes) in cases {
            check(&tmp(&name, &bytes));
        }
    }

    #[test]
    fn random_byte_errors_anywhere_read_the_same_in_chunks() {
        // Record headers hit too: lengths that run past the file, impossible lengths,
        // timestamps that break the resync's plausibility checks.
        let config = crate::synth::mixed::Config {
            bytes: 400_000,
            seed: 3,
            concurrent: 50,
            logins_per_gb: 100_000,
            ..Default::default()
        };
        let mut good = Vec::new();
        crate::synth::mixed::write_pcap(&config, &mut good, |_| {}).unwrap();
        let mut rng = crate::dissect::garbage::Rng::new(0x5eed_1234);
        for round in 0..60 {
            let mut bytes = good.clone();
            for _ in 0..1 + rng.next() % 20 {
                let at = 24 + rng.next() as usize % (bytes.len() - 24);
                bytes[at] = rng.next() as u8;
            }
            check(&tmp(&format!("errors-{round}"), &bytes));
        }
    }

    /// A UDP packet (Ethernet, IPv4) from 10.0.0.1:9 to 10.0.0.2:9 carrying `payload`.
    fn udp_frame(payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        let total = (20 + 8 + payload.len()) as u16;
        f.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0]);
        f[16..18].copy_from_slice(&total.to_be_bytes());
        f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
        f.extend_from_slice(&[0, 9, 0, 9]);
        f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(payload);
        f
    }

    fn record(ts: u32, frame: &[u8]) -> Vec<u8> {
        let mut r = Vec::new();
        r.extend_from_slice(&ts.to_le_bytes());
        r.extend_from_slice(&0u32.to_le_bytes());
        r.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        r.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        r.extend_from_slice(frame);
        r
    }

    #[test]
    fn payloads_that_look_like_records_do_not_fool_the_cut() {
        // The records of a real capture, each followed by a datagram whose payload is a run
        // of well-formed record headers: a cut landing in such a payload finds a chain of
        // plausible records there, which the true boundary then overrules.
        let good = biggest();
        let ts = u32::from_le_bytes(good[24..28].try_into().unwrap());
        let mut fake = Vec::new();
        for _ in 0..40 {
            fake.extend_from_slice(&record(ts, &[0x41; 20]));
        }
        let decoy = record(ts, &udp_frame(&fake));
        let mut bytes = good[..24].to_vec();
        for (start, end) in crate::synth::records(&good) {
            bytes.extend_from_slice(&good[start..end]);
            bytes.extend_from_slice(&decoy);
        }
        let path = tmp("decoys", &bytes);
        // The decoys are long enough that some cut lands in one.
        let file = ChunkedFile::with_sizes(&File::open(&path).unwrap(), 4096, 4096).unwrap();
        let mut fooled = 0;
        let mut k = 1;
        while k < file.chunks() {
            let chunk = file.map(k).unwrap();
            let guess = file.guess_start(&chunk);
            let starts: Vec<u64> = crate::synth::records(&bytes)
                .iter()
                .map(|r| r.0 as u64)
                .collect();
            if guess.is_some_and(|g| !starts.contains(&g)) {
                fooled += 1;
            }
            k += 1;
        }
        assert!(fooled > 0, "no cut landed in a decoy");
        check(&path);
    }
}
