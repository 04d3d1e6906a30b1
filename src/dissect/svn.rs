//! Subversion's `svn://` protocol (svnserve, TCP 3690): the authentication of ra_svn, as
//! Subversion's `libsvn_ra_svn/protocol` document describes it.
//!
//! Messages are items: lists `( ... )`, words, numbers and strings `<length>:<bytes>`,
//! separated by spaces. The server greets (`( success ( 2 2 ( ) ( caps... ) ) )`), the
//! client answers with its version, capabilities and URL, and the server asks for
//! authentication: `( success ( ( mechanisms... ) realm ) )`. The client picks one: `(
//! CRAM-MD5 ( ) )`, which the server challenges with `( step ( <challenge> ) )` and the
//! client answers with the bare string `user hex(HMAC-MD5(password, challenge))` (svnserve's
//! own password file); with Cyrus SASL also `( PLAIN ( token ) )` and others, tokens in
//! base64. The server ends the exchange with `( success ( ) )` or `( failure ( message ) )`,
//! and a client refused may try again on the same connection.
//!
//! Findings: `CRAM-MD5` (challenge-response; hashcat 10200 in its `$cram_md5$` form) and
//! `SASL PLAIN` (cleartext); `details.realm` is the realm the server named, `details.url`
//! the repository URL the client asked for, `details.reason` the failure message.

use super::framing::{Framer, Measure, Message};
use super::sasl::{BASE64, decode_base64};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Hashcat, Kind, Outcome};
use crate::flow::Direction;
use base64::Engine as _;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "svn",
    tcp_ports: &[3690],
    probe,
    new: |_| {
        Box::new(Svn {
            framers: [Framer::new(MAX_ITEM), Framer::new(MAX_ITEM)],
            state: State::Greeting,
            realm: None,
            url: None,
            pending: None,
            done: false,
        })
    },
};

/// The largest item read (the exchange's are a few hundred bytes).
const MAX_ITEM: usize = 16 * 1024;
/// Lists nested deeper than this are not svn's.
const MAX_DEPTH: usize = 16;

const GREETING: &[u8] = b"( success ( ";

/// svn when the server greets as svnserve does: `( success ( <min version> ...`.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_client.is_empty() {
        return if to_server.is_empty() {
            Probe::Maybe
        } else {
            Probe::No
        };
    }
    let n = to_client.len().min(GREETING.len());
    if to_client[..n] != GREETING[..n] {
        return Probe::No;
    }
    match to_client.get(GREETING.len()) {
        None => Probe::Maybe,
        Some(b) if b.is_ascii_digit() => Probe::Yes,
        Some(_) => Probe::No,
    }
}

/// One item of the protocol.
#[derive(Debug, PartialEq, Eq)]
pub enum Item<'a> {
    List(Vec<Item<'a>>),
    Word(&'a [u8]),
    Number(u64),
    String(&'a [u8]),
}

impl<'a> Item<'a> {
    fn list(&self) -> Option<&[Item<'a>]> {
        match self {
            Item::List(l) => Some(l),
            _ => None,
        }
    }

    fn word(&self) -> Option<&'a [u8]> {
        match self {
            Item::Word(w) => Some(w),
            _ => None,
        }
    }

    fn string(&self) -> Option<&'a [u8]> {
        match self {
            Item::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Bytes that are not svn items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotSvn;

/// Parses one item at the start of `b` (after spaces): the item and where it ends, `Ok(None)`
/// when more bytes are needed, `Err` when these are not svn items.
pub fn parse(b: &[u8]) -> Result<Option<(Item<'_>, usize)>, NotSvn> {
    parse_at(b, 0, 0)
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\n'
}

fn parse_at(b: &[u8], mut at: usize, depth: usize) -> Result<Option<(Item<'_>, usize)>, NotSvn> {
    while b.get(at).is_some_and(|&c| is_space(c)) {
        at += 1;
    }
    let Some(&first) = b.get(at) else {
        return Ok(None);
    };
    match first {
        b'(' => {
            if depth >= MAX_DEPTH {
                return Err(NotSvn);
            }
            let mut items = Vec::new();
            at += 1;
            loop {
                while b.get(at).is_some_and(|&c| is_space(c)) {
                    at += 1;
                }
                match b.get(at) {
                    None => return Ok(None),
                    Some(b')') => return Ok(Some((Item::List(items), at + 1))),
                    Some(_) => match parse_at(b, at, depth + 1)? {
                        None => return Ok(None),
                        Some((item, end)) => {
                            items.push(item);
                            at = end;
                        }
                    },
                }
            }
        }
        b'0'..=b'9' => {
            let start = at;
            while b.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            let digits = &b[start..at];
            if digits.len() > 9 {
                return Err(NotSvn);
            }
            let n: u64 = digits.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0'));
            match b.get(at) {
                None => Ok(None),
                Some(b':') => {
                    let from = at + 1;
                    let to = from + n as usize;
                    if to - from > MAX_ITEM {
                        return Err(NotSvn);
                    }
                    match b.get(from..to) {
                        Some(s) => Ok(Some((Item::String(s), to))),
                        None => Ok(None),
                    }
                }
                Some(&c) if is_space(c) || c == b')' => Ok(Some((Item::Number(n), at))),
                Some(_) => Err(NotSvn),
            }
        }
        c if c.is_ascii_alphabetic() => {
            let start = at;
            while b
                .get(at)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'-')
            {
                at += 1;
            }
            match b.get(at) {
                None => Ok(None),
                Some(&c) if is_space(c) || c == b')' => Ok(Some((Item::Word(&b[start..at]), at))),
                Some(_) => Err(NotSvn),
            }
        }
        _ => Err(NotSvn),
    }
}

/// A top-level item's length in the stream, for the framer: with the spaces after it that
/// have come (the sender's, written with it), so that the next item's frames are its own.
fn measure(b: &[u8]) -> Measure {
    match parse(b) {
        Ok(Some((_, mut end))) => {
            while b.get(end).is_some_and(|&c| is_space(c)) {
                end += 1;
            }
            Measure::Total(end)
        }
        Ok(None) if b.len() > MAX_ITEM => Measure::Invalid,
        Ok(None) => Measure::More,
        Err(NotSvn) => Measure::Invalid,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    /// Before the server's greeting.
    Greeting,
    /// Greeted: the client's answer, then the server's list of mechanisms.
    Mechanisms,
    /// The client may choose a mechanism.
    Choose,
    /// CRAM-MD5 chosen: the server's challenge.
    CramChallenge,
    /// The challenge sent: the client's response.
    CramResponse(Vec<u8>),
    /// A login sent: the server's verdict.
    Verdict,
}

#[derive(Debug)]
pub struct Svn {
    framers: [Framer; 2],
    state: State,
    realm: Option<String>,
    url: Option<String>,
    pending: Option<Box<Credential>>,
    done: bool,
}

impl Svn {
    fn credential(&self, mechanism: &'static str, kind: Kind, msg: &Message<'_>) -> Credential {
        let mut c = Credential::new("svn", mechanism, kind, msg.ts);
        c.add_frames(msg.frames.iter().copied());
        if let Some(realm) = &self.realm {
            c.details.push(("realm", realm.clone()));
        }
        if let Some(url) = &self.url {
            c.details.push(("url", url.clone()));
        }
        c
    }

    fn client_item(&mut self, item: &Item<'_>, msg: &Message<'_>) {
        match &self.state {
            State::Mechanisms if self.url.is_none() => {
                // ( version ( caps... ) url ... )
                if let Some([_, _, url, ..]) = item.list()
                    && let Some(url) = url.string()
                {
                    self.url = Some(String::from_utf8_lossy(url).into_owned());
                }
            }
            State::Choose => {
                let Some([mech, args]) = item.list() else {
                    return;
                };
                let initial = args.list().and_then(|a| a.first()).and_then(Item::string);
                match mech.word() {
                    Some(b"CRAM-MD5") => self.state = State::CramChallenge,
                    Some(b"PLAIN") => {
                        if let Some(token) = initial {
                            self.plain(token, msg);
                        }
                    }
                    _ => {} // ANONYMOUS, EXTERNAL, ...: no secret
                }
            }
            State::CramResponse(challenge) => {
                let Some(response) = item.string() else {
                    return;
                };
                let (user, digest) = match response.iter().rposition(|&b| b == b' ') {
                    Some(i) => (&response[..i], &response[i + 1..]),
                    None => (&response[..0], response),
                };
                let mut c = self.credential("CRAM-MD5", Kind::ChallengeResponse, msg);
                c.username = Some(user.to_vec());
                c.secret = Some(digest.to_vec());
                c.hashcat = Some(Hashcat {
                    mode: 10200,
                    hash: format!(
                        "$cram_md5${}${}",
                        BASE64.encode(challenge),
                        BASE64.encode(response)
                    ),
                    hex_salt: false,
                });
                c.challenge = Some(challenge.clone());
                self.pending = Some(Box::new(c));
                self.state = State::Verdict;
            }
            _ => {}
        }
    }

    /// A SASL PLAIN token (`authzid NUL authcid NUL password`), base64 as svn sends it or
    /// raw.
    fn plain(&mut self, token: &[u8], msg: &Message<'_>) {
        let decoded = decode_base64(token).filter(|t| t.contains(&0));
        let token = decoded.as_deref().unwrap_or(token);
        let mut parts = token.splitn(3, |&b| b == 0);
        let (Some(_authzid), Some(user), Some(password)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return;
        };
        let mut c = self.credential("SASL PLAIN", Kind::Cleartext, msg);
        c.username = Some(user.to_vec());
        c.secret = Some(password.to_vec());
        self.pending = Some(Box::new(c));
        self.state = State::Verdict;
    }

    fn server_item(&mut self, item: &Item<'_>, out: &mut Vec<Credential>) {
        let Some([head, body]) = item.list() else {
            return;
        };
        let word = head.word();
        match &self.state {
            State::Greeting => {
                if word == Some(b"success") {
                    self.state = State::Mechanisms;
                } else {
                    self.done = true;
                }
            }
            State::Mechanisms | State::Choose => {
                // ( success ( ( mechs... ) realm ) )
                if word == Some(b"success")
                    && let Some([mechs, realm, ..]) = body.list()
                    && mechs.list().is_some()
                {
                    if let Some(realm) = realm.string() {
                        self.realm = Some(String::from_utf8_lossy(realm).into_owned());
                    }
                    self.state = State::Choose;
                }
            }
            State::CramChallenge => {
                let challenge = body.list().and_then(|b| b.first()).and_then(Item::string);
                match (word, challenge) {
                    (Some(b"step"), Some(ch)) => self.state = State::CramResponse(ch.to_vec()),
                    _ => self.state = State::Choose,
                }
            }
            State::Verdict => {
                let outcome = match word {
                    Some(b"success") => Outcome::Success,
                    Some(b"failure") => Outcome::Failure,
                    _ => return,
                };
                if let Some(mut c) = self.pending.take() {
                    c.outcome = outcome;
                    if outcome == Outcome::Failure
                        && let Some(reason) =
                            body.list().and_then(|b| b.iter().find_map(Item::string))
                    {
                        c.details
                            .push(("reason", String::from_utf8_lossy(reason).into_owned()));
                    }
                    out.push(*c);
                }
                if outcome == Outcome::Success {
                    // Authenticated: the rest is Subversion's commands.
                    self.done = true;
                } else {
                    self.state = State::Choose;
                }
            }
            State::CramResponse(_) => {}
        }
    }
}

impl Dissector for Svn {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done {
            return;
        }
        let mut framer = std::mem::replace(&mut self.framers[dir.index()], Framer::new(0));
        framer.push(chunk);
        while !self.done {
            let Some(msg) = framer.next(measure) else {
                break;
            };
            let Ok(Some((item, _))) = parse(msg.bytes) else {
                break;
            };
            match dir {
                Direction::ToServer => self.client_item(&item, &msg),
                Direction::ToClient => self.server_item(&item, out),
            }
        }
        if framer.is_lost() && self.pending.is_none() {
            self.done = true;
        }
        self.framers[dir.index()] = framer;
    }

    fn gap(&mut self, dir: Direction, len: u64, out: &mut Vec<Credential>) {
        self.framers[dir.index()].gap(len);
        if self.framers[dir.index()].is_lost() && self.pending.is_none() {
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

    fn buffered(&self) -> usize {
        self.framers.iter().map(Framer::buffered).sum::<usize>()
            + self.realm.as_ref().map_or(0, String::len)
            + self.url.as_ref().map_or(0, String::len)
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

    const GREET: &[u8] = b"( success ( 2 2 ( ) ( edit-pipeline svndiff1 accepts-svndiff2 absent-entries commit-revprops depth log-revprops atomic-revprops partial-replay inherited-props ephemeral-txnprops file-revs-reverse list ) ) ) ";
    const HELLO: &[u8] = b"( 2 ( edit-pipeline svndiff1 accepts-svndiff2 absent-entries depth mergeinfo log-revprops ) 26:svn://127.0.0.1:36900/repo 32:SVN/1.14.2 (x86_64-pc-linux-gnu) ( ) ) ";

    /// The exchange svnserve 1.14.2 and svn 1.14.2 had, password `Svn-pw1`, then a wrong
    /// password on another connection, retried.
    #[test]
    fn cram_md5_as_svnserve_speaks_it() {
        let (found, _) = run(&[
            (S, GREET),
            (C, HELLO),
            (S, b"( success ( ( CRAM-MD5 ) 15:Plainsight Repo ) ) "),
            (C, b"( CRAM-MD5 ( ) ) "),
            (S, b"( step ( 41:<7346212446965349454.1795770893622658@vm> ) ) "),
            (C, b"38:alice 87ae782c4d178a678afa84eafbbd857f "),
            (S, b"( success ( ) ) ( success ( 36:35219685-7d26-45c6-96cc-16e546b4c563 26:svn://127.0.0.1:36900/repo ( mergeinfo ) ) ) "),
            (C, b"( get-latest-rev ( ) ) "),
        ]);
        assert_eq!(found.len(), 1);
        let c = &found[0];
        assert_eq!(
            (c.protocol.as_ref(), c.mechanism.as_ref()),
            ("svn", "CRAM-MD5")
        );
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(
            c.secret.as_deref(),
            Some(&b"87ae782c4d178a678afa84eafbbd857f"[..])
        );
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(
            c.details,
            vec![
                ("realm", "Plainsight Repo".to_string()),
                ("url", "svn://127.0.0.1:36900/repo".to_string())
            ]
        );
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 10200);
        assert_eq!(
            h.hash,
            format!(
                "$cram_md5${}${}",
                BASE64.encode(b"<7346212446965349454.1795770893622658@vm>"),
                BASE64.encode(b"alice 87ae782c4d178a678afa84eafbbd857f")
            )
        );
        // HMAC-MD5("Svn-pw1", challenge): the response is the password's.
        use hmac::{KeyInit, Mac};
        let mut mac = hmac::Hmac::<md5::Md5>::new_from_slice(b"Svn-pw1").unwrap();
        mac.update(b"<7346212446965349454.1795770893622658@vm>");
        assert_eq!(
            crate::finding::hex(&mac.finalize().into_bytes()),
            "87ae782c4d178a678afa84eafbbd857f"
        );
    }

    #[test]
    fn refused_then_retried_on_the_same_connection() {
        let (found, _) = run(&[
            (S, GREET),
            (C, HELLO),
            (S, b"( success ( ( CRAM-MD5 ) 15:Plainsight Repo ) ) "),
            (C, b"( CRAM-MD5 ( ) ) "),
            (
                S,
                b"( step ( 41:<7535980710095809489.1795770893635970@vm> ) ) ",
            ),
            (C, b"38:alice 09b539bc14d2b5389f938f5dcf9a0b0d "),
            (S, b"( failure ( 18:Password incorrect ) ) "),
            (C, b"( CRAM-MD5 ( ) ) "),
            (
                S,
                b"( step ( 41:<2651776181246535179.1795770893636019@vm> ) ) ",
            ),
            (C, b"36:bob 00112233445566778899aabbccddeeff "),
        ]);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].outcome, Outcome::Failure);
        assert!(
            found[0]
                .details
                .contains(&("reason", "Password incorrect".to_string()))
        );
        assert_eq!(found[1].outcome, Outcome::Unknown);
        assert_eq!(found[1].username.as_deref(), Some(&b"bob"[..]));
    }

    /// Cyrus SASL's PLAIN, the token in base64 (and raw, as a client may send it);
    /// ANONYMOUS gives nothing.
    #[test]
    fn sasl_plain_and_anonymous() {
        for token in [&b"20:AGFsaWNlAFN2bi1wdzE= "[..], b"14:\0alice\0Svn-pw1 "] {
            let mut choose = b"( PLAIN ( ".to_vec();
            choose.extend_from_slice(token);
            choose.extend_from_slice(b") ) ");
            let (found, _) = run(&[
                (S, GREET),
                (C, HELLO),
                (S, b"( success ( ( PLAIN ANONYMOUS ) 4:Repo ) ) "),
                (C, &choose),
                (S, b"( success ( ) ) "),
            ]);
            assert_eq!(found.len(), 1, "{token:?}");
            assert_eq!(found[0].mechanism, "SASL PLAIN");
            assert_eq!(found[0].secret.as_deref(), Some(&b"Svn-pw1"[..]));
            assert_eq!(found[0].outcome, Outcome::Success);
        }
        let (found, _) = run(&[
            (S, GREET),
            (C, HELLO),
            (S, b"( success ( ( ANONYMOUS ) 4:Repo ) ) "),
            (C, b"( ANONYMOUS ( 0: ) ) "),
            (S, b"( success ( ) ) "),
        ]);
        assert!(found.is_empty());
    }

    #[test]
    fn items_parse_or_ask_for_more() {
        assert_eq!(
            parse(b"( a 12 3:b c ) "),
            Ok(Some((
                Item::List(vec![
                    Item::Word(b"a"),
                    Item::Number(12),
                    Item::String(b"b c")
                ]),
                14
            )))
        );
        assert_eq!(parse(b"( a ( b "), Ok(None));
        assert_eq!(parse(b"5:abc"), Ok(None));
        assert_eq!(parse(b"word"), Ok(None));
        assert_eq!(parse(b"GET/ HTTP/1.1"), Err(NotSvn));
        assert_eq!(parse(b"{\"a\": 1}"), Err(NotSvn));
        assert_eq!(parse(&[b'('; 100]), Err(NotSvn));
        assert_eq!(parse(b"9999999999:x"), Err(NotSvn));
    }

    #[test]
    fn probe_by_greeting() {
        assert_eq!(probe(b"", GREET), Probe::Yes);
        assert_eq!(probe(b"", b"( succ"), Probe::Maybe);
        assert_eq!(probe(b"", b""), Probe::Maybe);
        assert_eq!(probe(b"( 2 ( ", b""), Probe::No);
        assert_eq!(probe(b"", b"220 hi\r\n"), Probe::No);
        assert_eq!(probe(b"", b"( success ( x"), Probe::No);
    }
}
