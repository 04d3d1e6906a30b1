//! The SASL layer (RFC 4422) shared by POP3, IMAP and SMTP: the client's base64 responses
//! to the server's challenges, decoded per mechanism into a credential.
//!
//! The protocol dissector does the framing (`+ ` or `334 ` challenges, the final status);
//! this module only knows mechanisms:
//! - `PLAIN` (RFC 4616): `authzid NUL authcid NUL passwd`;
//! - `LOGIN`: the user name, then the password, each its own response;
//! - `CRAM-MD5` (RFC 2195): the server's challenge and `user SP hex(HMAC-MD5)`;
//! - `XOAUTH2` and `OAUTHBEARER` (RFC 7628): a bearer token;
//! - `SCRAM-SHA-1`, `SCRAM-SHA-256`, `SCRAM-SHA-512` (RFC 5802, 7677): the client's proof
//!   and what it signs, crackable offline (see [`super::scram`]).
//!
//! A response of `*` cancels the exchange (no finding). Mechanisms that expose nothing
//! crackable on the wire (GSSAPI, EXTERNAL) are not started.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::ntlmssp;
use super::scram::{self, Scram};
use crate::finding::{Credential, Hashcat, Kind};
use crate::timestamp::Timestamp;

/// Standard base64, lenient about padding as real clients are.
pub const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes base64 after trimming surrounding whitespace; `=` alone is the empty string.
pub fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    let t = text.trim_ascii();
    if t == b"=" {
        return Some(Vec::new());
    }
    BASE64.decode(t).ok()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    Login,
    CramMd5,
    DigestMd5,
    Ntlm,
    XOAuth2,
    OAuthBearer,
    Scram(scram::Hash),
}

impl Mechanism {
    /// The mechanisms whose exchange exposes a credential, by their registered name.
    pub fn from_name(name: &[u8]) -> Option<Mechanism> {
        let upper = name.to_ascii_uppercase();
        Some(match upper.as_slice() {
            b"PLAIN" => Mechanism::Plain,
            b"LOGIN" => Mechanism::Login,
            b"CRAM-MD5" => Mechanism::CramMd5,
            b"DIGEST-MD5" => Mechanism::DigestMd5,
            b"NTLM" => Mechanism::Ntlm,
            b"XOAUTH2" => Mechanism::XOAuth2,
            b"OAUTHBEARER" => Mechanism::OAuthBearer,
            _ => return scram::Hash::from_mechanism(&upper).map(Mechanism::Scram),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::DigestMd5 => "DIGEST-MD5",
            Mechanism::Ntlm => "NTLM",
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
            Mechanism::Scram(h) => h.mechanism(),
        }
    }

    fn kind(self) -> Kind {
        match self {
            Mechanism::Plain | Mechanism::Login => Kind::Cleartext,
            Mechanism::CramMd5 | Mechanism::DigestMd5 | Mechanism::Ntlm | Mechanism::Scram(_) => {
                Kind::ChallengeResponse
            }
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => Kind::Token,
        }
    }
}

/// Where an exchange stands after a client response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// More responses are expected.
    Continue,
    /// The credential is complete; the server's verdict is next.
    Complete,
    /// The client cancelled with `*`.
    Cancelled,
    /// The response was not what the mechanism defines.
    Invalid,
}

/// One SASL authentication exchange.
#[derive(Clone, Debug)]
pub struct Exchange {
    mech: Mechanism,
    user: Option<Vec<u8>>,
    secret: Option<Vec<u8>>,
    /// Decoded server challenge (CRAM-MD5).
    challenge: Option<Vec<u8>>,
    challenge_b64: Option<Vec<u8>>,
    response_b64: Option<Vec<u8>>,
    responses: u32,
    frames: Vec<u64>,
    ts: Timestamp,
    complete: bool,
    /// DIGEST-MD5: the client's directives.
    digest: Vec<(String, Vec<u8>)>,
    /// NTLM: the server's challenge and the client's AUTHENTICATE.
    ntlm_challenge: Option<[u8; 8]>,
    ntlm: Option<ntlmssp::Authenticate>,
    /// SCRAM: the exchange's messages.
    scram: Option<Box<Scram>>,
}

impl Exchange {
    /// Starts an exchange for a mechanism name, or `None` when that mechanism exposes no
    /// credential.
    pub fn start(name: &[u8]) -> Option<Exchange> {
        Mechanism::from_name(name).map(|mech| Exchange {
            mech,
            user: None,
            secret: None,
            challenge: None,
            challenge_b64: None,
            response_b64: None,
            responses: 0,
            frames: Vec::new(),
            ts: Timestamp::ZERO,
            complete: false,
            digest: Vec::new(),
            ntlm_challenge: None,
            ntlm: None,
            scram: match mech {
                Mechanism::Scram(h) => Some(Box::new(Scram::new(h))),
                _ => None,
            },
        })
    }

    pub fn mechanism(&self) -> Mechanism {
        self.mech
    }

    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// A server challenge (the base64 text after `+ ` or `334 `).
    pub fn server_challenge(&mut self, b64: &[u8]) {
        match self.mech {
            Mechanism::CramMd5 | Mechanism::DigestMd5 if self.challenge.is_none() => {
                self.challenge = decode_base64(b64);
                self.challenge_b64 = Some(b64.trim_ascii().to_vec());
            }
            Mechanism::Ntlm => {
                if let Some(ntlmssp::Message::Challenge { challenge }) =
                    decode_base64(b64).and_then(|d| ntlmssp::find(&d))
                {
                    self.ntlm_challenge = Some(challenge);
                }
            }
            Mechanism::Scram(_) => {
                if let (Some(s), Some(d)) = (self.scram.as_mut(), decode_base64(b64)) {
                    s.server(&d);
                }
            }
            _ => {}
        }
    }

    /// A client response (or the initial response sent with the command).
    pub fn client_response(&mut self, b64: &[u8], frames: &[u64], ts: Timestamp) -> Step {
        if self.complete {
            return Step::Complete;
        }
        if b64.trim_ascii() == b"*" {
            return Step::Cancelled;
        }
        let Some(data) = decode_base64(b64) else {
            return Step::Invalid;
        };
        self.responses += 1;
        self.frames.extend_from_slice(frames);
        self.ts = ts;
        let step = match self.mech {
            Mechanism::Plain => match parse_plain(&data) {
                Some((_authzid, authcid, passwd)) => {
                    self.user = Some(authcid.to_vec());
                    self.secret = Some(passwd.to_vec());
                    Step::Complete
                }
                None => Step::Invalid,
            },
            Mechanism::Login => {
                if self.user.is_none() {
                    self.user = Some(data);
                    Step::Continue
                } else {
                    self.secret = Some(data);
                    Step::Complete
                }
            }
            Mechanism::CramMd5 => match data.iter().rposition(|&b| b == b' ') {
                Some(i) => {
                    self.user = Some(data[..i].to_vec());
                    self.secret = Some(data[i + 1..].to_vec());
                    self.response_b64 = Some(b64.trim_ascii().to_vec());
                    Step::Complete
                }
                None => Step::Invalid,
            },
            Mechanism::DigestMd5 => {
                let directives = parse_directives(&data);
                let field = |k: &str| {
                    directives
                        .iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, v)| v.clone())
                };
                match (field("username"), field("response")) {
                    (Some(user), Some(response)) => {
                        self.user = Some(user);
                        self.secret = Some(response);
                        self.digest = directives;
                        Step::Complete
                    }
                    // The empty answer to the server's rspauth, or garbage.
                    _ if data.is_empty() => Step::Continue,
                    _ => Step::Invalid,
                }
            }
            Mechanism::Ntlm => match ntlmssp::find(&data) {
                Some(ntlmssp::Message::Authenticate(a)) => {
                    if a.is_anonymous() {
                        Step::Invalid
                    } else {
                        self.ntlm = Some(a);
                        Step::Complete
                    }
                }
                Some(_) => Step::Continue,
                None => Step::Invalid,
            },
            Mechanism::XOAuth2 => match parse_xoauth2(&data) {
                Some((user, token)) => {
                    self.user = Some(user.to_vec());
                    self.secret = Some(token.to_vec());
                    Step::Complete
                }
                // The server's error challenge gets an empty response: not a credential.
                None if data.is_empty() => Step::Continue,
                None => Step::Invalid,
            },
            Mechanism::OAuthBearer => match parse_oauthbearer(&data) {
                Some((user, token)) => {
                    self.user = user.map(<[u8]>::to_vec);
                    self.secret = Some(token.to_vec());
                    Step::Complete
                }
                None if data.is_empty() => Step::Continue,
                None => Step::Invalid,
            },
            Mechanism::Scram(_) => match self.scram.as_mut().map(|s| s.client(&data)) {
                Some(scram::Progress::Continue) => Step::Continue,
                Some(scram::Progress::Complete) => Step::Complete,
                _ => Step::Invalid,
            },
        };
        if step == Step::Complete {
            self.complete = true;
        }
        step
    }

    /// The credential of a complete exchange, for `protocol`, its mechanism named
    /// `<command> <MECHANISM>` (e.g. `AUTH PLAIN`).
    pub fn credential(&self, protocol: &'static str, command: &str) -> Option<Credential> {
        if !self.complete {
            return None;
        }
        let mechanism = format!("{} {}", command, self.mech.name());
        if let Some(a) = &self.ntlm {
            let mut c = a.credential(protocol, &mechanism, self.ntlm_challenge, self.ts)?;
            c.add_frames(self.frames.iter().copied());
            return Some(c);
        }
        if let Some(s) = &self.scram {
            let mut c = s.credential(protocol, mechanism, self.ts)?;
            s.judge(&mut c);
            c.add_frames(self.frames.iter().copied());
            return Some(c);
        }
        let mut c = Credential::new(protocol, mechanism, self.mech.kind(), self.ts);
        c.username = self.user.clone();
        c.secret = self.secret.clone();
        c.add_frames(self.frames.iter().copied());
        if self.mech == Mechanism::DigestMd5 {
            let field = |k: &str| self.digest.iter().find(|(n, _)| n == k).map(|(_, v)| v);
            c.challenge = field("nonce").cloned();
            for key in ["realm", "cnonce", "nc", "qop", "digest-uri", "authzid"] {
                if let Some(v) = field(key) {
                    c.details.push((
                        match key {
                            "realm" => "realm",
                            "cnonce" => "cnonce",
                            "nc" => "nc",
                            "qop" => "qop",
                            "digest-uri" => "digest_uri",
                            _ => "authzid",
                        },
                        String::from_utf8_lossy(v).into_owned(),
                    ));
                }
            }
        }
        if self.mech == Mechanism::CramMd5 {
            c.challenge = self.challenge.clone();
            if let (Some(ch), Some(resp)) = (&self.challenge_b64, &self.response_b64) {
                c.hashcat = Some(Hashcat {
                    mode: 10200,
                    hash: format!(
                        "$cram_md5${}${}",
                        String::from_utf8_lossy(ch),
                        String::from_utf8_lossy(resp)
                    ),
                    hex_salt: false,
                });
            }
        }
        Some(c)
    }
}

/// The `name=value` / `name="quoted value"` list of DIGEST-MD5 (RFC 2831 section 7.1)
/// and HTTP Digest: names lowercased, quotes and `\` escapes removed.
pub fn parse_directives(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() && out.len() < 64 {
        while i < data.len() && (data[i] == b',' || data[i].is_ascii_whitespace()) {
            i += 1;
        }
        let start = i;
        while i < data.len() && data[i] != b'=' && data[i] != b',' {
            i += 1;
        }
        let name = String::from_utf8_lossy(data[start..i].trim_ascii()).to_ascii_lowercase();
        let mut value = Vec::new();
        if i < data.len() && data[i] == b'=' {
            i += 1;
            while i < data.len() && data[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < data.len() && data[i] == b'"' {
                i += 1;
                while i < data.len() && data[i] != b'"' {
                    if data[i] == b'\\' && i + 1 < data.len() {
                        i += 1;
                    }
                    value.push(data[i]);
                    i += 1;
                }
                i += 1;
            } else {
                let vstart = i;
                while i < data.len() && data[i] != b',' {
                    i += 1;
                }
                value.extend_from_slice(data[vstart..i].trim_ascii());
            }
        }
        if !name.is_empty() {
            out.push((name, value));
        }
    }
    out
}

/// `authzid NUL authcid NUL passwd` (RFC 4616).
pub fn parse_plain(data: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let mut parts = data.splitn(3, |&b| b == 0);
    let authzid = parts.next()?;
    let authcid = parts.next()?;
    let passwd = parts.next()?;
    Some((authzid, authcid, passwd))
}

/// `user=<user> ^A auth=<type> <token> ^A ^A` (Google's XOAUTH2).
fn parse_xoauth2(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut user = None;
    let mut auth = None;
    for field in data.split(|&b| b == 1) {
        if let Some(u) = field.strip_prefix(b"user=") {
            user = Some(u);
        } else if let Some(a) = field.strip_prefix(b"auth=") {
            auth = Some(a);
        }
    }
    Some((user?, auth?))
}

/// `n,a=<user>, ^A auth=Bearer <token> ^A ... ^A ^A` (RFC 7628).
fn parse_oauthbearer(data: &[u8]) -> Option<(Option<&[u8]>, &[u8])> {
    let mut fields = data.split(|&b| b == 1);
    let gs2 = fields.next()?;
    let user = gs2
        .split(|&b| b == b',')
        .find_map(|p| p.strip_prefix(b"a="))
        .filter(|u| !u.is_empty());
    let auth = fields.find_map(|f| f.strip_prefix(b"auth="))?;
    Some((user, auth))
}

/// RFC 2831's `response` recomputed from a DIGEST-MD5 finding's fields (user name, nonce,
/// realm, cnonce, nc, qop, digest-uri, the authzid when sent) and `password`: what a
/// cracker computes per guess.
#[cfg(test)]
pub(crate) fn digest_md5_response(c: &Credential, password: &str) -> String {
    use md5::{Digest, Md5};
    let text = |v: Option<&[u8]>| String::from_utf8_lossy(v.unwrap_or_default()).into_owned();
    let user = text(c.username.as_deref());
    let nonce = text(c.challenge.as_deref());
    let detail = |k: &str| c.detail(k).unwrap_or_default();
    let h = |d: &[u8]| Md5::digest(d).to_vec();
    let hex_h = |d: &[u8]| crate::finding::hex(&h(d));
    let authzid = c
        .detail("authzid")
        .map_or(String::new(), |a| format!(":{a}"));
    let a1 = [
        h(format!("{user}:{}:{password}", detail("realm")).as_bytes()),
        format!(":{nonce}:{}{authzid}", detail("cnonce")).into_bytes(),
    ]
    .concat();
    let a2 = format!("AUTHENTICATE:{}", detail("digest_uri"));
    let kd = format!(
        "{}:{nonce}:{}:{}:{}:{}",
        hex_h(&a1),
        detail("nc"),
        detail("cnonce"),
        detail("qop"),
        hex_h(a2.as_bytes())
    );
    hex_h(kd.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &[u8]) -> Vec<u8> {
        BASE64.encode(s).into_bytes()
    }

    #[test]
    fn plain_with_and_without_authzid() {
        let mut x = Exchange::start(b"plain").unwrap();
        assert_eq!(
            x.client_response(&b64(b"\0tim\0tanstaaftanstaaf"), &[3], Timestamp::ZERO),
            Step::Complete
        );
        let c = x.credential("pop3", "AUTH").unwrap();
        assert_eq!(c.username.as_deref(), Some(&b"tim"[..]));
        assert_eq!(c.secret.as_deref(), Some(&b"tanstaaftanstaaf"[..]));
        assert_eq!(c.mechanism, "AUTH PLAIN");
        let mut x = Exchange::start(b"PLAIN").unwrap();
        x.client_response(&b64(b"admin\0bob\0p\0w"), &[1], Timestamp::ZERO);
        let c = x.credential("imap", "AUTHENTICATE").unwrap();
        assert_eq!(c.username.as_deref(), Some(&b"bob"[..]));
        assert_eq!(c.secret.as_deref(), Some(&b"p\0w"[..]));
    }

    #[test]
    fn login_takes_two_responses() {
        let mut x = Exchange::start(b"LOGIN").unwrap();
        x.server_challenge(b"VXNlcm5hbWU6");
        assert_eq!(
            x.client_response(&b64(b"alice"), &[1], Timestamp::ZERO),
            Step::Continue
        );
        assert_eq!(
            x.client_response(&b64("pässwort".as_bytes()), &[2], Timestamp::ZERO),
            Step::Complete
        );
        let c = x.credential("smtp", "AUTH").unwrap();
        assert_eq!(c.secret.as_deref(), Some("pässwort".as_bytes()));
        assert_eq!(c.frames, vec![1, 2]);
    }

    #[test]
    fn cancel_and_garbage() {
        let mut x = Exchange::start(b"LOGIN").unwrap();
        assert_eq!(
            x.client_response(b"*", &[1], Timestamp::ZERO),
            Step::Cancelled
        );
        assert!(x.credential("pop3", "AUTH").is_none());
        let mut x = Exchange::start(b"PLAIN").unwrap();
        assert_eq!(
            x.client_response(b"!!!notbase64", &[1], Timestamp::ZERO),
            Step::Invalid
        );
        assert!(Exchange::start(b"SCRAM-SHA-256-PLUS").is_none());
        assert!(Exchange::start(b"GSSAPI").is_none());
    }

    #[test]
    fn scram_rfc5802_example_through_sasl() {
        // As IMAP carries it: an empty challenge, the client-first, the server-first, the
        // client-final, the server-final, then the client's empty answer to it.
        use super::scram::tests::RFC5802;
        let mut x = Exchange::start(b"scram-sha-1").unwrap();
        x.server_challenge(b"");
        assert_eq!(
            x.client_response(&b64(RFC5802[0]), &[4], Timestamp::ZERO),
            Step::Continue
        );
        x.server_challenge(&b64(RFC5802[1]));
        assert_eq!(
            x.client_response(&b64(RFC5802[2]), &[6], Timestamp::new(2, 0)),
            Step::Complete
        );
        x.server_challenge(&b64(RFC5802[3]));
        assert_eq!(
            x.client_response(b"", &[8], Timestamp::new(3, 0)),
            Step::Complete
        );
        let c = x.credential("imap", "AUTHENTICATE").unwrap();
        assert_eq!(c.mechanism, "AUTHENTICATE SCRAM-SHA-1");
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username.as_deref(), Some(&b"user"[..]));
        assert_eq!(c.frames, vec![4, 6]);
        assert_eq!(c.timestamp, Timestamp::new(2, 0));
        assert!(super::scram::proves(&c, "pencil"));
        // A client-final whose nonce is not the server's ends the exchange.
        let mut x = Exchange::start(b"SCRAM-SHA-1").unwrap();
        x.client_response(&b64(RFC5802[0]), &[1], Timestamp::ZERO);
        x.server_challenge(&b64(RFC5802[1]));
        assert_eq!(
            x.client_response(&b64(b"c=biws,r=fyko,p=AAAA"), &[2], Timestamp::ZERO),
            Step::Invalid
        );
        assert!(x.credential("imap", "AUTHENTICATE").is_none());
    }

    #[test]
    fn cram_md5_rfc2195_example() {
        // RFC 2195 section 2: user tim, secret tanstaaftanstaaf.
        let mut x = Exchange::start(b"CRAM-MD5").unwrap();
        x.server_challenge(b"PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
        let step = x.client_response(
            b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
            &[7],
            Timestamp::ZERO,
        );
        assert_eq!(step, Step::Complete);
        let c = x.credential("imap", "AUTHENTICATE").unwrap();
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username.as_deref(), Some(&b"tim"[..]));
        assert_eq!(
            c.secret.as_deref(),
            Some(&b"b913a602c7eda7a495b4e6e7334d3890"[..])
        );
        assert_eq!(
            c.challenge.as_deref(),
            Some(&b"<1896.697170952@postoffice.reston.mci.net>"[..])
        );
        let h = c.hashcat.unwrap();
        assert_eq!(h.mode, 10200);
        assert_eq!(
            h.hash,
            "$cram_md5$PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+$dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
        );
    }

    #[test]
    fn digest_md5_rfc2831_example_verifies_against_the_password() {
        let server = b"realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\",qop=\"auth\",algorithm=md5-sess,charset=utf-8";
        let client = b"charset=utf-8,username=\"chris\",realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\",nc=00000001,cnonce=\"OA6MHXh6VqTrRk\",digest-uri=\"imap/elwood.innosoft.com\",response=d388dad90d4bbd760a152321f2143af7,qop=auth";
        let mut x = Exchange::start(b"DIGEST-MD5").unwrap();
        x.server_challenge(&b64(server));
        assert_eq!(
            x.client_response(&b64(client), &[4], Timestamp::ZERO),
            Step::Complete
        );
        // The empty answer to rspauth changes nothing.
        assert_eq!(
            x.client_response(b"", &[6], Timestamp::ZERO),
            Step::Complete
        );
        let c = x.credential("imap", "AUTHENTICATE").unwrap();
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username.as_deref(), Some(&b"chris"[..]));
        let response = String::from_utf8(c.secret.clone().unwrap()).unwrap();
        let detail = |k: &str| {
            c.details
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(detail("realm"), "elwood.innosoft.com");
        assert_eq!(digest_md5_response(&c, "secret"), response);
        assert_eq!(response, "d388dad90d4bbd760a152321f2143af7");
    }

    #[test]
    fn ntlm_through_sasl() {
        use crate::dissect::ntlmssp::build;
        let mut x = Exchange::start(b"NTLM").unwrap();
        let nt: Vec<u8> = (0..48).collect();
        assert_eq!(
            x.client_response(
                &b64(b"NTLMSSP\0\x01\0\0\0\x07\x82\x08\xa2"),
                &[1],
                Timestamp::ZERO
            ),
            Step::Continue
        );
        x.server_challenge(&b64(&build::challenge([0x11; 8])));
        let auth = build::authenticate("bob", "CORP", "PC", &[0; 24], &nt);
        assert_eq!(
            x.client_response(&b64(&auth), &[3], Timestamp::ZERO),
            Step::Complete
        );
        let c = x.credential("smtp", "AUTH").unwrap();
        assert!(c.mechanism.starts_with("AUTH NTLM"), "{}", c.mechanism);
        assert_eq!(c.domain.as_deref(), Some(&b"CORP"[..]));
        assert_eq!(c.hashcat.unwrap().mode, 5600);
        assert_eq!(c.frames, vec![1, 3]);
    }

    #[test]
    fn directives_with_quotes_escapes_and_spaces() {
        let d = parse_directives(b"Username=\"a\\\"b\", realm = \"r,1\" ,nc=00000001");
        assert_eq!(d[0], ("username".to_string(), b"a\"b".to_vec()));
        assert_eq!(d[1], ("realm".to_string(), b"r,1".to_vec()));
        assert_eq!(d[2], ("nc".to_string(), b"00000001".to_vec()));
    }

    #[test]
    fn xoauth2_token() {
        let mut x = Exchange::start(b"XOAUTH2").unwrap();
        x.client_response(
            &b64(b"user=joe.speedboat\x01auth=Bearer AAAA\x01\x01"),
            &[1],
            Timestamp::ZERO,
        );
        let c = x.credential("pop3", "AUTH").unwrap();
        assert_eq!(c.kind, Kind::Token);
        assert_eq!(c.username.as_deref(), Some(&b"joe.speedboat"[..]));
        assert_eq!(c.secret.as_deref(), Some(&b"Bearer AAAA"[..]));
        let mut x = Exchange::start(b"OAUTHBEARER").unwrap();
        x.client_response(&b64(b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"), &[1], Timestamp::ZERO);
        let c = x.credential("imap", "AUTHENTICATE").unwrap();
        assert_eq!(c.username.as_deref(), Some(&b"user@example.com"[..]));
        assert_eq!(
            c.secret.as_deref(),
            Some(&b"Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="[..])
        );
    }
}
