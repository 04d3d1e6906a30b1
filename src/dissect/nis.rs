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
//! TCP (`ypcat`'s `YPPROC_ALL`) is not read yet.

use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
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

pub const YPPROG: u32 = 100_004;
pub const YPPASSWDPROG: u32 = 100_009;
pub const YPPROC_MATCH: u32 = 3;
pub const YPPROC_FIRST: u32 = 4;
pub const YPPROC_NEXT: u32 = 5;
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

/// A call waiting for its reply.
#[derive(Debug)]
enum Pending {
    /// A lookup in a passwd map: the map and the domain.
    Lookup { map: String, domain: String },
    /// A password change: its two findings.
    Update(Vec<Credential>),
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
            (YPPROG, 2, YPPROC_MATCH | YPPROC_FIRST | YPPROC_NEXT) => {
                let (Some(domain), Some(map)) = (x.opaque(), x.opaque()) else {
                    return;
                };
                if !is_passwd_map(map) {
                    return;
                }
                Pending::Lookup {
                    map: String::from_utf8_lossy(map).into_owned(),
                    domain: String::from_utf8_lossy(domain).into_owned(),
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
                    if let Some((user, hash)) = passwd_entry(value) {
                        let mut c = hash_credential("passwd map", user, hash, chunk);
                        c.repeats = true;
                        c.details.push(("map", map));
                        c.details.push(("domain", domain));
                        out.push(c);
                        return;
                    }
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;
    use Direction::{ToClient as S, ToServer as C};

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn run(script: &[(Direction, Vec<u8>)]) -> Vec<Credential> {
        let mut d = Nis::default();
        let mut out = Vec::new();
        for (i, (dir, p)) in script.iter().enumerate() {
            d.datagram(
                *dir,
                Chunk {
                    data: p,
                    frame: i as u64 + 1,
                    ts: Timestamp::ZERO,
                },
                &mut out,
            );
        }
        d.close(&mut out);
        out
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
    }
}
