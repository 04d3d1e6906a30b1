//! WS-Security's UsernameToken (OASIS Web Services Security UsernameToken Profile 1.0 and
//! 1.1) in a SOAP message's header: how ONVIF cameras and recorders, and many enterprise
//! SOAP services, take a user name and password.
//!
//! ```xml
//! <wsse:UsernameToken>
//!   <wsse:Username>admin</wsse:Username>
//!   <wsse:Password Type="...#PasswordDigest">base64</wsse:Password>
//!   <wsse:Nonce EncodingType="...#Base64Binary">base64</wsse:Nonce>
//!   <wsu:Created>2026-11-27T10:00:00Z</wsu:Created>
//! </wsse:UsernameToken>
//! ```
//!
//! The password is either the password itself (`#PasswordText`, the default when `Type`
//! is absent) or `Base64(SHA-1(nonce + created + password))` (`#PasswordDigest`): the
//! nonce (decoded) and the creation time are its salt, so a recorded digest can be tried
//! against passwords offline. Namespace prefixes vary (`wsse:`, none, anything a toolkit
//! chose): elements are found by their local names. This module only reads the XML; the
//! HTTP dissector frames the message and judges the outcome.

use memchr::memmem;

use super::sasl::decode_base64;
use crate::finding::{Hashcat, hex};

/// The fault codes (and subcodes) a SOAP service answers a refused token with: WS-Security
/// 1.1 (section 12) and ONVIF's.
pub const AUTHENTICATION_FAULTS: &[&[u8]] = &[
    b"FailedAuthentication",
    b"InvalidSecurityToken",
    b"FailedCheck",
    b"NotAuthorized",
];

/// A UsernameToken's fields, entities decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsernameToken {
    pub username: Vec<u8>,
    pub password: Vec<u8>,
    /// `#PasswordDigest`: `password` is the digest, as sent (base64).
    pub digest: bool,
    /// The nonce as sent (base64), and the creation time.
    pub nonce: Option<Vec<u8>>,
    pub created: Option<Vec<u8>>,
}

/// Longest salt (nonce and creation time) put in a hashcat line: hashcat's pure kernels
/// take salts of up to 256 bytes.
const MAX_SALT: usize = 256;

/// A digest token's hashcat line: mode 120, `sha1($salt.$pass)`, the salt the decoded nonce
/// and the creation time (either may be absent: empty), in hex (`--hex-salt`).
pub fn hashcat(t: &UsernameToken) -> Option<Hashcat> {
    if !t.digest {
        return None;
    }
    let digest = decode_base64(&t.password).filter(|d| d.len() == 20)?;
    let mut salt = match &t.nonce {
        Some(n) => decode_base64(n)?,
        None => Vec::new(),
    };
    salt.extend_from_slice(t.created.as_deref().unwrap_or_default());
    (salt.len() <= MAX_SALT).then(|| Hashcat {
        mode: 120,
        hash: format!("{}:{}", hex(&digest), hex(&salt)),
        hex_salt: true,
    })
}

/// The first element named `local` (any namespace prefix) in `xml`: its attributes (the
/// text of its start tag after the name) and its content. `None` when it is absent or
/// not closed.
pub fn element<'a>(xml: &'a [u8], local: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let mut from = 0;
    while let Some(i) = memmem::find(&xml[from..], local) {
        let at = from + i;
        from = at + local.len();
        // The name ends here: a start tag of this name, with or without a prefix.
        let after = *xml.get(from)?;
        if !(after == b'>' || after == b'/' || after.is_ascii_whitespace()) {
            continue;
        }
        let lt = match xml[..at].iter().rposition(|&b| b == b'<') {
            Some(lt) => lt,
            None => continue,
        };
        let qualified = &xml[lt + 1..from];
        let prefix_ok = match qualified.len() - local.len() {
            0 => true,
            n => {
                qualified[n - 1] == b':'
                    && qualified[..n - 1]
                        .iter()
                        .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
            }
        };
        if !prefix_ok {
            continue;
        }
        let gt = from + memchr::memchr(b'>', &xml[from..])?;
        let attrs = &xml[from..gt];
        if attrs.ends_with(b"/") {
            return Some((&attrs[..attrs.len() - 1], &[]));
        }
        let mut close = Vec::with_capacity(qualified.len() + 3);
        close.extend_from_slice(b"</");
        close.extend_from_slice(qualified);
        let end = gt + 1 + memmem::find(&xml[gt + 1..], &close)?;
        return Some((attrs, &xml[gt + 1..end]));
    }
    None
}

/// The value of attribute `name` (any prefix) in a start tag's attribute text.
fn attribute<'a>(attrs: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(i) = memmem::find(&attrs[from..], name) {
        let at = from + i;
        from = at + name.len();
        let before_ok = at == 0 || matches!(attrs[at - 1], b' ' | b'\t' | b'\r' | b'\n' | b':');
        let rest = attrs[from..].trim_ascii_start();
        let Some(rest) = rest.strip_prefix(b"=") else {
            continue;
        };
        if !before_ok {
            continue;
        }
        let rest = rest.trim_ascii_start();
        let quote = *rest.first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let end = memchr::memchr(quote, &rest[1..])?;
        return Some(&rest[1..1 + end]);
    }
    None
}

/// Character data with XML's predefined entities and character references decoded, and
/// a CDATA section taken as it is.
pub fn text(content: &[u8]) -> Vec<u8> {
    let content = content.trim_ascii();
    if let Some(inner) = content
        .strip_prefix(b"<![CDATA[")
        .and_then(|c| c.strip_suffix(b"]]>"))
    {
        return inner.to_vec();
    }
    let mut out = Vec::with_capacity(content.len());
    let mut rest = content;
    while let Some(i) = memchr::memchr(b'&', rest) {
        out.extend_from_slice(&rest[..i]);
        rest = &rest[i..];
        let Some(semi) = memchr::memchr(b';', &rest[..rest.len().min(12)]) else {
            out.push(b'&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded: Option<char> = match entity {
            b"amp" => Some('&'),
            b"lt" => Some('<'),
            b"gt" => Some('>'),
            b"quot" => Some('"'),
            b"apos" => Some('\''),
            _ => entity.strip_prefix(b"#").and_then(|n| {
                let n = std::str::from_utf8(n).ok()?;
                let code = match n.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => n.parse().ok()?,
                };
                char::from_u32(code)
            }),
        };
        match decoded {
            Some(c) => {
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                rest = &rest[semi + 1..];
            }
            None => {
                out.push(b'&');
                rest = &rest[1..];
            }
        }
    }
    out.extend_from_slice(rest);
    out
}

/// The UsernameToken of a SOAP message, if it has one with a user name and a password.
pub fn username_token(xml: &[u8]) -> Option<UsernameToken> {
    let (_, token) = element(xml, b"UsernameToken")?;
    let (_, username) = element(token, b"Username")?;
    let (attrs, password) = element(token, b"Password")?;
    let digest = attribute(attrs, b"Type").is_some_and(|t| t.ends_with(b"#PasswordDigest"));
    let field = |name: &[u8]| element(token, name).map(|(_, v)| text(v));
    Some(UsernameToken {
        username: text(username),
        password: text(password),
        digest,
        nonce: field(b"Nonce"),
        created: field(b"Created"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ONVIF client's request (the shape python-zeep and ONVIF Device Manager send).
    const DIGEST: &[u8] = br#"<?xml version='1.0' encoding='utf-8'?>
<soap-env:Envelope xmlns:soap-env="http://www.w3.org/2003/05/soap-envelope"><soap-env:Header><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><wsse:UsernameToken><wsse:Username>admin</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">tuOSpGlFlIXsozq4HFNeeGeFLEI=</wsse:Password><wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">LKqI6G/AikKCQrN0zqZFlg==</wsse:Nonce><wsu:Created xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">2010-09-16T07:50:45Z</wsu:Created></wsse:UsernameToken></wsse:Security></soap-env:Header><soap-env:Body><ns0:GetSystemDateAndTime xmlns:ns0="http://www.onvif.org/ver10/device/wsdl"/></soap-env:Body></soap-env:Envelope>"#;

    #[test]
    fn digest_token_with_prefixes() {
        let t = username_token(DIGEST).expect("token");
        assert_eq!(t.username, b"admin");
        assert!(t.digest);
        assert_eq!(t.password, b"tuOSpGlFlIXsozq4HFNeeGeFLEI=");
        assert_eq!(t.nonce.as_deref(), Some(&b"LKqI6G/AikKCQrN0zqZFlg=="[..]));
        assert_eq!(t.created.as_deref(), Some(&b"2010-09-16T07:50:45Z"[..]));
    }

    /// The ONVIF specification's example (password `userpassword`): the digest is SHA-1 of
    /// the decoded nonce, the creation time and the password — checked so the fields mean
    /// what the module says; and its hashcat line.
    #[test]
    fn digest_is_sha1_of_nonce_created_password() {
        use base64::Engine as _;
        use sha1::{Digest, Sha1};
        let t = username_token(DIGEST).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD;
        let nonce = b64.decode(t.nonce.clone().unwrap()).unwrap();
        // The ONVIF Core Specification's example password for this nonce and time.
        let made = Sha1::new()
            .chain_update(&nonce)
            .chain_update(t.created.clone().unwrap())
            .chain_update(b"userpassword")
            .finalize();
        assert_eq!(b64.encode(made).as_bytes(), &t.password[..]);
        let h = hashcat(&t).expect("hashcat line");
        assert_eq!((h.mode, h.hex_salt), (120, true));
        assert_eq!(
            h.hash,
            format!(
                "{}:{}{}",
                crate::finding::hex(&made),
                crate::finding::hex(&nonce),
                crate::finding::hex(b"2010-09-16T07:50:45Z")
            )
        );
        // A text token, or a digest that is not 20 bytes, has none.
        let mut text = t.clone();
        text.digest = false;
        assert_eq!(hashcat(&text), None);
        let mut short = t;
        short.password = b"AAAA".to_vec();
        assert_eq!(hashcat(&short), None);
    }

    #[test]
    fn text_token_without_prefixes_and_with_entities() {
        let xml = br#"<Envelope><Header><Security><UsernameToken Id="u1">
            <Username> svc&amp;user </Username>
            <Password>p&lt;ss&#x26;w&#48;rd</Password>
        </UsernameToken></Security></Header><Body/></Envelope>"#;
        let t = username_token(xml).expect("token");
        assert_eq!(t.username, b"svc&user");
        assert_eq!(t.password, b"p<ss&w0rd");
        assert!(!t.digest);
        assert_eq!(t.nonce, None);
    }

    #[test]
    fn other_xml_and_lookalike_names_give_nothing() {
        assert_eq!(
            username_token(b"<a><UsernameTokenX>x</UsernameTokenX></a>"),
            None
        );
        assert_eq!(
            username_token(b"<UsernameToken><Username>a</Username></UsernameToken>"),
            None,
            "no password"
        );
        assert_eq!(
            username_token(b"<UsernameToken><Username>a</Username><Password>b"),
            None
        );
        assert_eq!(
            element(
                b"<x:Passwords>no</x:Passwords><x:Password>yes</x:Password>",
                b"Password"
            ),
            Some((&b""[..], &b"yes"[..]))
        );
        assert_eq!(
            element(b"<a:b:Password>no</a:b:Password>", b"Password"),
            None
        );
    }
}
