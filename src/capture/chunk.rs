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
//! Only classic pcap files are cut (pcapng blocks refer to interfaces described earlier
//! in the file); each chunk is its own memory map, dropped when every thread is done with
//! it, so the resident set stays a few chunks whatever the size of the file.

use std::fs::File;
use std::sync::{Arc, Mutex, Weak};

use memmap2::Mmap;
use pcap_parser::nom;
use pcap_parser::pcap::{
    LegacyPcapBlock, PcapHeader, parse_pcap_frame, parse_pcap_frame_be, parse_pcap_header,
};
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};

use super::file::{MAX_RECORD, max_caplen};
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

type LegacyParse = fn(&[u8]) -> nom::IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

/// A classic pcap file, ready to be read chunk by chunk.
pub struct ChunkedFile {
    file: File,
    len: u64,
    header: PcapHeader,
    big_endian: bool,
    /// Timestamp fraction units per second (10^6 or 10^9).
    units: u32,
    /// Longest record a reader accepts.
    max_caplen: u32,
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
        let (_, header) = parse_pcap_header(&head).ok()?;
        if header.is_modified_format() {
            return None;
        }
        let max_caplen = max_caplen(header.snaplen);
        Some(ChunkedFile {
            len: meta.len(),
            big_endian: header.is_bigendian(),
            units: if header.is_nanosecond_precision() {
                1_000_000_000
            } else {
                1_000_000
            },
            max_caplen,
            header,
            file,
            chunk,
            region,
            regions: Mutex::new(Vec::new()),
        })
    }

    /// The link type of every packet.
    pub fn linktype(&self) -> super::LinkType {
        super::LinkType(self.header.network.0 as u32)
    }

    /// Length of the file when it was opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len <= FILE_HEADER
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

    /// A record header's fields at `at` of `bytes`: (seconds, fraction, captured length,
    /// original length).
    fn record_header(&self, bytes: &[u8], at: usize) -> Option<(u32, u32, u32, u32)> {
        let h = bytes.get(at..at + RECORD_HEADER)?;
        let field = |i: usize| {
            let b: [u8; 4] = h[i..i + 4].try_into().unwrap_or_default();
            if self.big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        Some((field(0), field(4), field(8), field(12)))
    }

    /// Whether a record that looks right starts at `at`, and where the next one would.
    fn plausible(&self, bytes: &[u8], at: usize, prev_secs: Option<u32>) -> Option<(usize, u32)> {
        let (secs, frac, caplen, origlen) = self.record_header(bytes, at)?;
        if frac >= self.units
            || caplen > self.max_caplen
            || origlen < caplen
            || origlen > MAX_RECORD as u32
            || prev_secs.is_some_and(|p| p.abs_diff(secs) > 86_400)
        {
            return None;
        }
        Some((at + RECORD_HEADER + caplen as usize, secs))
    }

    /// Where the first record of `chunk` probably starts (a file offset): the first place
    /// after the cut where [`RUN`] plausible record headers follow each other (or run to
    /// the end of the file). Chunk 0 starts after the file header. `None` when nothing
    /// convincing is found; the caller then waits for the true start.
    pub fn guess_start(&self, chunk: &Chunk) -> Option<u64> {
        if chunk.index == 0 {
            return Some(FILE_HEADER);
        }
        let bytes = chunk.bytes();
        let file_end = (self.len - chunk.offset) as usize;
        'candidates: for at in 0..SEARCH.min(bytes.len()) {
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

    /// A source of the packets of the records of `chunk` that start before its end,
    /// reading from file offset `start` (which must lie in the chunk's map). Its frame
    /// numbers and error offsets are relative: see [`ChunkSource`].
    pub fn source(&self, chunk: &Chunk, start: u64) -> ChunkSource {
        let reader = ChunkReader {
            chunk: chunk.clone(),
            pos: (start - chunk.offset) as usize,
            limit: chunk.len as usize,
            at_file_end: chunk.offset + chunk.bytes().len() as u64 >= self.len,
            header: self.header.clone(),
            header_given: false,
            header_pending: false,
            parse: if self.big_endian {
                parse_pcap_frame_be
            } else {
                parse_pcap_frame
            },
        };
        // The source counts the file header (which the reader gives first) as consumed.
        let limit = (reader.limit as u64).saturating_sub(reader.pos as u64) + FILE_HEADER;
        let mut inner = FileSource::with_reader(Box::new(reader), false);
        inner.set_record_limit(limit);
        ChunkSource { start, inner }
    }
}

/// The packets of one chunk, as a [`FileSource`] reads them.
pub struct ChunkSource {
    start: u64,
    inner: FileSource,
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
                offset: (offset + start).saturating_sub(FILE_HEADER),
                what,
            },
            other => other,
        })
    }

    /// File offset of the first record not read yet: once the source has ended, where the
    /// next chunk's first record starts (or the end of the file).
    pub fn position(&self) -> u64 {
        (self.start + super::PacketSource::bytes_read(&self.inner)).saturating_sub(FILE_HEADER)
    }
}

/// A [`PcapReaderIterator`] over a chunk's map: the file header first (so that a
/// [`FileSource`] knows the format), then the records that start before the chunk's end.
struct ChunkReader {
    chunk: Chunk,
    pos: usize,
    /// Records starting at or past this position belong to the next chunk.
    limit: usize,
    /// The map reaches the end of the file.
    at_file_end: bool,
    header: PcapHeader,
    header_given: bool,
    /// The next `consume` is the file header's.
    header_pending: bool,
    parse: LegacyParse,
}

impl PcapReaderIterator for ChunkReader {
    fn next(&mut self) -> Result<(usize, PcapBlockOwned<'_>), PcapError<&[u8]>> {
        if !self.header_given {
            self.header_given = true;
            self.header_pending = true;
            return Ok((
                FILE_HEADER as usize,
                PcapBlockOwned::from(self.header.clone()),
            ));
        }
        let bytes = self.chunk.bytes();
        if self.pos >= self.limit || self.pos >= bytes.len() {
            return Err(PcapError::Eof);
        }
        let data = &bytes[self.pos..];
        match (self.parse)(data) {
            Ok((rem, block)) => Ok((data.len() - rem.len(), block.into())),
            Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => Err(e),
            Err(nom::Err::Incomplete(_)) if self.at_file_end => Err(PcapError::UnexpectedEof),
            Err(nom::Err::Incomplete(_)) => Err(PcapError::BufferTooSmall),
        }
    }

    fn consume(&mut self, offset: usize) {
        // The file header is not in the map: only records move the position.
        if std::mem::take(&mut self.header_pending) {
            return;
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
        self.chunk.bytes().get(self.pos..).unwrap_or_default()
    }

    fn reader_exhausted(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::timestamp::Timestamp;

    /// A packet as owned values: frame, time, original length, bytes.
    type Owned = (u64, Timestamp, u32, Vec<u8>);

    #[test]
    fn each_chunk_reads_the_records_that_start_in_it() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "pcap") {
                continue;
            }
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
            let mut start = FILE_HEADER;
            for k in 0..chunked.chunks() {
                let chunk = chunked.map(k).unwrap();
                if start >= chunk.end() {
                    continue;
                }
                let mut source = chunked.source(&chunk, start);
                let frames = read.len() as u64;
                let map_offset = chunk.offset - chunk.at as u64;
                while let Ok(Some(p)) = source.next_packet(frames) {
                    let at = map_offset
                        + (p.data.as_ptr() as usize - chunk.region.as_ptr() as usize) as u64;
                    // The record header is 16 bytes before the packet.
                    assert!(
                        at - 16 < chunk.end(),
                        "{path:?} chunk {k}: record at {}",
                        at - 16
                    );
                    read.push((p.frame + frames, p.ts, p.orig_len, p.data.to_vec()));
                }
                start = source.position();
                assert!(
                    start >= chunk.end() || start >= chunked.len(),
                    "{path:?} chunk {k} ends early, at {start}"
                );
            }
            assert!(read == whole, "{path:?}: packets differ");
            checked += 1;
        }
        assert!(checked >= 5, "{checked} fixtures");
    }
}
