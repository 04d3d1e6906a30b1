//! NIS (YP, Sun's Network Information Service) over UDP: the password hashes its passwd
//! maps hand to anyone who asks, and the old password `yppasswd` sends in clear.
//!
//! NIS speaks ONC RPC (RFC 5531, XDR encoding) on ports rpcbind assigns (found by content:
//! a call to program 100004 or 100009):
//!
//! - **ypserv** (program 100004, version 2): `YPPROC_MATCH` (what `getpwnam` asks through
//!   nss_nis at every login, and `ypmatch`), `YPPROC_FIRST` and `YPPROC_NEXT`. A reply from
//!   a passwd map (`passwd.byname`, `passwd.byuid`, `shadow.byname`,
//!   `passwd.adjunct.byname`, BSD's `master.passwd.*`) is an `/etc/passwd` line with the
//!   account's crypt hash: mechanism `passwd map`, kind `challenge-response` (a hash to
//!   crack offline), the hash as the secret with its hashcat line (500 MD5-crypt, 1800
//!   SHA-512-crypt, 7400 SHA-256-crypt, 3200 bcrypt, 1500 DES-crypt, 12400 BSDi) or John's
//!   (`crypt`, for yescrypt), `details.map` and `details.domain`. Locked and shadowed
//!   entries (`x`, `*`, `!...`) give nothing. Repeats (every login looks its user up) are
//!   reported once.
//! - **rpc.yppasswdd** (program 100009, version 1, `YPPASSWDPROC_UPDATE`): `yppasswd`
//!   sends the old password in clear (the master's root password when root changes a
//!   user's) with the account's new entry: mechanism `yppasswd`, kind `cleartext`; and the
//!   new password's crypt hash, mechanism `yppasswd new password hash`. The reply's status
//!   says `success` (0) or `failure`.
//!
//! Over TCP (record marking, RFC 5531 section 11) the same calls are read, and
//! `YPPROC_ALL` (`ypcat passwd`: the whole map in one reply, streamed over as many record
//! fragments as it needs) gives one finding per account, read as the entries come.

use super::framing::{Framer, Measure};
use super::{Chunk, DatagramDissector, DatagramSpec, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Hashcat, John, Kind, Outcome};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "nis",
    udp_ports: &[],
    ip_protocols: &[],
    probe,
    by_content: true,
    new: |_config| Box::<Nis>::default(),
};

/// NIS over TCP, found by content (ypserv's port is rpcbind's choice).
pub const TCP_SPEC: ProtocolSpec = ProtocolSpec {
    name: "nis",
    tcp_ports: &[],
    probe: tcp_probe,
    new: |_config| Box::<NisTcp>::default(),
};

pub const YPPROG: u32 = 100_004;
pub const YPPASSWDPROG: u32 = 100_009;
pub const YPPROC_MATCH: u32 = 3;
pub const YPPROC_FIRST: u32 = 4;
pub const YPPROC_NEXT: u32 = 5;
pub const YPPROC_ALL: u32 = 8;
pub const YPPASSWDPROC_UPDATE: u32 = 1;
/// `ypstat` YP_TRUE: the map had the key.
const YP_TRUE: u32 = 1;
/// Longest XDR string or opaque read.
const MAX_OPAQUE: usize = 4096;
/// Calls awaiting their reply, per conversation.
const MAX_PENDING: usize = 16;

/// An XDR stream being read.
struct Xdr<'a> {
    b: &'a [u8],
}

impl<'a> Xdr<'a> {
    fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.b.split_first_chunk::<4>()?;
        self.b = rest;
        Some(u32::from_be_bytes(*head))
    }

    /// A variable-length opaque or string, padded to 4 bytes.
    fn opaque(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.u32()?).ok()?;
        if len > MAX_OPAQUE {
            return None;
        }
        let padded = len.checked_add(3)? & !3;
        if self.b.len() < padded {
            return None;
        }
        let data = &self.b[..len];
        self.b = &self.b[padded..];
        Some(data)
    }
}

/// An ONC RPC call: its xid, program, version, procedure and arguments.
#[derive(Debug, PartialEq, Eq)]
pub struct Call<'a> {
    pub xid: u32,
    pub prog: u32,
    pub vers: u32,
    pub proc_: u32,
    pub args: &'a [u8],
}

pub fn parse_call(p: &[u8]) -> Option<Call<'_>> {
    let mut x = Xdr { b: p };
    let (xid, msg_type, rpcvers) = (x.u32()?, x.u32()?, x.u32()?);
    if msg_type != 0 || rpcvers != 2 {
        return None;
    }
    let (prog, vers, proc_) = (x.u32()?, x.u32()?, x.u32()?);
    for _ in 0..2 {
        // The credential and the verifier: a flavor and up to 400 bytes.
        let _flavor = x.u32()?;
        if x.opaque()?.len() > 400 {
            return None;
        }
    }
    Some(Call {
        xid,
        prog,
        vers,
        proc_,
        args: x.b,
    })
}

/// An ONC RPC reply: its xid and, when the call was accepted and succeeded, its results.
pub fn parse_reply(p: &[u8]) -> Option<(u32, Option<&[u8]>)> {
    let mut x = Xdr { b: p };
    let (xid, msg_type) = (x.u32()?, x.u32()?);
    if msg_type != 1 {
        return None;
    }
    if x.u32()? != 0 {
        // MSG_DENIED.
        return Some((xid, None));
    }
    let _flavor = x.u32()?;
    x.opaque()?;
    let accept_stat = x.u32()?;
    Some((xid, (accept_stat == 0).then_some(x.b)))
}

/// A call to ypserv or rpc.yppasswdd (cheap enough for every new UDP conversation: the
/// message type, RPC version and program are compared first).
pub fn probe(payload: &[u8]) -> Probe {
    let word = |i: usize| {
        payload
            .get(i..i + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    if word(4) != Some(0) || word(8) != Some(2) || !matches!(word(12), Some(YPPROG | YPPASSWDPROG))
    {
        return Probe::No;
    }
    match parse_call(payload) {
        Some(_) => Probe::Yes,
        None => Probe::No,
    }
}

/// A record-marked call to ypserv or rpc.yppasswdd opening a TCP connection.
pub fn tcp_probe(to_server: &[u8], _to_client: &[u8]) -> Probe {
    match to_server.first() {
        None => return Probe::Maybe,
        Some(b) if b & 0x80 == 0 => return Probe::No,
        _ => {}
    }
    let call = to_server.get(4..).unwrap_or_default();
    if call.len() < 16 {
        // Too short to tell; what is there must agree: a call, RPC version 2, one of the
        // two programs (0x000186a4, 0x000186a9).
        const HEAD: [u8; 11] = [0, 0, 0, 0, 0, 0, 0, 2, 0, 0x01, 0x86];
        let agrees = call.iter().enumerate().skip(4).all(|(i, &b)| match i {
            4..=14 => b == HEAD[i - 4],
            _ => matches!(b, 0xa4 | 0xa9),
        });
        return if agrees { Probe::Maybe } else { Probe::No };
    }
    probe(call)
}

/// Whether a map holds passwd lines with hashes.
fn is_passwd_map(map: &[u8]) -> bool {
    map.starts_with(b"passwd.") || map.starts_with(b"shadow.") || map.starts_with(b"master.passwd.")
}

/// The crack line of a crypt hash: hashcat's mode, or John's `crypt` for yescrypt. `None`
/// for what is no hash (locked, shadowed, empty).
pub fn crypt_line(hash: &[u8]) -> Option<Result<Hashcat, John>> {
    let text = std::str::from_utf8(hash).ok()?;
    let mode = if text.starts_with("$1$") {
        500
    } else if text.starts_with("$5$") {
        7400
    } else if text.starts_with("$6$") {
        1800
    } else if ["$2a$", "$2b$", "$2y$"].iter().any(|p| text.starts_with(p)) {
        3200
    } else if text.starts_with("$y$") || text.starts_with("$7$") || text.starts_with("$gy$") {
        return Some(Err(John {
            format: "crypt",
            hash: text.to_string(),
        }));
    } else if text.len() == 13 && text.bytes().all(is_crypt64) {
        1500
    } else if text.len() == 20 && text.starts_with('_') && text.bytes().skip(1).all(is_crypt64) {
        12400
    } else {
        return None;
    };
    Some(Ok(Hashcat {
        mode,
        hash: text.to_string(),
        hex_salt: false,
    }))
}

fn is_crypt64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'/'
}

/// A passwd (or shadow) line's user and hash, when the hash is one.
pub fn passwd_entry(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut fields = line.split(|&b| b == b':');
    let (user, hash) = (fields.next()?, fields.next()?);
    let user_ok = !user.is_empty() && user.len() <= 64 && user.iter().all(u8::is_ascii_graphic);
    (user_ok && crypt_line(hash).is_some()).then_some((user, hash))
}

/// A hash as a finding.
fn hash_credential(
    mechanism: &'static str,
    user: &[u8],
    hash: &[u8],
    chunk: &Chunk<'_>,
) -> Credential {
    let mut c = Credential::new("nis", mechanism, Kind::ChallengeResponse, chunk.ts);
    c.username = Some(user.to_vec());
    c.secret = Some(hash.to_vec());
    match crypt_line(hash) {
        Some(Ok(h)) => c.hashcat = Some(h),
        Some(Err(j)) => c.john = Some(j),
        None => {}
    }
    c.add_frames([chunk.frame]);
    c
}

/// A passwd map's value as a finding, when it holds a hash.
fn map_entry(value: &[u8], map: &str, domain: &str, chunk: &Chunk<'_>) -> Option<Credential> {
    let (user, hash) = passwd_entry(value)?;
    let mut c = hash_credential("passwd map", user, hash, chunk);
    c.repeats = true;
    c.details.push(("map", map.to_string()));
    c.details.push(("domain", domain.to_string()));
    Some(c)
}

/// A call waiting for its reply.
#[derive(Debug)]
enum Pending {
    /// A lookup in a passwd map: the map and the domain.
    Lookup { map: String, domain: String },
    /// A password change: its two findings.
    Update(Vec<Credential>),
    /// A whole map asked for (TCP): the map and the domain.
    All { map: String, domain: String },
}

#[derive(Debug, Default)]
pub struct Nis {
    pending: Vec<(u32, Pending)>,
}

impl Nis {
    fn call(&mut self, call: &Call<'_>, chunk: &Chunk<'_>) {
        if self.pending.iter().any(|(xid, _)| *xid == call.xid) {
            return; // a retransmission
        }
        let mut x = Xdr { b: call.args };
        let pending = match (call.prog, call.vers, call.proc_) {
            (YPPROG, 2, YPPROC_MATCH | YPPROC_FIRST | YPPROC_NEXT | YPPROC_ALL) => {
                let (Some(domain), Some(map)) = (x.opaque(), x.opaque()) else {
                    return;
                };
                if !is_passwd_map(map) {
                    return;
                }
                let (map, domain) = (
                    String::from_utf8_lossy(map).into_owned(),
                    String::from_utf8_lossy(domain).into_owned(),
                );
                if call.proc_ == YPPROC_ALL {
                    Pending::All { map, domain }
                } else {
                    Pending::Lookup { map, domain }
                }
            }
            (YPPASSWDPROG, 1, YPPASSWDPROC_UPDATE) => {
                let (Some(oldpass), Some(name), Some(new)) = (x.opaque(), x.opaque(), x.opaque())
                else {
                    return;
                };
                let mut found = Vec::new();
                let mut c = Credential::new("nis", "yppasswd", Kind::Cleartext, chunk.ts);
                c.username = Some(name.to_vec());
                c.secret = Some(oldpass.to_vec());
                c.add_frames([chunk.frame]);
                found.push(c);
                if crypt_line(new).is_some() {
                    found.push(hash_credential(
                        "yppasswd new password hash",
                        name,
                        new,
                        chunk,
                    ));
                }
                Pending::Update(found)
            }
            _ => return,
        };
        if self.pending.len() < MAX_PENDING {
            self.pending.push((call.xid, pending));
        }
    }

    fn reply(
        &mut self,
        xid: u32,
        results: Option<&[u8]>,
        chunk: &Chunk<'_>,
        out: &mut Vec<Credential>,
    ) {
        let Some(i) = self.pending.iter().position(|(x, _)| *x == xid) else {
            return;
        };
        let (_, pending) = self.pending.swap_remove(i);
        match pending {
            Pending::Lookup { map, domain } => {
                let Some(results) = results else {
                    return;
                };
                let mut x = Xdr { b: results };
                if x.u32() != Some(YP_TRUE) {
                    return;
                }
                // ypresp_val holds the value; ypresp_key_val the value and the key.
                while let Some(value) = x.opaque() {
                    if let Some(c) = map_entry(value, &map, &domain, chunk) {
                        out.push(c);
                        return;
                    }
                }
            }
            Pending::All { .. } => {}
            Pending::Update(found) => {
                let status = results.and_then(|r| Xdr { b: r }.u32());
                let outcome = match status {
                    Some(0) => Outcome::Success,
                    Some(_) => Outcome::Failure,
                    None => Outcome::Unknown,
                };
                for mut c in found {
                    c.outcome = outcome;
                    c.add_frames([chunk.frame]);
                    out.push(c);
                }
            }
        }
    }
}

impl DatagramDissector for Nis {
    fn datagram(&mut self, _dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if let Some(call) = parse_call(chunk.data) {
            self.call(&call, &chunk);
        } else if let Some((xid, results)) = parse_reply(chunk.data) {
            self.reply(xid, results, &chunk, out);
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        for (_, p) in self.pending.drain(..) {
            if let Pending::Update(found) = p {
                out.extend(found);
            }
        }
    }

    fn buffered(&self) -> usize {
        self.pending.len() * 128
    }
}

/// Longest record fragment of a call read (calls are small).
const MAX_CALL: usize = 4 + 8192;
/// Most reply bytes held: a whole reply to a lookup, or the unread part of one map entry.
const MAX_REPLY: usize = 16 * 1024;

/// What the reply being read is.
#[derive(Debug, Default)]
enum Record {
    /// Its header is not read yet.
    #[default]
    Start,
    /// A reply to a lookup or a password change: read whole at its end.
    Whole,
    /// `YPPROC_ALL`'s stream of map entries.
    All { map: String, domain: String },
    /// Nothing to read in it.
    Skip,
}

/// The server's record-marked replies, as a stream: fragment headers taken out, the
/// current record's unread bytes held.
#[derive(Debug, Default)]
struct Replies {
    /// A fragment header cut by TCP.
    head: Vec<u8>,
    /// Bytes left in the current fragment, and whether it ends its record.
    left: usize,
    last: bool,
    buf: Vec<u8>,
    record: Record,
    lost: bool,
}

/// NIS over TCP: calls in record fragments, replies as a stream.
#[derive(Debug, Default)]
pub struct NisTcp {
    calls: Nis,
    client: Option<Box<Framer>>,
    replies: Replies,
    client_lost: bool,
}

fn measure_fragment(b: &[u8]) -> Measure {
    match b.get(..4) {
        None => Measure::More,
        Some(h) => Measure::Total(
            4 + (u32::from_be_bytes([h[0], h[1], h[2], h[3]]) & 0x7fff_ffff) as usize,
        ),
    }
}

impl NisTcp {
    fn client_data(&mut self, chunk: Chunk<'_>) {
        let framer = self
            .client
            .get_or_insert_with(|| Box::new(Framer::new(MAX_CALL)));
        framer.push(chunk);
        loop {
            let Some(framer) = self.client.as_mut() else {
                return;
            };
            if framer.is_lost() {
                self.client_lost = true;
                return;
            }
            let Some(msg) = framer.next(measure_fragment) else {
                return;
            };
            let frame = msg.frames.last().copied().unwrap_or(chunk.frame);
            let at = Chunk {
                data: &[],
                frame,
                ts: msg.ts,
            };
            if let Some(call) = parse_call(&msg.bytes[4..]) {
                self.calls.call(&call, &at);
            }
        }
    }

    fn server_data(&mut self, chunk: &Chunk<'_>, out: &mut Vec<Credential>) {
        let mut data = chunk.data;
        while !data.is_empty() && !self.replies.lost {
            let r = &mut self.replies;
            if r.left == 0 {
                let need = 4 - r.head.len();
                let n = need.min(data.len());
                r.head.extend_from_slice(&data[..n]);
                data = &data[n..];
                if r.head.len() < 4 {
                    return;
                }
                let h = u32::from_be_bytes([r.head[0], r.head[1], r.head[2], r.head[3]]);
                r.head.clear();
                r.last = h & 0x8000_0000 != 0;
                r.left = (h & 0x7fff_ffff) as usize;
                if r.left == 0 && r.last {
                    self.end_record(chunk, out);
                }
                continue;
            }
            let n = r.left.min(data.len());
            if !matches!(r.record, Record::Skip) {
                r.buf.extend_from_slice(&data[..n]);
            }
            data = &data[n..];
            r.left -= n;
            self.progress(chunk, out);
            let r = &mut self.replies;
            if r.buf.len() > MAX_REPLY {
                // One entry (or a lookup's reply) beyond any account line: not read.
                r.buf = Vec::new();
                r.record = Record::Skip;
            }
            if r.left == 0 && r.last {
                self.end_record(chunk, out);
            }
        }
    }

    /// Reads what the held bytes of the current record allow.
    fn progress(&mut self, chunk: &Chunk<'_>, out: &mut Vec<Credential>) {
        let r = &mut self.replies;
        if matches!(r.record, Record::Start) {
            let mut x = Xdr { b: &r.buf };
            let head = (|| {
                let (xid, msg_type, stat) = (x.u32()?, x.u32()?, x.u32()?);
                let _flavor = x.u32()?;
                x.opaque()?;
                let accept = x.u32()?;
                Some((xid, msg_type == 1 && stat == 0 && accept == 0))
            })();
            let Some((xid, ok)) = head else {
                if r.buf.len() >= 512 {
                    r.record = Record::Skip;
                    r.buf = Vec::new();
                }
                return;
            };
            let used = r.buf.len() - x.b.len();
            let pending = self.calls.pending.iter().position(|(p, _)| *p == xid);
            r.record = match pending.map(|i| &self.calls.pending[i].1) {
                Some(Pending::All { .. }) if ok => {
                    let Some((_, Pending::All { map, domain })) =
                        pending.map(|i| self.calls.pending.swap_remove(i))
                    else {
                        return;
                    };
                    r.buf.drain(..used);
                    Record::All { map, domain }
                }
                Some(_) => Record::Whole,
                None => {
                    r.buf = Vec::new();
                    Record::Skip
                }
            };
        }
        let r = &mut self.replies;
        let Record::All { map, domain } = &r.record else {
            return;
        };
        // ypresp_all: a `more` flag, then ypresp_key_val (status, value, key), until
        // `more` is false.
        let mut used = 0;
        loop {
            let mut x = Xdr { b: &r.buf[used..] };
            let Some(more) = x.u32() else { break };
            if more == 0 {
                r.record = Record::Skip;
                r.buf = Vec::new();
                return;
            }
            let (Some(stat), Some(value), Some(_key)) = (x.u32(), x.opaque(), x.opaque()) else {
                if x.b.len() > MAX_OPAQUE * 2 + 16 {
                    r.record = Record::Skip;
                }
                break;
            };
            if stat == YP_TRUE
                && let Some(c) = map_entry(value, map, domain, chunk)
            {
                out.push(c);
            }
            used = r.buf.len() - x.b.len();
        }
        r.buf.drain(..used);
    }

    fn end_record(&mut self, chunk: &Chunk<'_>, out: &mut Vec<Credential>) {
        let r = std::mem::take(&mut self.replies.record);
        let buf = std::mem::take(&mut self.replies.buf);
        if let Record::Whole = r
            && let Some((xid, results)) = parse_reply(&buf)
        {
            self.calls.reply(xid, results, chunk, out);
        }
    }
}

impl Dissector for NisTcp {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        match dir {
            Direction::ToServer if !self.client_lost => self.client_data(chunk),
            Direction::ToClient => self.server_data(&chunk, out),
            Direction::ToServer => {}
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, out: &mut Vec<Credential>) {
        match dir {
            Direction::ToServer => {
                if let Some(f) = self.client.as_mut() {
                    f.gap(len);
                }
            }
            Direction::ToClient => {
                // The stream's place is lost with the fragment headers.
                self.replies = Replies {
                    lost: true,
                    ..Replies::default()
                };
            }
        }
        let _ = out;
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        DatagramDissector::close(&mut self.calls, out);
    }

    fn done(&self) -> bool {
        self.client_lost && self.replies.lost
    }

    fn buffered(&self) -> usize {
        self.client.as_ref().map_or(0, |f| f.buffered())
            + self.replies.buf.capacity()
            + DatagramDissector::buffered(&self.calls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::script::unhex;
    use crate::timestamp::Timestamp;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, Vec<u8>)]) -> Vec<Credential> {
        crate::dissect::script::datagrams(&mut Nis::default(), script)
    }

    // ypmatch (yp-tools 4.2) asking ypserv 4.2 for nisbob in passwd.byname, as captured.
    const MATCH_CALL: &str = concat!(
        "6b0737130000000000000002000186a40000000200000003000000000000000000000000000000000000",
        "000f706c61696e73696768742e74657374000000000d7061737377642e62796e616d6500000000000006",
        "6e6973626f620000"
    );
    const MATCH_REPLY: &str = concat!(
        "6b07371300000001000000000000000000000000000000000000000100000050",
        "6e6973626f623a2431246e6973626f6230312433592e4c6934387a6a376f42386c3952372f6f45432e3a",
        "313730323a313730323a4e495320426f623a2f686f6d652f6e6973626f623a2f62696e2f7368"
    );
    // yppasswd's YPPASSWDPROC_UPDATE (AUTH_UNIX) and rpc.yppasswdd's refusal, as captured.
    const UPDATE_CALL: &str = concat!(
        "6b09f53a0000000000000002000186a9000000010000000100000001000000186b09dd5100000002766d",
        "0000000006a6000006a60000000000000000000000000000000b4e69732d4f6c642d5077320000000006",
        "6e6973626f620000000000222431243359304867685541247356794b6d754d31494f306d4a744e397036",
        "306f64300000000006a6000006a6000000074e495320426f62000000000c2f686f6d652f6e6973626f62",
        "000000072f62696e2f736800"
    );
    const UPDATE_REPLY: &str = "6b09f53a000000010000000000000000000000000000000000000001";

    #[test]
    fn ypmatch_reply_gives_the_hash() {
        assert_eq!(probe(&unhex(MATCH_CALL)), Probe::Yes);
        let out = run(&[(C, unhex(MATCH_CALL)), (S, unhex(MATCH_REPLY))]);
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(c.mechanism, "passwd map");
        assert_eq!(c.username.as_deref(), Some(&b"nisbob"[..]));
        assert_eq!(
            c.secret.as_deref(),
            Some(&b"$1$nisbob01$3Y.Li48zj7oB8l9R7/oEC."[..])
        );
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(
            (h.mode, h.hash.as_str()),
            (500, "$1$nisbob01$3Y.Li48zj7oB8l9R7/oEC.")
        );
        assert_eq!(c.detail("map"), Some("passwd.byname"));
        assert_eq!(c.detail("domain"), Some("plainsight.test"));
        assert!(c.repeats);
        assert_eq!(c.frames, vec![2]);
        // A reply to nothing asked, and a map without passwords, give nothing.
        assert!(run(&[(S, unhex(MATCH_REPLY))]).is_empty());
        let passwd_map = "0000000d7061737377642e62796e616d65000000";
        let hosts_map = format!("0000000c{}", crate::finding::hex(b"hosts.byname"));
        let hosts = unhex(&MATCH_CALL.replace(passwd_map, &hosts_map));
        assert_eq!(parse_call(&hosts).map(|c| c.proc_), Some(YPPROC_MATCH));
        assert!(run(&[(C, hosts), (S, unhex(MATCH_REPLY))]).is_empty());
    }

    #[test]
    fn yppasswd_sends_the_old_password() {
        let out = run(&[(C, unhex(UPDATE_CALL)), (S, unhex(UPDATE_REPLY))]);
        let rows: Vec<_> = out
            .iter()
            .map(|c| {
                (
                    c.mechanism.as_ref(),
                    c.kind,
                    String::from_utf8_lossy(c.secret.as_deref().unwrap()).into_owned(),
                    c.outcome,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                (
                    "yppasswd",
                    Kind::Cleartext,
                    "Nis-Old-Pw2".to_string(),
                    Outcome::Failure
                ),
                (
                    "yppasswd new password hash",
                    Kind::ChallengeResponse,
                    "$1$3Y0HghUA$sVyKmuM1IO0mJtN9p60od0".to_string(),
                    Outcome::Failure
                ),
            ]
        );
        assert!(
            out.iter()
                .all(|c| c.username.as_deref() == Some(&b"nisbob"[..]))
        );
        assert_eq!(out[0].frames, vec![1, 2]);
        // Status 0 is success; no reply leaves it unknown.
        let mut ok = unhex(UPDATE_REPLY);
        let n = ok.len();
        ok[n - 1] = 0;
        assert!(
            run(&[(C, unhex(UPDATE_CALL)), (S, ok)])
                .iter()
                .all(|c| c.outcome == Outcome::Success)
        );
        assert!(
            run(&[(C, unhex(UPDATE_CALL))])
                .iter()
                .all(|c| c.outcome == Outcome::Unknown)
        );
    }

    #[test]
    fn crypt_hashes_and_what_is_none() {
        let mode = |h: &str| match crypt_line(h.as_bytes()) {
            Some(Ok(h)) => h.mode.to_string(),
            Some(Err(j)) => j.format.to_string(),
            None => "-".to_string(),
        };
        assert_eq!(mode("$6$salt$abc"), "1800");
        assert_eq!(mode("$5$salt$abc"), "7400");
        assert_eq!(mode("$2b$10$abcdefghijklmnopqrstuv"), "3200");
        assert_eq!(mode("$y$j9T$salt$hash"), "crypt");
        assert_eq!(mode("abJnggxhB/yWI"), "1500");
        assert_eq!(mode("_J9..CCCCXBrJUJV154M"), "12400");
        for none in ["x", "*", "!", "!!", "", "!$6$locked$x", "*LK*"] {
            assert_eq!(mode(none), "-", "{none}");
        }
        assert_eq!(passwd_entry(b"root:x:0:0::/root:/bin/sh"), None);
        assert_eq!(
            passwd_entry(b"u:abJnggxhB/yWI:1:1::/:/bin/sh"),
            Some((&b"u"[..], &b"abJnggxhB/yWI"[..]))
        );
    }

    fn xdr_opaque(b: &[u8]) -> Vec<u8> {
        let mut v = (b.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(b);
        v.resize(4 + b.len().div_ceil(4) * 4, 0);
        v
    }

    /// ypcat's YPPROC_ALL call (record-marked) and ypserv's reply: the map's `entries`,
    /// the record cut into fragments at `cuts`.
    fn ypall(entries: &[&[u8]], cuts: &[usize]) -> (Vec<u8>, Vec<u8>) {
        let mut call = unhex(&MATCH_CALL[..80]);
        call[23] = YPPROC_ALL as u8;
        call.extend(xdr_opaque(b"plainsight.test"));
        call.extend(xdr_opaque(b"passwd.byname"));
        let call = [
            &(0x8000_0000u32 | call.len() as u32).to_be_bytes()[..],
            &call,
        ]
        .concat();
        // xid, REPLY, MSG_ACCEPTED, AUTH_NONE verifier, SUCCESS.
        let mut reply = unhex("6b0737130000000100000000000000000000000000000000");
        for e in entries {
            reply.extend(1u32.to_be_bytes());
            reply.extend(YP_TRUE.to_be_bytes());
            reply.extend(xdr_opaque(e));
            reply.extend(xdr_opaque(e.split(|&b| b == b':').next().unwrap()));
        }
        reply.extend(0u32.to_be_bytes());
        let mut stream = Vec::new();
        let mut from = 0;
        for (i, &to) in cuts.iter().chain([&reply.len()]).enumerate() {
            let last = if i == cuts.len() { 0x8000_0000 } else { 0 };
            stream.extend((last | (to - from) as u32).to_be_bytes());
            stream.extend_from_slice(&reply[from..to]);
            from = to;
        }
        (call, stream)
    }

    #[test]
    fn ypcat_over_tcp_any_fragments_any_split() {
        let entries: [&[u8]; 3] = [
            b"alice:$6$saltsalt$YkAEivMs7ET/i6kBGdoAbrFlSnDFc3tcbQbE9S:1001:1001::/:/bin/sh",
            b"svc:*:999:999::/:/usr/sbin/nologin",
            b"bob:$1$ab$kuTyJFIi/pZLev3IW4KHQ0:1002:1002:Bob:/home/bob:/bin/sh",
        ];
        let (call, stream) = ypall(&entries, &[30, 31, 100]);
        assert_eq!(tcp_probe(&call, b""), Probe::Yes);
        for n in 1..20 {
            assert_eq!(tcp_probe(&call[..n], b""), Probe::Maybe, "{n}");
        }
        let users = |out: &[Credential]| -> Vec<String> {
            out.iter()
                .map(|c| String::from_utf8_lossy(c.username.as_deref().unwrap()).into_owned())
                .collect()
        };
        for cut in 0..stream.len() {
            let (out, _) = crate::dissect::script::play(
                &mut NisTcp::default(),
                &[(C, &call[..]), (S, &stream[..cut]), (S, &stream[cut..])],
            );
            assert_eq!(users(&out), ["alice", "bob"], "cut at {cut}");
            assert_eq!(out[1].detail("map"), Some("passwd.byname"));
            assert_eq!(out[1].hashcat.as_ref().unwrap().mode, 500);
        }
        // A reply to no call, and a stream that lost its place, give nothing.
        let (out, _) = crate::dissect::script::play(&mut NisTcp::default(), &[(S, &stream[..])]);
        assert!(out.is_empty());
        let mut d = NisTcp::default();
        let mut out = Vec::new();
        let at = |data| Chunk {
            data,
            frame: 1,
            ts: Timestamp::ZERO,
        };
        d.data(C, at(&call), &mut out);
        d.gap(S, 10, &mut out);
        d.data(S, at(&stream[10..]), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn probe_is_cheap_and_strict() {
        assert_eq!(
            probe(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"),
            Probe::No
        );
        let mut other = unhex(MATCH_CALL);
        other[15] = 0xa0; // program 100000, rpcbind
        assert_eq!(probe(&other), Probe::No);
        assert_eq!(probe(&unhex(MATCH_REPLY)), Probe::No);
        let call = unhex(MATCH_CALL);
        assert_eq!(probe(&call[..30]), Probe::No);
        // TCP: record marking first; rpcbind's program is not NIS.
        let framed = [
            &(0x8000_0000u32 | call.len() as u32).to_be_bytes()[..],
            &call,
        ]
        .concat();
        assert_eq!(tcp_probe(&framed, b""), Probe::Yes);
        assert_eq!(tcp_probe(&call, b""), Probe::No);
        assert_eq!(tcp_probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        let mut rpcbind = framed.clone();
        rpcbind[19] = 0xa0;
        assert_eq!(tcp_probe(&rpcbind, b""), Probe::No);
        assert_eq!(tcp_probe(&rpcbind[..19], b""), Probe::Maybe);
        assert_eq!(tcp_probe(&rpcbind[..20], b""), Probe::No);
    }
}
