//! rsync daemon (`rsync://`, TCP 873): the challenge-response login to a module that has
//! `auth users` (rsync's `rsyncd.conf(5)`; the exchange as rsync's clientserver.c and
//! authenticate.c speak it).
//!
//! Both sides greet with `@RSYNCD: <version>[ <digest>...]` — since protocol 30 the
//! greeting lists the digests each side can authenticate with, the strongest first — and
//! the client names a module. A module that needs a login answers `@RSYNCD: AUTHREQD
//! <challenge>` (random bytes in base64, without padding); the client answers `<user>
//! <response>` where the response is the base64 (no padding) of `digest(password ||
//! challenge)`, the challenge taken as the text that was sent. The digest is the first of
//! the server's list that the client also lists (SHA-512 between current versions);
//! without lists, MD5 from protocol 30 on and MD4 before. The server says `@RSYNCD: OK`
//! (success) or `@ERROR: auth failed on module <m>` (failure).
//!
//! Mechanism `AUTHREQD <digest>`, kind `challenge-response`; the secret is the response as
//! sent, the challenge as sent, and a hashcat line `hex(digest):challenge` for the salted
//! modes that compute `digest($pass.$salt)`: 1710 (SHA-512), 1410 (SHA-256), 110 (SHA-1),
//! 10 (MD5); MD4 has none. `details.module` is the module asked for.

use super::lines::{Line, LineReader};
use super::sasl::decode_base64;
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Hashcat, Kind, Outcome, hex};
use crate::flow::Direction;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "rsync",
    tcp_ports: &[873],
    probe,
    new: |config| {
        Box::new(Rsync {
            lines: [
                LineReader::new(config.max_line),
                LineReader::new(config.max_line),
            ],
            server_digests: None,
            client_digests: None,
            version: 0,
            module: None,
            challenge: None,
            pending: None,
            done: false,
        })
    },
};

const GREETING: &[u8] = b"@RSYNCD: ";

/// rsync's daemon protocol when either side opens with its greeting (Maybe while what
/// was sent is a beginning of one).
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    fn greets(side: &[u8]) -> Probe {
        let n = side.len().min(GREETING.len());
        if side.first().is_some_and(|&b| b != b'@') || side[..n] != GREETING[..n] {
            Probe::No
        } else if side.len() <= GREETING.len() {
            Probe::Maybe
        } else if side[GREETING.len()].is_ascii_digit() {
            Probe::Yes
        } else {
            Probe::No
        }
    }
    match (greets(to_client), greets(to_server)) {
        (Probe::Yes, _) | (_, Probe::Yes) => Probe::Yes,
        (Probe::No, _) | (_, Probe::No) => Probe::No,
        _ => Probe::Maybe,
    }
}

/// The authentication digests rsync knows, by the names its greeting uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Digest {
    Sha512,
    Sha256,
    Sha1,
    Md5,
    Md4,
}

impl Digest {
    fn from_name(name: &[u8]) -> Option<Digest> {
        Some(match name {
            b"sha512" => Digest::Sha512,
            b"sha256" => Digest::Sha256,
            b"sha1" => Digest::Sha1,
            b"md5" => Digest::Md5,
            b"md4" => Digest::Md4,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Digest::Sha512 => "sha512",
            Digest::Sha256 => "sha256",
            Digest::Sha1 => "sha1",
            Digest::Md5 => "md5",
            Digest::Md4 => "md4",
        }
    }

    /// Its output length: a response of another length was made with another digest.
    fn len(self) -> usize {
        match self {
            Digest::Sha512 => 64,
            Digest::Sha256 => 32,
            Digest::Sha1 => 20,
            Digest::Md5 | Digest::Md4 => 16,
        }
    }

    /// hashcat's mode for `digest($pass.$salt)`.
    fn hashcat_mode(self) -> Option<u32> {
        match self {
            Digest::Sha512 => Some(1710),
            Digest::Sha256 => Some(1410),
            Digest::Sha1 => Some(110),
            Digest::Md5 => Some(10),
            Digest::Md4 => None,
        }
    }
}

/// A greeting's version (its integer part) and digest list; `None` for another line.
fn greeting(text: &[u8]) -> Option<(u32, Vec<Digest>)> {
    let rest = text.strip_prefix(GREETING)?;
    let mut words = rest.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let version = words.next()?;
    let major = version.split(|&b| b == b'.').next()?;
    if major.is_empty() || !major.iter().all(u8::is_ascii_digit) || major.len() > 4 {
        return None;
    }
    let major = std::str::from_utf8(major).ok()?.parse().ok()?;
    Some((major, words.filter_map(Digest::from_name).collect()))
}

#[derive(Debug)]
pub struct Rsync {
    lines: [LineReader; 2],
    server_digests: Option<Vec<Digest>>,
    client_digests: Option<Vec<Digest>>,
    /// The lower of the two greetings' versions.
    version: u32,
    module: Option<String>,
    /// The challenge of `AUTHREQD`, as sent.
    challenge: Option<Vec<u8>>,
    /// The login sent, waiting for the server's verdict.
    pending: Option<Box<Credential>>,
    done: bool,
}

impl Rsync {
    /// The digest the two sides agreed on, checked against the response's length; when
    /// the greetings do not say (or disagree with the length), the one its length and the
    /// protocol version point to.
    fn digest(&self, response_len: Option<usize>) -> Option<Digest> {
        let negotiated = match (&self.server_digests, &self.client_digests) {
            (Some(server), Some(client)) if !server.is_empty() => server
                .iter()
                .find(|d| client.is_empty() || client.contains(d))
                .copied(),
            _ => None,
        };
        match (negotiated, response_len) {
            (Some(d), Some(n)) if d.len() == n => Some(d),
            (_, Some(64)) => Some(Digest::Sha512),
            (_, Some(32)) => Some(Digest::Sha256),
            (_, Some(20)) => Some(Digest::Sha1),
            (_, Some(16)) if self.version >= 30 => Some(Digest::Md5),
            (_, Some(16)) => Some(Digest::Md4),
            (d, None) => d,
            _ => None,
        }
    }

    fn client_line(&mut self, line: Line<'_>) {
        let text = line.text;
        if self.client_digests.is_none() {
            if let Some((version, digests)) = greeting(text) {
                self.version = if self.version == 0 {
                    version
                } else {
                    self.version.min(version)
                };
                self.client_digests = Some(digests);
            }
            return;
        }
        if self.module.is_none() {
            if text.starts_with(b"#") {
                // `#list` and other requests: no module, no login.
                self.done = true;
                return;
            }
            self.module = Some(String::from_utf8_lossy(text).into_owned());
            return;
        }
        let Some(challenge) = self.challenge.take() else {
            return;
        };
        // `<user> <response>`
        let mut words = text.split(|&b| b == b' ').filter(|w| !w.is_empty());
        let (Some(user), Some(response)) = (words.next(), words.next()) else {
            self.done = true;
            return;
        };
        let raw = decode_base64(response);
        let digest = self.digest(raw.as_ref().map(Vec::len));
        let mechanism = match digest {
            Some(d) => format!("AUTHREQD {}", d.name()),
            None => "AUTHREQD".to_string(),
        };
        let mut c = Credential::new("rsync", mechanism, Kind::ChallengeResponse, line.ts);
        c.username = Some(user.to_vec());
        c.secret = Some(response.to_vec());
        c.add_frames(line.frames.iter().copied());
        if let (Some(raw), Some(mode)) = (&raw, digest.and_then(Digest::hashcat_mode)) {
            c.hashcat = Some(Hashcat {
                mode,
                hash: format!("{}:{}", hex(raw), String::from_utf8_lossy(&challenge)),
                hex_salt: false,
            });
        }
        c.challenge = Some(challenge);
        if let Some(module) = &self.module {
            c.details.push(("module", module.clone()));
        }
        self.pending = Some(Box::new(c));
    }

    fn server_line(&mut self, text: &[u8], out: &mut Vec<Credential>) {
        if self.server_digests.is_none() {
            if let Some((version, digests)) = greeting(text) {
                self.version = if self.version == 0 {
                    version
                } else {
                    self.version.min(version)
                };
                self.server_digests = Some(digests);
            }
            return;
        }
        if let Some(challenge) = text.strip_prefix(b"@RSYNCD: AUTHREQD ") {
            self.challenge = Some(challenge.trim_ascii().to_vec());
            return;
        }
        let verdict = if text == b"@RSYNCD: OK" {
            Some((Outcome::Success, None))
        } else if let Some(error) = text.strip_prefix(b"@ERROR") {
            let reason = error.strip_prefix(b":").unwrap_or(error).trim_ascii();
            let outcome = if reason.starts_with(b"auth failed") {
                Outcome::Failure
            } else {
                Outcome::Unknown
            };
            Some((outcome, Some(String::from_utf8_lossy(reason).into_owned())))
        } else if text == b"@RSYNCD: EXIT" {
            Some((Outcome::Unknown, None))
        } else {
            None // the message of the day
        };
        let Some((outcome, reason)) = verdict else {
            return;
        };
        if let Some(mut c) = self.pending.take() {
            c.outcome = outcome;
            if let Some(reason) = reason.filter(|r| !r.is_empty()) {
                c.details.push(("reason", reason));
            }
            out.push(*c);
        }
        // After the verdict the connection speaks rsync's binary protocol, or closes.
        self.done = true;
    }
}

impl Dissector for Rsync {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done {
            return;
        }
        let mut lines = std::mem::take(&mut self.lines[dir.index()]);
        lines.feed(chunk, |l| {
            if self.done {
                return;
            }
            match dir {
                Direction::ToServer => self.client_line(l),
                Direction::ToClient => self.server_line(l.text, out),
            }
        });
        self.lines[dir.index()] = lines;
    }

    fn gap(&mut self, dir: Direction, _len: u64, out: &mut Vec<Credential>) {
        self.lines[dir.index()].gap();
        if self.pending.is_none() {
            // The exchange cannot be followed through a hole.
            self.done = true;
        }
        let _ = out;
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
            + self.challenge.as_ref().map_or(0, Vec::len)
            + self.module.as_ref().map_or(0, String::len)
            + if self.pending.is_some() { 256 } else { 0 }
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

    const CHALLENGE: &str =
        "7dJ22xZvZaG5lXHwUxs264m2vQA+zHTdM8lQ8EW6vRiy1WxlpyxLcOXBtvlCh/k/nCwZ/9TV2p+FwzxN6eCtaw";
    /// base64(SHA-512("Rsync-pw1" || CHALLENGE)), as rsync 3.5.0 computed it.
    const RESPONSE: &str =
        "hciOlKVUxJAwaoHifBceXw2ww0Zbtjkg0sKALgakx2rXGB9Q4aWjwp5ULsJV228eYi+Ma7Kjwui40x2IItCQRw";

    fn login(
        server_greeting: &str,
        client_greeting: &str,
        response: &str,
        verdict: &str,
    ) -> Vec<Credential> {
        let s1 = format!("{server_greeting}\n");
        let c1 = format!("{client_greeting}\nmod\n");
        let s2 = format!("@RSYNCD: AUTHREQD {CHALLENGE}\n");
        let c2 = format!("alice {response}\n");
        let s3 = format!("{verdict}\n");
        run(&[
            (S, s1.as_bytes()),
            (C, c1.as_bytes()),
            (S, s2.as_bytes()),
            (C, c2.as_bytes()),
            (S, s3.as_bytes()),
        ])
        .0
    }

    #[test]
    fn sha512_login_as_rsync_3_5_sends_it() {
        let g = "@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4";
        let found = login(g, g, RESPONSE, "@RSYNCD: OK");
        assert_eq!(found.len(), 1);
        let c = &found[0];
        assert_eq!(c.protocol, "rsync");
        assert_eq!(c.mechanism, "AUTHREQD sha512");
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(c.secret.as_deref(), Some(RESPONSE.as_bytes()));
        assert_eq!(c.challenge.as_deref(), Some(CHALLENGE.as_bytes()));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.details, vec![("module", "mod".to_string())]);
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 1710);
        let (hash, salt) = h.hash.split_once(':').unwrap();
        assert_eq!(salt, CHALLENGE);
        assert_eq!(hash, hex(&decode_base64(RESPONSE.as_bytes()).unwrap()));
    }

    #[test]
    fn refused_login_keeps_the_reason() {
        let g = "@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4";
        let found = login(g, g, RESPONSE, "@ERROR: auth failed on module mod");
        assert_eq!(found[0].outcome, Outcome::Failure);
        assert!(
            found[0]
                .details
                .contains(&("reason", "auth failed on module mod".to_string()))
        );
    }

    /// The digest: the first of the server's list the client also has; without lists,
    /// the response's length and the version.
    #[test]
    fn the_digest_is_negotiated_or_inferred() {
        let md5 = "AAAAAAAAAAAAAAAAAAAAAA"; // 16 bytes
        let sha1 = "AAAAAAAAAAAAAAAAAAAAAAAAAAA"; // 20 bytes
        let cases = [
            (
                "@RSYNCD: 31.0 sha512 md5",
                "@RSYNCD: 31.0 md5 md4",
                md5,
                "AUTHREQD md5",
                Some(10),
            ),
            (
                "@RSYNCD: 30.0",
                "@RSYNCD: 30.0",
                md5,
                "AUTHREQD md5",
                Some(10),
            ),
            ("@RSYNCD: 29", "@RSYNCD: 31.0", md5, "AUTHREQD md4", None),
            (
                "@RSYNCD: 31.0 sha1 md5",
                "@RSYNCD: 31.0 sha1",
                sha1,
                "AUTHREQD sha1",
                Some(110),
            ),
            (
                "@RSYNCD: 32.0 sha256",
                "@RSYNCD: 32.0 sha256",
                "!!",
                "AUTHREQD sha256",
                None,
            ),
        ];
        for (s, c, response, mechanism, mode) in cases {
            let found = login(s, c, response, "@RSYNCD: OK");
            assert_eq!(found.len(), 1, "{s} / {c}");
            assert_eq!(found[0].mechanism, mechanism, "{s} / {c}");
            assert_eq!(found[0].hashcat.as_ref().map(|h| h.mode), mode, "{s} / {c}");
        }
    }

    #[test]
    fn open_modules_and_listings_give_nothing() {
        let g = b"@RSYNCD: 32.0 sha512\n";
        let (found, _) = run(&[
            (S, g),
            (C, g),
            (C, b"#list\n"),
            (S, b"mod            \tdocs\n@RSYNCD: EXIT\n"),
        ]);
        assert!(found.is_empty());
        let (found, _) = run(&[(S, g), (C, g), (C, b"pub\n"), (S, b"@RSYNCD: OK\n")]);
        assert!(found.is_empty());
    }

    /// A motd before the challenge, and a connection that ends before the verdict.
    #[test]
    fn motd_and_no_verdict() {
        let (found, _) = run(&[
            (S, b"@RSYNCD: 32.0 sha512\nWelcome\n\n"),
            (C, b"@RSYNCD: 32.0 sha512\nmod\n"),
            (S, format!("@RSYNCD: AUTHREQD {CHALLENGE}\n").as_bytes()),
            (C, format!("bob {RESPONSE}\n").as_bytes()),
        ]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].outcome, Outcome::Unknown);
        assert_eq!(found[0].username.as_deref(), Some(&b"bob"[..]));
    }

    #[test]
    fn probe_by_greeting() {
        assert_eq!(probe(b"", b"@RSYNCD: 32.0 sha512\n"), Probe::Yes);
        assert_eq!(probe(b"@RSYNCD: 31.0\n", b""), Probe::Yes);
        assert_eq!(probe(b"", b"@RSY"), Probe::Maybe);
        assert_eq!(probe(b"", b""), Probe::Maybe);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"", b"220 ftp\r\n"), Probe::No);
        assert_eq!(probe(b"", b"@RSYNCD: x"), Probe::No);
    }
}
