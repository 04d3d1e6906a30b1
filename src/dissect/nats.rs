//! NATS, the cloud-native messaging system's client protocol, TCP 4222: the credentials of
//! a client's `CONNECT`.
//!
//! The server greets with `INFO {json}`; the client answers `CONNECT {json}` whose `user`
//! and `pass` (mechanism `user/pass`, cleartext) or `auth_token` (mechanism `token`) are in
//! clear, then usually `PING`. The server's `PONG` (or `+OK` in verbose mode) accepts;
//! `-ERR 'Authorization Violation'` (or another authentication error) refuses, its text in
//! `details.reason`. The client's `name` goes in `details.client_name`. NKey and JWT
//! logins sign a nonce and send no secret: no finding. A server that requires TLS is
//! answered with TLS: nothing more is read.

use super::ftp::looks_like_tls;
use super::lines::{Line, LineReader};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "nats",
    tcp_ports: &[4222],
    probe,
    new: |config| {
        Box::new(Nats {
            lines: [
                LineReader::new(config.max_line),
                LineReader::new(config.max_line),
            ],
            pending: None,
            done: false,
        })
    },
};

/// Whether `line` is the operation `op` with a JSON object: `OP {`.
fn op_json<'a>(line: &'a [u8], op: &[u8]) -> Option<&'a [u8]> {
    let rest = line.get(op.len()..)?;
    if !line[..op.len()].eq_ignore_ascii_case(op) || !rest.starts_with(b" ") {
        return None;
    }
    let json = rest.trim_ascii_start();
    json.starts_with(b"{").then_some(json)
}

/// NATS when the server greets with `INFO {` or the client opens with `CONNECT {`.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    // Whether `d` starts with `op` then ` {`: Some(true), Some(false), or None while it
    // is too short to tell (no allocation: this runs for every new flow).
    let starts = |d: &[u8], op: &[u8]| -> Option<bool> {
        let n = d.len().min(op.len());
        if !d[..n].eq_ignore_ascii_case(&op[..n]) {
            return Some(false);
        }
        let rest = &d[n..];
        let m = rest.len().min(2);
        if rest[..m] != b" {"[..m] {
            return Some(false);
        }
        (n == op.len() && m == 2).then_some(true)
    };
    let server = (!to_client.is_empty()).then(|| starts(to_client, b"INFO"));
    let client = (!to_server.is_empty()).then(|| starts(to_server, b"CONNECT"));
    match (server, client) {
        (Some(Some(false)), _) | (_, Some(Some(false))) => Probe::No,
        (Some(Some(true)), _) | (_, Some(Some(true))) => Probe::Yes,
        _ => Probe::Maybe,
    }
}

/// What a `CONNECT` carries: the user, the password or token, and the client's name.
#[derive(Debug, PartialEq, Eq)]
pub struct Connect {
    pub user: Option<String>,
    pub pass: Option<String>,
    pub auth_token: Option<String>,
    pub name: Option<String>,
}

/// The `CONNECT` line's JSON object.
pub fn parse_connect(line: &[u8]) -> Option<Connect> {
    let json = op_json(line, b"CONNECT")?;
    let v: serde_json::Value = serde_json::from_slice(json).ok()?;
    let text = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Some(Connect {
        user: text("user"),
        pass: text("pass"),
        auth_token: text("auth_token"),
        name: text("name"),
    })
}

#[derive(Debug)]
pub struct Nats {
    lines: [LineReader; 2],
    pending: Option<Box<Credential>>,
    done: bool,
}

impl Nats {
    fn client_line(&mut self, line: Line<'_>) {
        if self.pending.is_some() {
            return;
        }
        let Some(connect) = parse_connect(line.text) else {
            return;
        };
        let mut c = match (&connect.pass, &connect.auth_token) {
            (Some(pass), _) => {
                let mut c = Credential::new("nats", "user/pass", Kind::Cleartext, line.ts);
                c.username = connect.user.as_ref().map(|u| u.as_bytes().to_vec());
                c.secret = Some(pass.as_bytes().to_vec());
                c
            }
            (None, Some(token)) => {
                let mut c = Credential::new("nats", "token", Kind::Token, line.ts);
                c.secret = Some(token.as_bytes().to_vec());
                c
            }
            // No secret (NKey, JWT, or none at all).
            (None, None) => {
                self.done = true;
                return;
            }
        };
        c.add_frames(line.frames.iter().copied());
        if let Some(name) = connect.name {
            c.details.push(("client_name", name));
        }
        self.pending = Some(Box::new(c));
    }

    fn server_line(&mut self, text: &[u8], out: &mut Vec<Credential>) {
        let Some(c) = self.pending.as_mut() else {
            return;
        };
        let upper = text.to_ascii_uppercase();
        if upper == b"PONG" || upper == b"+OK" {
            c.outcome = Outcome::Success;
        } else if upper.starts_with(b"-ERR") {
            let reason = text[4..].trim_ascii();
            let reason = reason
                .strip_prefix(b"'")
                .and_then(|r| r.strip_suffix(b"'"))
                .unwrap_or(reason);
            let lower = reason.to_ascii_lowercase();
            let auth = [&b"authorization"[..], b"authentication", b"credentials"]
                .iter()
                .any(|w| memchr::memmem::find(&lower, w).is_some());
            if !auth {
                return; // another error: the login may still be judged
            }
            c.outcome = Outcome::Failure;
            c.details
                .push(("reason", String::from_utf8_lossy(reason).into_owned()));
        } else {
            return; // INFO, PING, MSG...
        }
        if let Some(c) = self.pending.take() {
            out.push(*c);
        }
        self.done = true;
    }
}

impl Dissector for Nats {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done {
            return;
        }
        if self.lines[dir.index()].partial().is_empty() && looks_like_tls(chunk.data) {
            self.done = self.pending.is_none();
            return;
        }
        let mut lines = std::mem::take(&mut self.lines[dir.index()]);
        match dir {
            Direction::ToServer => lines.feed(chunk, |l| self.client_line(l)),
            Direction::ToClient => lines.feed(chunk, |l| {
                if !self.done {
                    self.server_line(l.text, out);
                }
            }),
        }
        self.lines[dir.index()] = lines;
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut Vec<Credential>) {
        self.lines[dir.index()].gap();
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        if let Some(c) = self.pending.take() {
            out.push(*c);
        }
    }

    fn done(&self) -> bool {
        self.done && self.pending.is_none()
    }

    fn lines_too_long(&self) -> u64 {
        self.lines.iter().map(|l| l.overlong).sum()
    }

    fn buffered(&self) -> usize {
        self.lines.iter().map(LineReader::buffered).sum::<usize>()
            + self.pending.as_ref().map_or(0, |_| 256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{ToClient as S, ToServer as C};

    const INFO: &[u8] = b"INFO {\"server_id\":\"NCX\",\"version\":\"2.10.7\",\"auth_required\":true,\"max_payload\":1048576}\r\n";

    fn run(script: &[(Direction, &[u8])]) -> (Vec<Credential>, bool) {
        crate::dissect::script::play(
            &mut *(SPEC.new)(&super::super::DissectorConfig::default()),
            script,
        )
    }

    #[test]
    fn user_pass_accepted_by_pong() {
        let (out, done) = run(&[
            (S, INFO),
            (
                C,
                b"CONNECT {\"verbose\":false,\"pedantic\":false,\"user\":\"orders\",\"pass\":\"N4ts \\\"pw\\\"\",\"name\":\"billing-7\",\"lang\":\"go\",\"version\":\"1.31.0\",\"protocol\":1}\r\nPING\r\n",
            ),
            (S, b"PONG\r\n"),
        ]);
        assert!(done);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.protocol, "nats");
        assert_eq!(c.mechanism, "user/pass");
        assert_eq!(c.username.as_deref(), Some(&b"orders"[..]));
        // JSON escapes decoded.
        assert_eq!(c.secret.as_deref(), Some(&b"N4ts \"pw\""[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![2]);
        assert_eq!(c.details, vec![("client_name", "billing-7".to_string())]);
    }

    #[test]
    fn token_refused_with_authorization_violation() {
        let (out, _) = run(&[
            (S, INFO),
            (
                C,
                b"CONNECT {\"auth_token\":\"s3cr3t-t0ken\",\"verbose\":true}\r\n",
            ),
            (S, b"-ERR 'Authorization Violation'\r\n"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, Kind::Token);
        assert_eq!(out[0].secret.as_deref(), Some(&b"s3cr3t-t0ken"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert!(
            out[0]
                .details
                .contains(&("reason", "Authorization Violation".to_string()))
        );
    }

    #[test]
    fn other_errors_wait_and_verbose_ok_accepts() {
        let (out, _) = run(&[
            (S, INFO),
            (
                C,
                b"CONNECT {\"user\":\"a\",\"pass\":\"b\",\"verbose\":true}\r\n",
            ),
            (S, b"-ERR 'Unknown Protocol Operation'\r\n+OK\r\n"),
        ]);
        assert_eq!(out[0].outcome, Outcome::Success);
        let (out, done) = run(&[
            (S, INFO),
            (C, b"CONNECT {\"user\":\"a\",\"pass\":\"b\"}\r\n"),
        ]);
        assert!(!done);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn nkey_jwt_and_no_auth_give_nothing() {
        for connect in [
            &b"CONNECT {\"nkey\":\"UAB...\",\"sig\":\"abc\"}\r\n"[..],
            b"CONNECT {\"jwt\":\"eyJ0...\",\"sig\":\"abc\"}\r\n",
            b"CONNECT {\"verbose\":false}\r\n",
            b"CONNECT {\"user\":\"a\",\"pass\":\"\"}\r\n",
        ] {
            let (out, done) = run(&[(S, INFO), (C, connect), (S, b"PONG\r\n")]);
            assert!(out.is_empty(), "{}", String::from_utf8_lossy(connect));
            assert!(done);
        }
        // Not JSON: nothing, and no panic.
        let (out, _) = run(&[(S, INFO), (C, b"CONNECT {user:a\r\n"), (S, b"PONG\r\n")]);
        assert!(out.is_empty());
    }

    #[test]
    fn tls_after_info_ends_the_inspection() {
        let (out, done) = run(&[
            (S, INFO),
            (C, b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03"),
            (C, b"CONNECT {\"user\":\"a\",\"pass\":\"b\"}\r\n"),
        ]);
        assert!(out.is_empty());
        assert!(done);
    }

    #[test]
    fn probe_reads_info_and_connect() {
        assert_eq!(probe(b"", INFO), Probe::Yes);
        assert_eq!(probe(b"CONNECT {\"user\":\"a\"}\r\n", b""), Probe::Yes);
        assert_eq!(probe(b"", b"INF"), Probe::Maybe);
        assert_eq!(probe(b"", b"INFO"), Probe::Maybe);
        assert_eq!(probe(b"", b""), Probe::Maybe);
        assert_eq!(probe(b"", b"220 ftp\r\n"), Probe::No);
        assert_eq!(
            probe(b"CONNECT example.org:443 HTTP/1.1\r\n", b""),
            Probe::No
        );
        assert_eq!(probe(b"CONNECT\n", b""), Probe::No);
    }

    #[test]
    fn garbage_never_panics() {
        let valid = [
            INFO.to_vec(),
            b"CONNECT {\"user\":\"a\",\"pass\":\"b\"}\r\n".to_vec(),
            b"-ERR 'Authorization Violation'\r\n".to_vec(),
            b"PONG\r\n".to_vec(),
        ];
        let new = || Nats {
            lines: Default::default(),
            pending: None,
            done: false,
        };
        crate::dissect::garbage::feed(
            0x4a75_0001,
            2000,
            6,
            &valid,
            new,
            |b| {
                let _ = probe(b, b);
                let _ = parse_connect(b);
            },
            |r| u64::from(r.next() % 100),
            |d| assert!(d.buffered() < 4 * crate::dissect::lines::DEFAULT_MAX_LINE),
        );
    }
}
