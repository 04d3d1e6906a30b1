//! The one finding type every dissector produces, and its JSON rendering with redaction.
//!
//! A dissector builds a [`Credential`] (what the protocol exposed); the engine wraps it in a
//! [`Finding`] with the flow's endpoints and the capture it came from. The JSON form is
//! documented field by field in `docs/findings.md`.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::timestamp::Timestamp;

/// What kind of secret crossed the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The password itself (or something trivially reversible to it).
    Cleartext,
    /// A challenge and the response computed from the password: crackable offline.
    ChallengeResponse,
    /// A bearer token, API key or community string.
    Token,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Cleartext => "cleartext",
            Kind::ChallengeResponse => "challenge-response",
            Kind::Token => "token",
        }
    }
}

/// Whether the server accepted the login, as shown by its reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Unknown => "unknown",
        }
    }
}

/// One side of a connection: an address and a port (0 for protocols without ports), or,
/// for link-layer protocols (PPPoE, 802.1X, 802.11), a MAC address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    /// With `mac`: the MAC's IPv6 link-local address (modified EUI-64), which tells
    /// stations apart in tables; never written out.
    pub ip: IpAddr,
    pub port: u16,
    pub mac: Option<[u8; 6]>,
}

impl Endpoint {
    pub fn new(ip: IpAddr, port: u16) -> Endpoint {
        Endpoint {
            ip,
            port,
            mac: None,
        }
    }

    /// A station of a link-layer protocol.
    pub fn mac(mac: [u8; 6]) -> Endpoint {
        let [a, b, c, d, e, f] = mac;
        let eui64 = [a ^ 0x02, b, c, 0xff, 0xfe, d, e, f];
        let mut v6 = [0u8; 16];
        v6[..2].copy_from_slice(&[0xfe, 0x80]);
        v6[8..].copy_from_slice(&eui64);
        Endpoint {
            ip: IpAddr::V6(std::net::Ipv6Addr::from(v6)),
            port: 0,
            mac: Some(mac),
        }
    }
}

/// A MAC address as `aa:bb:cc:dd:ee:ff`.
pub fn mac_string(mac: &[u8; 6]) -> String {
    let parts: Vec<String> = mac.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(mac) = &self.mac {
            return f.write_str(&mac_string(mac));
        }
        match self.ip {
            IpAddr::V4(ip) => write!(f, "{}:{}", ip, self.port),
            IpAddr::V6(ip) => write!(f, "[{}]:{}", ip, self.port),
        }
    }
}

/// A line that hashcat accepts, with its hash mode.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Hashcat {
    pub mode: u32,
    pub hash: String,
    /// The salt in the line is hex (binary salts): hashcat needs `--hex-salt`.
    pub hex_salt: bool,
}

/// A line that John the Ripper accepts, with its format (`--format=`), for what hashcat
/// has no mode for (keyed MD5 and HMAC-SHA of routing protocols).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct John {
    pub format: &'static str,
    pub hash: String,
}

/// What a dissector found: the credential and how it was carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// Application protocol, lowercase (`ftp`, `pop3`, `telnet`, ...).
    pub protocol: Cow<'static, str>,
    /// How the credential was sent within the protocol (`USER/PASS`, `APOP`, `AUTH PLAIN`).
    pub mechanism: Cow<'static, str>,
    pub kind: Kind,
    /// Exact bytes of the user name, when the protocol carries one.
    pub username: Option<Vec<u8>>,
    /// Exact bytes of the secret (password, digest, token).
    pub secret: Option<Vec<u8>>,
    pub outcome: Outcome,
    /// 1-based frame numbers of the packets that carried the user name and the secret.
    pub frames: Vec<u64>,
    /// Time of the packet that completed the credential.
    pub timestamp: Timestamp,
    /// An anonymous login (FTP `anonymous`/`ftp`).
    pub anonymous: bool,
    /// The server's challenge, for challenge-response mechanisms.
    pub challenge: Option<Vec<u8>>,
    /// A line for offline cracking.
    pub hashcat: Option<Hashcat>,
    /// A line for John the Ripper, when hashcat has no mode for the mechanism.
    pub john: Option<John>,
    /// The account's domain or realm (NTLM domain, Kerberos realm).
    pub domain: Option<Vec<u8>>,
    /// Protocol-specific facts worth keeping (workstation, realm, URL, form fields...),
    /// written as the `details` object. Never secrets.
    pub details: Vec<(&'static str, String)>,
    /// Facts about the session written as `"<name>": true` (e.g. `auth_offered_in_clear`:
    /// the server offered password mechanisms without offering TLS first).
    pub flags: Vec<&'static str>,
    /// The rule that found it (findings of data-driven detectors).
    pub rule: Option<String>,
    /// The client presents this credential again and again (HTTP Basic on every
    /// request, an SNMP community on every query): repeats are reported once.
    pub repeats: bool,
    /// With `repeats`, for a credential whose secret changes with every message (a MAC
    /// over each packet, a new conversation for each): what names the key, told apart by
    /// it rather than by the secret.
    pub repeat_key: Option<String>,
    /// The side the conversation recorded as its server sent the credential: for
    /// protocols without ports or handshake (PPP in GRE), where the first sender seen
    /// need not be the client. The finding's client and server are swapped.
    pub sent_by_server: bool,
}

impl Credential {
    /// A credential with the common fields set and the rest empty.
    pub fn new(
        protocol: &'static str,
        mechanism: impl Into<Cow<'static, str>>,
        kind: Kind,
        timestamp: Timestamp,
    ) -> Credential {
        Credential {
            protocol: Cow::Borrowed(protocol),
            mechanism: mechanism.into(),
            kind,
            username: None,
            secret: None,
            outcome: Outcome::Unknown,
            frames: Vec::new(),
            timestamp,
            anonymous: false,
            challenge: None,
            hashcat: None,
            john: None,
            domain: None,
            details: Vec::new(),
            flags: Vec::new(),
            rule: None,
            repeats: false,
            repeat_key: None,
            sent_by_server: false,
        }
    }

    /// The value of detail `key`, if the credential has it.
    pub fn detail(&self, key: &str) -> Option<&str> {
        self.details
            .iter()
            .find(|(n, _)| *n == key)
            .map(|(_, v)| v.as_str())
    }

    /// Adds frame numbers, keeping the list sorted and free of repeats.
    pub fn add_frames(&mut self, frames: impl IntoIterator<Item = u64>) {
        self.frames.extend(frames);
        self.frames.sort_unstable();
        self.frames.dedup();
    }
}

/// A credential seen on a connection of a capture: the unit of output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub credential: Credential,
    pub client: Endpoint,
    pub server: Endpoint,
    /// The capture file it came from (`-` for standard input).
    pub source: Arc<str>,
    /// The packets that carried it (its `frames`), when the engine keeps packets.
    pub packets: Vec<CapturedPacket>,
}

/// A packet kept as evidence: for the classroom view, and evidence capture files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedPacket {
    pub frame: u64,
    pub ts: Timestamp,
    pub linktype: crate::capture::LinkType,
    pub data: Vec<u8>,
    pub orig_len: u32,
}

impl CapturedPacket {
    pub fn from_packet(p: &crate::capture::Packet<'_>) -> CapturedPacket {
        CapturedPacket {
            frame: p.frame,
            ts: p.ts,
            linktype: p.linktype,
            data: p.data.to_vec(),
            orig_len: p.orig_len,
        }
    }
}

/// Serialises a finding as the documented JSON object, hiding secrets unless `reveal`.
pub struct FindingJson<'a> {
    pub finding: &'a Finding,
    pub reveal: bool,
}

struct EndpointJson<'a>(&'a Endpoint);

impl Serialize for EndpointJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Some(mac) = &self.0.mac {
            let mut m = s.serialize_map(Some(1))?;
            m.serialize_entry("mac", &mac_string(mac))?;
            return m.end();
        }
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("ip", &self.0.ip)?;
        m.serialize_entry("port", &self.0.port)?;
        m.end()
    }
}

struct HashcatJson<'a> {
    hashcat: &'a Hashcat,
    reveal: bool,
}

impl Serialize for HashcatJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("mode", &self.hashcat.mode)?;
        if self.hashcat.hex_salt {
            m.serialize_entry("options", "--hex-salt")?;
        }
        if self.reveal {
            m.serialize_entry("hash", &self.hashcat.hash)?;
        } else {
            m.serialize_entry("hash_redacted", &true)?;
        }
        m.end()
    }
}

struct JohnJson<'a> {
    john: &'a John,
    reveal: bool,
}

impl Serialize for JohnJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("format", self.john.format)?;
        if self.reveal {
            m.serialize_entry("hash", &self.john.hash)?;
        } else {
            m.serialize_entry("hash_redacted", &true)?;
        }
        m.end()
    }
}

struct DetailsJson<'a>(&'a [(&'static str, String)]);

impl Serialize for DetailsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Text form of wire bytes: the bytes themselves when they are UTF-8, otherwise a lossy
/// rendering (the exact bytes then go in a `_hex` field).
pub fn display_bytes(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

fn serialize_bytes_field<M: SerializeMap>(
    m: &mut M,
    key: &'static str,
    hex_key: &'static str,
    bytes: &[u8],
) -> Result<(), M::Error> {
    m.serialize_entry(key, &display_bytes(bytes))?;
    if std::str::from_utf8(bytes).is_err() {
        m.serialize_entry(hex_key, &hex(bytes))?;
    }
    Ok(())
}

impl Serialize for FindingJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.finding;
        let c = &f.credential;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("timestamp", &c.timestamp.to_string())?;
        m.serialize_entry("protocol", &c.protocol)?;
        m.serialize_entry("mechanism", &c.mechanism)?;
        m.serialize_entry("kind", &c.kind)?;
        m.serialize_entry("client", &EndpointJson(&f.client))?;
        m.serialize_entry("server", &EndpointJson(&f.server))?;
        if let Some(user) = &c.username {
            serialize_bytes_field(&mut m, "username", "username_hex", user)?;
        }
        if let Some(domain) = &c.domain {
            serialize_bytes_field(&mut m, "domain", "domain_hex", domain)?;
        }
        if let Some(secret) = &c.secret {
            if self.reveal {
                serialize_bytes_field(&mut m, "secret", "secret_hex", secret)?;
            } else {
                m.serialize_entry("secret_redacted", &true)?;
            }
        }
        m.serialize_entry("outcome", &c.outcome)?;
        m.serialize_entry("frames", &c.frames)?;
        m.serialize_entry("source", &*f.source)?;
        if c.anonymous {
            m.serialize_entry("anonymous", &true)?;
        }
        if let Some(challenge) = &c.challenge {
            serialize_bytes_field(&mut m, "challenge", "challenge_hex", challenge)?;
        }
        if let Some(h) = &c.hashcat {
            m.serialize_entry(
                "hashcat",
                &HashcatJson {
                    hashcat: h,
                    reveal: self.reveal,
                },
            )?;
        }
        if let Some(j) = &c.john {
            m.serialize_entry(
                "john",
                &JohnJson {
                    john: j,
                    reveal: self.reveal,
                },
            )?;
        }
        for flag in &c.flags {
            m.serialize_entry(flag, &true)?;
        }
        if let Some(rule) = &c.rule {
            m.serialize_entry("rule", rule)?;
        }
        if !c.details.is_empty() {
            m.serialize_entry("details", &DetailsJson(&c.details))?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn sample(secret: &[u8]) -> Finding {
        let mut c = Credential::new(
            "ftp",
            "USER/PASS",
            Kind::Cleartext,
            Timestamp::new(1_147_305_355, 883_271_000),
        );
        c.username = Some(b"test".to_vec());
        c.secret = Some(secret.to_vec());
        c.outcome = Outcome::Success;
        c.add_frames([14, 12, 14]);
        Finding {
            credential: c,
            client: Endpoint::new(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 211)), 1042),
            server: Endpoint::new(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 17)), 21),
            source: Arc::from("capture.pcap"),
            packets: Vec::new(),
        }
    }

    #[test]
    fn json_with_reveal_matches_documented_shape() {
        let f = sample(b"test1");
        let j = serde_json::to_string(&FindingJson {
            finding: &f,
            reveal: true,
        })
        .unwrap();
        assert_eq!(
            j,
            r#"{"timestamp":"2006-05-10T23:55:55.883271Z","protocol":"ftp","mechanism":"USER/PASS","kind":"cleartext","client":{"ip":"192.168.1.211","port":1042},"server":{"ip":"192.168.1.17","port":21},"username":"test","secret":"test1","outcome":"success","frames":[12,14],"source":"capture.pcap"}"#
        );
    }

    #[test]
    fn json_redacts_by_default() {
        let f = sample(b"test1");
        let j = serde_json::to_string(&FindingJson {
            finding: &f,
            reveal: false,
        })
        .unwrap();
        assert!(!j.contains("test1"), "{j}");
        assert!(j.contains(r#""secret_redacted":true"#), "{j}");
    }

    #[test]
    fn non_utf8_secret_keeps_exact_bytes_in_hex() {
        let f = sample(b"p\xe4ss");
        let v: serde_json::Value = serde_json::to_value(FindingJson {
            finding: &f,
            reveal: true,
        })
        .unwrap();
        assert_eq!(v["secret_hex"], "70e47373");
        assert_eq!(v["secret"], "p\u{fffd}ss");
        let f = sample("pässwort".as_bytes());
        let v: serde_json::Value = serde_json::to_value(FindingJson {
            finding: &f,
            reveal: true,
        })
        .unwrap();
        assert_eq!(v["secret"], "pässwort");
        assert!(v.get("secret_hex").is_none());
        let v: serde_json::Value = serde_json::to_value(FindingJson {
            finding: &sample(b"p\xe4ss"),
            reveal: false,
        })
        .unwrap();
        assert!(v.get("secret_hex").is_none());
    }
}
