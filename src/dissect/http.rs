//! HTTP/1.x (RFC 9110, RFC 9112) on any port, recognised by its request or status line.
//!
//! Credentials, all with protocol `http`:
//!
//! | mechanism | where | kind |
//! |---|---|---|
//! | `Basic`, `Proxy Basic` | `Authorization` / `Proxy-Authorization: Basic` (RFC 7617); split on the first `:`; a value that is not base64 is reported as sent | cleartext |
//! | `Bearer`, `Proxy Bearer` | `Authorization: Bearer` (RFC 6750) | token |
//! | `Digest`, `Proxy Digest` | RFC 7616 / 2617: secret the `response`, challenge the `nonce`, hashcat mode 11400 for MD5 with `qop=auth` or no qop | challenge-response |
//! | `NTLM (NetNTLMv2)`, `Negotiate NTLM (NetNTLMv1)`, `Proxy NTLM (...)` | NTLMSSP AUTHENTICATE in `Authorization: NTLM`/`Negotiate` (hashcat 5600/5500 with the CHALLENGE of the `WWW-Authenticate` / `Proxy-Authenticate` on the same connection) | challenge-response |
//! | `URL userinfo` | `http://user:password@host/` request targets (proxies), percent-decoded | cleartext |
//! | `POST form` | `application/x-www-form-urlencoded` POST bodies (Content-Length or chunked) with a password-like field, and a user-like one if present | cleartext |
//! | `POST JSON` | JSON POST bodies (`application/json`, `text/json`, `application/*+json`): the first object, depth first (up to 4 levels), with a password-like member holding a string or number, and a user-like member of it or of an enclosing object (REST and single-page-application logins, GraphQL `variables`) | cleartext |
//! | `UsernameToken PasswordText`, `UsernameToken PasswordDigest` | WS-Security in a SOAP POST body (`application/soap+xml`, `text/xml`, `*+xml`; ONVIF cameras and recorders, enterprise SOAP services): the password itself, or `Base64(SHA-1(nonce + created + password))` with the nonce in `challenge` and the creation time in `details.created` ([`super::wsse`]) | cleartext / challenge-response |
//! | `GET query string` (`<METHOD> query string` for other methods) | a query string with both a user-like and a password-like field | cleartext |
//!
//! Field names are matched case-insensitively against [`DissectorConfig`]'s lists, as a
//! whole or by their last bracketed/dotted part (`session[password]`, `user.login`).
//!
//! **Outcome**, from the status of the response to the request that carried it (responses
//! are matched to requests in order, pipelining included; 1xx responses are interim):
//! - `Authorization` (Basic, Digest, NTLM) and URL userinfo: 401 is a failure; any other
//!   status from 2xx to 4xx is a success — the server got past authentication (a 403 says
//!   the credentials were understood but do not grant this resource, RFC 9110 15.5.4;
//!   a WebDAV 405 after NTLM still means NTLM was accepted); 407 (the proxy refused the
//!   request before it went further) and 5xx are unknown.
//! - `Proxy-Authorization`: 407 is a failure; 2xx-4xx a success; 5xx unknown.
//! - Bearer tokens: 401 (407 on a proxy) is a failure; anything else unknown, since a token
//!   is sent preemptively with every API call and a 2xx does not show it was checked.
//! - Forms, query strings and UsernameTokens: 2xx/3xx success, 401/403 failure, anything
//!   else unknown; a UsernameToken answered 400 or 500 is a failure when the response's
//!   SOAP fault is an authentication fault (ONVIF's `ter:NotAuthorized`, WS-Security's
//!   `wsse:FailedAuthentication`... read in the first 64 KiB of the body).
//! - No response seen (the connection or capture ended, or the response stream lost its
//!   place after missing bytes): unknown. Credentials the client repeats on every request
//!   (Basic, Bearer) are marked `repeats`; an unanswered repeat of one that got a verdict
//!   on the same connection is not reported again.
//!
//! **Framing**: Content-Length and chunked bodies, bodies until close, no body for HEAD,
//! 1xx, 204 and 304. Bodies are skipped by counting, never buffered, except form bodies up
//! to [`MAX_FORM_BODY`] (chunked ones decoded). Header blocks beyond [`MAX_HEADER_BLOCK`]
//! are not read further. After missing bytes (a gap) a body of known length goes on by
//! counting; otherwise the side resynchronises at the next request or status line.
//! `CONNECT` answered 2xx and `101 Switching Protocols` end the inspection.
//!
//! **RTSP** (RFC 2326, RFC 7826; [`RTSP_SPEC`], TCP 554 and 8554, any by content) is read by
//! the same code with its own version token: IP cameras and media servers ask for Basic
//! or Digest exactly as HTTP servers do (`DESCRIBE rtsp://cam/stream RTSP/1.0`; hashcat
//! 11400 takes the method and URI as they are). A response without Content-Length has no
//! body, and interleaved RTP/RTCP packets (`$`, channel, 16-bit length) between messages
//! are passed over. Its findings have protocol `rtsp`.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};

use memchr::{memchr, memmem};

use super::ftp::looks_like_tls;
use super::ntlmssp::{self, Message};
use super::sasl::decode_base64;
use super::websocket::{self, WebSocket};
use super::wsse;
use super::{Chunk, Dissector, DissectorConfig, Probe, ProtocolSpec};
use crate::finding::{Credential, Hashcat, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "http",
    tcp_ports: &[80, 8080, 8000, 8008, 3128],
    probe,
    new: |config| Box::new(Http::new(config)),
};

/// RTSP (cameras, media servers): HTTP's message syntax and authentication schemes, its
/// own version token, interleaved media between messages. Findings have protocol `rtsp`.
pub const RTSP_SPEC: ProtocolSpec = ProtocolSpec {
    name: "rtsp",
    tcp_ports: &[554, 8554],
    probe: rtsp_probe,
    new: |config| Box::new(Http::rtsp(config)),
};

/// Form and query-string field names that hold a user name (lowercase).
pub const DEFAULT_FORM_USER_FIELDS: &[&str] = &[
    "user",
    "username",
    "user_name",
    "user-name",
    "userid",
    "user_id",
    "uname",
    "usr",
    "usrname",
    "login",
    "login_id",
    "loginid",
    "login_name",
    "loginname",
    "loginfmt",
    "log",
    "email",
    "e-mail",
    "mail",
    "email_address",
    "emailaddress",
    "j_username",
    "account",
    "acct",
    "uid",
    "nickname",
];

/// Form and query-string field names that hold a password (lowercase).
pub const DEFAULT_FORM_PASSWORD_FIELDS: &[&str] = &[
    "pass",
    "password",
    "passwd",
    "passwort",
    "passwrd",
    "passw",
    "pass_word",
    "pword",
    "pwd",
    "pw",
    "pswd",
    "psw",
    "j_password",
    "user_pass",
    "user_password",
    "userpassword",
    "login_password",
    "loginpassword",
];

/// Header bytes of one message read at most; fields past it are ignored.
pub const MAX_HEADER_BLOCK: usize = 64 * 1024;
/// Largest form body kept to look for a login.
pub const MAX_FORM_BODY: usize = 64 * 1024;
/// Requests waiting for their response.
const MAX_PENDING: usize = 64;
/// Credentials one request can carry.
const MAX_CREDS_PER_REQUEST: usize = 8;
/// Unanswered repeated credentials held until the connection ends.
const MAX_HELD: usize = 16;
/// Repeated credentials with a verdict remembered per connection.
const MAX_KNOWN: usize = 64;
/// Longest method name.
const MAX_METHOD: usize = 24;
/// Longest chunk-size or trailer line.
const MAX_CHUNK_LINE: usize = 1024;
/// Longest URL kept in a finding's details.
const MAX_URL_DETAIL: usize = 512;

// ---- Probe ------------------------------------------------------------------------

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn is_method_byte(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
}

/// HTTP or one of the protocols built on its message syntax (RTSP): the version token of
/// its request and status lines, and how a response without a length ends. The shape
/// functions taking one are inlined into each probe, so that a dialect's constants fold
/// (the HTTP probe runs on every new flow).
#[derive(Debug)]
pub struct Dialect {
    /// The `protocol` of its findings.
    pub name: &'static str,
    /// The version tokens up to their last digit (`HTTP/1.`).
    versions: &'static [&'static [u8]],
    /// A response without Content-Length or chunking runs to the end of the connection
    /// (HTTP); otherwise it has no body (RTSP, RFC 2326 section 12.14).
    until_close: bool,
    /// `$`-framed binary data may come between messages (RTSP's interleaved RTP and RTCP,
    /// RFC 2326 section 10.12).
    interleaved: bool,
}

pub const HTTP: Dialect = Dialect {
    name: "http",
    versions: &[b"HTTP/1."],
    until_close: true,
    interleaved: false,
};

/// RTSP 1.0 (RFC 2326) and 2.0 (RFC 7826): IP cameras' and media servers' streams, with
/// HTTP's Basic and Digest authentication.
pub const RTSP: Dialect = Dialect {
    name: "rtsp",
    versions: &[b"RTSP/1.", b"RTSP/2."],
    until_close: false,
    interleaved: true,
};

/// The dialect's version (`HTTP/1.x`) at the end of a request line (`complete`), or a
/// prefix of it so far.
#[inline(always)]
fn version_shape(d: &Dialect, v: &[u8], complete: bool) -> Probe {
    let mut shape = Probe::No;
    for &version in d.versions {
        match v {
            [h @ .., n] if h == version && n.is_ascii_digit() => return Probe::Yes,
            [h @ .., n, b'\r'] if !complete && h == version && n.is_ascii_digit() => {
                return Probe::Yes;
            }
            _ if !complete && version.starts_with(v) => shape = Probe::Maybe,
            _ => {}
        }
    }
    shape
}

/// How the client's first bytes compare with `METHOD SP request-target SP HTTP/1.x`.
#[inline(always)]
fn request_shape(d: &Dialect, data: &[u8]) -> Probe {
    match memchr(b'\n', data) {
        Some(i) => request_line_shape(d, strip_cr(&data[..i]), true),
        None => request_line_shape(d, data, false),
    }
}

/// A request line (`complete`: without its line end), or its beginning.
#[inline(always)]
fn request_line_shape(d: &Dialect, line: &[u8], complete: bool) -> Probe {
    match line.first() {
        None if complete => return Probe::No,
        None => return Probe::Maybe,
        Some(b) if !b.is_ascii_uppercase() => return Probe::No,
        Some(_) => {}
    }
    let sp = memchr(b' ', line);
    let method = &line[..sp.unwrap_or(line.len())];
    if method.len() > MAX_METHOD || !method.iter().all(|&b| is_method_byte(b)) {
        return Probe::No;
    }
    let Some(sp) = sp else {
        return if complete { Probe::No } else { Probe::Maybe };
    };
    let rest = &line[sp + 1..];
    let sp2 = memchr(b' ', rest);
    let target = &rest[..sp2.unwrap_or(rest.len())];
    if target.iter().any(|&b| b < 0x21 || b == 0x7f) {
        return Probe::No;
    }
    let Some(sp2) = sp2 else {
        return if complete { Probe::No } else { Probe::Maybe };
    };
    if target.is_empty() {
        return Probe::No;
    }
    version_shape(d, &rest[sp2 + 1..], complete)
}

/// How the server's first bytes compare with `HTTP/1.x SP 3DIGIT`.
#[inline(always)]
fn status_shape(d: &Dialect, data: &[u8]) -> Probe {
    // Every version token of a dialect has the same length.
    let Some(v) = d.versions.iter().find(|v| {
        let n = data.len().min(v.len());
        data[..n] == v[..n]
    }) else {
        return Probe::No;
    };
    let Some(rest) = data.get(v.len()..) else {
        return Probe::Maybe;
    };
    match rest {
        [] => Probe::Maybe,
        [d, rest @ ..] if d.is_ascii_digit() => match rest {
            [] => Probe::Maybe,
            [b' ', code @ ..] => {
                let digits = code.iter().take_while(|b| b.is_ascii_digit()).count();
                match code.get(digits) {
                    _ if digits > 3 => Probe::No,
                    None if digits < 3 => Probe::Maybe,
                    None => Probe::Yes,
                    Some(b' ' | b'\r' | b'\n') if digits == 3 => Probe::Yes,
                    Some(_) => Probe::No,
                }
            }
            _ => Probe::No,
        },
        _ => Probe::No,
    }
}

/// HTTP when the client's first line is a request line or the server's a status line; No
/// as soon as neither side can be HTTP (TLS, SSH, FTP/SMTP/POP3 banners and commands...).
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    probe_dialect(&HTTP, to_server, to_client)
}

/// RTSP when the client's first line is an RTSP request line or the server's an RTSP
/// status line.
pub fn rtsp_probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    // Every new flow is probed: an HTTP request (`GET`, `POST`...) is turned away on its
    // method, before its target and version are walked.
    let head = &to_server[..to_server.len().min(MAX_RTSP_METHOD + 1)];
    if let Some(sp) = head.iter().position(|&b| b == b' ')
        && !RTSP_METHODS.contains(&&head[..sp])
    {
        return Probe::No;
    }
    probe_dialect(&RTSP, to_server, to_client)
}

/// RTSP's methods (RFC 2326 section 10, RFC 7826 section 13).
const RTSP_METHODS: &[&[u8]] = &[
    b"OPTIONS",
    b"DESCRIBE",
    b"ANNOUNCE",
    b"SETUP",
    b"PLAY",
    b"PAUSE",
    b"TEARDOWN",
    b"GET_PARAMETER",
    b"SET_PARAMETER",
    b"REDIRECT",
    b"RECORD",
    b"PLAY_NOTIFY",
];
/// The longest of them.
const MAX_RTSP_METHOD: usize = 13;

#[inline(always)]
fn probe_dialect(d: &Dialect, to_server: &[u8], to_client: &[u8]) -> Probe {
    let req = (!to_server.is_empty()).then(|| request_shape(d, to_server));
    let resp = (!to_client.is_empty()).then(|| status_shape(d, to_client));
    match (req, resp) {
        (Some(Probe::Yes), _) | (_, Some(Probe::Yes)) => Probe::Yes,
        (Some(Probe::No) | None, Some(Probe::No) | None) if req.is_some() || resp.is_some() => {
            Probe::No
        }
        _ => Probe::Maybe,
    }
}

// ---- Pure parsing -------------------------------------------------------------------

/// A request line: `METHOD SP request-target SP HTTP/1.x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestLine<'a> {
    pub method: &'a [u8],
    pub target: &'a [u8],
}

pub fn parse_request_line<'a>(d: &Dialect, line: &'a [u8]) -> Option<RequestLine<'a>> {
    if request_line_shape(d, line, true) != Probe::Yes {
        return None;
    }
    let sp = memchr(b' ', line)?;
    let rest = line.get(sp + 1..)?;
    let sp2 = memchr(b' ', rest)?;
    Some(RequestLine {
        method: &line[..sp],
        target: &rest[..sp2],
    })
}

/// The status code of a status line `HTTP/1.x SP 3DIGIT [SP reason]`.
pub fn parse_status_line(d: &Dialect, line: &[u8]) -> Option<u16> {
    if status_shape(d, line) != Probe::Yes {
        return None;
    }
    let code = line.get(9..12)?;
    Some(
        code.iter()
            .fold(0u16, |a, &d| a * 10 + u16::from(d.wrapping_sub(b'0'))),
    )
}

/// A header field line split into its name and its value without surrounding whitespace.
pub fn split_header(field: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = memchr(b':', field)?;
    let name = &field[..colon];
    if name.is_empty() || name.iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    Some((name, field[colon + 1..].trim_ascii()))
}

/// An authorization value split into its scheme and the rest, however many spaces apart.
pub fn split_scheme(value: &[u8]) -> (&[u8], &[u8]) {
    let value = value.trim_ascii();
    match value.iter().position(|b| b.is_ascii_whitespace()) {
        Some(i) => (&value[..i], value[i..].trim_ascii()),
        None => (value, &b""[..]),
    }
}

/// `user:password` split on the first colon: passwords may hold colons, user names not
/// (RFC 7617 section 2).
pub fn split_user_pass(plain: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = memchr(b':', plain)?;
    Some((&plain[..colon], &plain[colon + 1..]))
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decoding (RFC 3986); with `plus`, `+` is a space (HTML forms). Malformed
/// escapes are kept as they are.
pub fn percent_decode(s: &[u8], plus: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        match b {
            b'%' => match (
                s.get(i + 1).copied().and_then(hex_value),
                s.get(i + 2).copied().and_then(hex_value),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus => out.push(b' '),
            _ => out.push(b),
        }
        i += 1;
    }
    out
}

/// The parameters of a Digest-style authorization value: lowercase names and values,
/// quoted strings unescaped.
pub fn auth_params(s: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    let sep = |b: u8| matches!(b, b' ' | b'\t' | b',' | b'\r' | b'\n');
    while i < s.len() && out.len() < 32 {
        while s.get(i).is_some_and(|&b| sep(b)) {
            i += 1;
        }
        let start = i;
        while s.get(i).is_some_and(|&b| b != b'=' && !sep(b)) {
            i += 1;
        }
        let name = &s[start..i.min(s.len())];
        while matches!(s.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if s.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while matches!(s.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let mut value = Vec::new();
        if s.get(i) == Some(&b'"') {
            i += 1;
            while let Some(&b) = s.get(i) {
                i += 1;
                match b {
                    b'\\' => {
                        if let Some(&n) = s.get(i) {
                            value.push(n);
                            i += 1;
                        }
                    }
                    b'"' => break,
                    _ => value.push(b),
                }
            }
        } else {
            let start = i;
            while s.get(i).is_some_and(|&b| !sep(b)) {
                i += 1;
            }
            value.extend_from_slice(&s[start..i.min(s.len())]);
        }
        if !name.is_empty() {
            out.push((name.to_ascii_lowercase(), value));
        }
    }
    out
}

/// An RFC 8187 ext-value `charset'language'percent-encoded`, decoded.
fn ext_value(v: &[u8]) -> Option<Vec<u8>> {
    let first = memchr(b'\'', v)?;
    let second = first + 1 + memchr(b'\'', v.get(first + 1..)?)?;
    Some(percent_decode(v.get(second + 1..)?, false))
}

/// The chunk size at the start of a chunk-size line (extensions after `;` ignored).
pub fn chunk_size(line: &[u8]) -> Option<u64> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 16 {
        return None;
    }
    let rest = line[digits..].trim_ascii_start();
    if !(rest.is_empty() || rest.starts_with(b";")) {
        return None;
    }
    line[..digits].iter().try_fold(0u64, |a, &d| {
        Some(a.checked_mul(16)? + u64::from(hex_value(d)?))
    })
}

/// A `Content-Length` value (a list of equal values is tolerated).
pub fn parse_content_length(v: &[u8]) -> Option<u64> {
    let mut found: Option<u64> = None;
    for part in v.split(|&b| b == b',') {
        let part = part.trim_ascii();
        if part.is_empty() || part.len() > 18 || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = part.iter().fold(0u64, |a, &d| a * 10 + u64::from(d - b'0'));
        if found.is_some_and(|f| f != n) {
            return None;
        }
        found = Some(n);
    }
    found
}

/// Whether a form field name is one of `list`, as a whole or by its last part
/// (`user[password]`, `login.password`, `ctl00$Password`).
pub fn field_matches(name: &[u8], list: &[&str]) -> bool {
    let lower = name.to_ascii_lowercase();
    let last = lower
        .rsplit(|&b| matches!(b, b'[' | b']' | b'.' | b':' | b'$'))
        .find(|s| !s.is_empty())
        .unwrap_or(&lower);
    list.iter()
        .any(|f| f.as_bytes() == lower.as_slice() || f.as_bytes() == last)
}

/// A login found in a form or query string: the fields' names and values, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormLogin {
    pub user: Option<(Vec<u8>, Vec<u8>)>,
    pub password: (Vec<u8>, Vec<u8>),
}

/// Looks for a password-like field (and a user-like one) in `a=b&c=d` form data. With
/// `need_user` a user field is required too.
pub fn form_login(
    data: &[u8],
    user_fields: &[&str],
    password_fields: &[&str],
    need_user: bool,
) -> Option<FormLogin> {
    let mut user = None;
    let mut password = None;
    for pair in data.split(|&b| b == b'&').take(512) {
        let (name, value) = match memchr(b'=', pair) {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        if value.is_empty() {
            continue;
        }
        let name = percent_decode(name, true);
        if password.is_none() && field_matches(&name, password_fields) {
            password = Some((name, percent_decode(value, true)));
        } else if user.is_none() && field_matches(&name, user_fields) {
            user = Some((name, percent_decode(value, true)));
        }
    }
    let password = password?;
    if need_user && user.is_none() {
        return None;
    }
    Some(FormLogin { user, password })
}

/// Objects looked into below the top of a JSON body (`{"auth": {"user": ..}}`).
const JSON_DEPTH: usize = 4;

/// Looks for a password-like member (and a user-like one) in a JSON body: the first
/// object, depth first, with a password-like member whose value is a non-empty string (or
/// a number); its user is a user-like member of the same object, else of an enclosing
/// one (`{"user": "bob", "credentials": {"password": ..}}`).
pub fn json_login(
    data: &[u8],
    user_fields: &[&str],
    password_fields: &[&str],
) -> Option<FormLogin> {
    fn scalar(v: &serde_json::Value) -> Option<Vec<u8>> {
        match v {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.as_bytes().to_vec()),
            serde_json::Value::Number(n) => Some(n.to_string().into_bytes()),
            _ => None,
        }
    }
    fn search(
        v: &serde_json::Value,
        depth: usize,
        outer_user: Option<(Vec<u8>, Vec<u8>)>,
        user_fields: &[&str],
        password_fields: &[&str],
    ) -> Option<FormLogin> {
        let serde_json::Value::Object(map) = v else {
            return None;
        };
        let mut user = None;
        let mut password = None;
        for (k, v) in map {
            let Some(value) = scalar(v) else {
                continue;
            };
            if password.is_none() && field_matches(k.as_bytes(), password_fields) {
                password = Some((k.as_bytes().to_vec(), value));
            } else if user.is_none() && field_matches(k.as_bytes(), user_fields) {
                user = Some((k.as_bytes().to_vec(), value));
            }
        }
        let user = user.or(outer_user);
        if let Some(password) = password {
            return Some(FormLogin { user, password });
        }
        if depth >= JSON_DEPTH {
            return None;
        }
        map.values()
            .filter(|v| v.is_object())
            .find_map(|v| search(v, depth + 1, user.clone(), user_fields, password_fields))
    }
    let value: serde_json::Value = serde_json::from_slice(data).ok()?;
    search(&value, 0, None, user_fields, password_fields)
}

/// The user and password of an absolute URL's userinfo (`http://user:pw@host/`),
/// percent-decoded; only when a password is there.
pub fn url_userinfo(target: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (_, authority, _) = split_absolute(target)?;
    let at = authority.iter().rposition(|&b| b == b'@')?;
    let info = &authority[..at];
    let (user, pass) = split_user_pass(info)?;
    if pass.is_empty() {
        return None;
    }
    Some((percent_decode(user, false), percent_decode(pass, false)))
}

/// An absolute-form target's scheme, authority and the rest (path, query...).
fn split_absolute(target: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let pos = memmem::find(target, b"://")?;
    let scheme = &target[..pos];
    if scheme.is_empty()
        || !scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    let after = &target[pos + 3..];
    let end = after
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(after.len());
    Some((scheme, &after[..end], &after[end..]))
}

/// The query string of a request target.
fn query(target: &[u8]) -> Option<&[u8]> {
    let q = memchr(b'?', target)?;
    let rest = &target[q + 1..];
    Some(&rest[..memchr(b'#', rest).unwrap_or(rest.len())])
}

/// The URL a request went to, without user info or query string (which may hold secrets).
pub(crate) fn request_url(target: &[u8], host: Option<&[u8]>) -> String {
    let strip_query = |p: &[u8]| -> Vec<u8> {
        p[..p
            .iter()
            .position(|&b| b == b'?' || b == b'#')
            .unwrap_or(p.len())]
            .to_vec()
    };
    let url = if let Some((scheme, authority, rest)) = split_absolute(target) {
        let host = match authority.iter().rposition(|&b| b == b'@') {
            Some(at) => &authority[at + 1..],
            None => authority,
        };
        [scheme, b"://", host, &strip_query(rest)].concat()
    } else if target.starts_with(b"/") {
        match host {
            Some(h) if !h.is_empty() => [b"http://", h, &strip_query(target)[..]].concat(),
            _ => strip_query(target),
        }
    } else {
        strip_query(target)
    };
    let mut s = String::from_utf8_lossy(&url).into_owned();
    if s.len() > MAX_URL_DETAIL {
        let mut cut = MAX_URL_DETAIL;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

// ---- Credentials ----------------------------------------------------------------------

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The credential of a Basic authorization token (after the scheme).
pub fn basic_credential(
    token: &[u8],
    mechanism: &'static str,
    ts: Timestamp,
) -> Option<Credential> {
    let token = token.trim_ascii();
    if token.is_empty() {
        return None;
    }
    let mut c = Credential::new("http", mechanism, Kind::Cleartext, ts);
    c.repeats = true;
    match decode_base64(token) {
        Some(plain) if plain.is_empty() => return None,
        Some(plain) => match split_user_pass(&plain) {
            Some((user, pass)) => {
                c.username = Some(user.to_vec());
                c.secret = Some(pass.to_vec());
            }
            None => {
                c.secret = Some(plain);
                c.details
                    .push(("note", "no ':' between user and password".to_string()));
            }
        },
        None => {
            c.secret = Some(token.to_vec());
            c.details
                .push(("note", "not valid base64: the value as sent".to_string()));
        }
    }
    Some(c)
}

/// What a Digest authorization says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DigestFields {
    pub username: Option<Vec<u8>>,
    pub realm: Vec<u8>,
    pub nonce: Vec<u8>,
    pub uri: Vec<u8>,
    pub response: Vec<u8>,
    pub algorithm: Option<Vec<u8>>,
    pub qop: Option<Vec<u8>>,
    pub nc: Vec<u8>,
    pub cnonce: Vec<u8>,
}

/// The fields of a Digest authorization (after the scheme); `None` without a response.
pub fn parse_digest(params: &[u8]) -> Option<DigestFields> {
    let p = auth_params(params);
    let get = |k: &[u8]| {
        p.iter()
            .find(|(n, _)| n.as_slice() == k)
            .map(|(_, v)| v.clone())
    };
    Some(DigestFields {
        username: get(b"username").or_else(|| get(b"username*").and_then(|v| ext_value(&v))),
        realm: get(b"realm").unwrap_or_default(),
        nonce: get(b"nonce").unwrap_or_default(),
        uri: get(b"uri").unwrap_or_default(),
        response: get(b"response")?,
        algorithm: get(b"algorithm"),
        qop: get(b"qop"),
        nc: get(b"nc").unwrap_or_default(),
        cnonce: get(b"cnonce").unwrap_or_default(),
    })
}

/// The hashcat mode 11400 line (`$sip$` format, which cracks any HTTP Digest MD5 response
/// with `qop=auth` or no qop) when the fields fit its limits.
pub fn digest_hashcat(d: &DigestFields, method: &[u8]) -> Option<String> {
    if d.algorithm
        .as_ref()
        .is_some_and(|a| !a.eq_ignore_ascii_case(b"MD5"))
    {
        return None;
    }
    let with_qop = match d.qop.as_deref() {
        None | Some(b"") => false,
        Some(q) if q.eq_ignore_ascii_case(b"auth") => true,
        Some(_) => return None,
    };
    if d.response.len() != 32 || !d.response.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let user = d.username.as_deref()?;
    let text = |b: &[u8]| -> Option<String> {
        let s = std::str::from_utf8(b).ok()?;
        (!s.contains(['*', '\r', '\n'])).then(|| s.to_string())
    };
    let (cnonce, nc, qop) = if with_qop {
        if d.cnonce.is_empty() || d.nc.is_empty() {
            return None;
        }
        (text(&d.cnonce)?, text(&d.nc)?, "auth".to_string())
    } else {
        (String::new(), String::new(), String::new())
    };
    let (user, realm, method, uri, nonce) = (
        text(user)?,
        text(&d.realm)?,
        text(method)?,
        text(&d.uri)?,
        text(&d.nonce)?,
    );
    // hashcat's token and buffer limits (src/modules/module_11400.c).
    let fits = user.len() <= 116
        && realm.len() <= 116
        && user.len() + realm.len() + 2 <= 119
        && method.len() <= 246
        && (1..=246).contains(&uri.len())
        && method.len() + 1 + uri.len() < 256
        && (1..=1024).contains(&nonce.len())
        && nonce.len() + nc.len() + cnonce.len() + qop.len() + 37 <= 1024;
    if !fits {
        return None;
    }
    Some(format!(
        "$sip$***{user}*{realm}*{method}**{uri}**{nonce}*{cnonce}*{nc}*{qop}*MD5*{}",
        String::from_utf8_lossy(&d.response).to_ascii_lowercase()
    ))
}

/// The credential of a Digest authorization.
pub fn digest_credential(
    params: &[u8],
    method: &[u8],
    mechanism: &'static str,
    ts: Timestamp,
) -> Option<Credential> {
    let d = parse_digest(params)?;
    let mut c = Credential::new("http", mechanism, Kind::ChallengeResponse, ts);
    c.username = d.username.clone();
    c.secret = Some(d.response.clone());
    if !d.nonce.is_empty() {
        c.challenge = Some(d.nonce.clone());
    }
    c.details.push(("realm", lossy(&d.realm)));
    c.details.push(("uri", lossy(&d.uri)));
    c.details.push(("method", lossy(method)));
    if let Some(a) = &d.algorithm {
        c.details.push(("algorithm", lossy(a)));
    }
    if let Some(q) = &d.qop {
        c.details.push(("qop", lossy(q)));
    }
    c.hashcat = digest_hashcat(&d, method).map(|hash| Hashcat {
        mode: 11400,
        hash,
        hex_salt: false,
    });
    Some(c)
}

/// The response a Digest client computes (RFC 2617 3.2.2.1, MD5, `qop=auth` or none).
pub fn digest_response(
    user: &[u8],
    realm: &[u8],
    password: &[u8],
    method: &[u8],
    uri: &[u8],
    nonce: &[u8],
    qop: Option<(&[u8], &[u8])>,
) -> String {
    use md5::Digest;
    let md5 = |parts: &[&[u8]]| {
        let mut h = md5::Md5::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                h.update(b":");
            }
            h.update(p);
        }
        crate::finding::hex(&h.finalize())
    };
    let ha1 = md5(&[user, realm, password]);
    let ha2 = md5(&[method, uri]);
    match qop {
        Some((nc, cnonce)) => md5(&[ha1.as_bytes(), nonce, nc, cnonce, b"auth", ha2.as_bytes()]),
        None => md5(&[ha1.as_bytes(), nonce, ha2.as_bytes()]),
    }
}

/// Which header carried a credential: decides how the response's status reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// `Authorization` (Basic, Digest, NTLM) or URL userinfo.
    Origin,
    /// `Proxy-Authorization`.
    Proxy,
    /// A bearer token.
    Token { proxy: bool },
    /// A login form or query string.
    Form,
}

pub(crate) fn outcome(class: Class, status: u16) -> Outcome {
    // 101 Switching Protocols accepts the request as a 2xx does.
    let status = if status == 101 { 200 } else { status };
    match class {
        Class::Origin => match status {
            401 => Outcome::Failure,
            407 => Outcome::Unknown,
            200..=499 => Outcome::Success,
            _ => Outcome::Unknown,
        },
        Class::Proxy => match status {
            407 => Outcome::Failure,
            200..=499 => Outcome::Success,
            _ => Outcome::Unknown,
        },
        Class::Token { proxy } => {
            if status == if proxy { 407 } else { 401 } {
                Outcome::Failure
            } else {
                Outcome::Unknown
            }
        }
        Class::Form => match status {
            200..=399 => Outcome::Success,
            401 | 403 => Outcome::Failure,
            _ => Outcome::Unknown,
        },
    }
}

/// What identifies a repeated credential on one connection.
fn repeat_key(c: &Credential) -> u64 {
    let mut h = DefaultHasher::new();
    (&c.mechanism, &c.username, &c.secret).hash(&mut h);
    h.finish()
}

fn credential_size(c: &Credential) -> usize {
    std::mem::size_of::<Credential>()
        + c.username.as_ref().map_or(0, Vec::capacity)
        + c.secret.as_ref().map_or(0, Vec::capacity)
        + c.challenge.as_ref().map_or(0, Vec::capacity)
        + c.domain.as_ref().map_or(0, Vec::capacity)
        + c.hashcat.as_ref().map_or(0, |h| h.hash.capacity())
        + c.frames.capacity() * 8
        + c.details
            .iter()
            .map(|(_, v)| v.capacity() + 24)
            .sum::<usize>()
}

// ---- Framing ---------------------------------------------------------------------------

/// Malformed chunked framing, after this many bytes were used.
#[derive(Debug)]
struct BadBody(usize);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum ChunkState {
    /// Reading a chunk-size line.
    #[default]
    Size,
    /// Inside chunk data: bytes left.
    Data(u64),
    /// The line end after chunk data.
    DataEnd,
    /// Trailer fields, up to an empty line.
    Trailer,
}

/// A chunked transfer-coding decoder (RFC 9112 section 7.1) that hands the data on.
#[derive(Debug, Default)]
struct Chunked {
    state: ChunkState,
    line: Vec<u8>,
}

impl Chunked {
    /// Decodes `data`; returns the bytes used and whether the body ended.
    fn feed(&mut self, data: &[u8], mut sink: impl FnMut(&[u8])) -> Result<(usize, bool), BadBody> {
        let mut used = 0;
        while let Some(rest) = data.get(used..).filter(|r| !r.is_empty()) {
            if let ChunkState::Data(n) = self.state {
                let take = usize::try_from(n).unwrap_or(usize::MAX).min(rest.len());
                sink(&rest[..take]);
                used += take;
                let left = n - take as u64;
                self.state = if left == 0 {
                    ChunkState::DataEnd
                } else {
                    ChunkState::Data(left)
                };
                continue;
            }
            let end = memchr(b'\n', rest);
            if self.state == ChunkState::DataEnd
                && rest[..end.unwrap_or(rest.len())]
                    .iter()
                    .any(|&b| b != b'\r')
            {
                // Chunk data must end with a line end.
                return Err(BadBody(used));
            }
            let Some(i) = end else {
                if self.line.len() + rest.len() > MAX_CHUNK_LINE {
                    return Err(BadBody(data.len()));
                }
                self.line.extend_from_slice(rest);
                return Ok((data.len(), false));
            };
            if self.line.len() + i > MAX_CHUNK_LINE {
                return Err(BadBody(used + i + 1));
            }
            self.line.extend_from_slice(&rest[..i]);
            used += i + 1;
            let line = std::mem::take(&mut self.line);
            let text = strip_cr(&line);
            let end = match self.state {
                ChunkState::Size => {
                    let n = chunk_size(text).ok_or(BadBody(used))?;
                    self.state = if n == 0 {
                        ChunkState::Trailer
                    } else {
                        ChunkState::Data(n)
                    };
                    false
                }
                ChunkState::DataEnd if text.is_empty() => {
                    self.state = ChunkState::Size;
                    false
                }
                ChunkState::DataEnd => return Err(BadBody(used)),
                ChunkState::Trailer => text.is_empty(),
                ChunkState::Data(_) => false,
            };
            self.line = line;
            self.line.clear();
            if end {
                self.state = ChunkState::Size;
                return Ok((used, true));
            }
        }
        Ok((used, false))
    }
}

/// How a message body ends.
#[derive(Debug)]
enum Framing {
    Length(u64),
    Chunked(Chunked),
    /// A response without length: up to the end of the connection.
    UntilClose,
}

/// A form body being kept.
#[derive(Debug, Default)]
struct FormBuf {
    data: Vec<u8>,
    frames: Vec<u64>,
    ts: Timestamp,
}

#[derive(Debug)]
struct Body {
    framing: Framing,
    form: Option<FormBuf>,
}

fn keep(form: &mut Option<FormBuf>, piece: &[u8], frame: u64, ts: Timestamp) {
    if piece.is_empty() {
        return;
    }
    if let Some(f) = form {
        if f.data.len() + piece.len() > MAX_FORM_BODY {
            *form = None;
            return;
        }
        f.data.extend_from_slice(piece);
        if f.frames.last() != Some(&frame) {
            f.frames.push(frame);
        }
        f.ts = ts;
    }
}

impl Body {
    /// Reads body bytes; returns the bytes used and whether the body ended.
    fn consume(
        &mut self,
        data: &[u8],
        frame: u64,
        ts: Timestamp,
    ) -> Result<(usize, bool), BadBody> {
        let form = &mut self.form;
        match &mut self.framing {
            Framing::Length(n) => {
                let take = usize::try_from(*n).unwrap_or(usize::MAX).min(data.len());
                keep(form, &data[..take], frame, ts);
                *n -= take as u64;
                Ok((take, *n == 0))
            }
            Framing::UntilClose => Ok((data.len(), false)),
            Framing::Chunked(c) => c.feed(data, |piece| keep(form, piece, frame, ts)),
        }
    }

    fn size(&self) -> usize {
        self.form
            .as_ref()
            .map_or(0, |f| f.data.capacity() + f.frames.capacity() * 8)
            + match &self.framing {
                Framing::Chunked(c) => c.line.capacity(),
                _ => 0,
            }
    }
}

#[derive(Debug, Default)]
enum Phase {
    /// Expecting a request or status line.
    #[default]
    Start,
    /// Lost track of the messages: skipping to the next request or status line.
    Lost,
    Headers,
    Body(Body),
}

/// A header field being read (it may continue on folded lines).
#[derive(Debug, Default)]
struct Field {
    text: Vec<u8>,
    frames: Vec<u64>,
    ts: Timestamp,
    open: bool,
}

/// One direction's framing state.
#[derive(Debug, Default)]
struct Side {
    /// The unterminated line, and the frames that carried it.
    partial: Vec<u8>,
    frames: Vec<u64>,
    /// Dropping bytes up to the next line end (an over-long line).
    skipping: bool,
    phase: Phase,
    field: Field,
    header_bytes: usize,
    overlong: u64,
}

impl Side {
    fn size(&self) -> usize {
        self.partial.capacity()
            + self.frames.capacity() * 8
            + self.field.text.capacity()
            + self.field.frames.capacity() * 8
            + match &self.phase {
                Phase::Body(b) => b.size(),
                _ => 0,
            }
    }
}

/// The request being read.
#[derive(Debug, Default)]
struct Request {
    id: u64,
    method: Vec<u8>,
    target: Vec<u8>,
    line_frames: Vec<u64>,
    line_ts: Timestamp,
    host: Option<Vec<u8>>,
    creds: Vec<(Class, Credential)>,
    content_length: Option<u64>,
    chunked: bool,
    /// A transfer coding other than chunked last, or a bad Content-Length: the body's end
    /// cannot be known.
    unframed: bool,
    body_type: BodyType,
}

/// What a request body is, from its Content-Type: the kinds a login is read from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum BodyType {
    #[default]
    Other,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `application/json`, `text/json`, `application/<anything>+json`.
    Json,
    /// `application/soap+xml`, `text/xml`, `application/xml`, `application/<anything>+xml`
    /// (SOAP: WS-Security's UsernameToken).
    Xml,
}

impl BodyType {
    pub(crate) fn of(media: &[u8]) -> BodyType {
        let media = media.trim_ascii().to_ascii_lowercase();
        if media == b"application/x-www-form-urlencoded" {
            BodyType::Form
        } else if media == b"application/json"
            || media == b"text/json"
            || (media.starts_with(b"application/") && media.ends_with(b"+json"))
        {
            BodyType::Json
        } else if media == b"text/xml"
            || media == b"application/xml"
            || (media.starts_with(b"application/") && media.ends_with(b"+xml"))
        {
            BodyType::Xml
        } else {
            BodyType::Other
        }
    }
}

impl Request {
    fn url(&self) -> String {
        request_url(&self.target, self.host.as_deref())
    }

    fn add(&mut self, class: Class, c: Credential) {
        if self.creds.len() < MAX_CREDS_PER_REQUEST {
            self.creds.push((class, c));
        }
    }

    fn size(&self) -> usize {
        self.method.capacity()
            + self.target.capacity()
            + self.line_frames.capacity() * 8
            + self.host.as_ref().map_or(0, Vec::capacity)
            + self
                .creds
                .iter()
                .map(|(_, c)| credential_size(c))
                .sum::<usize>()
    }
}

/// A request waiting for its response.
#[derive(Debug)]
enum Pending {
    Request {
        id: u64,
        head: bool,
        connect: bool,
        creds: Vec<(Class, Credential)>,
    },
    /// Client bytes were lost here: an unknown number of requests.
    Hole,
}

/// The response being read.
#[derive(Debug, Default)]
struct Response {
    status: u16,
    head: bool,
    connect: bool,
    content_length: Option<u64>,
    chunked: bool,
    until_close: bool,
    unframed: bool,
    /// `Upgrade: websocket`, and the subprotocol the server chose.
    websocket: bool,
    subprotocol: Option<Vec<u8>>,
}

/// One HTTP connection.
#[derive(Debug)]
pub struct Http {
    dialect: &'static Dialect,
    max_line: usize,
    user_fields: &'static [&'static str],
    password_fields: &'static [&'static str],
    client: Side,
    server: Side,
    request: Option<Box<Request>>,
    response: Response,
    pending: VecDeque<Pending>,
    next_id: u64,
    /// The last request answered, and the status: a form body still being read gets it.
    answered: Option<(u64, u16)>,
    /// The NTLM CHALLENGE last offered by the server and by the proxy.
    challenge: [Option<[u8; 8]>; 2],
    /// The response stream lost its place while requests were waiting: which response
    /// answers which of them is no longer known.
    lost_ambiguous: bool,
    /// Repeated credentials with no verdict, reported at the end unless the same one got
    /// a verdict on this connection.
    held: Vec<Credential>,
    known: VecDeque<u64>,
    /// UsernameTokens answered 400 or 500: refused if the response's SOAP fault is an
    /// authentication fault, which its body tells.
    fault_wait: Vec<Credential>,
    /// After `101 Switching Protocols` to a WebSocket subprotocol that is read: its frames.
    websocket: Option<Box<WebSocket>>,
    done: bool,
}

impl Http {
    pub fn new(config: &DissectorConfig) -> Http {
        Http::of(&HTTP, config)
    }

    /// The dissector for RTSP.
    pub fn rtsp(config: &DissectorConfig) -> Http {
        Http::of(&RTSP, config)
    }

    fn of(dialect: &'static Dialect, config: &DissectorConfig) -> Http {
        Http {
            dialect,
            max_line: config.max_line.max(16),
            user_fields: config.form_user_fields,
            password_fields: config.form_password_fields,
            client: Side::default(),
            server: Side::default(),
            request: None,
            response: Response::default(),
            pending: VecDeque::new(),
            next_id: 0,
            answered: None,
            challenge: [None, None],
            lost_ambiguous: false,
            held: Vec::new(),
            known: VecDeque::new(),
            fault_wait: Vec::new(),
            websocket: None,
            done: false,
        }
    }

    fn side(&mut self, dir: Direction) -> &mut Side {
        match dir {
            Direction::ToServer => &mut self.client,
            Direction::ToClient => &mut self.server,
        }
    }

    /// Reports a credential with the outcome a status gives it.
    fn settle(
        &mut self,
        class: Class,
        mut c: Credential,
        status: Option<u16>,
        out: &mut Vec<Credential>,
    ) {
        c.outcome = status.map_or(Outcome::Unknown, |s| outcome(class, s));
        if c.repeats {
            let key = repeat_key(&c);
            if c.outcome == Outcome::Unknown {
                if self.held.iter().any(|h| repeat_key(h) == key) {
                    return;
                }
                if self.held.len() < MAX_HELD {
                    self.held.push(c);
                    return;
                }
            } else if !self.known.contains(&key) {
                if self.known.len() >= MAX_KNOWN {
                    self.known.pop_front();
                }
                self.known.push_back(key);
            }
        }
        out.push(c);
    }

    fn settle_pending(&mut self, p: Pending, status: Option<u16>, out: &mut Vec<Credential>) {
        if let Pending::Request { creds, .. } = p {
            for (class, c) in creds {
                self.settle(class, c, status, out);
            }
        }
    }

    /// Every waiting request's credentials, outcome unknown.
    fn flush_pending(&mut self, out: &mut Vec<Credential>) {
        while let Some(p) = self.pending.pop_front() {
            self.settle_pending(p, None, out);
        }
    }

    fn enqueue(&mut self, p: Pending, out: &mut Vec<Credential>) {
        if matches!(p, Pending::Hole) && matches!(self.pending.back(), Some(Pending::Hole)) {
            return;
        }
        if self.pending.len() >= MAX_PENDING {
            // The oldest go unanswered; the responses still to come can no longer be
            // matched to the others with certainty.
            while self.pending.len() >= MAX_PENDING {
                if let Some(old) = self.pending.pop_front() {
                    self.settle_pending(old, None, out);
                }
            }
            if !matches!(self.pending.front(), Some(Pending::Hole)) {
                self.pending.push_front(Pending::Hole);
            }
        }
        self.pending.push_back(p);
    }

    /// Queues the request being read (its headers are complete, or cut short).
    fn enqueue_request(&mut self, req: &mut Request, out: &mut Vec<Credential>) {
        let p = Pending::Request {
            id: req.id,
            head: req.method == b"HEAD",
            connect: req.method == b"CONNECT",
            creds: std::mem::take(&mut req.creds),
        };
        self.enqueue(p, out);
    }

    /// A direction lost its place in the stream (missing bytes, or bytes that are not a
    /// message where one should start).
    fn lose(&mut self, dir: Direction, out: &mut Vec<Credential>) {
        match dir {
            Direction::ToServer => {
                if matches!(self.client.phase, Phase::Headers)
                    && let Some(mut req) = self.request.take()
                {
                    self.enqueue_request(&mut req, out);
                }
                self.request = None;
                self.enqueue(Pending::Hole, out);
            }
            Direction::ToClient => {
                self.lost_ambiguous |= !self.pending.is_empty();
            }
        }
        let side = self.side(dir);
        side.phase = Phase::Lost;
        side.field.open = false;
        side.field.text.clear();
        side.field.frames.clear();
    }

    fn feed(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let mut rest = chunk.data;
        while !rest.is_empty() && !self.done && self.websocket.is_none() {
            let max_line = self.max_line;
            let interleaved = self.dialect.interleaved;
            let side = self.side(dir);
            if interleaved
                && matches!(side.phase, Phase::Start)
                && side.partial.is_empty()
                && !side.skipping
                && let Some(&[b'$', _channel, hi, lo]) = rest.get(..4)
            {
                // An interleaved RTP or RTCP packet: `$`, its channel, its length.
                let len = u16::from_be_bytes([hi, lo]);
                rest = &rest[4..];
                if len > 0 {
                    side.phase = Phase::Body(Body {
                        framing: Framing::Length(u64::from(len)),
                        form: None,
                    });
                }
                continue;
            }
            if let Phase::Body(body) = &mut side.phase {
                match body.consume(rest, chunk.frame, chunk.ts) {
                    Ok((used, finished)) => {
                        rest = rest.get(used..).unwrap_or_default();
                        if finished {
                            self.body_done(dir, out);
                        } else if used == 0 {
                            break;
                        }
                    }
                    Err(BadBody(used)) => {
                        rest = rest.get(used..).unwrap_or_default();
                        self.lose(dir, out);
                    }
                }
                continue;
            }
            let Some(i) = memchr(b'\n', rest) else {
                if !side.skipping {
                    if side.partial.len() + rest.len() > max_line {
                        side.overlong += 1;
                        side.skipping = true;
                        side.partial.clear();
                        side.frames.clear();
                        self.overlong_line(dir, out);
                    } else {
                        side.partial.extend_from_slice(rest);
                        if side.frames.last() != Some(&chunk.frame) {
                            side.frames.push(chunk.frame);
                        }
                    }
                }
                break;
            };
            let piece = &rest[..i];
            rest = &rest[i + 1..];
            if side.skipping {
                side.skipping = false;
                side.partial.clear();
                side.frames.clear();
                continue;
            }
            if side.partial.len() + piece.len() > max_line {
                side.overlong += 1;
                side.partial.clear();
                side.frames.clear();
                self.overlong_line(dir, out);
                continue;
            }
            if side.partial.is_empty() {
                self.line(dir, strip_cr(piece), &[chunk.frame], chunk.ts, out);
            } else {
                let mut buf = std::mem::take(&mut side.partial);
                let mut frames = std::mem::take(&mut side.frames);
                buf.extend_from_slice(piece);
                if frames.last() != Some(&chunk.frame) {
                    frames.push(chunk.frame);
                }
                self.line(dir, strip_cr(&buf), &frames, chunk.ts, out);
                buf.clear();
                frames.clear();
                let side = self.side(dir);
                side.partial = buf;
                side.frames = frames;
            }
        }
        if !rest.is_empty()
            && let Some(ws) = self.websocket.as_mut()
        {
            // What follows the 101 response's headers in this chunk: frames already.
            let chunk = Chunk {
                data: rest,
                frame: chunk.frame,
                ts: chunk.ts,
            };
            ws.data(dir, chunk, out);
            self.done = ws.done();
        }
    }

    /// A line longer than the cap was skipped.
    fn overlong_line(&mut self, dir: Direction, out: &mut Vec<Credential>) {
        if matches!(self.side(dir).phase, Phase::Start) {
            self.lose(dir, out);
        }
    }

    fn line(
        &mut self,
        dir: Direction,
        text: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let side = self.side(dir);
        match side.phase {
            Phase::Start | Phase::Lost => {
                let lost = matches!(side.phase, Phase::Lost);
                match dir {
                    Direction::ToServer => {
                        if let Some(rl) = parse_request_line(self.dialect, text) {
                            self.begin_request(rl, frames, ts);
                            return;
                        }
                    }
                    Direction::ToClient => {
                        if let Some(status) = parse_status_line(self.dialect, text) {
                            self.begin_response(status, out);
                            return;
                        }
                    }
                }
                if !text.is_empty() && !lost {
                    self.lose(dir, out);
                }
            }
            Phase::Headers => self.header_line(dir, text, frames, ts, out),
            Phase::Body(_) => {}
        }
    }

    fn header_line(
        &mut self,
        dir: Direction,
        text: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let side = self.side(dir);
        side.header_bytes = side.header_bytes.saturating_add(text.len() + 2);
        if text.is_empty() {
            self.finish_field(dir);
            match dir {
                Direction::ToServer => self.end_of_request_headers(out),
                Direction::ToClient => self.end_of_response_headers(),
            }
            return;
        }
        if matches!(text.first(), Some(b' ' | b'\t')) {
            // obs-fold: the field goes on.
            if side.field.open && side.header_bytes <= MAX_HEADER_BLOCK {
                side.field.text.push(b' ');
                side.field.text.extend_from_slice(text.trim_ascii());
                for &f in frames {
                    if side.field.frames.last() != Some(&f) {
                        side.field.frames.push(f);
                    }
                }
                side.field.ts = ts;
            }
            return;
        }
        self.finish_field(dir);
        let side = self.side(dir);
        if side.header_bytes > MAX_HEADER_BLOCK {
            return;
        }
        side.field.open = true;
        side.field.text.extend_from_slice(text);
        side.field.frames.extend_from_slice(frames);
        side.field.ts = ts;
    }

    /// The header field read so far is complete.
    fn finish_field(&mut self, dir: Direction) {
        let side = self.side(dir);
        if !side.field.open {
            return;
        }
        side.field.open = false;
        let mut text = std::mem::take(&mut side.field.text);
        let mut frames = std::mem::take(&mut side.field.frames);
        let ts = side.field.ts;
        if let Some((name, value)) = split_header(&text) {
            match dir {
                Direction::ToServer => self.request_field(name, value, &frames, ts),
                Direction::ToClient => self.response_field(name, value),
            }
        }
        text.clear();
        frames.clear();
        let side = self.side(dir);
        side.field.text = text;
        side.field.frames = frames;
    }

    fn begin_request(&mut self, rl: RequestLine<'_>, frames: &[u64], ts: Timestamp) {
        self.request = Some(Box::new(Request {
            id: self.next_id,
            method: rl.method.to_vec(),
            target: rl.target.to_vec(),
            line_frames: frames.to_vec(),
            line_ts: ts,
            ..Request::default()
        }));
        self.next_id += 1;
        self.client.phase = Phase::Headers;
        self.client.header_bytes = 0;
    }

    fn request_field(&mut self, name: &[u8], value: &[u8], frames: &[u64], ts: Timestamp) {
        if name.eq_ignore_ascii_case(b"authorization") {
            self.authorization(false, value, frames, ts);
        } else if name.eq_ignore_ascii_case(b"proxy-authorization") {
            self.authorization(true, value, frames, ts);
        }
        let Some(req) = self.request.as_mut() else {
            return;
        };
        if name.eq_ignore_ascii_case(b"content-length") {
            match parse_content_length(value) {
                Some(n) if req.content_length.is_none_or(|m| m == n) => {
                    req.content_length = Some(n)
                }
                _ => req.unframed = true,
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            let last = value.rsplit(|&b| b == b',').next().unwrap_or_default();
            if last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                req.chunked = true;
            } else if !value.is_empty() {
                req.unframed = true;
            }
        } else if name.eq_ignore_ascii_case(b"content-type") {
            let media = value.split(|&b| b == b';').next().unwrap_or_default();
            req.body_type = BodyType::of(media);
        } else if name.eq_ignore_ascii_case(b"host") {
            req.host = Some(value[..value.len().min(256)].to_vec());
        }
    }

    /// `Authorization` or `Proxy-Authorization`.
    fn authorization(&mut self, proxy: bool, value: &[u8], frames: &[u64], ts: Timestamp) {
        let Some(req) = self.request.as_ref() else {
            return;
        };
        let (scheme, rest) = split_scheme(value);
        let class = if proxy { Class::Proxy } else { Class::Origin };
        let found = if let Some(found) =
            authorization_credential(proxy, scheme, rest, &req.method, ts)
        {
            Some(found)
        } else if scheme.eq_ignore_ascii_case(b"NTLM") || scheme.eq_ignore_ascii_case(b"Negotiate")
        {
            let mechanism = match (proxy, scheme.eq_ignore_ascii_case(b"NTLM")) {
                (false, true) => "NTLM",
                (false, false) => "Negotiate NTLM",
                (true, true) => "Proxy NTLM",
                (true, false) => "Proxy Negotiate NTLM",
            };
            match decode_base64(rest).and_then(|d| ntlmssp::find(&d)) {
                Some(Message::Authenticate(a)) => {
                    let challenge = self.challenge[usize::from(proxy)].take();
                    a.credential("http", mechanism, challenge, ts)
                        .map(|c| (class, c))
                }
                _ => None,
            }
        } else {
            None
        };
        if let Some((class, mut c)) = found {
            c.add_frames(frames.iter().copied());
            let url = self.request.as_ref().map(|r| r.url()).unwrap_or_default();
            c.details.push(("url", url));
            if let Some(req) = self.request.as_mut() {
                req.add(class, c);
            }
        }
    }

    /// Credentials in the request target: URL userinfo and query-string logins.
    fn target_credentials(&self, req: &mut Request) {
        // The URL (an owned string) is built for a credential only: most requests have
        // none.
        if let Some((user, pass)) = url_userinfo(&req.target) {
            let mut c = Credential::new("http", "URL userinfo", Kind::Cleartext, req.line_ts);
            c.username = Some(user);
            c.secret = Some(pass);
            c.add_frames(req.line_frames.iter().copied());
            c.details.push(("url", req.url()));
            req.add(Class::Origin, c);
        }
        let found = query_credential(
            &req.target,
            &req.method,
            self.user_fields,
            self.password_fields,
            req.line_ts,
            || req.url(),
        );
        if let Some(mut c) = found {
            c.add_frames(req.line_frames.iter().copied());
            req.add(Class::Form, c);
        }
    }

    fn end_of_request_headers(&mut self, out: &mut Vec<Credential>) {
        let Some(mut req) = self.request.take() else {
            self.client.phase = Phase::Start;
            return;
        };
        self.target_credentials(&mut req);
        let framing = if req.chunked {
            Some(Framing::Chunked(Chunked::default()))
        } else if req.unframed {
            None
        } else {
            match req.content_length {
                Some(n) if n > 0 => Some(Framing::Length(n)),
                _ => {
                    self.enqueue_request(&mut req, out);
                    self.client.phase = Phase::Start;
                    return;
                }
            }
        };
        self.enqueue_request(&mut req, out);
        let Some(framing) = framing else {
            // The body's end cannot be found: resynchronise at the next request.
            self.lose(Direction::ToServer, out);
            return;
        };
        let form = req.body_type != BodyType::Other
            && req.method == b"POST"
            && match framing {
                Framing::Length(n) => n <= MAX_FORM_BODY as u64,
                _ => true,
            };
        self.client.phase = Phase::Body(Body {
            framing,
            form: form.then(FormBuf::default),
        });
        self.request = Some(req);
    }

    fn body_done(&mut self, dir: Direction, out: &mut Vec<Credential>) {
        let side = self.side(dir);
        let phase = std::mem::take(&mut side.phase);
        if dir == Direction::ToClient {
            if let Phase::Body(Body {
                form: Some(body), ..
            }) = phase
                && !self.fault_wait.is_empty()
            {
                let refused = wsse::AUTHENTICATION_FAULTS
                    .iter()
                    .any(|name| memmem::find(&body.data, name).is_some());
                self.settle_faults(refused, out);
            }
            return;
        }
        let req = self.request.take();
        let (
            Some(req),
            Phase::Body(Body {
                form: Some(form), ..
            }),
        ) = (req, phase)
        else {
            return;
        };
        let body = form.data.strip_suffix(b"\r\n").unwrap_or(&form.data);
        let found = body_credential(
            req.body_type,
            body,
            self.user_fields,
            self.password_fields,
            form.ts,
            || req.url(),
        );
        let Some(mut c) = found else {
            return;
        };
        c.add_frames(form.frames.iter().copied());
        self.request_credential(req.id, c, out);
    }

    /// A credential of request `id`'s body: it waits for the request's response, or is
    /// settled now if that response came first.
    fn request_credential(&mut self, request: u64, c: Credential, out: &mut Vec<Credential>) {
        let waiting = self.pending.iter_mut().find_map(|p| match p {
            Pending::Request { id, creds, .. } if *id == request => Some(creds),
            _ => None,
        });
        match waiting {
            Some(creds) => {
                if creds.len() < MAX_CREDS_PER_REQUEST {
                    creds.push((Class::Form, c));
                }
            }
            None => {
                let status = self
                    .answered
                    .filter(|(id, _)| *id == request)
                    .map(|(_, s)| s);
                self.settle(Class::Form, c, status, out);
            }
        }
    }

    fn begin_response(&mut self, status: u16, out: &mut Vec<Credential>) {
        let lost = matches!(self.server.phase, Phase::Lost);
        if lost && self.lost_ambiguous {
            self.flush_pending(out);
        }
        self.lost_ambiguous = false;
        self.response = Response {
            status,
            ..Response::default()
        };
        let interim = (100..200).contains(&status) && status != 101;
        if !interim {
            // A fault whose body never came (or had none) judged nothing.
            self.settle_faults(false, out);
            match self.pending.pop_front() {
                Some(Pending::Request {
                    id,
                    head,
                    connect,
                    creds,
                }) => {
                    self.response.head = head;
                    self.response.connect = connect;
                    self.answered = Some((id, status));
                    for (class, c) in creds {
                        if matches!(status, 400 | 500) && c.mechanism.starts_with("UsernameToken") {
                            self.fault_wait.push(c);
                        } else {
                            self.settle(class, c, Some(status), out);
                        }
                    }
                }
                Some(Pending::Hole) => self.flush_pending(out),
                None => {}
            }
        }
        self.server.phase = Phase::Headers;
        self.server.header_bytes = 0;
    }

    fn response_field(&mut self, name: &[u8], value: &[u8]) {
        let r = &mut self.response;
        let proxy = name.eq_ignore_ascii_case(b"proxy-authenticate");
        if proxy || name.eq_ignore_ascii_case(b"www-authenticate") {
            for part in value.split(|&b| b == b',') {
                let (scheme, token) = split_scheme(part);
                if !(scheme.eq_ignore_ascii_case(b"NTLM")
                    || scheme.eq_ignore_ascii_case(b"Negotiate"))
                    || token.is_empty()
                {
                    continue;
                }
                if let Some(Message::Challenge { challenge }) =
                    decode_base64(token).and_then(|d| ntlmssp::find(&d))
                {
                    self.challenge[usize::from(proxy)] = Some(challenge);
                }
            }
        } else if name.eq_ignore_ascii_case(b"upgrade") {
            r.websocket = value.trim_ascii().eq_ignore_ascii_case(b"websocket");
        } else if name.eq_ignore_ascii_case(b"sec-websocket-protocol") {
            r.subprotocol = Some(value.to_vec());
        } else if name.eq_ignore_ascii_case(b"content-length") {
            match parse_content_length(value) {
                Some(n) if r.content_length.is_none_or(|m| m == n) => r.content_length = Some(n),
                _ => r.unframed = true,
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            let last = value.rsplit(|&b| b == b',').next().unwrap_or_default();
            if last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                r.chunked = true;
            } else if !value.is_empty() {
                // Another coding last: the body ends with the connection (RFC 9112 6.3).
                r.until_close = true;
            }
        }
    }

    fn end_of_response_headers(&mut self) {
        let r = &self.response;
        let status = r.status;
        self.server.phase = Phase::Start;
        if status == 101
            && r.websocket
            && let Some(ws) = match r.subprotocol.as_deref() {
                Some(p) => websocket::for_subprotocol(p),
                // No subprotocol: Bolt, if its first data is Bolt's.
                None => Some(websocket::sniffing()),
            }
        {
            // MQTT, STOMP, SIP, AMQP, XMPP, IRC or Bolt over WebSocket: their frames from
            // here on.
            self.websocket = Some(Box::new(ws));
            return;
        }
        if status == 101 || (r.connect && (200..300).contains(&status)) {
            // Another protocol (WebSocket, h2c) or a tunnel (usually TLS) follows.
            self.done = true;
            return;
        }
        if r.head || status < 200 || status == 204 || status == 304 {
            return;
        }
        let framing = if r.chunked {
            Framing::Chunked(Chunked::default())
        } else if r.until_close {
            Framing::UntilClose
        } else if r.unframed {
            self.lost_ambiguous |= !self.pending.is_empty();
            self.server.phase = Phase::Lost;
            return;
        } else {
            match r.content_length {
                Some(0) => return,
                Some(n) => Framing::Length(n),
                None if self.dialect.until_close => Framing::UntilClose,
                None => return,
            }
        };
        // A response that may be a SOAP fault refusing a token is kept to be read.
        let form = (!self.fault_wait.is_empty()).then(FormBuf::default);
        self.server.phase = Phase::Body(Body { framing, form });
    }

    /// Settles the tokens waiting for a SOAP fault: refused when the fault is an
    /// authentication fault, otherwise not judged.
    fn settle_faults(&mut self, refused: bool, out: &mut Vec<Credential>) {
        for mut c in self.fault_wait.drain(..) {
            c.outcome = if refused {
                Outcome::Failure
            } else {
                Outcome::Unknown
            };
            out.push(c);
        }
    }
}

/// A form or query-string credential with its fields.
/// A WS-Security UsernameToken as a credential: its password as it is (`UsernameToken
/// PasswordText`), or its digest with the nonce and creation time that salt it
/// (`UsernameToken PasswordDigest`).
fn token_credential(t: wsse::UsernameToken, ts: Timestamp) -> Credential {
    let mut c = if t.digest {
        let mut c = Credential::new(
            "http",
            "UsernameToken PasswordDigest",
            Kind::ChallengeResponse,
            ts,
        );
        c.hashcat = wsse::hashcat(&t);
        c.challenge = t.nonce;
        if let Some(created) = t.created {
            c.details.push(("created", lossy(&created)));
        }
        c
    } else {
        Credential::new("http", "UsernameToken PasswordText", Kind::Cleartext, ts)
    };
    c.username = Some(t.username);
    c.secret = Some(t.password);
    c
}

/// A login in a request target's query string (`/login?user=bob&password=...`), both
/// fields needed; `url` is asked for only when there is one.
pub(crate) fn query_credential(
    target: &[u8],
    method: &[u8],
    user_fields: &[&str],
    password_fields: &[&str],
    ts: Timestamp,
    url: impl FnOnce() -> String,
) -> Option<Credential> {
    let login = form_login(query(target)?, user_fields, password_fields, true)?;
    let mechanism: Cow<'static, str> = if method == b"GET" {
        "GET query string".into()
    } else {
        format!("{} query string", String::from_utf8_lossy(method)).into()
    };
    let c = Credential::new("http", mechanism, Kind::Cleartext, ts);
    Some(form_credential(c, login, url()))
}

/// The login a request body of `kind` holds: a form's or a JSON object's fields, a SOAP
/// message's WS-Security UsernameToken; `url` is asked for only when there is one.
pub(crate) fn body_credential(
    kind: BodyType,
    body: &[u8],
    user_fields: &[&str],
    password_fields: &[&str],
    ts: Timestamp,
    url: impl FnOnce() -> String,
) -> Option<Credential> {
    let (login, mechanism) = match kind {
        BodyType::Xml => {
            let mut c = token_credential(wsse::username_token(body)?, ts);
            c.details.push(("url", url()));
            return Some(c);
        }
        BodyType::Json => (json_login(body, user_fields, password_fields)?, "POST JSON"),
        BodyType::Form => (
            form_login(body, user_fields, password_fields, false)?,
            "POST form",
        ),
        BodyType::Other => return None,
    };
    let c = Credential::new("http", mechanism, Kind::Cleartext, ts);
    Some(form_credential(c, login, url()))
}

/// The credential of an `Authorization` value (`Proxy-Authorization` with `proxy`) whose
/// scheme carries it whole — Basic, Bearer, Digest — and the class its answer is read
/// with; NTLM needs the connection's challenge and is the caller's.
pub(crate) fn authorization_credential(
    proxy: bool,
    scheme: &[u8],
    rest: &[u8],
    method: &[u8],
    ts: Timestamp,
) -> Option<(Class, Credential)> {
    let class = if proxy { Class::Proxy } else { Class::Origin };
    let pick =
        |origin: &'static str, via_proxy: &'static str| if proxy { via_proxy } else { origin };
    if scheme.eq_ignore_ascii_case(b"Basic") {
        basic_credential(rest, pick("Basic", "Proxy Basic"), ts).map(|c| (class, c))
    } else if scheme.eq_ignore_ascii_case(b"Bearer") {
        (!rest.is_empty()).then(|| {
            let mut c = Credential::new("http", pick("Bearer", "Proxy Bearer"), Kind::Token, ts);
            c.secret = Some(rest.to_vec());
            c.repeats = true;
            (Class::Token { proxy }, c)
        })
    } else if scheme.eq_ignore_ascii_case(b"Digest") {
        digest_credential(rest, method, pick("Digest", "Proxy Digest"), ts).map(|c| (class, c))
    } else {
        None
    }
}

pub(crate) fn form_credential(mut c: Credential, login: FormLogin, url: String) -> Credential {
    let mut fields = Vec::new();
    if let Some((name, value)) = login.user {
        fields.push(lossy(&name));
        c.username = Some(value);
    }
    fields.push(lossy(&login.password.0));
    c.secret = Some(login.password.1);
    c.details.push(("url", url));
    c.details.push(("fields", fields.join(",")));
    c
}

impl Http {
    fn data_in(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done {
            return;
        }
        if let Some(ws) = self.websocket.as_mut() {
            ws.data(dir, chunk, out);
            self.done = ws.done();
            return;
        }
        if dir == Direction::ToServer
            && matches!(self.client.phase, Phase::Start)
            && self.client.partial.is_empty()
            && !self.client.skipping
            && looks_like_tls(chunk.data)
        {
            // TLS where a request should begin (a tunnel whose answer was missed).
            self.done = true;
            return;
        }
        self.feed(dir, chunk, out);
    }

    fn gap_in(&mut self, dir: Direction, len: u64, out: &mut Vec<Credential>) {
        if self.done {
            return;
        }
        if let Some(ws) = self.websocket.as_mut() {
            ws.gap(dir, len, out);
            self.done = ws.done();
            return;
        }
        let side = self.side(dir);
        side.partial.clear();
        side.frames.clear();
        side.skipping = false;
        if let Phase::Body(body) = &mut side.phase {
            match &mut body.framing {
                Framing::Length(n) if len <= *n => {
                    // Still inside the body: count the missing bytes.
                    *n -= len;
                    body.form = None;
                    if *n == 0 {
                        self.body_done(dir, out);
                    }
                    return;
                }
                Framing::UntilClose => return,
                _ => {}
            }
        }
        if dir == Direction::ToServer && matches!(self.client.phase, Phase::Headers) {
            self.finish_field(dir);
        }
        self.lose(dir, out);
    }

    fn close_in(&mut self, out: &mut Vec<Credential>) {
        if let Some(ws) = self.websocket.as_mut() {
            ws.close(out);
        }
        self.settle_faults(false, out);
        if matches!(self.client.phase, Phase::Headers) {
            // The headers were cut short: the complete fields still count.
            self.finish_field(Direction::ToServer);
            if let Some(mut req) = self.request.take() {
                self.target_credentials(&mut req);
                self.enqueue_request(&mut req, out);
            }
        }
        self.client.phase = Phase::Start;
        self.request = None;
        self.flush_pending(out);
        let mut seen = Vec::new();
        for c in std::mem::take(&mut self.held) {
            let key = repeat_key(&c);
            if !self.known.contains(&key) && !seen.contains(&key) {
                seen.push(key);
                out.push(c);
            }
        }
    }

    /// Findings of a dialect other than HTTP carry its name.
    fn name(&self, found: &mut [Credential]) {
        if self.dialect.name != HTTP.name {
            for c in found {
                c.protocol = self.dialect.name.into();
            }
        }
    }
}

impl Dissector for Http {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let from = out.len();
        self.data_in(dir, chunk, out);
        self.name(&mut out[from..]);
    }

    fn gap(&mut self, dir: Direction, len: u64, out: &mut Vec<Credential>) {
        let from = out.len();
        self.gap_in(dir, len, out);
        self.name(&mut out[from..]);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        let from = out.len();
        self.close_in(out);
        self.name(&mut out[from..]);
    }

    fn done(&self) -> bool {
        self.done
    }

    fn lines_too_long(&self) -> u64 {
        self.client.overlong + self.server.overlong
    }

    fn skip(&mut self, dir: Direction) -> u64 {
        if self.done || self.websocket.is_some() {
            return 0;
        }
        // Inside a body that is not a login form, all but its last byte is only counted
        // (the last one ends the message as usual).
        let Phase::Body(body) = &mut self.side(dir).phase else {
            return 0;
        };
        if body.form.is_some() {
            return 0;
        }
        match &mut body.framing {
            Framing::Length(n) if *n > 1 => std::mem::replace(n, 1) - 1,
            Framing::Chunked(c) => match c.state {
                ChunkState::Data(n) if n > 1 => {
                    c.state = ChunkState::Data(1);
                    n - 1
                }
                _ => 0,
            },
            Framing::UntilClose => u64::MAX / 4,
            _ => 0,
        }
    }

    fn buffered(&self) -> usize {
        let pending: usize = self
            .pending
            .iter()
            .map(|p| match p {
                Pending::Request { creds, .. } => {
                    64 + creds.iter().map(|(_, c)| credential_size(c)).sum::<usize>()
                }
                Pending::Hole => 64,
            })
            .sum();
        self.client.size()
            + self.server.size()
            + self.request.as_ref().map_or(0, |r| r.size())
            + pending
            + self.held.iter().map(credential_size).sum::<usize>()
            + self.known.capacity() * 8
            + self.websocket.as_ref().map_or(0, |w| w.buffered())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::sasl::BASE64;
    use Direction::{ToClient as S, ToServer as C};
    use base64::Engine as _;

    fn config() -> DissectorConfig {
        DissectorConfig::default()
    }

    fn feed_all(d: &mut Http, script: &[(Direction, &[u8])], out: &mut Vec<Credential>) {
        for (i, (dir, data)) in script.iter().enumerate() {
            d.data(
                *dir,
                Chunk {
                    data,
                    frame: i as u64 + 1,
                    ts: Timestamp::new(i as i64 + 1, 0),
                },
                out,
            );
        }
    }

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        let mut d = Http::new(&config());
        let mut out = Vec::new();
        feed_all(&mut d, script, &mut out);
        d.close(&mut out);
        out
    }

    fn b64(s: &[u8]) -> String {
        BASE64.encode(s)
    }

    /// MQTT over WebSocket: the upgrade answered 101 with the `mqtt` subprotocol, then the
    /// CONNECT in a masked frame (in the same chunk as the server's 101 for the CONNACK).
    #[test]
    fn mqtt_over_websocket_after_the_upgrade() {
        use crate::dissect::websocket::build::frame;
        let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0xc2, 0, 60];
        for s in ["web-1", "dash", "Ws-Pw-9"] {
            body.extend((s.len() as u16).to_be_bytes());
            body.extend(s.as_bytes());
        }
        let mut connect = vec![0x10, body.len() as u8];
        connect.extend(body);
        let upgrade = b"GET /mqtt HTTP/1.1\r\nHost: broker\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Version: 13\r\n\r\n".to_vec();
        let switching = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n".to_vec();
        let connack = frame(2, &[0x20, 2, 0, 0], None);
        let framed = frame(2, &connect, Some([0xde, 0xad, 0xbe, 0xef]));
        let mut d = Http::new(&config());
        let mut out = Vec::new();
        feed_all(
            &mut d,
            &[(C, &upgrade), (S, &switching), (C, &framed), (S, &connack)],
            &mut out,
        );
        assert!(d.done(), "the MQTT login judged: nothing more to read");
        d.close(&mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].protocol, "mqtt");
        assert_eq!(out[0].secret.as_deref(), Some(&b"Ws-Pw-9"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        assert!(
            out[0]
                .details
                .contains(&("transport", "websocket".to_string()))
        );
        // A subprotocol not read, or none: the inspection ends at the 101 as before.
        let other = String::from_utf8(switching.clone())
            .unwrap()
            .replace("Protocol: mqtt", "Protocol: graphql-ws");
        let framed = frame(2, &connect, Some([1, 2, 3, 4]));
        let mut d = Http::new(&config());
        let mut out = Vec::new();
        feed_all(
            &mut d,
            &[(C, &upgrade), (S, other.as_bytes()), (C, &framed)],
            &mut out,
        );
        assert!(out.is_empty() && d.done());
    }

    /// Neo4j Browser: Bolt over WebSocket on 7687, no subprotocol named; the first data
    /// is Bolt's handshake. Other data without a subprotocol ends the inspection.
    #[test]
    fn bolt_over_websocket_without_a_subprotocol() {
        use crate::dissect::bolt::{self, build as b};
        use crate::dissect::websocket::build::frame;
        let upgrade = b"GET / HTTP/1.1\r\nHost: graph:7687\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: http://graph:7474\r\n\r\n".to_vec();
        let switching = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n".to_vec();
        let mask = Some([7, 7, 7, 7]);
        let hello = b::message(
            bolt::HELLO,
            vec![b::map(&[("user_agent", b::s("neo4j-javascript/5.27.0"))])],
            4096,
        );
        let logon = b::message(bolt::LOGON, vec![b::basic("neo4j", "Br0wser-Pw")], 4096);
        let ok = b::message(bolt::SUCCESS, vec![b::map(&[])], 4096);
        let script: Vec<(Direction, Vec<u8>)> = vec![
            (C, upgrade.clone()),
            (S, switching.clone()),
            (C, frame(2, &b::handshake(), mask)),
            (S, frame(2, &[0, 0, 8, 5], None)),
            (C, frame(2, &[hello, logon].concat(), mask)),
            (S, frame(2, &[ok.clone(), ok].concat(), None)),
        ];
        let mut d = Http::new(&config());
        let mut out = Vec::new();
        let refs: Vec<(Direction, &[u8])> =
            script.iter().map(|(d, b)| (*d, b.as_slice())).collect();
        feed_all(&mut d, &refs, &mut out);
        d.close(&mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].protocol, "bolt");
        assert_eq!(out[0].mechanism, "LOGON basic");
        assert_eq!(out[0].secret.as_deref(), Some(&b"Br0wser-Pw"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        assert!(
            out[0]
                .details
                .contains(&("transport", "websocket".to_string()))
        );
        // Not Bolt: the inspection ends at its first data.
        let mut d = Http::new(&config());
        let mut out = Vec::new();
        let text = frame(1, b"{\"type\":\"subscribe\"}", mask);
        feed_all(
            &mut d,
            &[(C, &upgrade[..]), (S, &switching[..]), (C, &text[..])],
            &mut out,
        );
        assert!(out.is_empty() && d.done());
    }

    fn user(c: &Credential) -> Option<&[u8]> {
        c.username.as_deref()
    }

    fn secret(c: &Credential) -> &[u8] {
        c.secret.as_deref().unwrap_or_default()
    }

    #[test]
    fn bodies_are_handed_over_to_be_skipped_but_forms_are_not() {
        let mut d = Http::new(&config());
        let mut out = Vec::new();
        let req = format!(
            "GET /a HTTP/1.1\r\nHost: h\r\nAuthorization: Basic {}\r\n\r\n",
            b64(b"bob:pw1")
        );
        feed_all(&mut d, &[(C, req.as_bytes())], &mut out);
        assert_eq!(d.skip(C), 0);
        feed_all(
            &mut d,
            &[(S, b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nabc")],
            &mut out,
        );
        // 4997 body bytes are left: all but the last are handed over.
        assert_eq!(d.skip(S), 4996);
        assert_eq!(d.skip(S), 0);
        // A chunked body: the data of each chunk, not its framing.
        let req2 = format!(
            "GET /b HTTP/1.1\r\nHost: h\r\nAuthorization: Basic {}\r\n\r\n",
            b64(b"bob:pw2")
        );
        feed_all(
            &mut d,
            &[
                (S, b"z"),
                (C, req2.as_bytes()),
                (
                    S,
                    b"HTTP/1.1 401 No\r\nTransfer-Encoding: chunked\r\n\r\n400\r\nxy",
                ),
            ],
            &mut out,
        );
        assert_eq!(d.skip(S), 0x400 - 3);
        feed_all(&mut d, &[(S, b"w\r\n0\r\n\r\n")], &mut out);
        // A login form is read whole.
        let form = b"POST /login HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 36\r\n\r\nuser=carol";
        feed_all(&mut d, &[(C, form)], &mut out);
        assert_eq!(d.skip(C), 0);
        feed_all(
            &mut d,
            &[
                (C, b"&password=pw3&x=1234567890"),
                (S, b"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n"),
            ],
            &mut out,
        );
        d.close(&mut out);
        let got: Vec<(&[u8], Outcome)> = out.iter().map(|c| (secret(c), c.outcome)).collect();
        assert_eq!(
            got,
            vec![
                (&b"pw1"[..], Outcome::Success),
                (&b"pw2"[..], Outcome::Failure),
                (&b"pw3"[..], Outcome::Success)
            ]
        );
    }

    #[test]
    fn probe_cases() {
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::Yes);
        assert_eq!(
            probe(b"PROPFIND /dav/ HTTP/1.1\r\nHost: x\r\n", b""),
            Probe::Yes
        );
        assert_eq!(probe(b"GET http://a.example/ HTTP/1.0", b""), Probe::Yes);
        assert_eq!(probe(b"GE", b""), Probe::Maybe);
        assert_eq!(probe(b"GET /index.ht", b""), Probe::Maybe);
        assert_eq!(probe(b"", b"HTTP/1.1 200 OK\r\n"), Probe::Yes);
        assert_eq!(probe(b"", b"HTTP/1."), Probe::Maybe);
        assert_eq!(probe(b"", b"HTTP/1.1 20"), Probe::Maybe);
        // TLS, SSH, and the text protocols other dissectors take.
        assert_eq!(
            probe(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b""),
            Probe::No
        );
        assert_eq!(probe(b"", b"\x16\x03\x03\x00\x5a\x02"), Probe::No);
        assert_eq!(probe(b"SSH-2.0-OpenSSH_9.6\r\n", b""), Probe::No);
        assert_eq!(probe(b"", b"SSH-2.0-OpenSSH_9.6\r\n"), Probe::No);
        assert_eq!(probe(b"USER bob\r\n", b"220 ftp\r\n"), Probe::No);
        assert_eq!(probe(b"", b"220 mail ESMTP\r\n"), Probe::No);
        assert_eq!(probe(b"", b"+OK POP3\r\n"), Probe::No);
        assert_eq!(probe(b"a001 LOGIN x y\r\n", b""), Probe::No);
        assert_eq!(probe(b"DESCRIBE rtsp://cam/ RTSP/1.0\r\n", b""), Probe::No);
        assert_eq!(probe(b"REGISTER sip:x SIP/2.0\r\n", b""), Probe::No);
        assert_eq!(probe(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", b""), Probe::No);
        assert_eq!(probe(b"\x00\x00\x00\x10binary", b""), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1 extra\r\n", b""), Probe::No);
    }

    #[test]
    fn start_lines() {
        assert_eq!(
            parse_request_line(&HTTP, b"POST /login?a=b HTTP/1.1"),
            Some(RequestLine {
                method: b"POST",
                target: b"/login?a=b"
            })
        );
        assert_eq!(parse_request_line(&HTTP, b"GET / HTTP/1.1x"), None);
        assert_eq!(parse_request_line(&HTTP, b"get / HTTP/1.1"), None);
        assert_eq!(
            parse_status_line(&HTTP, b"HTTP/1.1 401 Unauthorized"),
            Some(401)
        );
        assert_eq!(parse_status_line(&HTTP, b"HTTP/1.0 200"), Some(200));
        assert_eq!(parse_status_line(&HTTP, b"HTTP/1.1 2000 x"), None);
        assert_eq!(parse_status_line(&HTTP, b"RTSP/1.0 200 OK"), None);
    }

    #[test]
    fn helpers() {
        assert_eq!(percent_decode(b"a%20b+c%2B%zz%4", true), b"a b c+%zz%4");
        assert_eq!(percent_decode(b"p%40ss+w", false), b"p@ss+w");
        assert_eq!(percent_decode("%C3%A4".as_bytes(), false), "ä".as_bytes());
        assert_eq!(
            split_user_pass(b"test:1:34"),
            Some((&b"test"[..], &b"1:34"[..]))
        );
        assert_eq!(
            split_scheme(b"Basic   dGVzdDoxMjM0  "),
            (&b"Basic"[..], &b"dGVzdDoxMjM0"[..])
        );
        assert_eq!(
            split_header(b"aUtHoRiZaTiOn:  Basic x "),
            Some((&b"aUtHoRiZaTiOn"[..], &b"Basic x"[..]))
        );
        assert_eq!(split_header(b"Bad Name: x"), None);
        assert_eq!(chunk_size(b"1a;ext=1"), Some(26));
        assert_eq!(chunk_size(b"0"), Some(0));
        assert_eq!(chunk_size(b"zz"), None);
        assert_eq!(chunk_size(b"11111111111111111"), None);
        assert_eq!(parse_content_length(b"12, 12"), Some(12));
        assert_eq!(parse_content_length(b"12, 13"), None);
        assert_eq!(parse_content_length(b"-1"), None);
        let (u, p) = (DEFAULT_FORM_USER_FIELDS, DEFAULT_FORM_PASSWORD_FIELDS);
        assert!(field_matches(b"Password", p));
        assert!(field_matches(b"session[password]", p));
        assert!(field_matches(b"user.login", u));
        assert!(!field_matches(b"user_token", u));
        assert!(!field_matches(b"password_confirmation", p));
        assert_eq!(
            url_userinfo(b"http://al%40ice:p%3Aw@proxy.example:8080/x?y"),
            Some((b"al@ice".to_vec(), b"p:w".to_vec()))
        );
        assert_eq!(url_userinfo(b"http://alice@host/"), None);
        assert_eq!(url_userinfo(b"/path?u=a@b:c"), None);
        assert_eq!(
            request_url(b"http://u:p@h.example/a/b?pw=1", None),
            "http://h.example/a/b"
        );
        assert_eq!(
            request_url(b"/login?password=x", Some(b"site")),
            "http://site/login"
        );
    }

    #[test]
    fn auth_params_with_quotes_and_escapes() {
        let p = auth_params(br#"username="a\"b", realm = "r, s",nc=00000001 ,qop=auth"#);
        assert_eq!(
            p,
            vec![
                (b"username".to_vec(), b"a\"b".to_vec()),
                (b"realm".to_vec(), b"r, s".to_vec()),
                (b"nc".to_vec(), b"00000001".to_vec()),
                (b"qop".to_vec(), b"auth".to_vec()),
            ]
        );
        // Garbage never loops or panics.
        for junk in [&b"=,=\"\\"[..], b"\"", b"a", b"==", b"a=\"unterminated"] {
            let _ = auth_params(junk);
        }
    }

    #[test]
    fn chunked_decoder_handles_any_cut() {
        let body = b"4;x=y\r\nuser\r\n6\r\n=alice\r\n0\r\nTrailer: t\r\n\r\nNEXT";
        for cut in 0..body.len() {
            let mut c = Chunked::default();
            let mut got = Vec::new();
            let (a, end_a) = c.feed(&body[..cut], |p| got.extend_from_slice(p)).unwrap();
            let rest = if end_a {
                &body[a..]
            } else {
                assert_eq!(a, cut);
                let (b, end) = c.feed(&body[cut..], |p| got.extend_from_slice(p)).unwrap();
                assert!(end, "cut {cut}");
                &body[cut + b..]
            };
            assert_eq!(got, b"user=alice");
            assert_eq!(rest, b"NEXT", "cut {cut}");
        }
        let mut c = Chunked::default();
        assert!(c.feed(b"4\r\nuserXX", |_| {}).is_err());
    }

    fn basic_req(value: &str) -> Vec<u8> {
        format!("GET /private HTTP/1.1\r\nHost: site.example\r\nAuthorization: {value}\r\n\r\n")
            .into_bytes()
    }

    #[test]
    fn basic_first_colon_extra_spaces_and_outcomes() {
        let r1 = basic_req(&format!("Basic {}", b64(b"test:1:34")));
        let r2 = basic_req(&format!("Basic  {}", b64(b"test:1234")));
        let r3 = basic_req(&format!("basic {}", b64("jürgen:pässwort".as_bytes())));
        let out = run(&[
            (C, &r1),
            (S, b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"),
            (C, &r2),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            (C, &r3),
            (S, b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"),
        ]);
        assert_eq!(out.len(), 3, "{out:#?}");
        assert_eq!(out[0].mechanism, "Basic");
        assert_eq!(out[0].kind, Kind::Cleartext);
        assert_eq!(user(&out[0]), Some(&b"test"[..]));
        assert_eq!(secret(&out[0]), b"1:34");
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert!(out[0].repeats);
        assert_eq!(out[0].frames, vec![1]);
        assert_eq!(out[0].timestamp, Timestamp::new(1, 0));
        assert_eq!(out[0].detail("url"), Some("http://site.example/private"));
        assert_eq!(secret(&out[1]), b"1234");
        assert_eq!(out[1].outcome, Outcome::Success);
        assert_eq!(user(&out[2]), Some("jürgen".as_bytes()));
        assert_eq!(secret(&out[2]), "pässwort".as_bytes());
        assert_eq!(out[2].outcome, Outcome::Success);
    }

    #[test]
    fn malformed_base64_is_reported_raw() {
        let out = run(&[(C, &basic_req("Basic not*base64!"))]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].username, None);
        assert_eq!(secret(&out[0]), b"not*base64!");
        assert!(out[0].detail("note").is_some_and(|n| n.contains("base64")));
        assert_eq!(out[0].outcome, Outcome::Unknown);
        // No colon: the decoded value is the secret.
        let out = run(&[(C, &basic_req(&format!("Basic {}", b64(b"apikey123"))))]);
        assert_eq!(secret(&out[0]), b"apikey123");
        assert_eq!(out[0].username, None);
        // Empty: nothing.
        assert!(run(&[(C, &basic_req("Basic"))]).is_empty());
    }

    #[test]
    fn folded_and_case_insensitive_headers() {
        let req = format!(
            "GET / HTTP/1.0\r\nhost: h\r\nAUTHORIZATION: Basic\r\n   {}\r\nX-Other: 1\r\n\r\n",
            b64(b"fold:ed")
        );
        let out = run(&[
            (C, req.as_bytes()),
            (S, b"HTTP/1.0 200 OK\r\n\r\nbody until close"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(user(&out[0]), Some(&b"fold"[..]));
        assert_eq!(secret(&out[0]), b"ed");
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn bearer_and_proxy_outcomes() {
        let out = run(&[
            (
                C,
                b"GET /api HTTP/1.1\r\nAuthorization: Bearer mF_9.B5f-4.1JqM\r\n\r\n",
            ),
            (S, b"HTTP/1.1 200 OK\r\n\r\n"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, Kind::Token);
        assert_eq!(out[0].mechanism, "Bearer");
        assert_eq!(out[0].username, None);
        assert_eq!(secret(&out[0]), b"mF_9.B5f-4.1JqM");
        assert_eq!(out[0].outcome, Outcome::Unknown);
        let out = run(&[
            (
                C,
                b"GET /api HTTP/1.1\r\nAuthorization: Bearer expired\r\n\r\n",
            ),
            (S, b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"),
        ]);
        assert_eq!(out[0].outcome, Outcome::Failure);
        let proxy = format!(
            "GET http://example.org/ HTTP/1.1\r\nProxy-Authorization: Basic {}\r\n\r\n",
            b64(b"squid:pw")
        );
        let out = run(&[
            (C, proxy.as_bytes()),
            (
                S,
                b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
            ),
            (C, proxy.as_bytes()),
            (S, b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].mechanism, "Proxy Basic");
        assert_eq!(out[0].outcome, Outcome::Failure);
        // The origin refused, the proxy let the request through.
        assert_eq!(out[1].outcome, Outcome::Success);
    }

    /// What hashcat -m 11400 computes from a `$sip$` line for a candidate password
    /// (src/modules/module_11400.c and its kernel), to check the line we write.
    fn hashcat_11400(line: &str, password: &str) -> (String, String) {
        let f: Vec<&str> = line.split('*').collect();
        assert_eq!(f.len(), 15, "{line}");
        assert_eq!(f[0], "$sip$");
        let (user, realm, method) = (f[3], f[4], f[5]);
        let (prefix, resource, suffix) = (f[6], f[7], f[8]);
        let (nonce, cnonce, nc, qop) = (f[9], f[10], f[11], f[12]);
        assert_eq!(f[13], "MD5");
        let mut uri = String::new();
        if !prefix.is_empty() {
            uri = format!("{prefix}:");
        }
        uri.push_str(resource);
        if !suffix.is_empty() {
            uri = format!("{uri}:{suffix}");
        }
        let md5 = |s: String| {
            use md5::Digest;
            crate::finding::hex(&md5::Md5::digest(s.as_bytes()))
        };
        let ha2 = md5(format!("{method}:{uri}"));
        let ha1 = md5(format!("{user}:{realm}:{password}"));
        let got = if qop == "auth" || qop == "auth-int" {
            md5(format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}"))
        } else {
            md5(format!("{ha1}:{nonce}:{ha2}"))
        };
        (got, f[14].to_string())
    }

    #[test]
    fn digest_rfc2617_example_recomputes() {
        // RFC 2617 section 3.5: the password is "Circle Of Life".
        let req = [
            "GET /dir/index.html HTTP/1.1",
            "Host: localhost",
            "Authorization: Digest username=\"Mufasa\",",
            "                 realm=\"testrealm@host.com\",",
            "                 nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",",
            "                 uri=\"/dir/index.html\",",
            "                 qop=auth,",
            "                 nc=00000001,",
            "                 cnonce=\"0a4f113b\",",
            "                 response=\"6629fae49393a05397450978507c4ef1\",",
            "                 opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
            "",
            "",
        ]
        .join("\r\n");
        let req = req.as_bytes();
        let out = run(&[
            (C, req),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ]);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.mechanism, "Digest");
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(user(c), Some(&b"Mufasa"[..]));
        assert_eq!(
            c.challenge.as_deref(),
            Some(&b"dcd98b7102dd2f0e8b11d0f600bfb0c093"[..])
        );
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.detail("realm"), Some("testrealm@host.com"));
        assert_eq!(c.detail("uri"), Some("/dir/index.html"));
        assert_eq!(c.detail("method"), Some("GET"));
        // The reported response is what a client computes from the password...
        let want = digest_response(
            b"Mufasa",
            b"testrealm@host.com",
            b"Circle Of Life",
            b"GET",
            b"/dir/index.html",
            b"dcd98b7102dd2f0e8b11d0f600bfb0c093",
            Some((b"00000001", b"0a4f113b")),
        );
        assert_eq!(secret(c), want.as_bytes());
        // ...and hashcat, fed the line, finds it from the right password only.
        let h = c.hashcat.as_ref().expect("hashcat line");
        assert_eq!(h.mode, 11400);
        assert_eq!(
            h.hash,
            "$sip$***Mufasa*testrealm@host.com*GET**/dir/index.html**dcd98b7102dd2f0e8b11d0f600bfb0c093*0a4f113b*00000001*auth*MD5*6629fae49393a05397450978507c4ef1"
        );
        let (computed, stored) = hashcat_11400(&h.hash, "Circle Of Life");
        assert_eq!(computed, stored);
        assert_ne!(hashcat_11400(&h.hash, "circle of life").0, stored);
    }

    #[test]
    fn digest_without_qop_and_unsupported_algorithms() {
        let resp = digest_response(b"bob", b"r", b"hunter2", b"POST", b"/x", b"n0nce", None);
        let req = format!(
            "POST /x HTTP/1.1\r\nAuthorization: Digest username=\"bob\", realm=\"r\", nonce=\"n0nce\", uri=\"/x\", response=\"{resp}\"\r\nContent-Length: 3\r\n\r\nabc"
        );
        let out = run(&[(C, req.as_bytes()), (S, b"HTTP/1.1 401 No\r\n\r\n")]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        let h = out[0].hashcat.as_ref().expect("hashcat");
        let (computed, stored) = hashcat_11400(&h.hash, "hunter2");
        assert_eq!(computed, stored);
        // SHA-256 and MD5-sess cannot go to mode 11400; the finding stays.
        let req = "GET / HTTP/1.1\r\nAuthorization: Digest username=\"bob\", realm=\"r\", nonce=\"n\", uri=\"/\", algorithm=SHA-256, qop=auth, nc=1, cnonce=\"c\", response=\"00\"\r\n\r\n";
        let out = run(&[(C, req.as_bytes())]);
        assert_eq!(out.len(), 1);
        assert!(out[0].hashcat.is_none());
        assert_eq!(out[0].detail("algorithm"), Some("SHA-256"));
        // username* (RFC 7616 extended notation).
        let req = "GET / HTTP/1.1\r\nAuthorization: Digest username*=UTF-8''J%C3%A4s%C3%B8n, realm=\"r\", nonce=\"n\", uri=\"/\", response=\"0123456789abcdef0123456789abcdef\"\r\n\r\n";
        let out = run(&[(C, req.as_bytes())]);
        assert_eq!(user(&out[0]), Some("Jäsøn".as_bytes()));
    }

    fn ntlm_exchange(with_challenge: bool, status: &str) -> Vec<Credential> {
        let challenge = ntlmssp::build::challenge([1, 2, 3, 4, 5, 6, 7, 8]);
        let nt: Vec<u8> = [&[0xab; 16][..], &[1, 1, 0, 0, 0, 0, 0, 0], &[7; 24]].concat();
        let auth = ntlmssp::build::authenticate("alice", "CORP", "WS01", &[0; 24], &nt);
        let r1 = "GET /sp HTTP/1.1\r\nAuthorization: NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAFASgKAAAADw==\r\n\r\n".to_string();
        let s1 = format!(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM {}\r\nContent-Length: 4\r\n\r\nnope",
            b64(&challenge)
        );
        let r2 = format!(
            "GET /sp HTTP/1.1\r\nAuthorization: NTLM {}\r\n\r\n",
            b64(&auth)
        );
        let s2 = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
        let mut script: Vec<(Direction, &[u8])> = vec![(C, r1.as_bytes())];
        if with_challenge {
            script.push((S, s1.as_bytes()));
        } else {
            script.push((S, b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"));
        }
        script.push((C, r2.as_bytes()));
        script.push((S, s2.as_bytes()));
        run(&script)
    }

    #[test]
    fn ntlm_with_and_without_challenge() {
        let out = ntlm_exchange(true, "302 Found");
        assert_eq!(out.len(), 1, "{out:#?}");
        let c = &out[0];
        assert_eq!(c.mechanism, "NTLM (NetNTLMv2)");
        assert_eq!(user(c), Some(&b"alice"[..]));
        assert_eq!(c.domain.as_deref(), Some(&b"CORP"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![3]);
        let h = c.hashcat.as_ref().expect("hashcat");
        assert_eq!(h.mode, 5600);
        assert!(
            h.hash.starts_with("alice::CORP:0102030405060708:abababab"),
            "{}",
            h.hash
        );
        let out = ntlm_exchange(false, "401 Unauthorized");
        assert_eq!(out.len(), 1);
        assert!(out[0].hashcat.is_none());
        assert_eq!(out[0].outcome, Outcome::Failure);
        // Anonymous NTLM: nothing.
        let anon = ntlmssp::build::authenticate("", "", "", &[0], &[]);
        let r = format!(
            "GET / HTTP/1.1\r\nAuthorization: Negotiate {}\r\n\r\n",
            b64(&anon)
        );
        assert!(run(&[(C, r.as_bytes())]).is_empty());
    }

    #[test]
    fn pipelined_requests_match_responses_in_order() {
        let a = basic_req(&format!("Basic {}", b64(b"bob:wrong")));
        let b = basic_req(&format!("Basic {}", b64(b"bob:right")));
        let both = [a.clone(), b.clone()].concat();
        let out = run(&[
            (C, &both),
            (
                S,
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 401 Unauthorized\r\nContent-Length: 5\r\n\r\nHTTP/",
            ),
            (S, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nHTT\r\n0\r\n\r\n"),
        ]);
        assert_eq!(out.len(), 2, "{out:#?}");
        assert_eq!(secret(&out[0]), b"wrong");
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(secret(&out[1]), b"right");
        assert_eq!(out[1].outcome, Outcome::Success);
    }

    #[test]
    fn no_body_for_head_204_304() {
        let a = basic_req(&format!("Basic {}", b64(b"h:1")));
        let head = format!(
            "HEAD / HTTP/1.1\r\nAuthorization: Basic {}\r\n\r\n",
            b64(b"h:0")
        );
        let out = run(&[
            (C, head.as_bytes()),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
            (C, &a),
            (
                S,
                b"HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\n\r\n",
            ),
            (C, &a),
            (S, b"HTTP/1.1 204 No Content\r\n\r\n"),
            (C, &basic_req(&format!("Basic {}", b64(b"h:2")))),
            (S, b"HTTP/1.1 401 No\r\nContent-Length: 0\r\n\r\n"),
        ]);
        let got: Vec<(&[u8], Outcome)> = out.iter().map(|c| (secret(c), c.outcome)).collect();
        assert_eq!(
            got,
            vec![
                (&b"0"[..], Outcome::Success),
                (&b"1"[..], Outcome::Success),
                (&b"1"[..], Outcome::Success),
                (&b"2"[..], Outcome::Failure),
            ]
        );
    }

    #[test]
    fn forms_content_length_and_chunked() {
        let body = "log=J%C3%BCrgen+M&pwd=p%26ss+w%3Ard&rememberme=forever";
        let post = format!(
            "POST /wp-login.php HTTP/1.1\r\nHost: blog\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let chunked: &[u8] = b"POST /login HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n9\r\nusername=\r\n11\r\nadmin&password=s3\r\n5\r\ncr3t!\r\n0\r\n\r\n";
        // The body's second chunk starts in the second segment.
        let cut = memmem::find(chunked, b"\r\n\r\n").unwrap() + 16;
        let out = run(&[
            (C, post.as_bytes()),
            (
                S,
                b"HTTP/1.1 302 Found\r\nLocation: /wp-admin/\r\nContent-Length: 0\r\n\r\n",
            ),
            (C, &chunked[..cut]),
            (C, &chunked[cut..]),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ]);
        assert_eq!(out.len(), 2, "{out:#?}");
        assert_eq!(out[0].mechanism, "POST form");
        assert_eq!(user(&out[0]), Some("Jürgen M".as_bytes()));
        assert_eq!(secret(&out[0]), b"p&ss w:rd");
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[0].detail("url"), Some("http://blog/wp-login.php"));
        assert_eq!(out[0].detail("fields"), Some("log,pwd"));
        assert_eq!(user(&out[1]), Some(&b"admin"[..]));
        assert_eq!(secret(&out[1]), b"s3cr3t!");
        assert_eq!(out[1].frames, vec![3, 4]);
        assert_eq!(out[1].timestamp, Timestamp::new(4, 0));
    }

    #[test]
    fn json_logins() {
        let login = |body: &str| {
            json_login(
                body.as_bytes(),
                DEFAULT_FORM_USER_FIELDS,
                DEFAULT_FORM_PASSWORD_FIELDS,
            )
            .map(|l| {
                (
                    l.user.map(|(k, v)| (lossy(&k), lossy(&v))),
                    (lossy(&l.password.0), lossy(&l.password.1)),
                )
            })
        };
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            login(r#"{"user":"admin","password":"admin"}"#),
            Some((Some(pair("user", "admin")), pair("password", "admin")))
        );
        // Nested, the user in the enclosing object, escapes decoded, numbers kept.
        assert_eq!(
            login(r#"{"username":"bob","auth":{"type":"pw","password":"p\"w\u00e9"}}"#),
            Some((
                Some(pair("username", "bob")),
                pair("password", "p\"w\u{e9}")
            ))
        );
        assert_eq!(
            login(r#"{"operationName":"Login","variables":{"email":"a@b.c","password":1234}}"#),
            Some((Some(pair("email", "a@b.c")), pair("password", "1234")))
        );
        // No password-like member with a value, not an object, not JSON: nothing.
        assert_eq!(login(r#"{"user":"admin","password":""}"#), None);
        assert_eq!(login(r#"{"user":"admin","password":null}"#), None);
        assert_eq!(login(r#"["password","x"]"#), None);
        assert_eq!(login("password=x"), None);
        assert_eq!(
            login(r#"{"a":{"b":{"c":{"d":{"e":{"password":"deep"}}}}}}"#),
            None
        );
    }

    #[test]
    fn json_post_login_with_outcome() {
        let body = r#"{"user":"admin","password":"Gr4fana!"}"#;
        let post = format!(
            "POST /login HTTP/1.1\r\nHost: grafana:3000\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let out = run(&[
            (C, post.as_bytes()),
            (S, b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"),
            (C, post.as_bytes()),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ]);
        assert_eq!(out.len(), 2, "{out:#?}");
        assert_eq!(out[0].mechanism, "POST JSON");
        assert_eq!(user(&out[0]), Some(&b"admin"[..]));
        assert_eq!(secret(&out[0]), b"Gr4fana!");
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[1].outcome, Outcome::Success);
        assert_eq!(out[0].detail("url"), Some("http://grafana:3000/login"));
        assert_eq!(out[0].detail("fields"), Some("user,password"));
    }

    /// An IP camera's RTSP session: DESCRIBE refused (401, no body: RTSP responses
    /// without Content-Length have none), Digest accepted with the SDP in the answer,
    /// SETUP and PLAY, interleaved RTP whose bytes look like a refusal, then a Basic
    /// login on a new DESCRIBE refused.
    #[test]
    fn rtsp_camera_logins() {
        let mut d = Http::rtsp(&config());
        let sdp = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=cam\r\nm=video 0 RTP/AVP 96\r\n";
        let ok_describe = format!(
            "RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        );
        let digest = "DESCRIBE rtsp://10.0.0.9:554/Streaming/Channels/101 RTSP/1.0\r\nCSeq: 3\r\nAuthorization: Digest username=\"admin\", realm=\"IP Camera(C6496)\", nonce=\"a1b2c3d4e5f60718\", uri=\"rtsp://10.0.0.9:554/Streaming/Channels/101\", response=\"0a4f113b1f8f1d5a8c3e9a52b8e66c1d\"\r\nUser-Agent: LibVLC/3.0.18 (LIVE555 Streaming Media v2016.11.28)\r\nAccept: application/sdp\r\n\r\n";
        // RTP whose payload reads as an acceptance, were it not passed over.
        let payload = b"\nRTSP/1.0 200 OK\r\nCSeq: 5\r\n\r\n";
        let mut rtp = vec![b'$', 0, 0, payload.len() as u8];
        rtp.extend_from_slice(payload);
        let mut out = Vec::new();
        feed_all(
            &mut d,
            &[
                (C, b"OPTIONS rtsp://10.0.0.9:554/Streaming/Channels/101 RTSP/1.0\r\nCSeq: 1\r\n\r\n"),
                (S, b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n"),
                (C, b"DESCRIBE rtsp://10.0.0.9:554/Streaming/Channels/101 RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n"),
                (S, b"RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm=\"IP Camera(C6496)\", nonce=\"a1b2c3d4e5f60718\", stale=\"FALSE\"\r\n\r\n"),
                (C, digest.as_bytes()),
                (S, ok_describe.as_bytes()),
                (C, b"PLAY rtsp://10.0.0.9:554/Streaming/Channels/101/ RTSP/1.0\r\nCSeq: 4\r\nSession: 12345678\r\n\r\n"),
                (S, b"RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: 12345678\r\n\r\n"),
                (S, &rtp),
                (C, b"DESCRIBE rtsp://10.0.0.9/live RTSP/1.0\r\nCSeq: 5\r\nAuthorization: Basic YWRtaW46MTIzNDU=\r\n\r\n"),
                (S, &rtp),
                (S, b"RTSP/1.0 401 Unauthorized\r\nCSeq: 5\r\n\r\n"),
            ],
            &mut out,
        );
        d.close(&mut out);
        let got: Vec<(&str, &str, &[u8], Outcome)> = out
            .iter()
            .map(|c| {
                (
                    c.protocol.as_ref(),
                    c.mechanism.as_ref(),
                    secret(c),
                    c.outcome,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "rtsp",
                    "Digest",
                    &b"0a4f113b1f8f1d5a8c3e9a52b8e66c1d"[..],
                    Outcome::Success
                ),
                ("rtsp", "Basic", b"12345", Outcome::Failure),
            ]
        );
        let h = out[0].hashcat.as_ref().expect("hashcat line");
        assert_eq!(
            h.hash,
            "$sip$***admin*IP Camera(C6496)*DESCRIBE**rtsp://10.0.0.9:554/Streaming/Channels/101**a1b2c3d4e5f60718****MD5*0a4f113b1f8f1d5a8c3e9a52b8e66c1d"
        );
        // HTTP's probe leaves RTSP alone, RTSP's takes it.
        assert_eq!(
            rtsp_probe(b"DESCRIBE rtsp://cam/ RTSP/1.0\r\n", b""),
            Probe::Yes
        );
        assert_eq!(rtsp_probe(b"", b"RTSP/1.0 200 OK\r\n"), Probe::Yes);
        assert_eq!(rtsp_probe(b"OPTIONS * RTSP/2.0\r\n", b""), Probe::Yes);
        assert_eq!(rtsp_probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(rtsp_probe(b"DESCRIBE rtsp://cam/ RT", b""), Probe::Maybe);
        assert_eq!(
            rtsp_probe(b"GET_PARAMETER rtsp://cam/ RTSP/1.0\r\n", b""),
            Probe::Yes
        );
        assert_eq!(rtsp_probe(b"GET rtsp://cam/ RTSP/1.0\r\n", b""), Probe::No);
    }

    /// ONVIF device calls with WS-Security: a digest token refused (401) and a text
    /// token accepted, on one connection; a SOAP call without a token gives nothing.
    #[test]
    fn soap_username_tokens() {
        let envelope = |token: &str| {
            format!(
                "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Header>{token}</s:Header><s:Body><GetDeviceInformation xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/></s:Body></s:Envelope>"
            )
        };
        let post = |body: &str| {
            format!(
                "POST /onvif/device_service HTTP/1.1\r\nHost: cam\r\nContent-Type: application/soap+xml; charset=utf-8; action=\"http://www.onvif.org/ver10/device/wsdl/GetDeviceInformation\"\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        let digest = envelope(
            r#"<Security xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><UsernameToken><Username>admin</Username><Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">tuOSpGlFlIXsozq4HFNeeGeFLEI=</Password><Nonce>LKqI6G/AikKCQrN0zqZFlg==</Nonce><Created xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">2010-09-16T07:50:45Z</Created></UsernameToken></Security>"#,
        );
        let text = envelope(
            "<wsse:Security xmlns:wsse=\"x\"><wsse:UsernameToken><wsse:Username>operator</wsse:Username><wsse:Password>Cam&amp;Pass1</wsse:Password></wsse:UsernameToken></wsse:Security>",
        );
        let none = envelope("");
        let out = run(&[
            (C, post(&digest).as_bytes()),
            (S, b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"),
            (C, post(&text).as_bytes()),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            (C, post(&none).as_bytes()),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ]);
        assert_eq!(out.len(), 2, "{out:#?}");
        assert_eq!(out[0].mechanism, "UsernameToken PasswordDigest");
        assert_eq!(out[0].kind, Kind::ChallengeResponse);
        assert_eq!(user(&out[0]), Some(&b"admin"[..]));
        assert_eq!(secret(&out[0]), b"tuOSpGlFlIXsozq4HFNeeGeFLEI=");
        assert_eq!(
            out[0].challenge.as_deref(),
            Some(&b"LKqI6G/AikKCQrN0zqZFlg=="[..])
        );
        assert_eq!(out[0].detail("created"), Some("2010-09-16T07:50:45Z"));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[1].mechanism, "UsernameToken PasswordText");
        assert_eq!(secret(&out[1]), b"Cam&Pass1");
        assert_eq!(out[1].outcome, Outcome::Success);
        assert_eq!(
            out[1].detail("url"),
            Some("http://cam/onvif/device_service")
        );
        // Refused with 400 and ONVIF's fault (the fault's body in two segments, then the
        // next call's answer); a 500 whose fault is no authentication fault judges nothing.
        let fault = |code: &str| {
            let body = format!(
                "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:ter=\"http://www.onvif.org/ver10/error\"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>{code}</s:Value></s:Subcode></s:Code></s:Fault></s:Body></s:Envelope>"
            );
            format!(
                "HTTP/1.1 {} x\r\nContent-Type: application/soap+xml\r\nContent-Length: {}\r\n\r\n{body}",
                if code.contains("Auth") { 400 } else { 500 },
                body.len()
            )
        };
        let refused = fault("ter:NotAuthorized");
        let (head, tail) = refused.split_at(refused.len() - 40);
        let broken = fault("ter:ActionNotSupported");
        let out = run(&[
            (C, post(&text).as_bytes()),
            (S, head.as_bytes()),
            (S, tail.as_bytes()),
            (C, post(&text).as_bytes()),
            (S, broken.as_bytes()),
        ]);
        let got: Vec<Outcome> = out.iter().map(|c| c.outcome).collect();
        assert_eq!(got, [Outcome::Failure, Outcome::Unknown]);
    }

    #[test]
    fn forms_without_password_field_give_nothing() {
        let body = "author=Chris+Sanders&email=chris%40example.org&comment=hi&user_token=abc";
        let post = format!(
            "POST /wp-comments-post.php HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let out = run(&[(C, post.as_bytes()), (S, b"HTTP/1.1 302 Found\r\n\r\n")]);
        assert!(out.is_empty(), "{out:#?}");
        // Not a form content type: not read.
        let body = "password=x";
        let post = format!(
            "POST /api HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        assert!(run(&[(C, post.as_bytes())]).is_empty());
        // A query string needs both fields.
        assert!(run(&[(C, b"GET /search?password=x HTTP/1.1\r\n\r\n")]).is_empty());
    }

    #[test]
    fn query_string_and_url_userinfo() {
        let out = run(&[
            (C, b"GET /login?login=admin&password=qwerty1234 HTTP/1.1\r\nHost: 192.168.56.101:1337\r\n\r\n"),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            (C, b"GET http://ftpuser:s%3Acret@files.example/pub/ HTTP/1.1\r\n\r\n"),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ]);
        assert_eq!(out.len(), 2, "{out:#?}");
        assert_eq!(out[0].mechanism, "GET query string");
        assert_eq!(user(&out[0]), Some(&b"admin"[..]));
        assert_eq!(secret(&out[0]), b"qwerty1234");
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(
            out[0].detail("url"),
            Some("http://192.168.56.101:1337/login")
        );
        assert_eq!(out[0].detail("fields"), Some("login,password"));
        assert_eq!(out[1].mechanism, "URL userinfo");
        assert_eq!(user(&out[1]), Some(&b"ftpuser"[..]));
        assert_eq!(secret(&out[1]), b"s:cret");
        assert_eq!(out[1].detail("url"), Some("http://files.example/pub/"));
    }

    #[test]
    fn repeats_without_answer_are_dropped_when_answered_before() {
        let a = basic_req(&format!("Basic {}", b64(b"test:test")));
        let out = run(&[
            (C, &a),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            (C, &a),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Success);
        // Never answered at all: reported once, unknown.
        let out = run(&[(C, &a), (C, &a)]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn body_gap_of_known_length_keeps_sync() {
        let a = basic_req(&format!("Basic {}", b64(b"g:1")));
        let mut d = Http::new(&config());
        let mut out = Vec::new();
        feed_all(
            &mut d,
            &[
                (C, b"GET /big HTTP/1.1\r\n\r\n"),
                (S, b"HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\nxxxx"),
            ],
            &mut out,
        );
        d.gap(S, 1000, &mut out);
        feed_all(&mut d, &[(S, &[b'y'; 1996]), (C, &a)], &mut out);
        d.data(
            S,
            Chunk {
                data: b"HTTP/1.1 401 No\r\nContent-Length: 0\r\n\r\n",
                frame: 9,
                ts: Timestamp::ZERO,
            },
            &mut out,
        );
        d.close(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
    }

    #[test]
    fn lost_responses_make_waiting_outcomes_unknown() {
        // The response to the first request is partly missing: which response answers
        // the second is no longer known.
        let a = basic_req(&format!("Basic {}", b64(b"l:1")));
        let mut d = Http::new(&config());
        let mut out = Vec::new();
        feed_all(&mut d, &[(C, b"GET / HTTP/1.1\r\n\r\n")], &mut out);
        d.gap(S, 1460, &mut out);
        feed_all(
            &mut d,
            &[
                (S, b"tail of a body</html>"),
                (C, &a),
                (S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            ],
            &mut out,
        );
        d.close(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        // A capture that starts in the middle of a response, nothing waiting: the next
        // response answers the next request.
        let out = run(&[
            (S, b"...end of some earlier body\r\n"),
            (C, &a),
            (S, b"HTTP/1.1 401 No\r\nContent-Length: 0\r\n\r\n"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        // Requests lost on the client side: the responses cannot be matched.
        let mut d = Http::new(&config());
        let mut out = Vec::new();
        feed_all(&mut d, &[(C, b"GET /1 HTTP/1.1\r\n\r\n")], &mut out);
        d.gap(C, 300, &mut out);
        feed_all(
            &mut d,
            &[
                (C, &a),
                (S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
                (S, b"HTTP/1.1 401 No\r\nContent-Length: 0\r\n\r\n"),
            ],
            &mut out,
        );
        d.close(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn tunnels_and_tls_end_inspection() {
        let mut d = Http::new(&config());
        let mut out = Vec::new();
        feed_all(
            &mut d,
            &[
                (
                    C,
                    b"CONNECT mail.example:443 HTTP/1.1\r\nHost: mail.example:443\r\n\r\n",
                ),
                (S, b"HTTP/1.1 200 Connection established\r\n\r\n"),
            ],
            &mut out,
        );
        assert!(d.done());
        let mut d = Http::new(&config());
        feed_all(
            &mut d,
            &[(C, b"\x16\x03\x01\x00\xa5\x01\x00\x00")],
            &mut out,
        );
        assert!(d.done());
        assert!(out.is_empty());
    }

    #[test]
    fn large_bodies_are_counted_not_buffered() {
        let mut d = Http::new(&config());
        let mut out = Vec::new();
        let big = vec![b'a'; 1 << 20];
        let head = format!(
            "POST /upload HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            big.len() * 4
        );
        feed_all(&mut d, &[(C, head.as_bytes())], &mut out);
        for _ in 0..4 {
            feed_all(&mut d, &[(C, &big)], &mut out);
            assert!(d.buffered() < 64 * 1024, "{}", d.buffered());
        }
        let resp = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", big.len());
        feed_all(&mut d, &[(S, resp.as_bytes()), (S, &big)], &mut out);
        assert!(d.buffered() < 64 * 1024, "{}", d.buffered());
        let a = basic_req(&format!("Basic {}", b64(b"after:big")));
        feed_all(&mut d, &[(C, &a)], &mut out);
        d.close(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(secret(&out[0]), b"big");
    }

    #[test]
    fn unanswered_requests_are_bounded() {
        let mut d = Http::new(&config());
        let mut out = Vec::new();
        for i in 0..200 {
            let r = basic_req(&format!("Basic {}", b64(format!("u{i}:p").as_bytes())));
            feed_all(&mut d, &[(C, &r)], &mut out);
        }
        assert!(d.pending.len() <= MAX_PENDING + 1);
        // The responses that come now cannot be matched with certainty.
        feed_all(
            &mut d,
            &[(S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")],
            &mut out,
        );
        d.close(&mut out);
        assert_eq!(out.len(), 200);
        assert!(out.iter().all(|c| c.outcome == Outcome::Unknown));
    }

    #[test]
    fn other_transfer_codings_run_until_close() {
        let a = basic_req(&format!("Basic {}", b64(b"t:e")));
        let out = run(&[
            (C, b"GET /x HTTP/1.1\r\n\r\n"),
            (
                S,
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc",
            ),
            (S, b"HTTP/1.1 401 looks like a status line, is body\r\n\r\n"),
            (C, &a),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let pieces: [&[u8]; 12] = [
            b"GET / HTTP/1.1\r\n",
            b"HTTP/1.1 200 OK\r\n",
            b"Content-Length: 5\r\n",
            b"Transfer-Encoding: chunked\r\n",
            b"\r\n",
            b"5\r\nabcde\r\n0\r\n\r\n",
            b"Authorization: Basic !!\r\n",
            b"Authorization: Digest response=\"\"\r\n",
            b"Authorization: NTLM TlRMTVNTUAADAAAA\r\n",
            b"Content-Type: application/x-www-form-urlencoded\r\n",
            b"\xff\x00\n",
            b"zz\r\n",
        ];
        for _ in 0..300 {
            let mut d = Http::new(&config());
            let mut out = Vec::new();
            for _ in 0..40 {
                let r = next();
                let p = pieces[(r % 12) as usize];
                let dir = if r & 0x100 == 0 { C } else { S };
                if r & 0xf000 == 0 {
                    d.gap(dir, r >> 40, &mut out);
                } else {
                    let cut = (r >> 20) as usize % (p.len() + 1);
                    d.data(
                        dir,
                        Chunk {
                            data: &p[..cut],
                            frame: 1,
                            ts: Timestamp::ZERO,
                        },
                        &mut out,
                    );
                    d.data(
                        dir,
                        Chunk {
                            data: &p[cut..],
                            frame: 2,
                            ts: Timestamp::ZERO,
                        },
                        &mut out,
                    );
                }
            }
            d.close(&mut out);
        }
    }

    /// The same findings however each segment of a session is cut (Suricata's
    /// `test_incomplete`): every chunk cut at every offset, fed as two pieces.
    #[test]
    fn any_split_gives_the_same_findings() {
        type Seen = (Option<Vec<u8>>, Option<Vec<u8>>, Outcome, String);
        fn go(script: &[(Direction, Vec<u8>)]) -> Vec<Seen> {
            let mut d = Http::new(&DissectorConfig::default());
            let mut out = Vec::new();
            for (dir, data) in script {
                d.data(
                    *dir,
                    Chunk {
                        data,
                        frame: 1,
                        ts: Timestamp::ZERO,
                    },
                    &mut out,
                );
            }
            d.close(&mut out);
            out.into_iter()
                .map(|c| (c.username, c.secret, c.outcome, c.mechanism.into_owned()))
                .collect()
        }
        let challenge = ntlmssp::build::challenge([9; 8]);
        let nt: Vec<u8> = [&[0xcd; 16][..], &[1, 1, 0, 0, 0, 0, 0, 0], &[3; 16]].concat();
        let auth = ntlmssp::build::authenticate("bob", "D", "W", &[0; 24], &nt);
        let script: Vec<(Direction, Vec<u8>)> = vec![
            (C, format!("GET /a HTTP/1.1\r\nHost: h\r\nAuthorization: Basic {}\r\n\r\n", b64(b"u:p:q")).into_bytes()),
            (S, b"HTTP/1.1 401 No\r\nWWW-Authenticate: Basic realm=x\r\nContent-Length: 3\r\n\r\nabc".to_vec()),
            (C, b"POST /l HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nuser=\r\nb\r\nx&pass=y%21\r\n0\r\n\r\n".to_vec()),
            (S, b"HTTP/1.1 302 Found\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n".to_vec()),
            (C, b"GET /n HTTP/1.1\r\nAuthorization: NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAFASgKAAAADw==\r\n\r\n".to_vec()),
            (S, format!("HTTP/1.1 401 No\r\nWWW-Authenticate: NTLM {}\r\nContent-Length: 0\r\n\r\n", b64(&challenge)).into_bytes()),
            (C, format!("GET /n HTTP/1.1\r\nAuthorization: NTLM {}\r\n\r\n", b64(&auth)).into_bytes()),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec()),
            (C, b"GET /q?login=a&password=b HTTP/1.1\r\nAuthorization: Bearer tok\r\n\r\n".to_vec()),
            (S, b"HTTP/1.0 200 OK\r\n\r\nuntil close".to_vec()),
        ];
        let want = go(&script);
        assert_eq!(want.len(), 5, "{want:#?}");
        for (i, (dir, data)) in script.iter().enumerate() {
            for cut in 1..data.len() {
                let mut split = script.clone();
                split[i] = (*dir, data[..cut].to_vec());
                split.insert(i + 1, (*dir, data[cut..].to_vec()));
                assert_eq!(go(&split), want, "chunk {i} cut at {cut}");
            }
        }
    }
}
