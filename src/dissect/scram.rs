//! SCRAM, the Salted Challenge Response Authentication Mechanism (RFC 5802; SHA-256 in
//! RFC 7677): what PostgreSQL 10+ (the default since 14), MongoDB, Kafka, XMPP servers and
//! Dovecot offer instead of a password in clear. Carried by SASL in IMAP, POP3, SMTP,
//! LDAP..., by PostgreSQL's `SASLInitialResponse`/`SASLResponse` and by Kafka's
//! `SaslAuthenticate`; this module only knows the four messages:
//!
//! ```text
//! client-first  gs2-header client-first-bare      n,,n=user,r=<client nonce>
//! server-first  r=<client nonce + server nonce>,s=<salt, base64>,i=<iterations>
//! client-final  c=<base64 of gs2-header [+ channel binding]>,r=<nonce>,p=<ClientProof>
//! server-final  v=<ServerSignature> | e=<error>
//! ```
//!
//! The password never crosses the wire, but everything a guess needs does: with
//! `AuthMessage = client-first-bare "," server-first "," client-final-without-proof`,
//!
//! ```text
//! SaltedPassword  = PBKDF2-HMAC-H(password, salt, iterations)
//! ClientKey       = HMAC-H(SaltedPassword, "Client Key")
//! ClientProof     = ClientKey XOR HMAC-H(H(ClientKey), AuthMessage)
//! ```
//!
//! so one recorded exchange lets anyone try passwords offline (slowed by the iterations
//! only: 4096 for PostgreSQL and Dovecot, 10,000–15,000 for MongoDB). A finding's
//! `challenge` is the `AuthMessage` (salt and iterations are inside it) and its secret
//! the `ClientProof` in base64, as sent; `scripts/offline-crack.py` tries a word list on
//! them. No hashcat or John format reads a network exchange (their SCRAM modes read the
//! server's stored keys).
//!
//! `-PLUS` mechanisms bind the exchange to a TLS channel: they never run in clear.

use super::sasl::decode_base64;
use crate::finding::{Credential, Kind};
use crate::timestamp::Timestamp;

/// Longest SCRAM message kept (a client-first with extensions is ~100 bytes).
pub const MAX_MESSAGE: usize = 2048;

/// The hash function of a SCRAM mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    Sha1,
    Sha256,
    Sha512,
}

impl Hash {
    /// The hash of a registered mechanism name (`SCRAM-SHA-256`), any case.
    pub fn from_mechanism(name: &[u8]) -> Option<Hash> {
        let upper = name.to_ascii_uppercase();
        Some(match upper.as_slice() {
            b"SCRAM-SHA-1" => Hash::Sha1,
            b"SCRAM-SHA-256" => Hash::Sha256,
            b"SCRAM-SHA-512" => Hash::Sha512,
            _ => return None,
        })
    }

    /// The mechanism's registered name.
    pub fn mechanism(self) -> &'static str {
        match self {
            Hash::Sha1 => "SCRAM-SHA-1",
            Hash::Sha256 => "SCRAM-SHA-256",
            Hash::Sha512 => "SCRAM-SHA-512",
        }
    }

    /// The name written in `details.hash`.
    pub fn name(self) -> &'static str {
        match self {
            Hash::Sha1 => "SHA-1",
            Hash::Sha256 => "SHA-256",
            Hash::Sha512 => "SHA-512",
        }
    }

    /// The length of a digest, which is the length of a `ClientProof`.
    pub fn digest_len(self) -> usize {
        match self {
            Hash::Sha1 => 20,
            Hash::Sha256 => 32,
            Hash::Sha512 => 64,
        }
    }
}

/// The `a=value` attributes of a SCRAM message, in order (`None` when one is malformed).
fn attributes(msg: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    if msg.len() > MAX_MESSAGE || msg.is_empty() {
        return None;
    }
    msg.split(|&b| b == b',')
        .map(|a| match a {
            [name, b'=', value @ ..] if name.is_ascii_alphabetic() => Some((*name, value)),
            _ => None,
        })
        .collect()
}

/// A `saslname` with its `=2C` and `=3D` escapes undone (RFC 5802 section 5.1).
pub fn unescape(name: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(name.len());
    let mut i = 0;
    while i < name.len() {
        match name[i] {
            b'=' => {
                match name.get(i + 1..i + 3)? {
                    b"2C" | b"2c" => out.push(b','),
                    b"3D" | b"3d" => out.push(b'='),
                    _ => return None,
                }
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

/// A printable nonce (RFC 5802: printable ASCII except `,`).
fn printable(value: &[u8]) -> bool {
    !value.is_empty()
        && value
            .iter()
            .all(|&b| (0x21..=0x7e).contains(&b) && b != b',')
}

/// The client's first message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientFirst {
    /// The GS2 channel binding flag: `n`, `y` or `p=<type>`.
    pub binding: Vec<u8>,
    pub authzid: Option<Vec<u8>>,
    /// The user name, unescaped (empty for PostgreSQL, which takes the startup's).
    pub user: Vec<u8>,
    pub nonce: Vec<u8>,
    /// `client-first-message-bare`, the first part of the `AuthMessage`.
    pub bare: Vec<u8>,
}

/// `gs2-header client-first-message-bare`.
pub fn client_first(msg: &[u8]) -> Option<ClientFirst> {
    if msg.len() > MAX_MESSAGE {
        return None;
    }
    // gs2-cbind-flag "," [authzid] ","
    let comma = msg.iter().position(|&b| b == b',')?;
    let binding = &msg[..comma];
    if !(binding == b"n" || binding == b"y" || binding.starts_with(b"p=")) {
        return None;
    }
    let rest = &msg[comma + 1..];
    let comma = rest.iter().position(|&b| b == b',')?;
    let authzid = match &rest[..comma] {
        [] => None,
        [b'a', b'=', name @ ..] => Some(unescape(name)?),
        _ => return None,
    };
    let bare = &rest[comma + 1..];
    let attrs = attributes(bare)?;
    // [reserved-mext ","] username "," nonce ["," extensions]
    let at = usize::from(attrs.first()?.0 == b'm');
    let (b'n', user) = *attrs.get(at)? else {
        return None;
    };
    let (b'r', nonce) = *attrs.get(at + 1)? else {
        return None;
    };
    if !printable(nonce) {
        return None;
    }
    Some(ClientFirst {
        binding: binding.to_vec(),
        authzid,
        user: unescape(user)?,
        nonce: nonce.to_vec(),
        bare: bare.to_vec(),
    })
}

/// The server's first message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerFirst {
    /// The client's nonce followed by the server's.
    pub nonce: Vec<u8>,
    /// The salt, base64 as sent.
    pub salt: Vec<u8>,
    pub iterations: u32,
    /// The whole message, the second part of the `AuthMessage`.
    pub message: Vec<u8>,
}

/// `[reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]`.
pub fn server_first(msg: &[u8]) -> Option<ServerFirst> {
    let attrs = attributes(msg)?;
    let at = usize::from(attrs.first()?.0 == b'm');
    let (b'r', nonce) = *attrs.get(at)? else {
        return None;
    };
    let (b's', salt) = *attrs.get(at + 1)? else {
        return None;
    };
    let (b'i', count) = *attrs.get(at + 2)? else {
        return None;
    };
    let iterations: u32 = std::str::from_utf8(count).ok()?.parse().ok()?;
    if !printable(nonce) || iterations == 0 || decode_base64(salt).is_none_or(|s| s.is_empty()) {
        return None;
    }
    Some(ServerFirst {
        nonce: nonce.to_vec(),
        salt: salt.to_vec(),
        iterations,
        message: msg.to_vec(),
    })
}

/// The client's final message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientFinal {
    pub nonce: Vec<u8>,
    /// The `ClientProof`, base64 as sent.
    pub proof: Vec<u8>,
    /// `client-final-message-without-proof`, the last part of the `AuthMessage`.
    pub without_proof: Vec<u8>,
}

/// `channel-binding "," nonce ["," extensions] "," proof`.
pub fn client_final(msg: &[u8]) -> Option<ClientFinal> {
    let attrs = attributes(msg)?;
    let (b'c', _) = *attrs.first()? else {
        return None;
    };
    let (b'r', nonce) = *attrs.get(1)? else {
        return None;
    };
    let (b'p', proof) = *attrs.last()? else {
        return None;
    };
    if attrs.len() < 3 || decode_base64(proof).is_none_or(|p| p.is_empty()) {
        return None;
    }
    let without_proof = &msg[..msg.len() - proof.len() - 3];
    Some(ClientFinal {
        nonce: nonce.to_vec(),
        proof: proof.to_vec(),
        without_proof: without_proof.to_vec(),
    })
}

/// The server's final message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerFinal {
    /// `v=`: the server checked the proof and proves it knows the password too.
    Verified,
    /// `e=`: the server's error (`invalid-proof`, `unknown-user`...).
    Error(Vec<u8>),
}

/// `(server-error / verifier) ["," extensions]`.
pub fn server_final(msg: &[u8]) -> Option<ServerFinal> {
    let attrs = attributes(msg)?;
    match *attrs.first()? {
        (b'v', v) if decode_base64(v).is_some_and(|v| !v.is_empty()) => Some(ServerFinal::Verified),
        (b'e', e) if !e.is_empty() => Some(ServerFinal::Error(e.to_vec())),
        _ => None,
    }
}

/// What a SCRAM exchange made of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Taken; more is expected.
    Continue,
    /// The client's final message: the exchange can be reported.
    Complete,
    /// Not the message the exchange expected (the exchange is over).
    Invalid,
    /// Not taken (a server message out of turn, an empty challenge).
    Ignored,
}

/// One SCRAM exchange, fed the decoded messages of each side in order.
#[derive(Clone, Debug)]
pub struct Scram {
    pub hash: Hash,
    first: Option<ClientFirst>,
    server: Option<ServerFirst>,
    last: Option<ClientFinal>,
    verdict: Option<ServerFinal>,
}

impl Scram {
    pub fn new(hash: Hash) -> Scram {
        Scram {
            hash,
            first: None,
            server: None,
            last: None,
            verdict: None,
        }
    }

    /// A message from the client.
    pub fn client(&mut self, msg: &[u8]) -> Progress {
        match (&self.first, &self.server, &self.last) {
            (None, _, _) => match client_first(msg) {
                Some(f) => {
                    self.first = Some(f);
                    Progress::Continue
                }
                None => Progress::Invalid,
            },
            (Some(_), Some(s), None) => match client_final(msg) {
                // The nonce the server made must come back.
                Some(f) if f.nonce == s.nonce => {
                    self.last = Some(f);
                    Progress::Complete
                }
                _ => Progress::Invalid,
            },
            // The final message is taken; what follows (an empty answer to the server's
            // final message) adds nothing.
            (Some(_), Some(_), Some(_)) => Progress::Complete,
            (Some(_), None, None) | (Some(_), None, Some(_)) => Progress::Invalid,
        }
    }

    /// A message from the server.
    pub fn server(&mut self, msg: &[u8]) -> Progress {
        match (&self.first, &self.server, &self.last) {
            (Some(f), None, _) => match server_first(msg) {
                // The server's nonce continues the client's.
                Some(s) if s.nonce.starts_with(&f.nonce) && s.nonce.len() > f.nonce.len() => {
                    self.server = Some(s);
                    Progress::Continue
                }
                _ => Progress::Invalid,
            },
            (Some(_), Some(_), Some(_)) if self.verdict.is_none() => match server_final(msg) {
                Some(v) => {
                    self.verdict = Some(v);
                    Progress::Complete
                }
                None => Progress::Ignored,
            },
            _ => Progress::Ignored,
        }
    }

    pub fn is_complete(&self) -> bool {
        self.last.is_some()
    }

    /// The server's final message, if it came.
    pub fn verdict(&self) -> Option<&ServerFinal> {
        self.verdict.as_ref()
    }

    /// The user name the client sent (empty for PostgreSQL).
    pub fn user(&self) -> Option<&[u8]> {
        self.first.as_ref().map(|f| &f.user[..])
    }

    /// `AuthMessage`: what the proof signs.
    pub fn auth_message(&self) -> Option<Vec<u8>> {
        let (f, s, l) = (
            self.first.as_ref()?,
            self.server.as_ref()?,
            self.last.as_ref()?,
        );
        Some([&f.bare[..], b",", &s.message, b",", &l.without_proof].concat())
    }

    /// The credential of a complete exchange: the user name (when the client sent one),
    /// the `ClientProof` as secret, the `AuthMessage` as challenge; the hash, the
    /// iterations, the salt and an authorization identity in `details`. Its outcome is
    /// left to the carrying protocol (or to [`Scram::judge`]).
    pub fn credential(
        &self,
        protocol: &'static str,
        mechanism: impl Into<std::borrow::Cow<'static, str>>,
        ts: Timestamp,
    ) -> Option<Credential> {
        let (f, s, l) = (
            self.first.as_ref()?,
            self.server.as_ref()?,
            self.last.as_ref()?,
        );
        let mut c = Credential::new(protocol, mechanism, Kind::ChallengeResponse, ts);
        if !f.user.is_empty() {
            c.username = Some(f.user.clone());
        }
        c.secret = Some(l.proof.clone());
        c.challenge = self.auth_message();
        c.details.push(("hash", self.hash.name().to_owned()));
        c.details.push(("iterations", s.iterations.to_string()));
        c.details
            .push(("salt", String::from_utf8_lossy(&s.salt).into_owned()));
        if let Some(a) = &f.authzid {
            c.details
                .push(("authzid", String::from_utf8_lossy(a).into_owned()));
        }
        Some(c)
    }

    /// The server-final message's verdict on `c`, for carriers that have none of their
    /// own: `v=` a success, `e=` a failure with the server's error in `details.reason`.
    pub fn judge(&self, c: &mut Credential) {
        match &self.verdict {
            Some(ServerFinal::Verified) => c.outcome = crate::finding::Outcome::Success,
            Some(ServerFinal::Error(e)) => {
                c.outcome = crate::finding::Outcome::Failure;
                c.details
                    .push(("reason", String::from_utf8_lossy(e).into_owned()));
            }
            None => {}
        }
    }

    /// Bytes held.
    pub fn buffered(&self) -> usize {
        self.first.as_ref().map_or(0, |f| f.bare.len() * 2)
            + self.server.as_ref().map_or(0, |s| s.message.len() * 2)
            + self.last.as_ref().map_or(0, |l| l.without_proof.len() * 2)
    }
}

/// The `ClientProof` of `password` for a finding's `AuthMessage`, salt and iterations:
/// what a cracker computes for each guess.
#[cfg(test)]
pub(crate) fn client_proof(
    hash: Hash,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    auth_message: &[u8],
) -> Vec<u8> {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::Digest;
    macro_rules! proof {
        ($d:ty) => {{
            let mut salted = vec![0u8; hash.digest_len()];
            pbkdf2::pbkdf2_hmac::<$d>(password, salt, iterations, &mut salted);
            let mut m = Hmac::<$d>::new_from_slice(&salted).unwrap();
            m.update(b"Client Key");
            let client_key = m.finalize().into_bytes().to_vec();
            let stored = <$d>::digest(&client_key);
            let mut m = Hmac::<$d>::new_from_slice(&stored).unwrap();
            m.update(auth_message);
            let signature = m.finalize().into_bytes();
            client_key
                .iter()
                .zip(signature.iter())
                .map(|(a, b)| a ^ b)
                .collect::<Vec<u8>>()
        }};
    }
    match hash {
        Hash::Sha1 => proof!(sha1::Sha1),
        Hash::Sha256 => proof!(sha2::Sha256),
        Hash::Sha512 => proof!(sha2::Sha512),
    }
}

/// Whether `password` is the one behind a SCRAM finding (its hash, salt and iterations
/// in `details`, its `AuthMessage` as challenge, its proof as secret).
#[cfg(test)]
pub(crate) fn proves(c: &Credential, password: &str) -> bool {
    let hash = match c.detail("hash") {
        Some("SHA-1") => Hash::Sha1,
        Some("SHA-256") => Hash::Sha256,
        Some("SHA-512") => Hash::Sha512,
        _ => return false,
    };
    let salt = decode_base64(c.detail("salt").unwrap_or_default().as_bytes()).unwrap();
    let iterations = c.detail("iterations").unwrap().parse().unwrap();
    let proof = client_proof(
        hash,
        password.as_bytes(),
        &salt,
        iterations,
        c.challenge.as_deref().unwrap(),
    );
    decode_base64(c.secret.as_deref().unwrap()) == Some(proof)
}

/// Encoders of SCRAM messages, for tests.
#[cfg(test)]
pub mod build {
    use super::*;
    use base64::Engine as _;

    /// The four messages of an exchange for `user` and `password`, with these nonces,
    /// salt and iterations (computed as a client and a server would).
    pub fn exchange(
        hash: Hash,
        user: &str,
        password: &str,
        client_nonce: &str,
        server_nonce: &str,
        salt: &[u8],
        iterations: u32,
    ) -> [Vec<u8>; 4] {
        let b64 = |d: &[u8]| super::super::sasl::BASE64.encode(d);
        let bare = format!("n={user},r={client_nonce}");
        let first = format!("n,,{bare}");
        let server = format!(
            "r={client_nonce}{server_nonce},s={},i={iterations}",
            b64(salt)
        );
        let without = format!("c=biws,r={client_nonce}{server_nonce}");
        let auth = format!("{bare},{server},{without}");
        let proof = client_proof(hash, password.as_bytes(), salt, iterations, auth.as_bytes());
        [
            first.into_bytes(),
            server.into_bytes(),
            format!("{without},p={}", b64(&proof)).into_bytes(),
            b"v=AAAA".to_vec(),
        ]
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // RFC 5802 section 5 (SCRAM-SHA-1) and RFC 7677 section 3 (SCRAM-SHA-256): user
    // "user", password "pencil".
    pub(crate) const RFC5802: [&[u8]; 4] = [
        b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
        b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
        b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
        b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
    ];
    const RFC7677: [&[u8]; 4] = [
        b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
    ];

    fn run(hash: Hash, msgs: [&[u8]; 4]) -> Credential {
        let mut s = Scram::new(hash);
        assert_eq!(s.client(msgs[0]), Progress::Continue);
        assert_eq!(s.server(msgs[1]), Progress::Continue);
        assert_eq!(s.client(msgs[2]), Progress::Complete);
        assert_eq!(s.server(msgs[3]), Progress::Complete);
        let mut c = s
            .credential("imap", "AUTHENTICATE SCRAM", Timestamp::ZERO)
            .unwrap();
        s.judge(&mut c);
        c
    }

    #[test]
    fn the_rfc_examples_are_read_and_their_password_proves_them() {
        for (hash, msgs, proof) in [
            (Hash::Sha1, RFC5802, "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
            (
                Hash::Sha256,
                RFC7677,
                "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            ),
        ] {
            let c = run(hash, msgs);
            assert_eq!(c.username.as_deref(), Some(&b"user"[..]));
            assert_eq!(c.secret.as_deref(), Some(proof.as_bytes()));
            assert_eq!(c.kind, Kind::ChallengeResponse);
            assert_eq!(c.outcome, crate::finding::Outcome::Success);
            assert_eq!(c.detail("iterations"), Some("4096"));
            let auth = c.challenge.clone().unwrap();
            assert!(
                auth.starts_with(b"n=user,r="),
                "{}",
                String::from_utf8_lossy(&auth)
            );
            assert!(!auth.windows(3).any(|w| w == b"p="));
            assert!(proves(&c, "pencil"), "{hash:?}");
            assert!(!proves(&c, "pencil2"), "{hash:?}");
        }
    }

    #[test]
    fn built_exchanges_prove_their_password() {
        for hash in [Hash::Sha1, Hash::Sha256, Hash::Sha512] {
            let m = build::exchange(hash, "ann", "S3cret", "abc", "def", b"salt!", 16);
            let c = run(hash, [&m[0], &m[1], &m[2], &m[3]]);
            assert!(proves(&c, "S3cret"));
            assert_eq!(c.detail("hash"), Some(hash.name()));
        }
    }

    #[test]
    fn names_authzid_extensions_and_errors() {
        let f = client_first(b"y,a=adm=2Cin,n=us=3Der=2C,r=abc,x=ext").unwrap();
        assert_eq!(f.binding, b"y");
        assert_eq!(f.authzid.as_deref(), Some(&b"adm,in"[..]));
        assert_eq!(f.user, b"us=er,");
        assert_eq!(f.bare, b"n=us=3Der=2C,r=abc,x=ext");
        // PostgreSQL's client-first: no user name (the startup message has it).
        assert_eq!(client_first(b"n,,n=,r=xyz").unwrap().user, b"");
        assert_eq!(
            client_first(b"p=tls-server-end-point,,n=u,r=x")
                .unwrap()
                .binding,
            b"p=tls-server-end-point"
        );
        for bad in [
            &b"x,,n=u,r=abc"[..],
            b"n,,r=abc,n=u",
            b"n,,n=u",
            b"n,,n=u=ZZ,r=a",
            b"n,,n=u,r=",
            b"n,b=z,n=u,r=a",
            b"",
            b"n,,n=u,r=a,,",
        ] {
            assert_eq!(client_first(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(server_first(b"r=ab,s=c2FsdA==,i=0"), None);
        assert_eq!(server_first(b"r=ab,s=,i=10"), None);
        assert_eq!(server_first(b"r=ab,s=c2FsdA==,i=x"), None);
        assert_eq!(server_first(b"r=ab,i=10,s=c2FsdA=="), None);
        assert!(server_first(b"m=x,r=ab,s=c2FsdA==,i=10,z=y").is_some());
        assert_eq!(client_final(b"c=biws,r=ab"), None);
        assert_eq!(client_final(b"c=biws,r=ab,p="), None);
        let f = client_final(b"c=biws,r=ab,x=1,p=AAAA").unwrap();
        assert_eq!(f.without_proof, b"c=biws,r=ab,x=1");
        assert_eq!(
            server_final(b"e=invalid-proof"),
            Some(ServerFinal::Error(b"invalid-proof".to_vec()))
        );
        assert_eq!(server_final(b"v="), None);
        assert_eq!(server_final(b"garbage"), None);
    }

    #[test]
    fn a_refused_proof_is_a_failure_with_the_servers_reason() {
        let mut s = Scram::new(Hash::Sha1);
        s.client(RFC5802[0]);
        s.server(RFC5802[1]);
        s.client(RFC5802[2]);
        assert!(s.is_complete());
        assert_eq!(s.server(b"e=invalid-proof"), Progress::Complete);
        let mut c = s.credential("x", "SCRAM", Timestamp::ZERO).unwrap();
        assert_eq!(c.outcome, crate::finding::Outcome::Unknown);
        s.judge(&mut c);
        assert_eq!(c.outcome, crate::finding::Outcome::Failure);
        assert_eq!(c.detail("reason"), Some("invalid-proof"));
    }

    #[test]
    fn nonces_must_chain_and_messages_come_in_turn() {
        // The server's nonce must extend the client's.
        let mut s = Scram::new(Hash::Sha1);
        s.client(RFC5802[0]);
        assert_eq!(
            s.server(b"r=other,s=QSXCR+Q6sek8bf92,i=4096"),
            Progress::Invalid
        );
        // The client's final nonce must be the server's.
        let mut s = Scram::new(Hash::Sha1);
        s.client(RFC5802[0]);
        s.server(RFC5802[1]);
        assert_eq!(
            s.client(b"c=biws,r=fyko+d2lbbFgONRv9qkxdawLX,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
            Progress::Invalid
        );
        assert!(s.credential("x", "SCRAM", Timestamp::ZERO).is_none());
        // A second client message before the server answered.
        let mut s = Scram::new(Hash::Sha1);
        s.client(RFC5802[0]);
        assert_eq!(s.client(RFC5802[2]), Progress::Invalid);
        // A server message before the client's is not taken.
        let mut s = Scram::new(Hash::Sha1);
        assert_eq!(s.server(RFC5802[1]), Progress::Ignored);
    }

    #[test]
    fn mechanism_names() {
        assert_eq!(Hash::from_mechanism(b"scram-sha-256"), Some(Hash::Sha256));
        assert_eq!(Hash::from_mechanism(b"SCRAM-SHA-1"), Some(Hash::Sha1));
        assert_eq!(Hash::from_mechanism(b"SCRAM-SHA-256-PLUS"), None);
        assert_eq!(Hash::Sha512.mechanism(), "SCRAM-SHA-512");
    }
}
