//! Cutting one direction of a stream into length-delimited messages, for binary protocols
//! whose messages say how long they are (PostgreSQL, MySQL, TDS): however TCP segmented
//! them, each message comes out whole with the frames that carried it.
//!
//! The caller measures messages (a length field, read by a function it passes each time, so
//! the framing can depend on the session's state), and takes them one at a time with
//! [`Framer::next`]. Messages longer than the cap are skipped without being buffered. A gap
//! inside a message of known length keeps the framer in step (the message is dropped); any
//! other gap loses it for good: the caller then stops reading that direction.

use super::Chunk;
use crate::timestamp::Timestamp;

/// What a measuring function makes of the bytes at a message start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Too few bytes to tell the length.
    More,
    /// The whole message is this many bytes (header included).
    Total(usize),
    /// Not a message of this protocol: the direction is out of step.
    Invalid,
}

/// One whole message.
#[derive(Clone, Debug)]
pub struct Message<'a> {
    pub bytes: &'a [u8],
    /// The frames that carried it, in stream order.
    pub frames: Vec<u64>,
    /// Time of the packet that completed it.
    pub ts: Timestamp,
}

/// Most chunk origins remembered for one buffered message (more pieces than this are
/// counted under the last origin).
const MAX_ORIGINS: usize = 32;

/// Cuts one direction's bytes into whole messages.
#[derive(Debug)]
pub struct Framer {
    max: usize,
    buf: Vec<u8>,
    /// Where each chunk in `buf` starts, and its frame.
    origins: Vec<(usize, u64)>,
    /// Bytes before this offset of `buf` are consumed.
    pos: usize,
    /// Bytes of an oversized (or damaged) message still to skip.
    skip: usize,
    /// The length of the message being buffered, once measured.
    want: Option<usize>,
    /// Out of step: nothing more is read.
    lost: bool,
    ts: Timestamp,
}

impl Framer {
    /// A framer that buffers messages of at most `max` bytes.
    pub fn new(max: usize) -> Framer {
        Framer {
            max,
            buf: Vec::new(),
            origins: Vec::new(),
            pos: 0,
            skip: 0,
            want: None,
            lost: false,
            ts: Timestamp::ZERO,
        }
    }

    /// Whether the direction is out of step for good.
    pub fn is_lost(&self) -> bool {
        self.lost
    }

    /// Gives up on this direction.
    pub fn lose(&mut self) {
        self.lost = true;
        self.clear();
        self.buf = Vec::new();
        self.origins = Vec::new();
    }

    /// Bytes held.
    pub fn buffered(&self) -> usize {
        self.buf.capacity() + self.origins.capacity() * std::mem::size_of::<(usize, u64)>()
    }

    /// Whether no partial message is held (the next byte starts a message).
    pub fn at_boundary(&self) -> bool {
        self.pos >= self.buf.len() && self.skip == 0 && !self.lost
    }

    /// The unconsumed bytes (the start of the next message).
    pub fn pending(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.origins.clear();
        self.pos = 0;
        self.want = None;
        if self.buf.capacity() > 4096 {
            self.buf = Vec::new();
            self.origins = Vec::new();
        }
    }

    /// Appends a chunk of stream bytes (after skipping what must be skipped).
    pub fn push(&mut self, chunk: Chunk<'_>) {
        if self.lost {
            return;
        }
        let mut data = chunk.data;
        if self.skip > 0 {
            let n = self.skip.min(data.len());
            self.skip -= n;
            data = &data[n..];
        }
        if data.is_empty() {
            return;
        }
        self.compact();
        if self.origins.len() >= MAX_ORIGINS {
            if let Some(last) = self.origins.last_mut() {
                last.1 = chunk.frame;
            }
        } else {
            self.origins.push((self.buf.len(), chunk.frame));
        }
        self.buf.extend_from_slice(data);
        self.ts = chunk.ts;
    }

    /// Drops the consumed bytes.
    fn compact(&mut self) {
        if self.pos == 0 {
            return;
        }
        let n = self.pos.min(self.buf.len());
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
        self.pos = 0;
        if self.buf.is_empty() {
            self.clear();
        }
    }

    /// Frames of the chunks that carried buffered bytes `from..to`.
    fn frames(&self, from: usize, to: usize) -> Vec<u64> {
        let len = self.buf.len();
        let mut frames: Vec<u64> = self
            .origins
            .iter()
            .enumerate()
            .filter(|&(i, &(start, _))| {
                let end = self.origins.get(i + 1).map_or(len, |o| o.0);
                start < to && end > from
            })
            .map(|(_, &(_, f))| f)
            .collect();
        frames.dedup();
        frames
    }

    /// The next whole message, measured by `measure` (called on the bytes at its start).
    /// Oversized messages are skipped; `None` when more bytes are needed (or the direction
    /// is lost).
    pub fn next(&mut self, mut measure: impl FnMut(&[u8]) -> Measure) -> Option<Message<'_>> {
        loop {
            if self.lost {
                return None;
            }
            let rest = self.buf.get(self.pos..).unwrap_or_default();
            if rest.is_empty() {
                self.want = None;
                return None;
            }
            let total = match measure(rest) {
                Measure::More => return None,
                Measure::Invalid => {
                    self.lose();
                    return None;
                }
                Measure::Total(0) => {
                    self.lose();
                    return None;
                }
                Measure::Total(t) => t,
            };
            if total > self.max {
                if rest.len() >= total {
                    self.pos += total;
                } else {
                    self.skip = total - rest.len();
                    self.clear();
                }
                self.want = None;
                continue;
            }
            if rest.len() < total {
                self.want = Some(total);
                return None;
            }
            self.want = None;
            let start = self.pos;
            self.pos += total;
            let frames = self.frames(start, start + total);
            return Some(Message {
                bytes: &self.buf[start..start + total],
                frames,
                ts: self.ts,
            });
        }
    }

    /// `len` bytes are missing: still in step when they fall inside a message whose length
    /// is known (the message is dropped); otherwise lost.
    pub fn gap(&mut self, len: u64) {
        if self.lost {
            return;
        }
        let remaining = if self.skip > 0 {
            Some(self.skip)
        } else if let Some(want) = self.want {
            let have = self.buf.len().saturating_sub(self.pos);
            Some(want.saturating_sub(have))
        } else {
            None
        };
        match remaining {
            Some(r) if len <= r as u64 => {
                self.clear();
                self.skip = r - len as usize;
            }
            _ => self.lose(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages of a one-byte length header (the length counts the header).
    fn measure(b: &[u8]) -> Measure {
        match b.first() {
            None => Measure::More,
            Some(0xff) => Measure::Invalid,
            Some(&n) => Measure::Total(usize::from(n)),
        }
    }

    fn chunk(data: &[u8], frame: u64) -> Chunk<'_> {
        Chunk {
            data,
            frame,
            ts: Timestamp::new(frame as i64, 0),
        }
    }

    fn drain(f: &mut Framer) -> Vec<(Vec<u8>, Vec<u64>)> {
        let mut out = Vec::new();
        while let Some(m) = f.next(measure) {
            out.push((m.bytes.to_vec(), m.frames));
        }
        out
    }

    #[test]
    fn messages_whole_split_and_together() {
        let mut f = Framer::new(100);
        f.push(chunk(&[3, 1], 1));
        assert!(drain(&mut f).is_empty());
        assert!(!f.at_boundary());
        f.push(chunk(&[2, 2, 9], 2));
        assert_eq!(
            drain(&mut f),
            vec![(vec![3, 1, 2], vec![1, 2]), (vec![2, 9], vec![2])]
        );
        assert!(f.at_boundary());
        f.push(chunk(&[4, 5], 3));
        f.push(chunk(&[5], 4));
        assert!(drain(&mut f).is_empty());
        f.push(chunk(&[5, 2], 5));
        assert_eq!(drain(&mut f), vec![(vec![4, 5, 5, 5], vec![3, 4, 5])]);
        assert!(!f.at_boundary());
    }

    #[test]
    fn oversized_messages_are_skipped() {
        let mut f = Framer::new(4);
        f.push(chunk(&[10, 0, 0], 1));
        assert!(drain(&mut f).is_empty());
        assert!(f.buffered() < 256, "{}", f.buffered());
        f.push(chunk(&[0; 7], 2));
        f.push(chunk(&[2, 7], 3));
        assert_eq!(drain(&mut f), vec![(vec![2, 7], vec![3])]);
    }

    #[test]
    fn gaps_inside_known_messages_keep_step() {
        let mut f = Framer::new(100);
        f.push(chunk(&[10, 1, 1], 1));
        assert!(drain(&mut f).is_empty());
        f.gap(4);
        f.push(chunk(&[1, 1, 1, 2, 8], 2));
        assert_eq!(drain(&mut f), vec![(vec![2, 8], vec![2])]);
        // A gap at a boundary: lost.
        f.gap(1);
        assert!(f.is_lost());
        f.push(chunk(&[2, 8], 3));
        assert!(drain(&mut f).is_empty());
    }

    #[test]
    fn invalid_bytes_lose_the_direction() {
        let mut f = Framer::new(100);
        f.push(chunk(&[0xff, 1, 2], 1));
        assert!(drain(&mut f).is_empty());
        assert!(f.is_lost());
        assert_eq!(f.buffered(), 0);
    }
}
