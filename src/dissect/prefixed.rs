//! Messages behind a 4-byte length prefix: the NetBIOS session service that carries SMB
//! (RFC 1002 section 4.3; direct TCP on 445 uses the same header, MS-SMB2 2.1), and
//! Kerberos over TCP (RFC 4120 section 7.2.2). One direction's bytes are cut into whole
//! messages however TCP segmented them.
//!
//! Messages longer than the framer's cap (an SMB READ response, a huge ticket) are skipped
//! without being buffered. After a gap the framer stays in step when the gap falls inside
//! a message whose length it knows; otherwise it resynchronises on the next position the
//! protocol's `start` function calls a plausible message start.

use super::{Chunk, Dissector, Probe};
use crate::finding::Credential;
use crate::flow::Direction;
use crate::timestamp::Timestamp;

/// What the first bytes of a message say about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    /// A message of this many bytes, the prefix included.
    Message(usize),
    /// Not a message header.
    Invalid,
    /// More bytes are needed to tell.
    Incomplete,
}

/// Most chunk origins remembered for one buffered message (later pieces are counted
/// under the last origin).
const MAX_ORIGINS: usize = 32;

/// Cuts one direction's bytes into whole messages.
#[derive(Debug)]
pub struct Framer {
    /// Reads the header at the start of the bytes.
    head: fn(&[u8]) -> Head,
    /// Whether the bytes plausibly start a message (stricter than `head`: used to find
    /// the next message after bytes that were lost).
    start: fn(&[u8]) -> Probe,
    /// Longest message buffered whole.
    max: usize,
    buf: Vec<u8>,
    /// Where each chunk in `buf` starts, and its frame.
    origins: Vec<(usize, u64)>,
    /// Bytes of an oversized message still to skip.
    skip: usize,
    /// Out of step: looking for a message start.
    lost: bool,
}

impl Framer {
    pub fn new(head: fn(&[u8]) -> Head, start: fn(&[u8]) -> Probe, max: usize) -> Framer {
        Framer {
            head,
            start,
            max,
            buf: Vec::new(),
            origins: Vec::new(),
            skip: 0,
            lost: false,
        }
    }

    /// Bytes held.
    pub fn buffered(&self) -> usize {
        self.buf.capacity() + self.origins.capacity() * std::mem::size_of::<(usize, u64)>()
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.origins.clear();
        if self.buf.capacity() > 4096 {
            self.buf = Vec::new();
        }
    }

    /// Removes the first `n` buffered bytes.
    fn drain(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        let len = self.buf.len();
        let mut kept = Vec::with_capacity(self.origins.len());
        for (i, &(start, frame)) in self.origins.iter().enumerate() {
            let end = self.origins.get(i + 1).map_or(len, |o| o.0);
            if end > n {
                kept.push((start.saturating_sub(n), frame));
            }
        }
        self.origins = kept;
        self.buf.drain(..n);
        if self.buf.is_empty() {
            self.clear();
        }
    }

    /// Frames of the chunks that carried buffered bytes `from..to`.
    fn frames(&self, from: usize, to: usize) -> Vec<u64> {
        let len = self.buf.len();
        self.origins
            .iter()
            .enumerate()
            .filter(|&(i, &(start, _))| {
                let end = self.origins.get(i + 1).map_or(len, |o| o.0);
                start < to && end > from
            })
            .map(|(_, &(_, f))| f)
            .collect()
    }

    /// `len` bytes are missing: still in step when they fall inside a message whose
    /// length is known, otherwise lost until the next message start.
    pub fn gap(&mut self, len: u64) {
        let remaining = if self.skip > 0 {
            Some(self.skip)
        } else if self.lost {
            None
        } else if self.buf.is_empty() {
            Some(0)
        } else {
            match (self.head)(&self.buf) {
                Head::Message(total) => total.checked_sub(self.buf.len()),
                _ => None,
            }
        };
        self.clear();
        match remaining {
            Some(r) if u128::from(len) <= r as u128 => {
                // Within a known message: skip the rest of it (what is buffered of it
                // is incomplete now and cannot be parsed).
                self.skip = r - len as usize;
                self.lost = false;
            }
            _ => {
                self.skip = 0;
                self.lost = true;
            }
        }
    }

    /// The next plausible message start at or after `pos`: `Ok` with its offset, or
    /// `Err` with the offset from which bytes must be kept to decide.
    fn resync(&self, pos: usize) -> Result<usize, usize> {
        let mut i = pos;
        while let Some(rest) = self.buf.get(i..).filter(|r| !r.is_empty()) {
            match (self.start)(rest) {
                Probe::Yes => return Ok(i),
                Probe::Maybe => return Err(i),
                Probe::No => {}
            }
            i += 1;
        }
        Err(self.buf.len())
    }

    /// Feeds a run of bytes; `each` gets every whole message (prefix included), the
    /// frames that carried it and the time of the chunk that completed it.
    pub fn feed(&mut self, chunk: Chunk<'_>, mut each: impl FnMut(&[u8], &[u64], Timestamp)) {
        let mut data = chunk.data;
        if self.skip > 0 {
            let n = self.skip.min(data.len());
            self.skip -= n;
            data = &data[n..];
        }
        if data.is_empty() {
            return;
        }
        if self.origins.len() >= MAX_ORIGINS {
            if let Some(last) = self.origins.last_mut() {
                last.1 = chunk.frame;
            }
        } else {
            self.origins.push((self.buf.len(), chunk.frame));
        }
        self.buf.extend_from_slice(data);
        let mut pos = 0;
        while pos < self.buf.len() {
            if self.lost {
                match self.resync(pos) {
                    Ok(start) => {
                        pos = start;
                        self.lost = false;
                    }
                    Err(keep) => {
                        pos = keep;
                        break;
                    }
                }
            }
            let rest = self.buf.get(pos..).unwrap_or_default();
            let total = match (self.head)(rest) {
                Head::Incomplete => break,
                Head::Invalid => {
                    self.lost = true;
                    pos += 1;
                    continue;
                }
                Head::Message(t) => t,
            };
            if total > self.max {
                if rest.len() >= total {
                    pos += total;
                } else {
                    self.skip = total - rest.len();
                    pos = self.buf.len();
                }
                continue;
            }
            let Some(message) = rest.get(..total) else {
                break;
            };
            let frames = self.frames(pos, pos + total);
            each(message, &frames, chunk.ts);
            pos += total;
        }
        self.drain(pos);
    }
}

/// What reads the whole messages of a connection, both ways (an SMB or SMPP session).
pub trait Messages: Send {
    /// One whole message (its prefix included), the frames that carried it and the time
    /// of the last.
    fn message(
        &mut self,
        dir: Direction,
        msg: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    );

    /// The connection ended: what is pending.
    fn close(&mut self, out: &mut Vec<Credential>);

    /// Bytes held.
    fn buffered(&self) -> usize;

    /// Nothing more to read on this connection.
    fn done(&self) -> bool {
        false
    }
}

/// A connection of a protocol whose messages sit behind a length prefix: a framer per
/// direction, feeding one reader.
#[derive(Debug)]
pub struct Framed<M> {
    framers: [Framer; 2],
    pub reader: M,
}

impl<M> Framed<M> {
    pub fn new(head: fn(&[u8]) -> Head, start: fn(&[u8]) -> Probe, max: usize, reader: M) -> Self {
        Framed {
            framers: [Framer::new(head, start, max), Framer::new(head, start, max)],
            reader,
        }
    }
}

impl<M: Messages> Dissector for Framed<M> {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let reader = &mut self.reader;
        self.framers[dir.index()].feed(chunk, |msg, frames, ts| {
            reader.message(dir, msg, frames, ts, out);
        });
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Vec<Credential>) {
        self.framers[dir.index()].gap(len);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.reader.close(out);
    }

    fn done(&self) -> bool {
        self.reader.done()
    }

    fn buffered(&self) -> usize {
        self.framers.iter().map(Framer::buffered).sum::<usize>() + self.reader.buffered()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy protocol: `M` then a 3-byte big-endian length of the whole message.
    fn head(d: &[u8]) -> Head {
        match d {
            [] | [b'M'] | [b'M', _] | [b'M', _, _] => Head::Incomplete,
            [b'M', a, b, c, ..] => Head::Message(
                (usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c)).max(4),
            ),
            _ => Head::Invalid,
        }
    }

    fn start(d: &[u8]) -> Probe {
        match d {
            [b'M', 0, ..] => Probe::Yes,
            [b'M'] => Probe::Maybe,
            _ => Probe::No,
        }
    }

    fn msg(body: &[u8]) -> Vec<u8> {
        let n = body.len() + 4;
        [&[b'M', (n >> 16) as u8, (n >> 8) as u8, n as u8][..], body].concat()
    }

    fn feed(f: &mut Framer, data: &[u8], frame: u64, out: &mut Vec<(Vec<u8>, Vec<u64>)>) {
        f.feed(
            Chunk {
                data,
                frame,
                ts: Timestamp::ZERO,
            },
            |m, frames, _| out.push((m.to_vec(), frames.to_vec())),
        );
    }

    #[test]
    fn cuts_messages_however_segmented() {
        let stream = [msg(b"one"), msg(b"two two"), msg(b"")].concat();
        for cut in 0..=stream.len() {
            let mut f = Framer::new(head, start, 1024);
            let mut out = Vec::new();
            feed(&mut f, &stream[..cut], 1, &mut out);
            feed(&mut f, &stream[cut..], 2, &mut out);
            let bodies: Vec<&[u8]> = out.iter().map(|(m, _)| &m[4..]).collect();
            assert_eq!(bodies, [&b"one"[..], b"two two", b""], "cut {cut}");
            assert!(f.buf.is_empty() && f.origins.is_empty());
        }
    }

    #[test]
    fn frames_of_a_split_message() {
        let m = msg(b"abcdefgh");
        let mut f = Framer::new(head, start, 1024);
        let mut out = Vec::new();
        feed(&mut f, &m[..3], 7, &mut out);
        feed(&mut f, &m[3..9], 8, &mut out);
        feed(&mut f, &[&m[9..], &msg(b"x")[..]].concat(), 9, &mut out);
        assert_eq!(out[0].1, vec![7, 8, 9]);
        assert_eq!(out[1].1, vec![9]);
    }

    #[test]
    fn oversized_messages_are_skipped_unbuffered() {
        let big = msg(&[0x55; 5000]);
        let stream = [big, msg(b"after")].concat();
        let mut f = Framer::new(head, start, 100);
        let mut out = Vec::new();
        for piece in stream.chunks(700) {
            feed(&mut f, piece, 1, &mut out);
            assert!(f.buf.len() <= 700 + 100);
        }
        assert_eq!(out.len(), 1);
        assert_eq!(&out[0].0[4..], b"after");
    }

    #[test]
    fn gap_inside_a_known_message_keeps_step() {
        let m = msg(&[1; 50]);
        let mut f = Framer::new(head, start, 1024);
        let mut out = Vec::new();
        feed(&mut f, &m[..10], 1, &mut out);
        f.gap(20);
        feed(&mut f, &m[30..], 2, &mut out);
        feed(&mut f, &msg(b"next"), 3, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(&out[0].0[4..], b"next");
    }

    #[test]
    fn gap_then_resynchronises_on_a_start() {
        let mut f = Framer::new(head, start, 1024);
        let mut out = Vec::new();
        f.gap(5);
        feed(&mut f, b"garbage\xffM", 1, &mut out);
        feed(&mut f, &[&[0u8, 0, 9][..], b"hello"].concat(), 2, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(&out[0].0[4..], b"hello");
    }

    #[test]
    fn garbage_is_bounded() {
        let mut f = Framer::new(head, start, 1024);
        let mut out = Vec::new();
        for _ in 0..100 {
            feed(&mut f, &[0x42; 1000], 1, &mut out);
            assert!(f.buffered() <= 8192);
        }
        assert!(out.is_empty());
    }
}
