//! Capture files and streams: classic pcap (either byte order, micro- or nanosecond
//! timestamps) and pcapng (per-interface link types and timestamp resolutions), read with
//! the streaming parser of the `pcap-parser` crate without copying packets. The records
//! that make up nearly all of a file — a classic record, a pcapng Enhanced Packet Block
//! without options — are read straight from their headers when they lie whole in the
//! buffer and their lengths are ones the parser accepts; the parser reads everything else
//! and reports what is damaged (tests hold both ways to the same result).

use std::io::Read;

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};

use super::{CaptureError, LinkType, Packet, PacketSource};
use crate::capture::prefetch_head;
use crate::timestamp::Timestamp;

/// Initial read buffer. Large enough to amortise reads; grows for jumbo records.
const BUFFER_SIZE: usize = 1 << 20;
/// No legitimate block is larger.
pub(crate) const MAX_RECORD: usize = 16 << 20;

/// Bytes of a pcapng section's interface descriptions past which further ones are
/// ignored (their packets count as of an unknown interface):
/// real captures describe a handful of interfaces, and a reader of a chunk reads the
/// section's blocks again first ([`super::chunk::Section`]), which must stay small.
pub(crate) const MAX_SECTION: usize = 1 << 20;
/// The largest packet a classic pcap record may hold, as libpcap checks it.
pub(crate) const MAX_PACKET: u32 = 262_144;

/// The longest record a classic pcap file with this snapshot length may hold: libpcap's
/// maximum, or a larger snapshot length up to [`MAX_RECORD`].
pub(crate) fn max_caplen(snaplen: u32) -> u32 {
    MAX_PACKET.max(snaplen.min(MAX_RECORD as u32))
}

#[derive(Clone, Copy, Debug)]
struct Interface {
    linktype: LinkType,
    units_per_sec: u64,
    offset_secs: i64,
    snaplen: u32,
}

/// Reads packets from a pcap or pcapng byte stream.
pub struct FileSource {
    reader: Box<dyn PcapReaderIterator + Send>,
    /// Bytes of the block returned last, consumed on the next call.
    pending_consume: usize,
    frame: u64,
    /// Classic pcap: the file's single "interface", and whether it is big-endian.
    legacy: Option<(Interface, bool)>,
    legacy_big_endian: bool,
    /// The file is pcapng (not classic pcap).
    ng: bool,
    /// pcapng: the byte order of the current section.
    ng_big_endian: bool,
    interfaces: Vec<Interface>,
    /// Bytes of the current section's interface descriptions kept.
    section_bytes: usize,
    capacity: usize,
    consumed: u64,
    /// Packets skipped because they named an interface the file never described.
    pub unknown_interface: u64,
    /// Classic pcap with 16-byte record headers: what reading a record directly needs.
    fast: Option<Legacy>,
    /// No record starts at or past this many bytes consumed (a chunk's end).
    record_limit: u64,
    /// Classic pcap records may be read without the parser (tests compare both ways).
    direct: bool,
}

/// The next packet as the direct reads found it: a classic record ending at the given
/// offset, or an Enhanced Packet Block of the given length.
#[derive(Clone, Copy)]
enum Ready {
    Record(Legacy, usize),
    Block(usize, Interface),
}

/// A classic pcap file's record format, for reading records without the parser.
#[derive(Clone, Copy, Debug)]
struct Legacy {
    linktype: LinkType,
    nanos: bool,
    big_endian: bool,
    /// The largest record length accepted (as [`FileSource::check_next_length`] checks).
    max_caplen: u32,
}

impl Legacy {
    /// The 4-byte field at `at` of a record header (0 past its end).
    #[inline]
    fn field(&self, head: &[u8], at: usize) -> u32 {
        word(head, at, self.big_endian).unwrap_or_default()
    }
}

/// A 4-byte field of a header at `at`, in the given byte order.
#[inline]
pub(crate) fn word(head: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let b: [u8; 4] = head.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

/// pcapng's Enhanced Packet Block type.
const EPB: u32 = 6;

/// Whether the first bytes of a file are a pcap or pcapng magic number.
pub fn is_capture_file(head: &[u8]) -> bool {
    const MAGICS: [[u8; 4]; 5] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    head.len() >= 4 && MAGICS.iter().any(|m| head[..4] == m[..])
}

impl FileSource {
    /// Opens a capture stream, recognising its format from the first bytes.
    pub fn new<R: Read + Send + 'static>(mut input: R) -> Result<FileSource, CaptureError> {
        // Read the head fully ourselves: a pipe may deliver it in pieces, and the parser
        // wants the whole file header in its first read.
        let mut head = Vec::with_capacity(64 * 1024);
        (&mut input).take(64 * 1024).read_to_end(&mut head)?;
        if head.is_empty() {
            return Err(CaptureError::Empty);
        }
        if !is_capture_file(&head) {
            let shown: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
            return Err(CaptureError::NotACapture(shown.join(" ")));
        }
        let ng = head.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]);
        let mut capacity = BUFFER_SIZE;
        if ng {
            // A pcapng section header is parsed whole from that first read too: one
            // longer than the head (options, comments) is read to its end first, into a
            // buffer large enough (as for any block, up to 16 MiB).
            let big_endian = head.get(8..12) == Some(&[0x1a, 0x2b, 0x3c, 0x4d][..]);
            let len = word(&head, 4, big_endian).map_or(0, |l| l as usize);
            if len > MAX_RECORD {
                return Err(CaptureError::Corrupt {
                    frame: 0,
                    offset: 0,
                    what: format!(
                        "bad file header: a section header of {len} bytes, longer than {} MiB",
                        MAX_RECORD >> 20
                    ),
                });
            }
            capacity = capacity.max(len.next_power_of_two());
            if len > head.len() {
                (&mut input)
                    .take((len - head.len()) as u64)
                    .read_to_end(&mut head)?;
            }
        }
        let stream = std::io::Cursor::new(head).chain(input);
        let reader =
            pcap_parser::create_reader(capacity, stream).map_err(|e| CaptureError::Corrupt {
                frame: 0,
                offset: 0,
                what: format!("bad file header: {e}"),
            })?;
        let mut source = FileSource::with_reader(reader, ng);
        source.capacity = capacity;
        Ok(source)
    }

    /// Opens a capture file: memory-mapped when it is a regular file (unless the
    /// environment variable `PLAINSIGHT_NO_MMAP` is set), read as a stream otherwise.
    pub fn open(file: std::fs::File) -> Result<FileSource, CaptureError> {
        if std::env::var_os("PLAINSIGHT_NO_MMAP").is_none()
            && let Ok(copy) = file.try_clone()
            && let Some(mapped) = super::mapped::MappedReader::open(copy)
        {
            let ng = mapped.data().starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]);
            return Ok(FileSource::with_reader(Box::new(mapped), ng));
        }
        FileSource::new(file)
    }

    pub(crate) fn with_reader(reader: Box<dyn PcapReaderIterator + Send>, ng: bool) -> FileSource {
        FileSource {
            reader,
            pending_consume: 0,
            frame: 0,
            legacy: None,
            legacy_big_endian: false,
            ng,
            ng_big_endian: false,
            interfaces: Vec::new(),
            section_bytes: 0,
            capacity: BUFFER_SIZE,
            consumed: 0,
            unknown_interface: 0,
            fast: None,
            record_limit: u64::MAX,
            direct: true,
        }
    }

    /// This source with every record read by the parser.
    #[cfg(test)]
    pub(crate) fn parser_only(mut self) -> FileSource {
        self.direct = false;
        self
    }

    /// Frame numbers given so far (skipped packets included).
    pub(crate) fn frames(&self) -> u64 {
        self.frame
    }

    /// No record starts at or past `limit` bytes consumed (file header included): the
    /// reader of a chunk ends there.
    pub(crate) fn set_record_limit(&mut self, limit: u64) {
        self.record_limit = limit;
    }

    /// A packet the direct reads can take (after the previous packet's bytes are let
    /// go), if the next one is such a packet: what [`Self::take`] needs.
    #[inline(always)]
    fn ready(&mut self) -> Option<Ready> {
        if self.pending_consume > 0 {
            let n = std::mem::take(&mut self.pending_consume);
            self.consume(n);
        }
        if let Some((fast, end)) = self.record_ready() {
            return Some(Ready::Record(fast, end));
        }
        self.block_ready()
            .map(|(len, iface)| Ready::Block(len, iface))
    }

    /// The packet [`Self::ready`] found.
    #[inline(always)]
    fn take(&mut self, ready: Ready) -> Packet<'_> {
        match ready {
            Ready::Record(fast, end) => self.record(fast, end),
            Ready::Block(len, iface) => self.enhanced_packet(len, iface),
        }
    }

    /// Whether the next record is one of a classic pcap file that lies whole in the
    /// reader's buffer, with a length [`FileSource::check_next_length`] accepts: then it
    /// is read directly ([`FileSource::record`]), as the parser would read it, and the
    /// record's end is returned. Anything else (the end of the buffer or of the file, a
    /// damaged length) goes the parser's way, which knows how to report it.
    #[inline]
    fn record_ready(&self) -> Option<(Legacy, usize)> {
        let fast = self.fast?;
        if self.consumed >= self.record_limit {
            return None;
        }
        let head = self.reader.data();
        let caplen = word(head, 8, fast.big_endian)?;
        let end = 16 + caplen as usize;
        (caplen <= fast.max_caplen && head.len() >= end).then_some((fast, end))
    }

    /// The record [`FileSource::record_ready`] found, ending at `end`.
    #[inline]
    fn record(&mut self, fast: Legacy, end: usize) -> Packet<'_> {
        let (head, rest) = self.reader.data().split_at(end);
        prefetch_head(rest);
        let frac = u64::from(fast.field(head, 4)) * if fast.nanos { 1 } else { 1000 };
        self.frame += 1;
        self.pending_consume = end;
        Packet {
            frame: self.frame,
            ts: Timestamp::new(i64::from(fast.field(head, 0)), frac),
            linktype: fast.linktype,
            data: head.get(16..).unwrap_or_default(),
            orig_len: fast.field(head, 12),
        }
    }

    /// Whether the block at the head of the buffer is a pcapng Enhanced Packet Block
    /// without options, whole in the buffer, of an interface the file described, with
    /// lengths the parser accepts (both copies of the block length equal, the packet and
    /// its padding filling the block): then it is read directly
    /// ([`FileSource::enhanced_packet`]), as the parser would read it, and its length and
    /// interface are returned. Anything else (options, other blocks, the end of the
    /// buffer, damage) goes the parser's way.
    #[inline]
    fn block_ready(&self) -> Option<(usize, Interface)> {
        if !self.ng || !self.direct || self.consumed >= self.record_limit {
            return None;
        }
        let head = self.reader.data();
        let big = self.ng_big_endian;
        if word(head, 0, big)? != EPB {
            return None;
        }
        let len = word(head, 4, big)? as usize;
        let caplen = word(head, 20, big)?;
        if len > MAX_RECORD || head.len() < len || caplen >= u32::MAX - 4 {
            return None;
        }
        if len != 32 + (caplen as usize).next_multiple_of(4)
            || word(head, len - 4, big)? as usize != len
        {
            return None;
        }
        let iface = *self.interfaces.get(word(head, 8, big)? as usize)?;
        Some((len, iface))
    }

    /// The block [`FileSource::block_ready`] found, `len` bytes long.
    #[inline]
    fn enhanced_packet(&mut self, len: usize, iface: Interface) -> Packet<'_> {
        let big = self.ng_big_endian;
        let (head, rest) = self.reader.data().split_at(len);
        // The next block's header and packet headers, and its trailing length (which
        // only its own length, next to this block's trailing one, says where it is):
        // without the second, checking it waited on memory for every block.
        prefetch_head(rest);
        if let Some(next) = word(rest, 4, big)
            && let Some(trailer) = (next as usize).checked_sub(4).and_then(|t| rest.get(t..))
        {
            prefetch_head(trailer);
        }
        let field = |at| word(head, at, big).unwrap_or_default();
        let units = (u64::from(field(12)) << 32) | u64::from(field(16));
        let mut ts = Timestamp::from_units(units, iface.units_per_sec);
        ts.secs = ts.secs.saturating_add(iface.offset_secs);
        let caplen = field(20) as usize;
        self.frame += 1;
        self.pending_consume = len;
        Packet {
            frame: self.frame,
            ts,
            linktype: iface.linktype,
            data: head.get(28..28 + caplen).unwrap_or_default(),
            orig_len: field(24),
        }
    }

    fn consume(&mut self, n: usize) {
        self.reader.consume(n);
        self.consumed += n as u64;
    }

    /// Refuses a record or block whose declared length no capture writer produces, before
    /// the parser would take it for a truncated file or swallow the records after it.
    fn check_next_length(&mut self) -> Result<(), CaptureError> {
        let head = self.reader.data();
        let field = |at: usize, big: bool| word(head, at, big);
        if let Some((iface, _)) = self.legacy {
            if let Some(caplen) = field(8, self.legacy_big_endian) {
                let max = max_caplen(iface.snaplen);
                if caplen > max {
                    return Err(self.corrupt(format!(
                        "record length {caplen} exceeds the {max}-byte maximum"
                    )));
                }
            }
            return Ok(());
        }
        if !self.ng {
            return Ok(());
        }
        let Some(block_type) = field(0, false) else {
            return Ok(());
        };
        if block_type == 0x0a0d_0d0a {
            // A section header: its byte-order magic says how to read the lengths.
            if let Some(magic) = field(8, false) {
                self.ng_big_endian = magic == 0x4d3c_2b1a;
            }
        }
        if let Some(len) = field(4, self.ng_big_endian)
            && (len as usize > MAX_RECORD || len < 12)
        {
            return Err(self.corrupt(format!("block length {len} is impossible")));
        }
        Ok(())
    }

    fn corrupt(&self, what: impl Into<String>) -> CaptureError {
        CaptureError::Corrupt {
            frame: self.frame,
            offset: self.consumed,
            what: what.into(),
        }
    }
}

/// What the block at the head of the buffer turned out to be.
enum Next {
    /// A packet: where its bytes are in the buffer, and its metadata.
    Packet {
        start: usize,
        len: usize,
        ts: Timestamp,
        linktype: LinkType,
        orig_len: u32,
        block_len: usize,
    },
    /// A block without packet data, consumed.
    Skip(usize),
}

impl PacketSource for FileSource {
    fn poll(&mut self) -> Result<super::Next<'_>, CaptureError> {
        // The records read directly are made into the returned value here, not turned
        // from `next_packet`'s `Option` into a `Next`: that move copied the packet with
        // loads wider than the stores that had just written it, and such loads wait
        // for the stores to land (see BENCHMARKS.md).
        if let Some(ready) = self.ready() {
            return Ok(super::Next::Packet(self.take(ready)));
        }
        Ok(match self.next_packet()? {
            Some(p) => super::Next::Packet(p),
            None => super::Next::End,
        })
    }

    fn bytes_read(&self) -> u64 {
        self.consumed + self.pending_consume as u64
    }
}

impl FileSource {
    /// The next packet, `None` at the end of the file.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        if let Some(ready) = self.ready() {
            return Ok(Some(self.take(ready)));
        }
        loop {
            self.check_next_length()?;
            let base = self.reader.data().as_ptr() as usize;
            let next = match self.reader.next() {
                Ok((block_len, block)) => match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        let iface = Interface {
                            linktype: LinkType(h.network.0 as u32),
                            units_per_sec: if h.is_nanosecond_precision() {
                                1_000_000_000
                            } else {
                                1_000_000
                            },
                            offset_secs: 0,
                            snaplen: h.snaplen,
                        };
                        self.legacy = Some((iface, h.is_nanosecond_precision()));
                        self.legacy_big_endian = h.is_bigendian();
                        self.fast = (self.direct && !h.is_modified_format()).then_some(Legacy {
                            linktype: iface.linktype,
                            nanos: h.is_nanosecond_precision(),
                            big_endian: h.is_bigendian(),
                            max_caplen: max_caplen(h.snaplen),
                        });
                        Next::Skip(block_len)
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let Some((iface, nanos)) = self.legacy else {
                            return Err(self.corrupt("record before the file header"));
                        };
                        let frac = u64::from(b.ts_usec) * if nanos { 1 } else { 1000 };
                        let data = b.data;
                        Next::Packet {
                            start: data.as_ptr() as usize - base,
                            len: data.len(),
                            ts: Timestamp::new(i64::from(b.ts_sec), frac),
                            linktype: iface.linktype,
                            orig_len: b.origlen,
                            block_len,
                        }
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                        self.interfaces.clear();
                        self.section_bytes = 0;
                        Next::Skip(block_len)
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(_))
                        if self.section_bytes + block_len > MAX_SECTION =>
                    {
                        Next::Skip(block_len)
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        self.section_bytes += block_len;
                        self.interfaces.push(Interface {
                            linktype: LinkType(idb.linktype.0 as u32),
                            units_per_sec: idb.ts_resolution().unwrap_or(1_000_000),
                            offset_secs: idb.ts_offset(),
                            snaplen: idb.snaplen,
                        });
                        Next::Skip(block_len)
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        match self.interfaces.get(epb.if_id as usize) {
                            None => {
                                self.frame += 1;
                                self.unknown_interface += 1;
                                Next::Skip(block_len)
                            }
                            Some(iface) => {
                                let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                                let mut ts = Timestamp::from_units(units, iface.units_per_sec);
                                ts.secs = ts.secs.saturating_add(iface.offset_secs);
                                let caplen = (epb.caplen as usize).min(epb.data.len());
                                Next::Packet {
                                    start: epb.data.as_ptr() as usize - base,
                                    len: caplen,
                                    ts,
                                    linktype: iface.linktype,
                                    orig_len: epb.origlen,
                                    block_len,
                                }
                            }
                        }
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => match self.interfaces.first() {
                        None => {
                            self.frame += 1;
                            self.unknown_interface += 1;
                            Next::Skip(block_len)
                        }
                        Some(iface) => {
                            let mut len = spb.data.len().min(spb.origlen as usize);
                            if iface.snaplen > 0 {
                                len = len.min(iface.snaplen as usize);
                            }
                            Next::Packet {
                                start: spb.data.as_ptr() as usize - base,
                                len,
                                ts: Timestamp::ZERO,
                                linktype: iface.linktype,
                                orig_len: spb.origlen,
                                block_len,
                            }
                        }
                    },
                    PcapBlockOwned::NG(_) => Next::Skip(block_len),
                },
                Err(PcapError::Eof) => return Ok(None),
                Err(PcapError::Incomplete(_)) => {
                    if self.reader.reader_exhausted() {
                        return Err(CaptureError::Truncated { frame: self.frame });
                    }
                    self.reader
                        .refill()
                        .map_err(|_| CaptureError::Io(std::io::Error::other("read failed")))?;
                    continue;
                }
                Err(PcapError::UnexpectedEof) => {
                    return Err(CaptureError::Truncated { frame: self.frame });
                }
                Err(PcapError::BufferTooSmall) => {
                    let wanted = self.capacity * 2;
                    if wanted > MAX_RECORD {
                        return Err(
                            self.corrupt(format!("record longer than {} MiB", MAX_RECORD >> 20))
                        );
                    }
                    self.capacity = wanted;
                    if !self.reader.grow(wanted) {
                        return Err(self.corrupt("record too long for the read buffer"));
                    }
                    self.reader
                        .refill()
                        .map_err(|_| CaptureError::Io(std::io::Error::other("read failed")))?;
                    continue;
                }
                Err(e) => {
                    let what = match e {
                        PcapError::NomError(_, kind) => format!("malformed block ({kind:?})"),
                        PcapError::OwnedNomError(_, kind) => format!("malformed block ({kind:?})"),
                        PcapError::ReadError => "read error".to_string(),
                        PcapError::HeaderNotRecognized => "unrecognised header".to_string(),
                        other => other.to_string(),
                    };
                    return Err(self.corrupt(what));
                }
            };
            match next {
                Next::Skip(n) => self.consume(n),
                Next::Packet {
                    start,
                    len,
                    ts,
                    linktype,
                    orig_len,
                    block_len,
                } => {
                    self.frame += 1;
                    self.pending_consume = block_len;
                    let data = self.reader.data().get(start..start + len).ok_or_else(|| {
                        CaptureError::Corrupt {
                            frame: self.frame,
                            offset: self.consumed,
                            what: "packet outside its block".into(),
                        }
                    })?;
                    return Ok(Some(Packet {
                        frame: self.frame,
                        ts,
                        linktype,
                        data,
                        orig_len,
                    }));
                }
            }
        }
    }
}
