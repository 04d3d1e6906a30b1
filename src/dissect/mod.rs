//! Dissectors: one module per application protocol. A dissector never sees packets, only
//! the ordered bytes of each direction of a flow (and the gaps in them), interleaved in
//! capture order, and reports the credentials it recognises.
//!
//! Protocol choice is by content AND port: every protocol has a probe, a pure function over
//! the first bytes of each direction, and a list of well-known ports (see [`detect`]).

pub mod amqp;
pub mod ber;
pub mod bfd;
pub mod bolt;
pub mod cassandra;
pub mod cvs;
pub mod dcerpc;
pub mod detect;
pub mod drda;
pub mod eapol;
pub mod eigrp;
pub mod framing;
pub mod ftp;
pub mod hsrp;
pub mod http;
pub mod http2;
pub mod ike;
pub mod imap;
pub mod ipmi;
pub mod irc;
pub mod iscsi;
pub mod isis;
pub mod kafka;
pub mod kerberos;
pub mod keyed;
pub mod keystrokes;
pub mod l2tp;
pub mod ldap;
pub mod lines;
pub mod managesieve;
pub mod memcached;
pub mod mongodb;
pub mod mqtt;
pub mod mysql;
pub mod nats;
pub mod nis;
pub mod nntp;
pub mod ntlmssp;
pub mod ntp;
pub mod ospf;
pub mod pop3;
pub mod poppass;
pub mod postgresql;
pub mod ppp;
pub mod prefixed;
pub mod radius;
pub mod redis;
pub mod rexec;
pub mod rip;
pub mod rlogin;
pub mod rsync;
pub mod sasl;
pub mod scram;
pub mod sip;
pub mod smb;
pub mod smpp;
pub mod smtp;
pub mod snmp;
pub mod socks;
pub mod sql;
pub mod stomp;
pub mod svn;
pub mod tacacs;
pub mod tcp_md5;
pub mod tds;
pub mod tds_rpc;
pub mod telnet;
pub mod tns;
pub mod vnc;
pub mod vrrp;
pub mod websocket;
pub mod wsse;
pub mod x11;
pub mod xmpp;
pub mod zookeeper;

use crate::finding::Credential;
use crate::flow::Direction;
use crate::timestamp::Timestamp;

/// A run of ordered stream bytes and the packet that carried them.
#[derive(Clone, Copy, Debug)]
pub struct Chunk<'a> {
    pub data: &'a [u8],
    pub frame: u64,
    pub ts: Timestamp,
}

/// The per-connection state machine of one protocol.
pub trait Dissector: Send {
    /// Ordered bytes of one direction.
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>);

    /// `len` bytes of one direction are missing from the capture.
    fn gap(&mut self, dir: Direction, len: u64, out: &mut Vec<Credential>);

    /// The connection ended (or the capture did): report what is still pending, with the
    /// outcome it has so far.
    fn close(&mut self, out: &mut Vec<Credential>);

    /// Direction `dir` ended with a FIN after every byte before it was delivered: its
    /// sender closed the connection (told just before [`Dissector::close`]). A server
    /// that hangs up without answering a login has refused it, for protocols that always
    /// answer one that succeeds.
    fn end(&mut self, dir: Direction, out: &mut Vec<Credential>) {
        let _ = (dir, out);
    }

    /// Nothing more can be found on this connection (it switched to TLS, or the login
    /// completed); the flow can stop feeding bytes.
    fn done(&self) -> bool {
        false
    }

    /// Lines longer than the line cap that were skipped.
    fn lines_too_long(&self) -> u64 {
        0
    }

    /// Bytes the dissector holds (partial lines, prompts, pending exchanges), so the
    /// engine can bound memory over all flows.
    fn buffered(&self) -> usize;

    /// How many of the next bytes of `dir` the dissector would only count (the inside of
    /// a message body it does not read). Returning `n` hands them over: the dissector
    /// counts them as read at once, and the engine passes them over without copying or
    /// delivering them (a hole among them is then no gap). The byte after them is
    /// delivered as usual.
    fn skip(&mut self, dir: Direction) -> u64 {
        let _ = dir;
        0
    }
}

/// A probe's opinion of the first bytes of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// This is the protocol.
    Yes,
    /// Not this protocol.
    No,
    /// Cannot tell yet.
    Maybe,
}

/// A protocol the scanner knows: its name, ports, probe and dissector.
#[derive(Clone, Copy)]
pub struct ProtocolSpec {
    /// The `protocol` of its findings.
    pub name: &'static str,
    /// Well-known TCP server ports.
    pub tcp_ports: &'static [u16],
    /// Looks at the first bytes sent to the server and to the client.
    pub probe: fn(to_server: &[u8], to_client: &[u8]) -> Probe,
    pub new: fn(&DissectorConfig) -> Box<dyn Dissector>,
}

/// Settings every dissector is built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DissectorConfig {
    /// Longest line a text protocol buffers; longer lines are skipped (and counted).
    pub max_line: usize,
    /// HTTP form and query-string fields that hold a user name (lowercase; matched whole
    /// or as the last part of `a[b]` / `a.b` names).
    pub form_user_fields: &'static [&'static str],
    /// HTTP form and query-string fields that hold a password (a form needs one to be a
    /// login).
    pub form_password_fields: &'static [&'static str],
    /// RADIUS shared secrets: a PAP password is shown in clear when the reply proves one
    /// of them is the client's.
    pub radius_secrets: &'static [&'static [u8]],
    /// TACACS+ keys: sessions whose START one of them decrypts are read.
    pub tacacs_keys: &'static [&'static [u8]],
}

impl Default for DissectorConfig {
    fn default() -> Self {
        DissectorConfig {
            max_line: lines::DEFAULT_MAX_LINE,
            form_user_fields: http::DEFAULT_FORM_USER_FIELDS,
            form_password_fields: http::DEFAULT_FORM_PASSWORD_FIELDS,
            radius_secrets: &[],
            tacacs_keys: &[],
        }
    }
}

impl std::fmt::Debug for ProtocolSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProtocolSpec")
            .field("name", &self.name)
            .finish()
    }
}

/// The per-conversation state machine of a protocol over UDP: one datagram at a time.
pub trait DatagramDissector: Send {
    /// One datagram's payload.
    fn datagram(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>);

    /// The conversation ended (idle, or the capture did): report what is pending.
    fn close(&mut self, out: &mut Vec<Credential>);

    /// A frame named the 802.11 network of access point `bssid` after this conversation
    /// began (WPA: what its hashcat lines need).
    fn network_named(&mut self, bssid: [u8; 6], ssid: &[u8], out: &mut Vec<Credential>) {
        let _ = (bssid, ssid, out);
    }

    /// Bytes the dissector holds.
    fn buffered(&self) -> usize {
        0
    }

    /// The addresses of a conversation carried directly over IP, told once before its
    /// first datagram: its first sender (`Direction::ToServer` comes from it) and the
    /// other (EIGRP's HMAC-SHA-256 is keyed with its sender's address).
    fn addresses(&mut self, client: std::net::IpAddr, server: std::net::IpAddr) {
        let _ = (client, server);
    }
}

/// A protocol over UDP: its name, ports, probe and dissector.
#[derive(Clone, Copy)]
pub struct DatagramSpec {
    pub name: &'static str,
    /// Well-known UDP server ports.
    pub udp_ports: &'static [u16],
    /// IP protocol numbers it is carried on directly, without UDP (OSPF 89, VRRP 112):
    /// a conversation is then the two addresses, its ports written as 0.
    pub ip_protocols: &'static [u8],
    /// Looks at the first datagram of a conversation.
    pub probe: fn(payload: &[u8]) -> Probe,
    /// Whether content alone can choose it (its probe may say Yes); a protocol read on
    /// its ports only is not probed on others (a million DNS conversations would each pay
    /// for a probe that cannot decide).
    pub by_content: bool,
    pub new: fn(&DissectorConfig) -> Box<dyn DatagramDissector>,
}

impl std::fmt::Debug for DatagramSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatagramSpec")
            .field("name", &self.name)
            .finish()
    }
}

/// Every built-in UDP protocol, in the order probes are tried.
pub fn builtin_udp() -> Vec<DatagramSpec> {
    vec![
        snmp::SPEC,
        kerberos::UDP_SPEC,
        radius::SPEC,
        sip::UDP_SPEC,
        rip::SPEC,
        hsrp::SPEC,
        ipmi::SPEC,
        ospf::SPEC,
        eigrp::SPEC,
        vrrp::SPEC,
        bfd::SPEC,
        ppp::PPTP_SPEC,
        l2tp::SPEC,
        ntp::SPEC,
        nis::SPEC,
        ike::SPEC,
    ]
}

/// Every built-in TCP protocol, in the order probes are tried.
pub fn builtin_tcp() -> Vec<ProtocolSpec> {
    vec![
        ftp::SPEC,
        pop3::SPEC,
        imap::SPEC,
        smtp::SPEC,
        telnet::SPEC,
        ldap::SPEC,
        http2::SPEC,
        http::SPEC,
        http::RTSP_SPEC,
        redis::SPEC,
        postgresql::SPEC,
        mysql::SPEC,
        tds::SPEC,
        tds::SYBASE_SPEC,
        sip::SPEC,
        smb::SPEC,
        kerberos::SPEC,
        mqtt::SPEC,
        irc::SPEC,
        nntp::SPEC,
        socks::SPEC,
        rlogin::SPEC,
        rexec::SPEC,
        poppass::SPEC,
        vnc::SPEC,
        tacacs::SPEC,
        xmpp::SPEC,
        cvs::SPEC,
        x11::SPEC,
        dcerpc::SPEC,
        amqp::SPEC,
        stomp::SPEC,
        nats::SPEC,
        kafka::SPEC,
        iscsi::SPEC,
        rsync::SPEC,
        svn::SPEC,
        managesieve::SPEC,
        memcached::SPEC,
        zookeeper::SPEC,
        smpp::SPEC,
        drda::SPEC,
        tns::SPEC,
        bolt::SPEC,
        nis::TCP_SPEC,
        mongodb::SPEC,
        cassandra::SPEC,
    ]
}

/// Shared by the dissectors' tests: a conversation played through a dissector.
#[cfg(test)]
pub(crate) mod script {
    use super::{Chunk, Credential, Dissector};
    use crate::flow::Direction;
    use crate::timestamp::Timestamp;

    /// What a test compares of each credential: mechanism, user name (empty when none),
    /// secret, outcome.
    pub type Seen<'a> = (&'a str, &'a [u8], &'a [u8], crate::finding::Outcome);

    pub fn seen(out: &[Credential]) -> Vec<Seen<'_>> {
        out.iter()
            .map(|c| {
                (
                    &*c.mechanism,
                    c.username.as_deref().unwrap_or_default(),
                    c.secret.as_deref().unwrap_or_default(),
                    c.outcome,
                )
            })
            .collect()
    }

    /// Feeds `script` to `d`, one chunk per element (frames numbered from 1), then closes
    /// it: what it reported, and whether it was done before the close.
    pub fn play<D: Dissector + ?Sized, B: AsRef<[u8]>>(
        d: &mut D,
        script: &[(Direction, B)],
    ) -> (Vec<Credential>, bool) {
        let mut out = Vec::new();
        for (i, (dir, data)) in script.iter().enumerate() {
            d.data(
                *dir,
                Chunk {
                    data: data.as_ref(),
                    frame: i as u64 + 1,
                    ts: Timestamp::ZERO,
                },
                &mut out,
            );
        }
        let done = d.done();
        d.close(&mut out);
        (out, done)
    }

    /// Feeds `script` to a datagram dissector, one datagram per element (frames numbered
    /// from 1), then closes it: what it reported.
    pub fn datagrams<D: crate::dissect::DatagramDissector + ?Sized, B: AsRef<[u8]>>(
        d: &mut D,
        script: &[(Direction, B)],
    ) -> Vec<Credential> {
        let mut out = Vec::new();
        for (i, (dir, data)) in script.iter().enumerate() {
            d.datagram(
                *dir,
                Chunk {
                    data: data.as_ref(),
                    frame: i as u64 + 1,
                    ts: Timestamp::ZERO,
                },
                &mut out,
            );
        }
        d.close(&mut out);
        out
    }

    /// The bytes of a hex string (captured messages in tests).
    pub fn unhex(s: &str) -> Vec<u8> {
        assert!(s.len().is_multiple_of(2), "odd hex length: {s}");
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    /// The mechanism, user name, secret and outcome of each credential, in order.
    pub fn summary(out: &[Credential]) -> Vec<(&str, &[u8], &[u8], crate::finding::Outcome)> {
        out.iter()
            .map(|c| {
                (
                    c.mechanism.as_ref(),
                    c.username.as_deref().unwrap_or_default(),
                    c.secret.as_deref().unwrap_or_default(),
                    c.outcome,
                )
            })
            .collect()
    }
}

/// Shared by the dissectors' "never panics on garbage" tests: mutated, cut copies of valid
/// messages fed both ways with gaps.
#[cfg(test)]
pub(crate) mod garbage {
    use super::{Chunk, Dissector};
    use crate::flow::Direction;
    use crate::timestamp::Timestamp;

    /// A xorshift generator: the same inputs on every run.
    pub struct Rng(u32);

    impl Rng {
        /// A generator from `seed` (not zero).
        pub fn new(seed: u32) -> Rng {
            Rng(seed.max(1))
        }

        pub fn next(&mut self) -> u32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 17;
            self.0 ^= self.0 << 5;
            self.0
        }
    }

    /// `rounds` connections (a new dissector each), `per_round` messages each, taken from
    /// `valid` in turn: up to three bytes overwritten, cut at a random length, sent one way
    /// or the other, and one time in seven followed by a gap of `gap` bytes. `parse` sees
    /// every mutated message (for the module's parsers), `check` each dissector once
    /// closed.
    #[allow(clippy::too_many_arguments)]
    pub fn feed<D: Dissector>(
        seed: u32,
        rounds: usize,
        per_round: usize,
        valid: &[Vec<u8>],
        mut new: impl FnMut() -> D,
        mut parse: impl FnMut(&[u8]),
        gap: impl Fn(&mut Rng) -> u64,
        mut check: impl FnMut(&D),
    ) {
        let mut rng = Rng(seed);
        for round in 0..rounds {
            let mut d = new();
            let mut out = Vec::new();
            for i in 0..per_round {
                let mut bytes = valid[(round + i) % valid.len()].clone();
                for _ in 0..(rng.next() % 4) {
                    let at = rng.next() as usize % bytes.len();
                    bytes[at] = rng.next() as u8;
                }
                let cut = rng.next() as usize % (bytes.len() + 1);
                bytes.truncate(cut);
                parse(&bytes);
                let dir = if rng.next().is_multiple_of(2) {
                    Direction::ToServer
                } else {
                    Direction::ToClient
                };
                d.data(
                    dir,
                    Chunk {
                        data: &bytes,
                        frame: 1,
                        ts: Timestamp::ZERO,
                    },
                    &mut out,
                );
                if rng.next().is_multiple_of(7) {
                    let n = gap(&mut rng);
                    d.gap(dir, n, &mut out);
                }
            }
            d.close(&mut out);
            check(&d);
        }
    }
}

#[cfg(test)]
mod split_tests {
    //! Every dissector must give the same findings however its input is cut into
    //! segments (`test_incomplete` in Suricata's parsers): each chunk of a session is cut
    //! at every offset and fed as two pieces.
    use super::*;
    use Direction::{ToClient as S, ToServer as C};

    /// User name, secret and outcome of each finding.
    type Seen = (Option<Vec<u8>>, Option<Vec<u8>>, crate::finding::Outcome);

    fn run(spec: &ProtocolSpec, script: &[(Direction, Vec<u8>)]) -> Vec<Seen> {
        let mut d = (spec.new)(&DissectorConfig::default());
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
            .map(|c| (c.username, c.secret, c.outcome))
            .collect()
    }

    fn check(spec: &ProtocolSpec, script: &[(Direction, &[u8])]) {
        let whole: Vec<(Direction, Vec<u8>)> =
            script.iter().map(|(d, b)| (*d, b.to_vec())).collect();
        let want = run(spec, &whole);
        assert!(
            !want.is_empty(),
            "{}: the script must yield findings",
            spec.name
        );
        for (i, (dir, data)) in script.iter().enumerate() {
            for cut in 1..data.len() {
                let mut split = whole.clone();
                split[i] = (*dir, data[..cut].to_vec());
                split.insert(i + 1, (*dir, data[cut..].to_vec()));
                assert_eq!(
                    run(spec, &split),
                    want,
                    "{}: chunk {i} cut at {cut}",
                    spec.name
                );
            }
        }
    }

    #[test]
    fn ftp_any_split() {
        check(
            &ftp::SPEC,
            &[
                (S, b"220-Hi\r\n220 ready\r\n"),
                (C, b"USER anonymous\r\n"),
                (S, b"331 ok\r\n"),
                (C, b"PASS me@x.org\r\n"),
                (S, b"530 no\r\n"),
                (C, b"USER bob\r\nPASS s3 cret\r\n"),
                (S, b"331 ok\r\n230-a\r\n230 in\r\n"),
            ],
        );
    }

    #[test]
    fn pop3_any_split() {
        check(
            &pop3::SPEC,
            &[
                (S, b"+OK ready <1.2@host>\r\n"),
                (C, b"APOP bob c4c9334bac560ecc979e58001b3e22fb\r\n"),
                (S, b"-ERR no\r\n"),
                (C, b"AUTH LOGIN\r\n"),
                (S, b"+ VXNlcm5hbWU6\r\n"),
                (C, b"Ym9i\r\n"),
                (S, b"+ UGFzc3dvcmQ6\r\n"),
                (C, b"c2VjcmV0\r\n"),
                (S, b"+OK in\r\n"),
            ],
        );
    }

    #[test]
    fn imap_any_split() {
        check(
            &imap::SPEC,
            &[
                (S, b"* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n"),
                (C, b"a1 LOGIN \"j\\\"o\" {4}\r\n"),
                (S, b"+ go\r\n"),
                (C, b"p w\n\r\n"),
                (S, b"* 1 EXISTS\r\na1 NO bad\r\n"),
                (C, b"a2 AUTHENTICATE PLAIN\r\n"),
                (S, b"+ \r\n"),
                (C, b"AHRpbQB0YW5zdGFhZg==\r\n"),
                (S, b"a2 OK in\r\n"),
            ],
        );
    }

    #[test]
    fn telnet_any_split() {
        check(
            &telnet::SPEC,
            &[
                (
                    S,
                    b"\xff\xfd\x18\xff\xfb\x01\xff\xfa\x18\x01\xff\xf0Welcome\r\nlogin: ",
                ),
                (C, b"\xff\xfb\x18\xff\xfa\x18\x00xterm\xff\xf0root\r\n"),
                (S, b"\r\nPassword: "),
                (C, b"to\x7fxor\xff\xff\r\0"),
                (S, b"\r\nLogin incorrect\r\nlogin: "),
                (C, b"root\r\n"),
                (S, b"Password: "),
                (C, b"toor\r\n"),
                (S, b"\r\nLast login: today\r\n# "),
            ],
        );
    }

    #[test]
    fn mqtt_any_split() {
        use mqtt::build::{ConnectSpec, auth, connack, connect, prop_bytes};
        let c = connect(&ConnectSpec {
            level: 5,
            client_id: b"split",
            username: Some(b"u"),
            password: Some(b"p\xffw"),
            will: Some((b"t", b"w")),
            properties: vec![prop_bytes(0x15, b"PLAIN"), prop_bytes(0x16, b"\0a\0b")],
        });
        check(
            &mqtt::SPEC,
            &[
                (C, &c),
                (S, &auth(0x18, &[prop_bytes(0x15, b"PLAIN")])),
                (S, &connack(5, 0x86, &[prop_bytes(0x1f, b"no")])),
            ],
        );
    }

    #[test]
    fn irc_any_split() {
        check(
            &irc::SPEC,
            &[
                (C, b"CAP LS\r\nPASS pw\r\nNICK tim\r\nUSER t 0 * :T\r\n"),
                (S, b":srv 001 tim :Welcome\r\n"),
                (C, b"OPER tim bad\r\nPRIVMSG NickServ :IDENTIFY ns-pw\r\n"),
                (
                    S,
                    b":srv 491 tim :No\r\n:NickServ!s@h NOTICE tim :Password accepted\r\n",
                ),
                (C, b"JOIN #a key\r\n"),
                (S, b":srv 475 tim #a :bad key\r\n"),
            ],
        );
    }

    #[test]
    fn nntp_any_split() {
        check(
            &nntp::SPEC,
            &[
                (S, b"200 news ready\r\n"),
                (C, b"AUTHINFO USER u\r\n"),
                (S, b"381 more\r\n"),
                (C, b"AUTHINFO PASS p w\r\n"),
                (S, b"481 no\r\n"),
                (C, b"AUTHINFO SASL PLAIN\r\n"),
                (S, b"383 =\r\n"),
                (C, b"AHRpbQB0YW5zdGFhZg==\r\n"),
                (S, b"281 ok\r\n"),
            ],
        );
    }

    #[test]
    fn cvs_any_split() {
        check(
            &cvs::SPEC,
            &[
                (
                    C,
                    b"BEGIN AUTH REQUEST\n/srv/cvs\nbob\nA!ra\nEND AUTH REQUEST\n",
                ),
                (S, b"E note\nI LOVE YOU\n"),
            ],
        );
    }

    #[test]
    fn rsync_any_split() {
        check(
            &rsync::SPEC,
            &[
                (S, b"@RSYNCD: 32.0 sha512 md5\nhello\n"),
                (C, b"@RSYNCD: 32.0 sha512 md5\nmod\n"),
                (S, b"@RSYNCD: AUTHREQD Y2hhbGxlbmdl\n"),
                (C, b"alice AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"),
                (S, b"@RSYNCD: OK\n"),
            ],
        );
    }

    #[test]
    fn svn_any_split() {
        check(
            &svn::SPEC,
            &[
                (S, b"( success ( 2 2 ( ) ( edit-pipeline ) ) ) "),
                (C, b"( 2 ( edit-pipeline ) 18:svn://host/repo/x ) "),
                (S, b"( success ( ( CRAM-MD5 ) 4:Repo ) ) "),
                (C, b"( CRAM-MD5 ( ) ) "),
                (S, b"( step ( 11:<1.2@host> ) ) "),
                (C, b"38:alice 87ae782c4d178a678afa84eafbbd857f "),
                (S, b"( success ( ) ) "),
            ],
        );
    }

    #[test]
    fn managesieve_any_split() {
        check(
            &managesieve::SPEC,
            &[
                (
                    S,
                    b"\"IMPLEMENTATION\" \"Dovecot\"\r\n\"SASL\" \"PLAIN LOGIN\"\r\nOK\r\n",
                ),
                (C, b"AUTHENTICATE \"LOGIN\"\r\n"),
                (S, b"\"VXNlcm5hbWU6\"\r\n"),
                (C, b"{4+}\r\nYm9i\r\n"),
                (S, b"{12}\r\nUGFzc3dvcmQ6\r\n"),
                (C, b"\"c2VjcmV0\"\r\n"),
                (S, b"OK \"Logged in.\"\r\n"),
            ],
        );
    }

    #[test]
    fn x11_any_split() {
        check(
            &x11::SPEC,
            &[
                (
                    C,
                    &x11::build::setup(b'l', x11::MIT_MAGIC_COOKIE, &[0x5a; 16]),
                ),
                (S, &x11::build::failed(b"No protocol specified\n")),
            ],
        );
    }

    #[test]
    fn socks_any_split() {
        check(
            &socks::SPEC,
            &[
                (C, b"\x05\x02\x00\x02"),
                (S, b"\x05\x02"),
                (C, b"\x01\x03bob\x05alice"),
                (S, b"\x01\x00"),
                (C, b"\x05\x01\x00\x03\x0bexample.org\x00\x50"),
                (S, b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"),
            ],
        );
    }

    #[test]
    fn rexec_any_split() {
        check(
            &rexec::SPEC,
            &[
                (C, b"1023\0alice\0pa55 word\0ls -l /tmp\0"),
                (S, b"\x01Login incorrect.\n"),
            ],
        );
    }

    #[test]
    fn poppass_any_split() {
        check(
            &poppass::SPEC,
            &[
                (S, b"200 poppassd v1.8.5 hello, who are you?\r\n"),
                (C, b"user alice\r\n"),
                (S, b"200 Your password please.\r\n"),
                (C, b"pass old pw\r\n"),
                (S, b"200 Your new password please.\r\n"),
                (C, b"newpass n3w\r\n"),
                (S, b"500 Bad password.\r\n"),
            ],
        );
    }

    #[test]
    fn memcached_any_split() {
        use memcached::build::{request, response};
        use memcached::{SASL_AUTH, SASL_STEP};
        let binary = [
            (C, request(SASL_AUTH, b"CRAM-MD5", b"")),
            (
                S,
                response(SASL_AUTH, memcached::STATUS_AUTH_CONTINUE, b"<1.2@host>"),
            ),
            (C, request(SASL_STEP, b"CRAM-MD5", b"mc 0123456789abcdef")),
            (S, response(SASL_STEP, memcached::STATUS_AUTH_ERROR, b"")),
            (C, request(SASL_AUTH, b"PLAIN", b"\0mc\0pw")),
            (S, response(SASL_AUTH, memcached::STATUS_SUCCESS, b"")),
        ];
        let binary: Vec<(Direction, &[u8])> = binary.iter().map(|(d, b)| (*d, &b[..])).collect();
        check(&memcached::SPEC, &binary);
        check(
            &memcached::SPEC,
            &[
                (C, b"get k\r\n"),
                (S, b"CLIENT_ERROR unauthenticated\r\n"),
                (C, b"set k 0 0 9\r\nasc wrong\r\n"),
                (S, b"CLIENT_ERROR authentication failure\r\n"),
            ],
        );
    }

    #[test]
    fn zookeeper_any_split() {
        use zookeeper::build::{auth, connect_request, connect_response, create, reply, request};
        use zookeeper::{AUTH_XID, OP_AUTH, OP_CREATE};
        let acl = "u:mmRnm3Q742LDeHiWvW5mAKUPIhY=";
        let script = [
            (C, connect_request()),
            (S, connect_response()),
            (C, request(AUTH_XID, OP_AUTH, &auth("digest", b"u:pw"))),
            (S, reply(AUTH_XID, zookeeper::AUTH_FAILED, b"")),
            (
                C,
                request(1, OP_CREATE, &create("/n", b"v", &[("digest", acl)])),
            ),
        ];
        let script: Vec<(Direction, &[u8])> = script.iter().map(|(d, b)| (*d, &b[..])).collect();
        check(&zookeeper::SPEC, &script);
    }

    #[test]
    fn rlogin_any_split() {
        check(
            &rlogin::SPEC,
            &[
                (C, b"\0alice\0root\0xterm/38400\0"),
                (S, b"\0\x80Password: "),
                (C, b"\xff\xffss\0\x18\0\x50\0\0\0\0wrong\r"),
                (S, b"\r\nLogin incorrect\r\nlogin: "),
                (C, b"root\r"),
                (S, b"root\r\nPassword: "),
                (C, b"r00x\x7ft\r"),
                (S, b"\r\nLast login: today\r\n# "),
            ],
        );
    }

    #[test]
    fn vnc_any_split() {
        check(
            &vnc::SPEC,
            &[
                (S, b"RFB 003.008\n"),
                (C, b"RFB 003.008\n"),
                (S, b"\x02\x02\x13"),
                (C, b"\x02"),
                (S, b"0123456789abcdef"),
                (C, b"fedcba9876543210"),
                (S, b"\0\0\0\x01\0\0\0\x06failed"),
            ],
        );
    }
}
