//! What a user typed, rebuilt from keystrokes as a terminal's line discipline would:
//! backspace (`^H`, DEL) erases a character, `^U` the line, `^W` a word, `^C` abandons the
//! line; a line ends at CR LF, CR NUL, CR or LF. Shared by Telnet and rlogin.

use crate::timestamp::Timestamp;

/// A line the user finished typing.
#[derive(Clone, Copy, Debug)]
pub struct TypedLine<'a> {
    pub text: &'a [u8],
    /// Every frame that carried a keystroke of the line (edits included).
    pub frames: &'a [u64],
    /// Time of the keystroke that ended the line.
    pub ts: Timestamp,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Escape {
    #[default]
    None,
    /// After ESC.
    Esc,
    /// Inside a control sequence (ESC [ ... final byte).
    Csi,
}

/// Rebuilds lines from keystrokes.
#[derive(Debug)]
pub struct LineEditor {
    line: Vec<u8>,
    frames: Vec<u64>,
    after_cr: bool,
    escape: Escape,
    max: usize,
    /// Lines that reached the cap (their extra keystrokes were dropped).
    pub overlong: u64,
    truncated: bool,
}

impl Default for LineEditor {
    fn default() -> Self {
        LineEditor::new(4096)
    }
}

impl LineEditor {
    pub fn new(max: usize) -> LineEditor {
        LineEditor {
            line: Vec::new(),
            frames: Vec::new(),
            after_cr: false,
            escape: Escape::None,
            max,
            overlong: 0,
            truncated: false,
        }
    }

    /// The line typed so far.
    pub fn current(&self) -> &[u8] {
        &self.line
    }

    fn note(&mut self, frame: u64) {
        if self.frames.last() != Some(&frame) {
            self.frames.push(frame);
        }
    }

    /// Erases the last character (Telnet `EC`, backspace).
    pub fn erase_char(&mut self) {
        self.line.pop();
    }

    /// Erases the whole line (Telnet `EL`, `^U`).
    pub fn erase_line(&mut self) {
        self.line.clear();
    }

    /// Forgets the line and its frames (after a gap in the stream).
    pub fn reset(&mut self) {
        self.line.clear();
        self.frames.clear();
        self.after_cr = false;
        self.escape = Escape::None;
    }

    fn erase_word(&mut self) {
        while self.line.last().is_some_and(|b| b.is_ascii_whitespace()) {
            self.line.pop();
        }
        while self.line.last().is_some_and(|b| !b.is_ascii_whitespace()) {
            self.line.pop();
        }
    }

    /// Feeds keystrokes; `each` gets every completed line.
    pub fn feed(
        &mut self,
        data: &[u8],
        frame: u64,
        ts: Timestamp,
        mut each: impl FnMut(TypedLine<'_>),
    ) {
        for &b in data {
            if std::mem::take(&mut self.after_cr) && (b == b'\n' || b == 0) {
                continue;
            }
            match self.escape {
                Escape::Esc => {
                    self.escape = if b == b'[' || b == b'O' {
                        Escape::Csi
                    } else {
                        Escape::None
                    };
                    continue;
                }
                Escape::Csi => {
                    if (0x40..=0x7e).contains(&b) && b != b'[' {
                        self.escape = Escape::None;
                    }
                    continue;
                }
                Escape::None => {}
            }
            if b != 0 {
                self.note(frame);
            }
            match b {
                b'\r' | b'\n' => {
                    self.after_cr = b == b'\r';
                    each(TypedLine {
                        text: &self.line,
                        frames: &self.frames,
                        ts,
                    });
                    self.line.clear();
                    self.frames.clear();
                    if std::mem::take(&mut self.truncated) {
                        self.overlong += 1;
                    }
                }
                0x08 | 0x7f => self.erase_char(),
                0x15 => self.erase_line(),
                0x17 => self.erase_word(),
                0x03 => self.erase_line(),
                0x1b => self.escape = Escape::Esc,
                0 => {}
                _ => {
                    if self.line.len() < self.max {
                        self.line.push(b);
                    } else {
                        self.truncated = true;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(keys: &[&[u8]]) -> Vec<(Vec<u8>, Vec<u64>)> {
        let mut e = LineEditor::default();
        let mut got = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            e.feed(k, i as u64 + 1, Timestamp::ZERO, |l| {
                got.push((l.text.to_vec(), l.frames.to_vec()))
            });
        }
        got
    }

    #[test]
    fn per_character_with_backspace_and_cr_nul() {
        let got = typed(&[
            b"s", b"e", b"c", b"x", b"\x7f", b"r", b"\x08", b"r", b"e", b"t", b"\r\0", b"ls\r\n",
        ]);
        assert_eq!(got[0].0, b"secret");
        assert_eq!(got[0].1, (1..=11).collect::<Vec<u64>>());
        assert_eq!(got[1].0, b"ls");
        assert_eq!(got[1].1, vec![12]);
    }

    #[test]
    fn kill_line_word_erase_and_escapes() {
        assert_eq!(typed(&[b"wrong\x15right\n"])[0].0, b"right");
        assert_eq!(typed(&[b"one two\x17three\r\n"])[0].0, b"one three");
        assert_eq!(typed(&[b"ab\x1b[Dc\r"])[0].0, b"abc");
    }

    #[test]
    fn cr_lf_split_across_segments_is_one_line_end() {
        let got = typed(&[b"user\r", b"\n", b"pw\r", b"\0"]);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].0, b"pw");
    }
}
