//! A classic pcap file cut into chunks that several threads read at once.
//!
//! Reading a capture is a chain: where a record starts is known only once the previous
//! record's length has been read, and on the benchmark machine that walk (a cache miss
//! per record) was most of what every worker of a multi-threaded scan repeated over the
//! whole file. Here the file is cut at fixed offsets into chunks of [`CHUNK`] bytes; a
//! chunk holds the records that *start* inside it. The thread that reads chunk `k` finds
//! its first record by recognising a run of plausible record headers after the cut
//! ([`ChunkedFile::guess_start`]), reads the chunk's records from there, and checks its
//! guess against where the reader of chunk `k - 1` actually ended before anything it read
//! is used; when they differ (a payload that looks like record headers, a record longer
//! than the search), the chunk is read again from the true start. A guess only ever
//! costs time, never a packet.
//!
//! A pcapng file is cut the same way: its blocks are found after a cut by their lengths
//! (each block ends with a copy of its length), and a chunk's packets refer to interfaces
//! described earlier in the file. The reader of a chunk is therefore given the blocks that
//! describe the section it starts in (its Section Header Block and Interface Description
//! Blocks, [`Section`]) and reads them first; a guess assumes the section the file starts
//! with, and is checked against the section the previous chunk ended in as well as its
//! end offset. Maps are regions of the file shared by the chunks in them, dropped when
//! every thread is done with them, so the resident set stays a few regions whatever the
//! size of the file.

use std::fs::File;
use std::sync::{Arc, Mutex, Weak};

use super::mapped::parse_ng_block;
use memmap2::Mmap;
use pcap_parser::nom;
use pcap_parser::pcap::{
    LegacyPcapBlock, PcapHeader, parse_pcap_frame, parse_pcap_frame_be, parse_pcap_header,
};
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};

use super::file::{MAX_RECORD, MAX_SECTION, max_caplen, word};
use super::{CaptureError, FileSource};

/// Bytes of file per chunk.
pub const CHUNK: u64 = 2 << 20;
/// Bytes of file per memory map, a multiple of [`CHUNK`]. A map is shared by the threads
/// and unmapped once all are done with it; unmapping memory that another thread of the
/// process has read interrupts that thread to flush its TLB, so maps are few and large:
/// with a map per chunk, those interruptions slowed both workers by half.
const REGION: u64 = 16 << 20;
/// Past its end, a chunk's map reaches this far, for the record that crosses the cut
/// (a record is at most this long; longer ones are refused as corrupt).
const SLACK: u64 = MAX_RECORD as u64 + 16;
/// How far after a cut the first record is looked for.
const SEARCH: usize = 256 << 10;
/// Record headers in a row that make a guess.
const RUN: usize = 8;
/// Size of a classic pcap file header and of a record header.
const FILE_HEADER: u64 = 24;
const RECORD_HEADER: usize = 16;

/// pcapng block types: Section Header, Interface Description.
const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
/// The byte-order magic of a Section Header Block, as written.
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
/// How far into a pcapng file the blocks before its first packet are looked at.
const NG_HEAD: usize = 1 << 20;

type LegacyParse = fn(&[u8]) -> nom::IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

/// A pcapng section as a reader needs it to read a packet in the middle of it: the
/// section's header (without its options) and the interface descriptions that came after
/// it (up to that packet), as the bytes of those blocks in the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    blocks: Vec<u8>,
    /// Bytes of `blocks` that are the section header.
    header: usize,
    big_endian: bool,
}

/// A Section Header Block's fields before its options: type, length, byte-order magic,
/// version, section length.
const SHB_FIELDS: usize = 24;

impl Section {
    /// Bytes of its blocks.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Follows `block` (one whole block): a section header starts a new section, an
    /// interface description is added to it unless the section's descriptions would pass
    /// [`MAX_SECTION`] (a reader ignores it then, see [`FileSource`]).
    ///
    /// The header is kept without its options (hardware, operating system, application:
    /// nothing a reader needs), and with the section length "not given": a block may hold
    /// up to 16 MiB of options, and the section is read again before every chunk.
    fn follow(&mut self, block: &[u8], big_endian: bool) {
        match word(block, 0, big_endian) {
            Some(SHB) => {
                self.big_endian = word(block, 8, false) != Some(BYTE_ORDER_MAGIC);
                self.blocks.clear();
                match block.get(..SHB_FIELDS) {
                    Some(fields) if block.len() > SHB_FIELDS + 4 => {
                        let len = SHB_FIELDS as u32 + 4;
                        let len = if self.big_endian {
                            len.to_be_bytes()
                        } else {
                            len.to_le_bytes()
                        };
                        self.blocks.extend_from_slice(&fields[..4]);
                        self.blocks.extend_from_slice(&len);
                        self.blocks.extend_from_slice(&fields[8..16]);
                        self.blocks.extend_from_slice(&[0xff; 8]);
                        self.blocks.extend_from_slice(&len);
                    }
                    _ => self.blocks.extend_from_slice(block),
                }
                self.header = self.blocks.len();
            }
            Some(IDB) if self.blocks.len() - self.header + block.len() <= MAX_SECTION => {
                self.blocks.extend_from_slice(block)
            }
            _ => {}
        }
    }
}

/// How the records of the file are written.
enum Layout {
    Legacy {
        header: PcapHeader,
        big_endian: bool,
        /// Timestamp fraction units per second (10^6 or 10^9).
        units: u32,
        /// Longest record a reader accepts.
        max_caplen: u32,
    },
    /// pcapng: the section the file's first packet is in (what a guess assumes).
    Ng { first: Arc<Section> },
}

/// A classic pcap or pcapng file, ready to be read chunk by chunk.
pub struct ChunkedFile {
    file: File,
    len: u64,
    layout: Layout,
    /// Bytes per chunk.
    chunk: u64,
    /// Bytes per region (a multiple of `chunk`).
    region: u64,
    /// Regions mapped and still in use by some thread.
    regions: Mutex<Vec<(u64, Weak<Mmap>)>>,
}

/// The bytes of one chunk: `[offset, offset + len)` of the file and what follows, in the
/// map of its region.
#[derive(Clone)]
pub struct Chunk {
    pub index: u64,
    /// File offset of the chunk's first byte (the cut).
    pub offset: u64,
    /// Bytes of the file that are the chunk's (the map goes on for the slack).
    len: u64,
    region: Arc<Mmap>,
    /// Where the chunk starts in its region's map.
    at: usize,
}

impl Chunk {
    /// The chunk's bytes and the rest of its region's map (at least the slack, or up to
    /// the end of the file).
    pub fn bytes(&self) -> &[u8] {
        &self.region[self.at..]
    }

    /// File offset where the next chunk begins.
    pub fn end(&self) -> u64 {
        self.offset + self.len
    }
}

impl ChunkedFile {
    /// `None` unless `file` is a regular classic pcap file (standard record format, either
    /// byte order) that can be mapped, and the user did not turn mapping off.
    pub fn open(file: &File) -> Option<ChunkedFile> {
        if std::env::var_os("PLAINSIGHT_NO_MMAP").is_some() {
            return None;
        }
        ChunkedFile::with_sizes(file, CHUNK, REGION)
    }

    /// [`ChunkedFile::open`] with chunks of `chunk` bytes and maps of `region` bytes
    /// (multiples of the page size, `region` of `chunk`).
    pub fn with_sizes(file: &File, chunk: u64, region: u64) -> Option<ChunkedFile> {
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() < FILE_HEADER {
            return None;
        }
        let file = file.try_clone().ok()?;
        let head = super::mapped::map_range(&file, 0, FILE_HEADER as usize).ok()?;
        let layout = if head.starts_with(&SHB.to_le_bytes()) {
            let len = usize::try_from(meta.len()).ok()?.min(NG_HEAD);
            let head = super::mapped::map_range(&file, 0, len).ok()?;
            Layout::Ng {
                first: Arc::new(first_section(&head, meta.len() as usize == len)?),
            }
        } else {
            let (_, header) = parse_pcap_header(&head).ok()?;
            if header.is_modified_format() {
                return None;
            }
            Layout::Legacy {
                big_endian: header.is_bigendian(),
                units: if header.is_nanosecond_precision() {
                    1_000_000_000
                } else {
                    1_000_000
                },
                max_caplen: max_caplen(header.snaplen),
                header,
            }
        };
        Some(ChunkedFile {
            len: meta.len(),
            layout,
            file,
            chunk,
            region,
            regions: Mutex::new(Vec::new()),
        })
    }

    /// The section a reader of `chunk` assumes until it knows where the previous chunk
    /// ended: none for the first chunk (its reader reads the file's first blocks), the
    /// section of the file's first packet for the others (empty for classic pcap).
    pub fn guessed_section(&self, chunk: &Chunk) -> Arc<Section> {
        match &self.layout {
            Layout::Ng { first } if chunk.index > 0 => first.clone(),
            _ => Arc::default(),
        }
    }

    /// Where the first chunk's first record or block is.
    fn first_record(&self) -> u64 {
        match self.layout {
            Layout::Legacy { .. } => FILE_HEADER,
            Layout::Ng { .. } => 0,
        }
    }

    /// Length of the file when it was opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len <= self.first_record()
    }

    /// How many chunks the file is cut into.
    pub fn chunks(&self) -> u64 {
        self.len.div_ceil(self.chunk).max(1)
    }

    /// Chunk `k`, its bytes loaded (the slack only where it is read). Its region is
    /// mapped by the first thread that needs it and unmapped when no thread needs it any
    /// more.
    pub fn map(&self, k: u64) -> std::io::Result<Chunk> {
        let offset = k * self.chunk;
        let r = offset / self.region;
        let region = {
            let mut regions = self.regions.lock().unwrap_or_else(|e| e.into_inner());
            regions.retain(|(_, w)| w.strong_count() > 0);
            match regions
                .iter()
                .find_map(|(i, w)| (*i == r).then(|| w.upgrade()).flatten())
            {
                Some(m) => m,
                None => {
                    let start = r * self.region;
                    let len = self.len.saturating_sub(start).min(self.region + SLACK);
                    let m = Arc::new(super::mapped::map_range(&self.file, start, len as usize)?);
                    regions.push((r, Arc::downgrade(&m)));
                    m
                }
            }
        };
        let at = (offset - r * self.region) as usize;
        let own = self.chunk.min(self.len - offset);
        super::mapped::populate(&region, at, own as usize);
        Ok(Chunk {
            index: k,
            offset,
            len: own,
            region,
            at,
        })
    }

    /// Whether a record or block that looks right starts at `at`, and where the next one
    /// would; `prev` is what the previous one gave (a classic record's seconds).
    fn plausible(&self, bytes: &[u8], at: usize, prev: Option<u32>) -> Option<(usize, u32)> {
        match &self.layout {
            Layout::Legacy {
                big_endian,
                units,
                max_caplen,
                ..
            } => {
                let field = |i| word(bytes, at + i, *big_endian);
                let (secs, frac) = (field(0)?, field(4)?);
                let (caplen, origlen) = (field(8)?, field(12)?);
                if frac >= *units
                    || caplen > *max_caplen
                    || origlen < caplen
                    || origlen > MAX_RECORD as u32
                    || prev.is_some_and(|p| p.abs_diff(secs) > 86_400)
                {
                    return None;
                }
                Some((at + RECORD_HEADER + caplen as usize, secs))
            }
            Layout::Ng { first } => {
                // A block of a known type whose length is repeated at its end; an
                // Enhanced Packet Block's packet fits in it.
                let field = |i| word(bytes, at + i, first.big_endian);
                let (kind, len) = (field(0)?, field(4)? as usize);
                if len < 12 || !len.is_multiple_of(4) || len > MAX_RECORD {
                    return None;
                }
                let known = matches!(kind, 1..=10 | SHB | 0x0bad | 0x4000_0bad);
                if !known || field(len - 4)? as usize != len {
                    return None;
                }
                if kind == 6 && (len < 32 || field(20)? as usize > len - 32) {
                    return None;
                }
                Some((at + len, 0))
            }
        }
    }

    /// Where the first record or block of `chunk` probably starts (a file offset): the
    /// first place after the cut where [`RUN`] plausible ones follow each other (or run
    /// to the end of the file); pcapng blocks start 4-byte aligned. Chunk 0 starts after
    /// the file header (classic pcap) or at the start. `None` when nothing convincing is
    /// found; the caller then waits for the true start.
    pub fn guess_start(&self, chunk: &Chunk) -> Option<u64> {
        if chunk.index == 0 {
            return Some(self.first_record());
        }
        let bytes = chunk.bytes();
        let file_end = (self.len - chunk.offset) as usize;
        let step = match self.layout {
            Layout::Legacy { .. } => 1,
            Layout::Ng { .. } => 4,
        };
        'candidates: for at in (0..SEARCH.min(bytes.len())).step_by(step) {
            let mut pos = at;
            let mut prev = None;
            for _ in 0..RUN {
                if pos == file_end {
                    break;
                }
                match self.plausible(bytes, pos, prev) {
                    Some((next, secs)) if next <= file_end => {
                        pos = next;
                        prev = Some(secs);
                    }
                    _ => continue 'candidates,
                }
            }
            return Some(chunk.offset + at as u64);
        }
        None
    }

    /// A source of the packets of the records or blocks of `chunk` that start before its
    /// end, reading from file offset `start` (which must lie in the chunk's map) in
    /// `section` (pcapng; see [`ChunkedFile::guessed_section`]). Its frame numbers and
    /// error offsets are relative: see [`ChunkSource`].
    pub fn source(&self, chunk: &Chunk, start: u64, section: &Arc<Section>) -> ChunkSource {
        let changed = Arc::new(Mutex::new(None));
        let (format, given, ng) = match &self.layout {
            Layout::Legacy {
                header, big_endian, ..
            } => {
                let parse: LegacyParse = if *big_endian {
                    parse_pcap_frame_be
                } else {
                    parse_pcap_frame
                };
                let format = Format::Legacy {
                    header: header.clone(),
                    given: false,
                    parse,
                };
                (format, FILE_HEADER, false)
            }
            Layout::Ng { .. } => {
                let format = Format::Ng {
                    replay: section.clone(),
                    replayed: 0,
                    big_endian: false,
                    changed: changed.clone(),
                };
                (format, section.blocks.len() as u64, true)
            }
        };
        let reader = ChunkReader {
            chunk: chunk.clone(),
            pos: (start - chunk.offset) as usize,
            limit: chunk.len as usize,
            at_file_end: chunk.offset + chunk.bytes().len() as u64 >= self.len,
            format,
            given_pending: false,
        };
        // The source counts what the reader gives first (the file header, or the blocks
        // of the section) as consumed.
        let limit = (reader.limit as u64).saturating_sub(reader.pos as u64) + given;
        let mut inner = FileSource::with_reader(Box::new(reader), ng);
        inner.set_record_limit(limit);
        ChunkSource {
            start,
            given,
            inner,
            section: section.clone(),
            changed,
        }
    }
}

/// The section of a pcapng file's first packet, from the blocks before it (`head`, the
/// start of the file; `whole`: all of it). `None` when those blocks cannot be read as a
/// reader would (they are read again before every chunk): the file is then not cut.
fn first_section(head: &[u8], whole: bool) -> Option<Section> {
    let mut section = Section::default();
    let mut at = 0;
    loop {
        let rest = head.get(at..)?;
        if rest.is_empty() {
            return whole.then_some(section);
        }
        let big_endian = match word(rest, 0, false)? {
            SHB => word(rest, 8, false)? != BYTE_ORDER_MAGIC,
            _ => section.big_endian,
        };
        let len = word(rest, 4, big_endian)? as usize;
        if len < 12 || !len.is_multiple_of(4) || len > rest.len() {
            return None;
        }
        let block = &rest[..len];
        match word(block, 0, big_endian)? {
            SHB | IDB => match parse_ng_block(block, &mut big_endian.clone()) {
                Ok(([], _)) => section.follow(block, big_endian),
                _ => return None,
            },
            // The first packet (Enhanced, Simple, obsolete Packet Block).
            2 | 3 | 6 => return Some(section),
            _ => {}
        }
        at += len;
    }
}

/// The packets of one chunk, as a [`FileSource`] reads them.
pub struct ChunkSource {
    start: u64,
    /// Bytes the reader gives before the chunk's (counted as consumed).
    given: u64,
    inner: FileSource,
    /// The section the chunk was read in, and how its blocks changed it.
    section: Arc<Section>,
    changed: Arc<Mutex<Option<Section>>>,
}

impl ChunkSource {
    /// The next packet, `None` at the chunk's end (or the file's). Frame numbers count
    /// from 1 at `start`; an error's frame and offset are made absolute with `frames_before`
    /// (packets of the file before `start`).
    pub fn next_packet(
        &mut self,
        frames_before: u64,
    ) -> Result<Option<super::Packet<'_>>, CaptureError> {
        let start = self.start;
        self.inner.next_packet().map_err(|e| match e {
            CaptureError::Truncated { frame } => CaptureError::Truncated {
                frame: frame + frames_before,
            },
            CaptureError::Corrupt {
                frame,
                offset,
                what,
            } => CaptureError::Corrupt {
                frame: frame + frames_before,
                offset: (offset + start).saturating_sub(self.given),
                what,
            },
            other => other,
        })
    }

    /// Packets read so far (those it skips included: a pcapng packet of an interface the
    /// file never described has a frame number).
    pub fn frames(&self) -> u64 {
        self.inner.frames()
    }

    /// File offset of the first record not read yet: once the source has ended, where the
    /// next chunk's first record starts (or the end of the file).
    pub fn position(&self) -> u64 {
        (self.start + super::PacketSource::bytes_read(&self.inner)).saturating_sub(self.given)
    }

    /// The pcapng section the next chunk's first packet is in, as far as this chunk was
    /// read (the one it was read in, unless it held section headers or interface
    /// descriptions).
    pub fn section(&self) -> Arc<Section> {
        let changed = self.changed.lock().unwrap_or_else(|e| e.into_inner());
        match &*changed {
            Some(s) => Arc::new(s.clone()),
            None => self.section.clone(),
        }
    }
}

/// A [`PcapReaderIterator`] over a chunk's map: what a [`FileSource`] must have read
/// first (the file header, or the blocks of the pcapng section the chunk starts in), then
/// the records or blocks that start before the chunk's end.
struct ChunkReader {
    chunk: Chunk,
    pos: usize,
    /// Records starting at or past this position belong to the next chunk.
    limit: usize,
    /// The map reaches the end of the file.
    at_file_end: bool,
    format: Format,
    /// The next `consume` is for what was given first (not in the chunk).
    given_pending: bool,
}

enum Format {
    Legacy {
        header: PcapHeader,
        /// The header was given.
        given: bool,
        parse: LegacyParse,
    },
    Ng {
        /// The section's blocks, given first, and how many of their bytes were.
        replay: Arc<Section>,
        replayed: usize,
        /// The byte order of the block being read.
        big_endian: bool,
        /// The section as the chunk's own blocks changed it.
        changed: Arc<Mutex<Option<Section>>>,
    },
}

/// The bytes of `chunk` from `pos`, unless `pos` is past its end (`limit`, or its map's).
fn ahead(chunk: &Chunk, pos: usize, limit: usize) -> Option<&[u8]> {
    let bytes = chunk.bytes();
    (pos < limit && pos < bytes.len()).then(|| &bytes[pos..])
}

impl PcapReaderIterator for ChunkReader {
    fn next(&mut self) -> Result<(usize, PcapBlockOwned<'_>), PcapError<&[u8]>> {
        let in_chunk = ahead(&self.chunk, self.pos, self.limit);
        let parsed = match &mut self.format {
            Format::Legacy { header, given, .. } if !*given => {
                *given = true;
                self.given_pending = true;
                return Ok((FILE_HEADER as usize, PcapBlockOwned::from(header.clone())));
            }
            Format::Legacy { parse, .. } => {
                let Some(data) = in_chunk else {
                    return Err(PcapError::Eof);
                };
                parse(data).map(|(rem, b)| (data.len() - rem.len(), PcapBlockOwned::from(b)))
            }
            Format::Ng {
                replay,
                replayed,
                big_endian,
                ..
            } => {
                let replaying = *replayed < replay.blocks.len();
                let data = if replaying {
                    &replay.blocks[*replayed..]
                } else {
                    match in_chunk {
                        Some(data) => data,
                        None => return Err(PcapError::Eof),
                    }
                };
                self.given_pending = replaying;
                parse_ng_block(data, big_endian)
                    .map(|(rem, b)| (data.len() - rem.len(), PcapBlockOwned::from(b)))
            }
        };
        match parsed {
            Ok(block) => Ok(block),
            Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => Err(e),
            Err(nom::Err::Incomplete(_)) if self.at_file_end => Err(PcapError::UnexpectedEof),
            Err(nom::Err::Incomplete(_)) => Err(PcapError::BufferTooSmall),
        }
    }

    fn consume(&mut self, offset: usize) {
        // What was given first is not in the map: it does not move the position.
        if std::mem::take(&mut self.given_pending) {
            if let Format::Ng { replayed, .. } = &mut self.format {
                *replayed += offset;
            }
            return;
        }
        if let Format::Ng {
            replay,
            big_endian,
            changed,
            ..
        } = &self.format
            && let Some(block) =
                ahead(&self.chunk, self.pos, self.limit).and_then(|b| b.get(..offset))
            && matches!(word(block, 0, *big_endian), Some(SHB | IDB))
        {
            let mut changed = changed.lock().unwrap_or_else(|e| e.into_inner());
            changed
                .get_or_insert_with(|| (**replay).clone())
                .follow(block, *big_endian);
        }
        self.pos += offset;
    }

    fn consume_noshift(&mut self, offset: usize) {
        self.consume(offset);
    }

    fn consumed(&self) -> usize {
        self.pos
    }

    fn refill(&mut self) -> Result<(), PcapError<&[u8]>> {
        Ok(())
    }

    fn position(&self) -> usize {
        self.pos
    }

    fn grow(&mut self, _new_size: usize) -> bool {
        false
    }

    fn data(&self) -> &[u8] {
        if let Format::Ng {
            replay, replayed, ..
        } = &self.format
            && *replayed < replay.blocks.len()
        {
            return &replay.blocks[*replayed..];
        }
        self.chunk.bytes().get(self.pos..).unwrap_or_default()
    }

    fn reader_exhausted(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::timestamp::Timestamp;

    /// A packet as owned values: frame, time, original length, bytes.
    type Owned = (u64, Timestamp, u32, Vec<u8>);

    #[test]
    fn each_chunk_reads_the_records_that_start_in_it() {
        let mut checked = 0;
        let mut ng = 0;
        let mut wholes = std::collections::HashMap::new();
        for path in crate::synth::fixtures_and_pcapng() {
            let mut whole: Vec<Owned> = Vec::new();
            let mut one = FileSource::new(File::open(&path).unwrap()).unwrap();
            while let Ok(Some(p)) = one.next_packet() {
                whole.push((p.frame, p.ts, p.orig_len, p.data.to_vec()));
            }
            let file = File::open(&path).unwrap();
            let Some(chunked) = ChunkedFile::with_sizes(&file, 4096, 1 << 16) else {
                continue;
            };
            if chunked.chunks() < 2 {
                continue;
            }
            let mut read: Vec<Owned> = Vec::new();
            let mut start = chunked.first_record();
            let mut section = Arc::default();
            // Frame numbers before the chunk (a packet skipped has one).
            let mut before = 0;
            ng += usize::from(matches!(chunked.layout, Layout::Ng { .. }));
            for k in 0..chunked.chunks() {
                let chunk = chunked.map(k).unwrap();
                if start >= chunk.end() {
                    continue;
                }
                let mut source = chunked.source(&chunk, start, &section);
                let frames = before;
                let map_offset = chunk.offset - chunk.at as u64;
                while let Ok(Some(p)) = source.next_packet(frames) {
                    let at = map_offset
                        + (p.data.as_ptr() as usize - chunk.region.as_ptr() as usize) as u64;
                    // The record header is 16 bytes before the packet, an Enhanced Packet
                    // Block's 28.
                    let head = match chunked.layout {
                        Layout::Legacy { .. } => 16,
                        Layout::Ng { .. } => 28,
                    };
                    assert!(
                        at - head < chunk.end(),
                        "{path:?} chunk {k}: record at {}",
                        at - head
                    );
                    read.push((p.frame + frames, p.ts, p.orig_len, p.data.to_vec()));
                }
                start = source.position();
                section = source.section();
                before += source.frames();
                assert!(
                    start >= chunk.end() || start >= chunked.len(),
                    "{path:?} chunk {k} ends early, at {start}"
                );
            }
            assert!(read == whole, "{path:?}: packets differ");
            wholes.insert(path.to_string_lossy().to_string(), whole);
            checked += 1;
        }
        assert!(checked >= 5 && ng >= 10, "{checked} fixtures, {ng} pcapng");
        // The rewrites hold the classic file's packets: the second interface's are read
        // (at the same times), and the second section's.
        let mut pairs = 0;
        for (name, whole) in &wholes {
            let Some(stem) = name.strip_suffix("-le.pcapng") else {
                continue;
            };
            if let Some(idb) = wholes.get(&format!("{stem}-idb.pcapng")) {
                assert!(idb == whole, "{stem}: second interface");
                pairs += 1;
            }
            if let Some(two) = wholes.get(&format!("{stem}-two.pcapng")) {
                assert_eq!(two.len(), 2 * whole.len(), "{stem}: two sections");
                let second = two[whole.len()..].iter().map(|p| (p.1, p.2, &p.3));
                assert!(second.eq(whole.iter().map(|p| (p.1, p.2, &p.3))), "{stem}");
            }
        }
        assert!(pairs >= 5, "{pairs} rewrites compared");
    }
}
