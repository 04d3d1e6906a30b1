//! Line framing for text protocols (FTP, POP3, IMAP, SMTP...): turns ordered stream bytes
//! into lines, remembering which frames carried each line. Lines longer than a cap are
//! discarded, and after a gap the partial line is dropped until the next line end.

use memchr::memchr;

use super::Chunk;
use crate::flow::Direction;
use crate::timestamp::Timestamp;

/// One line, without its CR LF (or LF) terminator.
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    pub text: &'a [u8],
    /// Frames that carried the line, in stream order.
    pub frames: &'a [u64],
    /// Time of the packet that completed the line.
    pub ts: Timestamp,
}

/// Default cap on a line's length.
pub const DEFAULT_MAX_LINE: usize = 16 * 1024;

#[derive(Debug)]
pub struct LineReader {
    buf: Vec<u8>,
    frames: Vec<u64>,
    max: usize,
    /// Discarding bytes up to the next line end (after a gap or an over-long line).
    skipping: bool,
    /// Lines discarded for being longer than `max`.
    pub overlong: u64,
}

impl Default for LineReader {
    fn default() -> Self {
        LineReader::new(DEFAULT_MAX_LINE)
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl LineReader {
    pub fn new(max: usize) -> LineReader {
        LineReader {
            buf: Vec::new(),
            frames: Vec::new(),
            max: max.max(1),
            skipping: false,
            overlong: 0,
        }
    }

    fn note_frame(&mut self, frame: u64) {
        if self.frames.last() != Some(&frame) {
            self.frames.push(frame);
        }
    }

    /// Feeds stream bytes; `each` is called for every completed line.
    pub fn feed(&mut self, chunk: Chunk<'_>, mut each: impl FnMut(Line<'_>)) {
        let one = [chunk.frame];
        let mut rest = chunk.data;
        while let Some(pos) = memchr(b'\n', rest) {
            let piece = &rest[..pos];
            rest = &rest[pos + 1..];
            if self.skipping {
                self.skipping = false;
                self.buf.clear();
                self.frames.clear();
                continue;
            }
            if self.buf.is_empty() {
                // A whole line in one chunk: handed over without a copy, unless it is
                // longer than the cap (the same rule however the stream was cut).
                if piece.len() > self.max {
                    self.overlong += 1;
                } else {
                    each(Line {
                        text: strip_cr(piece),
                        frames: &one,
                        ts: chunk.ts,
                    });
                }
            } else {
                if self.buf.len() + piece.len() > self.max {
                    self.overlong += 1;
                } else {
                    self.buf.extend_from_slice(piece);
                    self.note_frame(chunk.frame);
                    each(Line {
                        text: strip_cr(&self.buf),
                        frames: &self.frames,
                        ts: chunk.ts,
                    });
                }
                self.buf.clear();
                self.frames.clear();
            }
        }
        if !rest.is_empty() && !self.skipping {
            if self.buf.len() + rest.len() > self.max {
                self.overlong += 1;
                self.skipping = true;
                self.buf.clear();
                self.frames.clear();
            } else {
                self.buf.extend_from_slice(rest);
                self.note_frame(chunk.frame);
            }
        }
    }

    /// Bytes are missing from the stream: the partial line is unusable, and so is
    /// everything up to the next line end.
    pub fn gap(&mut self) {
        self.buf.clear();
        self.frames.clear();
        self.skipping = true;
    }

    /// Bytes held for the unterminated line.
    pub fn buffered(&self) -> usize {
        self.buf.capacity()
    }

    /// The unterminated line so far.
    pub fn partial(&self) -> &[u8] {
        &self.buf
    }
}

/// Both directions of a line protocol, each with its own [`LineReader`]: what the line
/// dissectors (NNTP, poppass...) share.
#[derive(Debug, Default)]
pub struct LinePair([LineReader; 2]);

impl LinePair {
    pub fn new(max: usize) -> LinePair {
        LinePair([LineReader::new(max), LineReader::new(max)])
    }

    /// Feeds `dir`'s bytes; `each` gets every completed line with its direction.
    pub fn feed(
        &mut self,
        dir: Direction,
        chunk: Chunk<'_>,
        mut each: impl FnMut(Direction, Line<'_>),
    ) {
        self.0[dir.index()].feed(chunk, |l| each(dir, l));
    }

    /// Whether `dir` holds no partial line (its next byte starts a line: where a TLS
    /// handshake after STARTTLS would begin).
    pub fn at_line_start(&self, dir: Direction) -> bool {
        self.0[dir.index()].partial().is_empty()
    }

    /// Bytes of `dir` are missing (see [`LineReader::gap`]).
    pub fn gap(&mut self, dir: Direction) {
        self.0[dir.index()].gap();
    }

    /// Lines of both directions discarded for being too long.
    pub fn overlong(&self) -> u64 {
        self.0.iter().map(|l| l.overlong).sum()
    }

    /// Bytes held for unterminated lines.
    pub fn buffered(&self) -> usize {
        self.0.iter().map(LineReader::buffered).sum()
    }
}

/// Splits a command line into its verb and argument at the first space: RFC 959 and
/// RFC 1939 both use `VERB SP argument`. The argument keeps every byte after that space.
pub fn split_command(line: &[u8]) -> (&[u8], Option<&[u8]>) {
    match memchr(b' ', line) {
        Some(i) => (&line[..i], Some(&line[i + 1..])),
        None => (line, None),
    }
}

/// Whether `bytes` begins with `prefix`, ASCII letters in either case (probes run on the
/// first bytes of every flow whose protocol is not known yet: no copy to compare).
pub fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Whether `word` is one of `words` (given in upper case), ASCII letters in either case.
pub fn is_one_of(word: &[u8], words: &[&[u8]]) -> bool {
    words.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// The first complete line of `buf`, without its terminator.
pub fn first_line(buf: &[u8]) -> Option<&[u8]> {
    memchr(b'\n', buf).map(|i| strip_cr(&buf[..i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Commands and greetings are recognised in any case without a copy to compare.
    #[test]
    fn probes_read_verbs_and_greetings_in_any_case() {
        use crate::dissect::{Probe, imap, nntp, pop3, smtp};
        assert!(starts_with_ignore_case(b"+ok ready", b"+OK "));
        assert!(!starts_with_ignore_case(b"+O", b"+OK "));
        assert!(is_one_of(b"eHlO", &[b"HELO", b"EHLO"]));
        assert!(!is_one_of(b"EHLOX", &[b"HELO", b"EHLO"]));
        for (server, client, probe) in [
            (
                &b"a1 login ann pw\r\n"[..],
                &b""[..],
                imap::probe as fn(&[u8], &[u8]) -> Probe,
            ),
            (b"", b"* ok IMAP4rev1 ready\r\n", imap::probe),
            (b"ehlo client.example\r\n", b"", smtp::probe),
            (b"", b"+ok POP3 ready\r\n", pop3::probe),
            (b"authinfo user ann\r\n", b"", nntp::probe),
        ] {
            assert_eq!(probe(server, client), Probe::Yes, "{server:?} {client:?}");
        }
        assert_eq!(imap::probe(b"a1 logon ann pw\r\n", b""), Probe::No);
        assert_eq!(smtp::probe(b"ehlox client\r\n", b""), Probe::No);
        assert_eq!(pop3::probe(b"", b"+no\r\n"), Probe::No);
    }

    fn lines_of(reader: &mut LineReader, parts: &[(&[u8], u64)]) -> Vec<(Vec<u8>, Vec<u64>)> {
        let mut got = Vec::new();
        for (data, frame) in parts {
            reader.feed(
                Chunk {
                    data,
                    frame: *frame,
                    ts: Timestamp::ZERO,
                },
                |l| got.push((l.text.to_vec(), l.frames.to_vec())),
            );
        }
        got
    }

    #[test]
    fn splits_lines_across_chunks_with_frames() {
        let mut r = LineReader::default();
        let got = lines_of(&mut r, &[(b"USER a\r\nPA", 1), (b"SS", 2), (b" b\r\n", 3)]);
        assert_eq!(
            got,
            vec![
                (b"USER a".to_vec(), vec![1]),
                (b"PASS b".to_vec(), vec![1, 2, 3])
            ]
        );
    }

    #[test]
    fn every_split_point_gives_same_lines() {
        let input = b"USER alice\r\nPASS s3cr et\r\nQUIT\n";
        for cut in 0..input.len() {
            let mut r = LineReader::default();
            let got = lines_of(&mut r, &[(&input[..cut], 1), (&input[cut..], 2)]);
            let texts: Vec<Vec<u8>> = got.into_iter().map(|(t, _)| t).collect();
            assert_eq!(
                texts,
                vec![
                    b"USER alice".to_vec(),
                    b"PASS s3cr et".to_vec(),
                    b"QUIT".to_vec()
                ]
            );
        }
    }

    #[test]
    fn overlong_lines_are_dropped_and_reader_recovers() {
        let mut r = LineReader::new(8);
        let got = lines_of(&mut r, &[(b"0123456789abc", 1), (b"def\r\nok\r\n", 2)]);
        assert_eq!(got, vec![(b"ok".to_vec(), vec![2])]);
        assert_eq!(r.overlong, 1);
    }

    #[test]
    fn gap_discards_partial_line() {
        let mut r = LineReader::default();
        let mut got = lines_of(&mut r, &[(b"PASS sec", 1)]);
        r.gap();
        got.extend(lines_of(&mut r, &[(b"ret\r\nUSER x\r\n", 2)]));
        assert_eq!(got, vec![(b"USER x".to_vec(), vec![2])]);
    }

    #[test]
    fn command_split_keeps_spaces_in_argument() {
        assert_eq!(
            split_command(b"PASS a b "),
            (&b"PASS"[..], Some(&b"a b "[..]))
        );
        assert_eq!(split_command(b"QUIT"), (&b"QUIT"[..], None));
    }
}
