//! Capture files read through memory maps: the one place plainsight uses `unsafe`.
//!
//! Why: reading a capture with `read(2)` copies every byte from the page cache into the
//! process, and on the benchmark machine that copy alone caps a scan at about 3.2 GB/s
//! (`dd bs=1M` of a cached 1 GB capture: 0.31 s) and took a quarter to a third of a whole
//! single-threaded scan in the profile (`_copy_to_iter` and `filemap_get_read_batch`).
//! Mapping the file lets the parser read the page cache in place. See BENCHMARKS.md.
//!
//! The map covers a window of the file ([`WINDOW`] bytes) that moves forward as packets
//! are consumed, so the pages a scan has left behind are unmapped and the resident set
//! stays small whatever the size of the file.
//!
//! Safety: a mapped file that another process truncates while it is mapped makes reads of
//! the pages past its new end fault (SIGBUS). Only regular files are mapped, and only
//! where the user did not ask otherwise (`PLAINSIGHT_NO_MMAP=1`); a capture still being written by
//! tcpdump only grows, which is harmless (the scan stops at the length it had when it
//! was opened). Nothing else can make the mapped bytes change under the parser in a way
//! Rust's aliasing rules care about: the map is read-only and private to this reader,
//! and the parser only ever reads it as plain bytes.

use std::fs::File;

use memmap2::{Mmap, MmapOptions};
use pcap_parser::nom;
use pcap_parser::pcap::{
    LegacyPcapBlock, PcapHeader, parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified,
    parse_pcap_header,
};
use pcap_parser::pcapng::{Block, parse_block_be, parse_block_le};
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};

/// Bytes mapped at a time.
const WINDOW: usize = 16 << 20;
/// Window starts are aligned to this (a multiple of every page size in use).
const ALIGN: u64 = 1 << 16;

type LegacyParse = fn(&[u8]) -> nom::IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

enum Format {
    /// Classic pcap: its header (returned as the first block) and frame parser.
    Legacy {
        header: PcapHeader,
        parse: LegacyParse,
    },
    /// pcapng: the byte order of the current section.
    Ng { big_endian: bool },
}

/// A [`PcapReaderIterator`] over a window of a memory-mapped capture file.
pub struct MappedReader {
    file: File,
    file_len: u64,
    map: Option<Mmap>,
    /// File offset of the window's first byte.
    map_offset: u64,
    /// Position in the window.
    pos: usize,
    window: usize,
    format: Format,
    header_given: bool,
}

/// Starts loading the next record's header and the packet headers behind it into the
/// cache while the current packet is processed. A scan touches one or two cache lines of
/// each ~1 KB record and skips the rest, a pattern the hardware prefetcher does not follow:
/// without this, the first read of every record header waited on memory (the single
/// hottest instruction of a scan in the profile). Measured in BENCHMARKS.md. The chunked
/// reader of several threads uses it too, for the packets of a list a few entries ahead.
#[inline(always)]
pub fn prefetch_head(next: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    for at in [0usize, 64] {
        if let Some(b) = next.get(at) {
            // SAFETY: a prefetch is only a hint to the cache: it never faults and makes no
            // value visible to the program; the address is inside the live map anyway. SSE
            // is part of the x86_64 baseline.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    (b as *const u8).cast::<i8>(),
                );
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = next;
}

/// The pcapng block at the start of `data`, parsed in the byte order of its section; a
/// Section Header Block sets the byte order of the blocks after it.
pub(super) fn parse_ng_block<'a>(
    data: &'a [u8],
    big_endian: &mut bool,
) -> nom::IResult<&'a [u8], Block<'a>, PcapError<&'a [u8]>> {
    let parse = if *big_endian {
        parse_block_be
    } else {
        parse_block_le
    };
    let parsed = parse(data);
    if let Ok((_, Block::SectionHeader(shb))) = &parsed {
        *big_endian = shb.big_endian();
    }
    parsed
}

/// Maps `len` bytes of `file` from `offset`.
fn map(file: &File, offset: u64, len: usize) -> std::io::Result<Option<Mmap>> {
    if len == 0 {
        return Ok(None);
    }
    // SAFETY: the map is read-only and only read as bytes; see the module documentation
    // for what a concurrent truncation of the file would do.
    let m = unsafe {
        MmapOptions::new()
            .offset(offset)
            .len(len)
            .populate()
            .map(file)?
    };
    let _ = m.advise(memmap2::Advice::Sequential);
    Ok(Some(m))
}

/// Maps `len` bytes of `file` from `offset` (a multiple of the page size), loaded only
/// where read (see [`populate`]).
pub(crate) fn map_range(file: &File, offset: u64, len: usize) -> std::io::Result<Mmap> {
    // SAFETY: as for `map`: read-only, only read as bytes; see the module documentation.
    unsafe { MmapOptions::new().offset(offset).len(len).map(file) }
}

/// Loads `len` bytes of `map` from `at` (a multiple of the page size) at once: one call
/// rather than a page fault every few pages.
pub(crate) fn populate(map: &Mmap, at: usize, len: usize) {
    let len = len.min(map.len().saturating_sub(at));
    if map
        .advise_range(memmap2::Advice::PopulateRead, at, len)
        .is_err()
    {
        let _ = map.advise_range(memmap2::Advice::WillNeed, at, len);
    }
}

impl MappedReader {
    /// Maps the start of `file` and recognises its format; `None` when the file cannot be
    /// mapped or is not a capture (the caller then reads it as a stream).
    pub fn open(file: File) -> Option<MappedReader> {
        MappedReader::with_window(file, WINDOW)
    }

    /// [`MappedReader::open`] with windows of `window` bytes.
    pub(crate) fn with_window(file: File, window: usize) -> Option<MappedReader> {
        let meta = file.metadata().ok()?;
        if !meta.is_file() {
            return None;
        }
        let file_len = meta.len();
        let first = usize::try_from(file_len).unwrap_or(usize::MAX).min(window);
        let m = map(&file, 0, first).ok()??;
        let format = if m.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
            Format::Ng { big_endian: false }
        } else {
            let (_, header) = parse_pcap_header(&m).ok()?;
            let parse: LegacyParse = if header.is_modified_format() {
                parse_pcap_frame_modified
            } else if header.is_bigendian() {
                parse_pcap_frame_be
            } else {
                parse_pcap_frame
            };
            Format::Legacy { header, parse }
        };
        Some(MappedReader {
            file,
            file_len,
            map: Some(m),
            map_offset: 0,
            pos: 0,
            window,
            format,
            header_given: false,
        })
    }

    fn window_end(&self) -> u64 {
        self.map_offset + self.map.as_ref().map_or(0, |m| m.len() as u64)
    }
}

impl PcapReaderIterator for MappedReader {
    fn next(&mut self) -> Result<(usize, PcapBlockOwned<'_>), PcapError<&[u8]>> {
        let exhausted = self.window_end() >= self.file_len;
        if let Format::Legacy { header, .. } = &self.format
            && !self.header_given
        {
            self.header_given = true;
            return Ok((header.size(), PcapBlockOwned::from(header.clone())));
        }
        let data = self.map.as_deref().map_or(&[][..], |m| &m[self.pos..]);
        if data.is_empty() {
            return Err(if exhausted {
                PcapError::Eof
            } else {
                PcapError::Incomplete(0)
            });
        }
        let parsed = match &mut self.format {
            Format::Legacy { parse, .. } => parse(data).map(|(rem, b)| (rem, b.into())),
            Format::Ng { big_endian } => {
                parse_ng_block(data, big_endian).map(|(rem, b)| (rem, PcapBlockOwned::from(b)))
            }
        };
        match parsed {
            Ok((rem, block)) => {
                prefetch_head(rem);
                Ok((data.len() - rem.len(), block))
            }
            Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => Err(e),
            Err(nom::Err::Incomplete(n)) => Err(if exhausted {
                PcapError::UnexpectedEof
            } else {
                match n {
                    nom::Needed::Size(n) if data.len() + usize::from(n) > self.window => {
                        PcapError::BufferTooSmall
                    }
                    nom::Needed::Size(n) => PcapError::Incomplete(n.into()),
                    nom::Needed::Unknown => PcapError::Incomplete(0),
                }
            }),
        }
    }

    fn consume(&mut self, offset: usize) {
        self.pos = (self.pos + offset).min(self.map.as_ref().map_or(0, |m| m.len()));
    }

    fn consume_noshift(&mut self, offset: usize) {
        self.consume(offset);
    }

    fn consumed(&self) -> usize {
        usize::try_from(self.map_offset).unwrap_or(usize::MAX) + self.pos
    }

    /// Moves the window so that it starts at (or just before) the first unconsumed byte.
    fn refill(&mut self) -> Result<(), PcapError<&[u8]>> {
        let at = self.map_offset + self.pos as u64;
        let start = at - at % ALIGN;
        let len = usize::try_from(self.file_len - start)
            .unwrap_or(usize::MAX)
            .min((at - start) as usize + self.window);
        // Unmap the old window before mapping the new one.
        self.map = None;
        self.map = map(&self.file, start, len).map_err(|_| PcapError::ReadError)?;
        self.map_offset = start;
        self.pos = (at - start) as usize;
        Ok(())
    }

    fn position(&self) -> usize {
        self.pos
    }

    fn grow(&mut self, new_size: usize) -> bool {
        self.window = self.window.max(new_size);
        true
    }

    fn data(&self) -> &[u8] {
        self.map.as_deref().map_or(&[][..], |m| &m[self.pos..])
    }

    fn reader_exhausted(&self) -> bool {
        self.window_end() >= self.file_len
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::capture::{FileSource, Next, PacketSource};
    use crate::synth::to_pcapng;

    /// A packet as owned values: frame, time and link type, original length, bytes.
    type Owned = (u64, String, u32, Vec<u8>);

    /// Every packet of a source, and how it ended.
    fn walk(mut src: FileSource) -> (Vec<Owned>, String) {
        let mut out = Vec::new();
        loop {
            match src.next_packet() {
                Ok(Some(p)) => out.push((
                    p.frame,
                    format!("{:?} {:?}", p.ts, p.linktype),
                    p.orig_len,
                    p.data.to_vec(),
                )),
                Ok(None) => return (out, format!("end, {} unknown", src.unknown_interface)),
                Err(e) => return (out, format!("{e}, {} unknown", src.unknown_interface)),
            }
        }
    }

    /// [`walk`] through [`PacketSource::poll`], the one-thread runner's way in (which
    /// makes the directly read packets itself rather than through `next_packet`).
    fn walk_polled(mut src: FileSource) -> (Vec<Owned>, String) {
        let mut out = Vec::new();
        loop {
            match src.poll() {
                Ok(Next::Packet(p)) => out.push((
                    p.frame,
                    format!("{:?} {:?}", p.ts, p.linktype),
                    p.orig_len,
                    p.data.to_vec(),
                )),
                Ok(Next::End) => return (out, format!("end, {} unknown", src.unknown_interface)),
                Ok(Next::Idle) => {}
                Err(e) => return (out, format!("{e}, {} unknown", src.unknown_interface)),
            }
        }
    }

    fn fixtures() -> Vec<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
            .collect();
        files.sort();
        files
    }

    /// The file read through maps of 4 KiB, 5000-byte and 1 MiB windows.
    fn windowed(path: &std::path::Path) -> Vec<(usize, (Vec<Owned>, String))> {
        [1 << 12, 5000, 1 << 20]
            .into_iter()
            .map(|window| {
                let reader = MappedReader::with_window(File::open(path).unwrap(), window).unwrap();
                let ng = reader.data().starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]);
                (window, walk(FileSource::with_reader(Box::new(reader), ng)))
            })
            .collect()
    }

    #[test]
    fn mapped_files_read_as_streamed_ones_whatever_the_window() {
        let mut checked = 0;
        for path in fixtures() {
            let streamed = walk(FileSource::new(File::open(&path).unwrap()).unwrap());
            for (window, mapped) in windowed(&path) {
                assert_eq!(mapped.1, streamed.1, "{path:?} window {window}");
                assert!(
                    mapped.0 == streamed.0,
                    "{path:?} window {window}: packets differ"
                );
            }
            checked += 1;
        }
        assert!(checked > 20, "{checked} fixtures");
    }

    /// A section header longer than a read buffer (2.6 MiB of comments) read from a
    /// stream as from a map; one past the largest block a reader takes fails at once and
    /// says why.
    #[test]
    fn long_section_headers_read_from_streams() {
        let classic = std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/ftp-logins.pcap"),
        )
        .unwrap();
        for big in [false, true] {
            let mut bytes = to_pcapng(&classic, big, false, &|_, _| {});
            crate::synth::with_long_section_header(&mut bytes, big, 40);
            let path = std::env::temp_dir().join(format!(
                "plainsight-long-shb-{}-{big}.pcapng",
                std::process::id()
            ));
            std::fs::write(&path, &bytes).unwrap();
            let mapped = walk(FileSource::open(File::open(&path).unwrap()).unwrap());
            let streamed = walk(FileSource::new(std::io::Cursor::new(bytes.clone())).unwrap());
            let _ = std::fs::remove_file(&path);
            assert!(!mapped.0.is_empty(), "{}", mapped.1);
            assert_eq!(streamed.1, mapped.1);
            assert!(streamed.0 == mapped.0, "packets differ");
            // A header claiming 17 MiB.
            bytes[4..8].copy_from_slice(&crate::synth::in_order((17u32 << 20).to_le_bytes(), big));
            let Err(e) = FileSource::new(std::io::Cursor::new(bytes)) else {
                panic!("a 17 MiB section header was taken");
            };
            assert!(e.to_string().contains("longer than 16 MiB"), "{e}");
        }
    }

    /// `pcap` (a little-endian classic file) with its file and record headers rewritten:
    /// big-endian, and/or nanosecond timestamps.
    fn rewrite(pcap: &[u8], big_endian: bool, nanos: bool) -> Vec<u8> {
        let word = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        let put = |out: &mut Vec<u8>, v: u32| {
            out.extend_from_slice(&crate::synth::in_order(v.to_le_bytes(), big_endian))
        };
        let mut out = Vec::new();
        put(&mut out, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
        let versions = u32::from_le_bytes(pcap[4..8].try_into().unwrap());
        if big_endian {
            out.extend_from_slice(&(versions as u16).to_be_bytes());
            out.extend_from_slice(&((versions >> 16) as u16).to_be_bytes());
        } else {
            out.extend_from_slice(&pcap[4..8]);
        }
        for at in [8, 12, 16, 20] {
            put(&mut out, word(pcap, at));
        }
        let mut at = 24;
        while at + 16 <= pcap.len() {
            let caplen = word(pcap, at + 8) as usize;
            let usec = word(pcap, at + 4);
            put(&mut out, word(pcap, at));
            put(&mut out, if nanos { usec * 1000 } else { usec });
            put(&mut out, caplen as u32);
            put(&mut out, word(pcap, at + 12));
            let end = (at + 16 + caplen).min(pcap.len());
            out.extend_from_slice(&pcap[at + 16..end]);
            at = end;
        }
        out
    }

    /// The file read with the direct record and block reads, streamed and mapped in three
    /// window sizes, gives what the parser alone gives; that is returned.
    fn read_directly_as_parsed(file: &std::path::Path, name: &str) -> (Vec<Owned>, String) {
        let parsed = walk(
            FileSource::new(File::open(file).unwrap())
                .unwrap()
                .parser_only(),
        );
        let direct = walk(FileSource::new(File::open(file).unwrap()).unwrap());
        assert_eq!(direct.1, parsed.1, "{name}: streamed");
        assert!(direct.0 == parsed.0, "{name}: streamed packets");
        for (how, src) in [
            (
                "streamed",
                FileSource::new(File::open(file).unwrap()).unwrap(),
            ),
            (
                "mapped",
                FileSource::open(File::open(file).unwrap()).unwrap(),
            ),
        ] {
            let polled = walk_polled(src);
            assert_eq!(polled.1, parsed.1, "{name}: polled, {how}");
            assert!(polled.0 == parsed.0, "{name}: polled, {how}: packets");
        }
        for (window, mapped) in windowed(file) {
            assert_eq!(mapped.1, parsed.1, "{name}: window {window}");
            assert!(mapped.0 == parsed.0, "{name}: window {window} packets");
        }
        parsed
    }

    #[test]
    fn records_read_directly_as_the_parser_reads_them() {
        let dir = std::env::temp_dir().join(format!("plainsight-direct-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut checked = 0;
        for path in fixtures() {
            let bytes = std::fs::read(&path).unwrap();
            if !bytes.starts_with(&[0xd4, 0xc3, 0xb2, 0xa1]) {
                continue;
            }
            let mut cases: Vec<(String, Vec<u8>)> = vec![
                ("as is".into(), bytes.clone()),
                ("big-endian".into(), rewrite(&bytes, true, false)),
                ("nanoseconds".into(), rewrite(&bytes, false, true)),
                ("both".into(), rewrite(&bytes, true, true)),
            ];
            for cut in [25, bytes.len() / 3, bytes.len() - 1] {
                cases.push((format!("cut at {cut}"), bytes[..cut.max(24)].to_vec()));
            }
            // Record lengths: past the end of the file, past the classic maximum.
            for (n, caplen) in [(40u32, 0x0001_0000u32), (41, 300_000), (42, u32::MAX)] {
                let mut v = bytes.clone();
                let mut at = 24;
                for _ in 0..n % 3 {
                    let len = u32::from_le_bytes(v[at + 8..at + 12].try_into().unwrap());
                    at = (at + 16 + len as usize).min(v.len() - 16);
                }
                v[at + 8..at + 12].copy_from_slice(&caplen.to_le_bytes());
                cases.push((format!("length {caplen} in record {}", n % 3), v));
            }
            for (name, v) in cases {
                let file = dir.join("case.pcap");
                std::fs::write(&file, &v).unwrap();
                read_directly_as_parsed(&file, &format!("{path:?} {name}"));
            }
            checked += 1;
        }
        assert!(checked > 20, "{checked} fixtures");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn enhanced_packets_read_directly_as_the_parser_reads_them() {
        let dir = std::env::temp_dir().join(format!("plainsight-epb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let same = |name: &str, v: &[u8]| {
            let file = dir.join("case.pcapng");
            std::fs::write(&file, v).unwrap();
            read_directly_as_parsed(&file, name)
        };
        let word = |b: &mut Vec<u8>, at: usize, v: u32| {
            let big = b[..4] == [0, 0, 0, 6];
            b[at..at + 4].copy_from_slice(&if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        };
        let mut checked = 0;
        for path in fixtures() {
            let bytes = std::fs::read(&path).unwrap();
            if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
                same(&format!("{path:?}"), &bytes);
                continue;
            }
            if !bytes.starts_with(&[0xd4, 0xc3, 0xb2, 0xa1]) {
                continue;
            }
            let none = |_: usize, _: &mut Vec<u8>| {};
            let plain = to_pcapng(&bytes, false, false, &none);
            let (packets, end) = same(&format!("{path:?} as pcapng"), &plain);
            assert!(end.starts_with("end, 0"), "{path:?}: {end}");
            let (records, how) = walk(FileSource::new(File::open(&path).unwrap()).unwrap());
            // (A cut classic file's last record becomes a whole, shorter block.)
            assert!(
                packets == records || !how.starts_with("end"),
                "{path:?}: pcapng and pcap packets differ"
            );
            let big_nanos = to_pcapng(&bytes, true, true, &none);
            let (packets, _) = same(&format!("{path:?} big-endian, ns"), &big_nanos);
            if how.starts_with("end") {
                assert_eq!(packets.len(), records.len(), "{path:?}");
            }
            // A second section in the other byte order.
            let mut two = plain.clone();
            two.extend_from_slice(&big_nanos);
            same(&format!("{path:?} two sections"), &two);
            // Options on every third block: the parser reads those.
            let options = |i: usize, b: &mut Vec<u8>| {
                if i % 3 == 1 {
                    let len = b.len();
                    b.truncate(len - 4);
                    b.extend_from_slice(&[1, 0, 1, 0, b'x', 0, 0, 0, 0, 0, 0, 0]);
                    let len = b.len() as u32 + 4;
                    word(b, 4, len);
                    b.extend_from_slice(&len.to_le_bytes());
                }
            };
            same(
                &format!("{path:?} options"),
                &to_pcapng(&bytes, false, false, &options),
            );
            let unknown = |i: usize, b: &mut Vec<u8>| {
                if i == 2 {
                    word(b, 8, 1);
                }
            };
            let (_, end) = same(
                &format!("{path:?} unknown interface"),
                &to_pcapng(&bytes, false, false, &unknown),
            );
            if records.len() > 2 {
                assert!(end.contains(", 1 unknown"), "{path:?}: {end}");
            }
            let trailer = |i: usize, b: &mut Vec<u8>| {
                if i == 1 {
                    let len = b.len();
                    word(b, len - 4, len as u32 + 4);
                }
            };
            same(
                &format!("{path:?} trailer"),
                &to_pcapng(&bytes, false, false, &trailer),
            );
            let caplen = |i: usize, b: &mut Vec<u8>| {
                if i == 3 {
                    word(b, 20, 1 << 20);
                }
            };
            same(
                &format!("{path:?} caplen"),
                &to_pcapng(&bytes, true, false, &caplen),
            );
            for cut in [60, plain.len() / 2, plain.len() - 1] {
                same(&format!("{path:?} cut at {cut}"), &plain[..cut]);
            }
            checked += 1;
        }
        assert!(checked > 20, "{checked} fixtures");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn damaged_files_fail_as_streamed_ones() {
        let dir = std::env::temp_dir().join(format!("plainsight-mapped-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = std::fs::read(fixtures()[0].clone()).unwrap();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("cut", good[..good.len() - 7].to_vec()),
            ("header-only", good[..24].to_vec()),
            ("huge-record", {
                let mut v = good.clone();
                v[24 + 8..24 + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
                v
            }),
        ];
        for (name, bytes) in cases {
            let path = dir.join(name);
            std::fs::write(&path, &bytes).unwrap();
            let streamed = walk(FileSource::new(File::open(&path).unwrap()).unwrap());
            let mapped = walk(FileSource::open(File::open(&path).unwrap()).unwrap());
            assert_eq!(mapped.1, streamed.1, "{name}");
            assert!(mapped.0 == streamed.0, "{name}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
