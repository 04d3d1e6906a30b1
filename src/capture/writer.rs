//! Writing captures: classic pcap and pcapng, for evidence files and generated fixtures.

use std::io::{self, Write};

use super::LinkType;
use crate::timestamp::Timestamp;

/// Writes a classic pcap file.
pub struct PcapWriter<W: Write> {
    out: W,
    nanos: bool,
    big_endian: bool,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header. `nanos` selects nanosecond timestamps (magic a1b23c4d);
    /// `big_endian` writes every field big-endian, as on a big-endian machine.
    pub fn new(
        mut out: W,
        linktype: LinkType,
        snaplen: u32,
        nanos: bool,
        big_endian: bool,
    ) -> io::Result<Self> {
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut h = Vec::with_capacity(24);
        let put32 = |h: &mut Vec<u8>, v: u32| {
            h.extend_from_slice(&if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            })
        };
        put32(&mut h, magic);
        let (maj, min): (u16, u16) = (2, 4);
        for v in [maj, min] {
            h.extend_from_slice(&if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        }
        put32(&mut h, 0); // thiszone
        put32(&mut h, 0); // sigfigs
        put32(&mut h, snaplen);
        put32(&mut h, linktype.0);
        out.write_all(&h)?;
        Ok(PcapWriter {
            out,
            nanos,
            big_endian,
        })
    }

    /// Writes one record; `orig_len` is the length on the wire (≥ `data.len()`).
    pub fn write(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        let frac = if self.nanos {
            ts.nanos
        } else {
            ts.nanos / 1000
        };
        let fields = [
            ts.secs as u32,
            frac,
            data.len() as u32,
            orig_len.max(data.len() as u32),
        ];
        for v in fields {
            let b = if self.big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            self.out.write_all(&b)?;
        }
        self.out.write_all(data)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Writes a pcapng file (little-endian), one section, any number of interfaces.
pub struct PcapNgWriter<W: Write> {
    out: W,
    /// Timestamp units per second of each interface.
    units: Vec<u64>,
}

fn pad4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

impl<W: Write> PcapNgWriter<W> {
    /// Writes the section header block.
    pub fn new(mut out: W) -> io::Result<Self> {
        let mut body = Vec::new();
        body.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&u64::MAX.to_le_bytes()); // section length unknown
        write_block(&mut out, 0x0a0d_0d0a, &body)?;
        Ok(PcapNgWriter {
            out,
            units: Vec::new(),
        })
    }

    /// Describes an interface; `tsresol` is the `if_tsresol` option (6 = microseconds,
    /// 9 = nanoseconds). Returns the interface id.
    pub fn add_interface(
        &mut self,
        linktype: LinkType,
        snaplen: u32,
        tsresol: u8,
    ) -> io::Result<u32> {
        let mut body = Vec::new();
        body.extend_from_slice(&(linktype.0 as u16).to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&snaplen.to_le_bytes());
        if tsresol != 6 {
            body.extend_from_slice(&9u16.to_le_bytes()); // if_tsresol
            body.extend_from_slice(&1u16.to_le_bytes());
            body.push(tsresol);
            pad4(&mut body);
        }
        body.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
        write_block(&mut self.out, 1, &body)?;
        self.units.push(10u64.pow(u32::from(tsresol.min(19))));
        Ok((self.units.len() - 1) as u32)
    }

    /// Writes an enhanced packet block for interface `if_id`.
    pub fn write(
        &mut self,
        if_id: u32,
        ts: Timestamp,
        data: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        let units = self.units.get(if_id as usize).copied().unwrap_or(1_000_000);
        let t = (ts.secs.max(0) as u128 * u128::from(units)
            + u128::from(ts.nanos) * u128::from(units) / 1_000_000_000) as u64;
        let mut body = Vec::with_capacity(data.len() + 24);
        body.extend_from_slice(&if_id.to_le_bytes());
        body.extend_from_slice(&((t >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(t as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(&orig_len.max(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        pad4(&mut body);
        write_block(&mut self.out, 6, &body)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

fn write_block<W: Write>(out: &mut W, block_type: u32, body: &[u8]) -> io::Result<()> {
    let len = (body.len() + 12) as u32;
    out.write_all(&block_type.to_le_bytes())?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&len.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::FileSource;

    #[test]
    fn pcap_round_trips_in_both_byte_orders_and_precisions() {
        for (nanos, be) in [(false, false), (true, false), (false, true), (true, true)] {
            let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 65535, nanos, be).unwrap();
            w.write(Timestamp::new(100, 123_456_789), b"abc", 10)
                .unwrap();
            w.write(Timestamp::new(101, 0), b"de", 2).unwrap();
            let bytes = w.into_inner();
            let mut src = FileSource::new(std::io::Cursor::new(bytes)).unwrap();
            let p = src.next_packet().unwrap().unwrap();
            assert_eq!(
                (p.frame, p.data, p.orig_len, p.linktype),
                (1, &b"abc"[..], 10, LinkType::RAW)
            );
            let want = if nanos { 123_456_789 } else { 123_456_000 };
            assert_eq!(p.ts, Timestamp::new(100, want));
            let p = src.next_packet().unwrap().unwrap();
            assert_eq!((p.frame, p.data), (2, &b"de"[..]));
            assert!(src.next_packet().unwrap().is_none());
        }
    }

    #[test]
    fn pcapng_interfaces_keep_their_link_types() {
        let mut w = PcapNgWriter::new(Vec::new()).unwrap();
        let eth = w.add_interface(LinkType::ETHERNET, 65535, 6).unwrap();
        let raw = w.add_interface(LinkType::RAW, 65535, 9).unwrap();
        w.write(eth, Timestamp::new(5, 1000), b"eth", 3).unwrap();
        w.write(raw, Timestamp::new(6, 7), b"raw!!", 5).unwrap();
        let mut src = FileSource::new(std::io::Cursor::new(w.into_inner())).unwrap();
        let p = src.next_packet().unwrap().unwrap();
        assert_eq!(
            (p.linktype, p.data, p.ts),
            (LinkType::ETHERNET, &b"eth"[..], Timestamp::new(5, 1000))
        );
        let p = src.next_packet().unwrap().unwrap();
        assert_eq!(
            (p.linktype, p.data, p.ts, p.frame),
            (LinkType::RAW, &b"raw!!"[..], Timestamp::new(6, 7), 2)
        );
        assert!(src.next_packet().unwrap().is_none());
    }
}
