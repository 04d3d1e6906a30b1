//! STOMP 1.0-1.2, the text protocol of message brokers (ActiveMQ, Artemis, RabbitMQ's
//! STOMP plugin), TCP 61613: the `login` and `passcode` headers of a `CONNECT` (or
//! `STOMP`) frame, in clear. The server answers `CONNECTED` (success) or `ERROR`
//! (failure; its `message` header in `details.reason`). Header values of `CONNECT` frames
//! are not escaped (STOMP 1.2, "Value Encoding"). Mechanism `CONNECT`, kind `cleartext`;
//! the `host` header (the virtual host) in `details.host`. A `CONNECT` without a passcode
//! gives nothing. STOMP over TLS (61614) and over WebSocket is not read.

use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "stomp",
    tcp_ports: &[61613],
    probe,
    new: |_config| Box::new(Stomp::default()),
};

/// Longest frame head (command and headers) read.
const MAX_HEAD: usize = 16 * 1024;

/// The commands a client opens with.
const OPENING: [&[u8]; 2] = [b"CONNECT", b"STOMP"];

/// STOMP when the client's first line is `CONNECT` or `STOMP` alone (HTTP's `CONNECT`
/// has a target after a space).
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_server.is_empty() {
        return if to_client.is_empty() {
            Probe::Maybe
        } else {
            Probe::No
        };
    }
    if !matches!(to_server[0], b'C' | b'S' | b'\n' | b'\r') {
        return Probe::No;
    }
    // Heart-beats (end-of-lines) may come before a frame.
    let start = to_server
        .iter()
        .position(|&b| b != b'\n' && b != b'\r')
        .unwrap_or(to_server.len());
    let d = &to_server[start..];
    for command in OPENING {
        let n = d.len().min(command.len());
        if d[..n] != command[..n] {
            continue;
        }
        return match d.get(command.len()) {
            None => Probe::Maybe,
            Some(b'\n') => Probe::Yes,
            Some(b'\r') => match d.get(command.len() + 1) {
                None => Probe::Maybe,
                Some(b'\n') => Probe::Yes,
                Some(_) => Probe::No,
            },
            Some(_) => Probe::No,
        };
    }
    Probe::No
}

/// A frame's command and headers (the head before the blank line), lines without their
/// CR.
pub fn head_lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    head.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

/// The value of header `name` in a frame head (the first occurrence wins, as STOMP 1.2
/// says).
pub fn header<'a>(head: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    head_lines(head).skip(1).find_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        (&line[..colon] == name).then(|| &line[colon + 1..])
    })
}

/// Where a frame's head ends (the blank line), and where its body starts.
fn head_end(d: &[u8]) -> Option<(usize, usize)> {
    let lf = memchr::memmem::find(d, b"\n\n").map(|i| (i, i + 2));
    let crlf = memchr::memmem::find(d, b"\r\n\r\n").map(|i| (i, i + 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

#[derive(Debug, Default)]
pub struct Stomp {
    /// The client's first frame head, the server's, until whole.
    buf: [Vec<u8>; 2],
    frames: Vec<u64>,
    pending: Option<Box<Credential>>,
    /// The client's CONNECT was read.
    connected: bool,
    done: bool,
}

impl Stomp {
    fn client(&mut self, chunk: Chunk<'_>) {
        self.buf[0].extend_from_slice(&chunk.data[..chunk.data.len().min(MAX_HEAD)]);
        if self.frames.last() != Some(&chunk.frame) {
            self.frames.push(chunk.frame);
        }
        let start = self.buf[0]
            .iter()
            .position(|&b| b != b'\n' && b != b'\r')
            .unwrap_or(self.buf[0].len());
        let Some((end, _)) = head_end(&self.buf[0][start..]) else {
            if self.buf[0].len() > MAX_HEAD {
                self.done = true;
            }
            return;
        };
        let head = &self.buf[0][start..start + end];
        self.connected = true;
        let command = head_lines(head).next().unwrap_or_default();
        if !OPENING.contains(&command) {
            self.done = true;
            return;
        }
        let Some(passcode) = header(head, b"passcode") else {
            self.done = true;
            return;
        };
        let mut c = Credential::new("stomp", "CONNECT", Kind::Cleartext, chunk.ts);
        c.username = header(head, b"login").map(<[u8]>::to_vec);
        c.secret = Some(passcode.to_vec());
        c.add_frames(std::mem::take(&mut self.frames));
        if let Some(host) = header(head, b"host").filter(|h| !h.is_empty()) {
            c.details
                .push(("host", String::from_utf8_lossy(host).into_owned()));
        }
        self.pending = Some(Box::new(c));
        self.buf[0] = Vec::new();
    }

    fn server(&mut self, data: &[u8], out: &mut Vec<Credential>) {
        if self.pending.is_none() {
            return;
        }
        self.buf[1].extend_from_slice(&data[..data.len().min(MAX_HEAD)]);
        let start = self.buf[1]
            .iter()
            .position(|&b| b != b'\n' && b != b'\r')
            .unwrap_or(self.buf[1].len());
        let d = &self.buf[1][start..];
        let Some((end, _)) = head_end(d) else {
            if self.buf[1].len() > MAX_HEAD {
                self.close_pending(out);
            }
            return;
        };
        let head = &d[..end];
        let command = head_lines(head).next().unwrap_or_default();
        let outcome = match command {
            b"CONNECTED" => Outcome::Success,
            b"ERROR" => Outcome::Failure,
            _ => Outcome::Unknown,
        };
        let reason = (outcome == Outcome::Failure)
            .then(|| header(head, b"message"))
            .flatten()
            .filter(|m| !m.is_empty())
            .map(|m| String::from_utf8_lossy(m).into_owned());
        if let Some(c) = self.pending.as_mut() {
            c.outcome = outcome;
            if let Some(reason) = reason {
                c.details.push(("reason", reason));
            }
        }
        self.close_pending(out);
    }

    fn close_pending(&mut self, out: &mut Vec<Credential>) {
        if let Some(c) = self.pending.take() {
            out.push(*c);
        }
        self.buf = Default::default();
        self.done = true;
    }
}

impl Dissector for Stomp {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done {
            return;
        }
        match dir {
            Direction::ToServer if !self.connected => self.client(chunk),
            Direction::ToServer => {}
            Direction::ToClient => self.server(chunk.data, out),
        }
    }

    fn gap(&mut self, _dir: Direction, _len: u64, out: &mut Vec<Credential>) {
        self.close_pending(out);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        if let Some(c) = self.pending.take() {
            out.push(*c);
        }
    }

    fn done(&self) -> bool {
        self.done && self.pending.is_none()
    }

    fn buffered(&self) -> usize {
        self.buf.iter().map(Vec::capacity).sum::<usize>()
            + self.frames.capacity() * 8
            + self.pending.as_ref().map_or(0, |_| 256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> (Vec<Credential>, bool) {
        crate::dissect::script::play(
            &mut *(SPEC.new)(&super::super::DissectorConfig::default()),
            script,
        )
    }

    const CONNECT: &[u8] =
        b"CONNECT\naccept-version:1.2\nhost:/broker\nlogin:orders\npasscode:St0mp:pw\nheart-beat:0,0\n\n\0";

    #[test]
    fn connect_accepted() {
        let (out, done) = run(&[
            (C, CONNECT),
            (S, b"CONNECTED\nversion:1.2\nserver:ActiveMQ/5.18\n\n\0"),
            (C, b"SUBSCRIBE\nid:0\ndestination:/queue/a\n\n\0"),
        ]);
        assert!(done);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.protocol, "stomp");
        assert_eq!(c.mechanism, "CONNECT");
        assert_eq!(c.username.as_deref(), Some(&b"orders"[..]));
        // The first colon separates name and value: the password keeps its own.
        assert_eq!(c.secret.as_deref(), Some(&b"St0mp:pw"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![1]);
        assert_eq!(c.details, vec![("host", "/broker".to_string())]);
    }

    #[test]
    fn stomp_command_refused_with_crlf_and_heartbeats() {
        let (out, _) = run(&[
            (C, b"\n\r\nSTOMP\r\nlogin:guest\r\npasscode:guest\r\n\r\n\0"),
            (
                S,
                b"ERROR\r\nmessage:Access refused\r\ncontent-type:text/plain\r\n\r\nbad login\0",
            ),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret.as_deref(), Some(&b"guest"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert!(
            out[0]
                .details
                .contains(&("reason", "Access refused".to_string()))
        );
    }

    #[test]
    fn byte_by_byte_unanswered_and_no_passcode() {
        let script: Vec<(Direction, &[u8])> = CONNECT.chunks(1).map(|b| (C, b)).collect();
        let (out, done) = run(&script);
        assert!(!done);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        let head = CONNECT.len() as u64 - 1; // up to the blank line's end, not the NUL
        assert_eq!(out[0].frames, (1..=head).collect::<Vec<_>>());
        let (out, done) = run(&[(C, b"CONNECT\naccept-version:1.2\nhost:/\n\n\0")]);
        assert!(out.is_empty());
        assert!(done);
    }

    #[test]
    fn probe_tells_stomp_from_http_connect() {
        assert_eq!(probe(CONNECT, b""), Probe::Yes);
        assert_eq!(probe(b"STOMP\r\nlogin:a\r\n", b""), Probe::Yes);
        assert_eq!(probe(b"\nCONNECT\n", b""), Probe::Yes);
        assert_eq!(probe(b"CONN", b""), Probe::Maybe);
        assert_eq!(probe(b"CONNECT", b""), Probe::Maybe);
        assert_eq!(probe(b"CONNECT\r", b""), Probe::Maybe);
        assert_eq!(
            probe(b"CONNECT example.org:443 HTTP/1.1\r\n", b""),
            Probe::No
        );
        assert_eq!(probe(b"SEND\n", b""), Probe::No);
        assert_eq!(probe(b"", b"CONNECTED\n"), Probe::No);
    }

    #[test]
    fn header_takes_the_first_occurrence() {
        let head = b"CONNECT\nlogin:a\nlogin:b\npasscode:\n";
        assert_eq!(header(head, b"login"), Some(&b"a"[..]));
        assert_eq!(header(head, b"passcode"), Some(&b""[..]));
        assert_eq!(header(head, b"host"), None);
        // The command line is not a header.
        assert_eq!(header(b"login:x\n", b"login"), None);
    }

    #[test]
    fn garbage_never_panics() {
        let valid = [
            CONNECT.to_vec(),
            b"CONNECTED\nversion:1.2\n\n\0".to_vec(),
            b"ERROR\nmessage:no\n\n\0".to_vec(),
        ];
        crate::dissect::garbage::feed(
            0x570a_a9e1,
            2000,
            6,
            &valid,
            Stomp::default,
            |b| {
                let _ = probe(b, b);
                let _ = header(b, b"login");
            },
            |r| u64::from(r.next() % 100),
            |d| assert!(d.buffered() < 8 * MAX_HEAD),
        );
    }
}
