//! LDAP and SNMP captures of the project: how each is generated, and what plainsight must
//! find in it (the same conventions as `fixtures.rs`). To regenerate after changing a
//! generator:
//!
//! ```text
//! PLAINSIGHT_REGENERATE_FIXTURES=1 cargo test --test it ldap_snmp_fixtures_are_what
//! ```

use std::net::SocketAddr;

use md4::{Digest, Md4};

use plainsight::capture::PcapWriter;
use plainsight::dissect::ber::build::tlv;
use plainsight::dissect::ldap::{START_TLS_OID, build as ldap};
use plainsight::dissect::ntlmssp;
use plainsight::dissect::snmp::build as snmp;
use plainsight::synth::{Link, SynthPacket, TcpConversation, udp_packet};
use plainsight::timestamp::Timestamp;

use crate::fixtures::{Fixture, assert_expected, assert_generated};
use crate::support::hmac_md5;
use crate::support::{Expect, fixture, leak, scan};

fn sa(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

fn at(secs: i64) -> Timestamp {
    Timestamp::new(secs, 0)
}

/// A little-endian microsecond Ethernet pcap of `packets`, in time order.
fn pcap(mut packets: Vec<SynthPacket>) -> Vec<u8> {
    packets.sort_by_key(|p| p.ts);
    let mut w = PcapWriter::new(Vec::new(), Link::Ethernet.linktype(), 65535, false, false)
        .expect("header");
    for p in &packets {
        let f = Link::Ethernet.frame(&p.ip);
        w.write(p.ts, &f, f.len() as u32).expect("record");
    }
    w.into_inner()
}

fn conversations(cs: Vec<TcpConversation>) -> Vec<SynthPacket> {
    cs.into_iter()
        .flat_map(TcpConversation::into_packets)
        .collect()
}

/// One UDP datagram at `ts`.
fn udp(ts: Timestamp, src: &str, dst: &str, payload: &[u8]) -> SynthPacket {
    SynthPacket {
        ts,
        ip: udp_packet(sa(src), sa(dst), payload),
    }
}

fn ms(secs: i64, millis: u64) -> Timestamp {
    Timestamp::new(secs, millis * 1_000_000)
}

// ---- LDAP ---------------------------------------------------------------------------

const ADMIN_DN: &str = "cn=admin,dc=example,dc=org";
const AD_DIAGNOSTIC: &[u8] =
    b"80090308: LdapErr: DSID-0C090447, comment: AcceptSecurityContext error, data 52e, v3839";

fn ldap_simple(client: &str, server: &str) -> Expect {
    Expect {
        protocol: "ldap",
        mechanism: "simple bind",
        kind: "cleartext",
        client: leak(client),
        server: leak(server),
        ..Expect::default()
    }
}

/// Simple binds: a wrong password (49, Active Directory's diagnostic), the right one, a
/// search; a UPN bind to a Global Catalog (3268) on another connection.
fn ldap_simple_bind() -> Vec<u8> {
    let mut a = TcpConversation::new(sa("10.20.0.5:40100"), sa("10.20.0.1:389"))
        .without_acks()
        .starting_at(at(1_700_100_000));
    a.handshake()
        .client(&ldap::simple_bind(1, ADMIN_DN.as_bytes(), b"wrong-pass"))
        .server(&ldap::bind_response(1, 49, b"", AD_DIAGNOSTIC, None))
        .client(&ldap::simple_bind(2, ADMIN_DN.as_bytes(), b"Adm1n!secret"))
        .server(&ldap::bind_response(2, 0, b"", b"", None))
        .client(&ldap::search(3, b"dc=example,dc=org"))
        .server(&ldap::search_done(3))
        .client(&ldap::unbind(4))
        .close();
    let mut b = TcpConversation::new(sa("10.20.0.6:40101"), sa("10.20.0.2:3268"))
        .without_acks()
        .starting_at(at(1_700_100_010));
    b.handshake()
        .client(&ldap::simple_bind(1, b"bob@example.org", b"gc-Passw0rd"))
        .server(&ldap::bind_response(1, 0, b"", b"", None))
        .close();
    pcap(conversations(vec![a, b]))
}

fn ldap_simple_bind_expected() -> Vec<Expect> {
    let a = ldap_simple("10.20.0.5:40100", "10.20.0.1:389");
    vec![
        Expect {
            username: Some(ADMIN_DN),
            secret: "wrong-pass",
            outcome: "failure",
            frame: Some(4),
            ..a.clone()
        },
        Expect {
            username: Some(ADMIN_DN),
            secret: "Adm1n!secret",
            outcome: "success",
            frame: Some(6),
            ..a
        },
        Expect {
            username: Some("bob@example.org"),
            secret: "gc-Passw0rd",
            outcome: "success",
            frame: Some(13 + 4), // after the 13 packets of the first connection
            ..ldap_simple("10.20.0.6:40101", "10.20.0.2:3268")
        },
    ]
}

/// A bind cut in three segments; a search and a bind in one segment, their responses in
/// one segment.
fn ldap_segmented() -> Vec<u8> {
    let bind = ldap::simple_bind(1, b"uid=alice,ou=people,dc=example,dc=org", b"split-in-3");
    let mut c = TcpConversation::new(sa("10.20.1.5:40200"), sa("10.20.1.1:389"))
        .without_acks()
        .starting_at(at(1_700_100_100));
    c.handshake()
        .client(&bind[..7])
        .client(&bind[7..20])
        .client(&bind[20..])
        .server(&ldap::bind_response(1, 0, b"", b"", None))
        .client(
            &[
                ldap::search(2, b"dc=example,dc=org"),
                ldap::simple_bind(3, b"uid=carol,ou=people,dc=example,dc=org", b"c4rol-pw"),
            ]
            .concat(),
        )
        .server(
            &[
                ldap::search_done(2),
                ldap::bind_response(3, 49, b"", b"", None),
            ]
            .concat(),
        )
        .close();
    pcap(c.into_packets())
}

fn ldap_segmented_expected() -> Vec<Expect> {
    let e = ldap_simple("10.20.1.5:40200", "10.20.1.1:389");
    vec![
        Expect {
            username: Some("uid=alice,ou=people,dc=example,dc=org"),
            secret: "split-in-3",
            outcome: "success",
            frame: Some(5),
            ..e.clone()
        },
        Expect {
            username: Some("uid=carol,ou=people,dc=example,dc=org"),
            secret: "c4rol-pw",
            outcome: "failure",
            frame: Some(8),
            ..e
        },
    ]
}

/// LDAP on a port no protocol is expected on (ApacheDS's 10389): found by content.
fn ldap_port10389() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("192.0.2.50:51389"), sa("192.0.2.60:10389"))
        .starting_at(at(1_700_100_200));
    c.handshake()
        .client(&ldap::simple_bind(1, b"uid=admin,ou=system", b"secret"))
        .server(&ldap::bind_response(1, 0, b"", b"", None))
        .close();
    pcap(c.into_packets())
}

fn ldap_port10389_expected() -> Vec<Expect> {
    vec![Expect {
        username: Some("uid=admin,ou=system"),
        secret: "secret",
        outcome: "success",
        ..ldap_simple("192.0.2.50:51389", "192.0.2.60:10389")
    }]
}

/// An anonymous bind and a search, then an "unauthenticated" bind (a name, no password)
/// that the server refuses: no credential.
fn ldap_anonymous() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.20.2.5:40300"), sa("10.20.2.1:389"))
        .starting_at(at(1_700_100_300));
    c.handshake()
        .client(&ldap::simple_bind(1, b"", b""))
        .server(&ldap::bind_response(1, 0, b"", b"", None))
        .client(&ldap::search(2, b""))
        .server(&ldap::search_done(2))
        .client(&ldap::simple_bind(3, b"cn=nobody,dc=example,dc=org", b""))
        .server(&ldap::bind_response(
            3,
            53,
            b"",
            b"unauthenticated bind (DN with no password) disallowed",
            None,
        ))
        .client(&ldap::unbind(4))
        .close();
    pcap(c.into_packets())
}

/// SASL PLAIN with an authorization identity.
fn ldap_sasl_plain() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.20.3.5:40400"), sa("10.20.3.1:389"))
        .starting_at(at(1_700_100_400));
    c.handshake()
        .client(&ldap::sasl_bind(
            1,
            b"PLAIN",
            Some(b"u:admin\0dave\0Pl41n-pw"),
        ))
        .server(&ldap::bind_response(1, 0, b"", b"", None))
        .close();
    pcap(c.into_packets())
}

fn ldap_sasl_plain_expected() -> Vec<Expect> {
    vec![Expect {
        mechanism: "SASL PLAIN",
        username: Some("dave"),
        secret: "Pl41n-pw",
        outcome: "success",
        ..ldap_simple("10.20.3.5:40400", "10.20.3.1:389")
    }]
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An NTLMv2 exchange computed for a password (MS-NLMP 3.3.2): the AUTHENTICATE message
/// and the hashcat 5600 line that must come out of it.
struct Ntlm {
    authenticate: Vec<u8>,
    hashcat: String,
    nt_response_hex: String,
}

fn ntlmv2(user: &str, domain: &str, password: &str, challenge: [u8; 8], seed: u8) -> Ntlm {
    let blob: Vec<u8> = [
        &[1u8, 1, 0, 0, 0, 0, 0, 0][..],
        &[0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0x01], // timestamp
        &[seed; 8],                                        // client challenge
        &[0; 4],
        &[0; 4],
    ]
    .concat();
    let nt_hash = Md4::digest(utf16(password));
    let ntowf = hmac_md5(&nt_hash, &[&utf16(&(user.to_uppercase() + domain))]);
    let proof = hmac_md5(&ntowf, &[&challenge, &blob]);
    let nt = [proof.clone(), blob.clone()].concat();
    Ntlm {
        authenticate: ntlmssp::build::authenticate(user, domain, "WS-7", &[0; 24], &nt),
        hashcat: format!(
            "{user}::{domain}:{}:{}:{}",
            hex(&challenge),
            hex(&proof),
            hex(&blob)
        ),
        nt_response_hex: hex(&nt),
    }
}

fn ntlm_negotiate() -> Vec<u8> {
    let mut m = b"NTLMSSP\0".to_vec();
    m.extend_from_slice(&1u32.to_le_bytes());
    m.extend_from_slice(&0xa088_0205u32.to_le_bytes());
    m.extend_from_slice(&[0; 16]);
    m
}

const SICILY_CHALLENGE: [u8; 8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
const SPNEGO_CHALLENGE: [u8; 8] = [0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18];

fn sicily_ntlm() -> Ntlm {
    ntlmv2("alice", "CORP", "Sicily-Pass1", SICILY_CHALLENGE, 0x5a)
}

fn spnego_ntlm() -> Ntlm {
    ntlmv2("bob", "CORP", "not-bobs-password", SPNEGO_CHALLENGE, 0x3c)
}

/// The NTLM OID (1.3.6.1.4.1.311.2.2.10) and SPNEGO's (1.3.6.1.5.5.2).
const NTLM_OID: &[u8] = &[0x2b, 6, 1, 4, 1, 0x82, 0x37, 2, 2, 10];
const SPNEGO_OID: &[u8] = &[0x2b, 6, 1, 5, 5, 2];

/// NegTokenInit (RFC 4178) offering NTLM with its first token.
fn spnego_init(token: &[u8]) -> Vec<u8> {
    let mech_types = tlv(0xa0, &tlv(0x30, &tlv(0x06, NTLM_OID)));
    let mech_token = tlv(0xa2, &tlv(0x04, token));
    let init = tlv(0xa0, &tlv(0x30, &[mech_types, mech_token].concat()));
    tlv(0x60, &[tlv(0x06, SPNEGO_OID), init].concat())
}

/// NegTokenResp with a token (and, from the server, the accept-incomplete state).
fn spnego_resp(token: &[u8], from_server: bool) -> Vec<u8> {
    let mut body = Vec::new();
    if from_server {
        body.extend_from_slice(&tlv(0xa0, &[0x0a, 0x01, 0x01]));
        body.extend_from_slice(&tlv(0xa1, &tlv(0x06, NTLM_OID)));
    }
    body.extend_from_slice(&tlv(0xa2, &tlv(0x04, token)));
    tlv(0xa1, &tlv(0x30, &body))
}

/// NTLM binds: Microsoft's sicily bind (the CHALLENGE in matchedDN) that succeeds, and a
/// SASL GSS-SPNEGO bind (the CHALLENGE in serverSaslCreds) that fails.
fn ldap_ntlm() -> Vec<u8> {
    let mut a = TcpConversation::new(sa("10.20.4.5:40500"), sa("10.20.4.1:389"))
        .starting_at(at(1_700_100_500));
    a.handshake()
        .client(&ldap::sicily_bind(7, b"alice", 10, &ntlm_negotiate()))
        .server(&ldap::bind_response(
            7,
            0,
            &ntlmssp::build::challenge(SICILY_CHALLENGE),
            b"",
            None,
        ))
        .client(&ldap::sicily_bind(
            8,
            b"alice",
            11,
            &sicily_ntlm().authenticate,
        ))
        .server(&ldap::bind_response(8, 0, b"", b"", None))
        .close();
    let mut b = TcpConversation::new(sa("10.20.4.6:40501"), sa("10.20.4.1:389"))
        .starting_at(at(1_700_100_510));
    b.handshake()
        .client(&ldap::sasl_bind(
            1,
            b"GSS-SPNEGO",
            Some(&spnego_init(&ntlm_negotiate())),
        ))
        .server(&ldap::bind_response(
            1,
            14,
            b"",
            b"",
            Some(&spnego_resp(
                &ntlmssp::build::challenge(SPNEGO_CHALLENGE),
                true,
            )),
        ))
        .client(&ldap::sasl_bind(
            2,
            b"GSS-SPNEGO",
            Some(&spnego_resp(&spnego_ntlm().authenticate, false)),
        ))
        .server(&ldap::bind_response(2, 49, b"", AD_DIAGNOSTIC, None))
        .close();
    pcap(conversations(vec![a, b]))
}

fn ldap_ntlm_expected() -> Vec<Expect> {
    let (a, b) = (sicily_ntlm(), spnego_ntlm());
    vec![
        Expect {
            protocol: "ldap",
            mechanism: "sicily NTLM (NetNTLMv2)",
            kind: "challenge-response",
            client: "10.20.4.5:40500",
            server: "10.20.4.1:389",
            username: Some("alice"),
            secret: leak(&a.nt_response_hex),
            outcome: "success",
            challenge: Some(leak(hex(&SICILY_CHALLENGE))),
            hashcat: Some((5600, leak(&a.hashcat))),
            ..Expect::default()
        },
        Expect {
            protocol: "ldap",
            mechanism: "SASL GSS-SPNEGO NTLM (NetNTLMv2)",
            kind: "challenge-response",
            client: "10.20.4.6:40501",
            server: "10.20.4.1:389",
            username: Some("bob"),
            secret: leak(&b.nt_response_hex),
            outcome: "failure",
            challenge: Some(leak(hex(&SPNEGO_CHALLENGE))),
            hashcat: Some((5600, leak(&b.hashcat))),
            ..Expect::default()
        },
    ]
}

/// StartTLS accepted, then TLS; inside it, bytes that would read as a simple bind in the
/// clear: nothing to report.
fn ldap_starttls() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.20.5.5:40600"), sa("10.20.5.1:389"))
        .starting_at(at(1_700_100_600));
    c.handshake()
        .client(&ldap::extended(1, START_TLS_OID))
        .server(&ldap::extended_response(1, 0))
        .client(b"\x16\x03\x01\x00\x2a\x01\x00\x00\x26\x03\x03")
        .server(b"\x16\x03\x03\x00\x31\x02\x00\x00\x2d\x03\x03")
        .client(&ldap::simple_bind(2, b"cn=hidden", b"inside-tls"))
        .server(&ldap::bind_response(2, 0, b"", b"", None))
        .close();
    pcap(c.into_packets())
}

// ---- SNMP ---------------------------------------------------------------------------

fn community(client: &str, server: &str, secret: &'static str, outcome: &'static str) -> Expect {
    Expect {
        protocol: "snmp",
        mechanism: "community",
        kind: "cleartext",
        client: leak(client),
        server: leak(server),
        username: None,
        secret,
        outcome,
        ..Expect::default()
    }
}

/// An SNMPv1 get answered by the agent.
fn snmp_v1_get() -> Vec<u8> {
    let (c, s) = ("10.30.0.5:50001", "10.30.0.1:161");
    pcap(vec![
        udp(
            ms(1_700_200_000, 0),
            c,
            s,
            &snmp::message(0, b"public", 0, 1001, 0),
        ),
        udp(
            ms(1_700_200_000, 2),
            s,
            c,
            &snmp::message(0, b"public", 2, 1001, 0),
        ),
    ])
}

fn snmp_v1_get_expected() -> Vec<Expect> {
    vec![Expect {
        frame: Some(1),
        ..community("10.30.0.5:50001", "10.30.0.1:161", "public", "success")
    }]
}

/// An SNMPv2c get with a community the agent does not know: no response (the request is
/// sent again after a second, same request-id).
fn snmp_v2c_noresponse() -> Vec<u8> {
    let (c, s) = ("10.30.1.5:50002", "10.30.1.1:161");
    let get = snmp::message(1, b"n0-answer", 0, 424_242, 0);
    pcap(vec![
        udp(ms(1_700_200_100, 0), c, s, &get),
        udp(ms(1_700_200_101, 0), c, s, &get),
    ])
}

fn snmp_v2c_noresponse_expected() -> Vec<Expect> {
    vec![community(
        "10.30.1.5:50002",
        "10.30.1.1:161",
        "n0-answer",
        "unknown",
    )]
}

/// The same community from five source ports (a poller opening a socket per query), each
/// answered: reported once, for the first client port.
fn snmp_repeated() -> Vec<u8> {
    let s = "10.30.2.1:161";
    let mut packets = Vec::new();
    for i in 0..5u16 {
        let c = format!("10.30.2.5:{}", 50010 + i);
        let id = 7000 + i64::from(i);
        let t = 1_700_200_200 + i64::from(i);
        let pdu = if i % 2 == 0 { 0 } else { 1 };
        packets.push(udp(
            ms(t, 0),
            &c,
            s,
            &snmp::message(1, b"c0mmunity!", pdu, id, 0),
        ));
        packets.push(udp(
            ms(t, 1),
            s,
            &c,
            &snmp::message(1, b"c0mmunity!", 2, id, 0),
        ));
    }
    pcap(packets)
}

fn snmp_repeated_expected() -> Vec<Expect> {
    vec![Expect {
        frame: Some(1),
        ..community("10.30.2.5:50010", "10.30.2.1:161", "c0mmunity!", "success")
    }]
}

/// An agent's notifications to its manager (UDP 162): a v1 trap sent twice (reported
/// once), an SNMPv2-Trap, and an InformRequest the manager acknowledges.
fn snmp_trap() -> Vec<u8> {
    let (c, s) = ("10.30.3.7:1050", "10.30.3.1:162");
    pcap(vec![
        udp(ms(1_700_200_300, 0), c, s, &snmp::trap_v1(b"public")),
        udp(ms(1_700_200_301, 0), c, s, &snmp::trap_v1(b"public")),
        udp(
            ms(1_700_200_302, 0),
            c,
            s,
            &snmp::message(1, b"trap-v2c", 7, 31, 0),
        ),
        udp(
            ms(1_700_200_303, 0),
            c,
            s,
            &snmp::message(1, b"inf0rm", 6, 32, 0),
        ),
        udp(
            ms(1_700_200_303, 5),
            s,
            c,
            &snmp::message(1, b"inf0rm", 2, 32, 0),
        ),
    ])
}

fn snmp_trap_expected() -> Vec<Expect> {
    let (c, s) = ("10.30.3.7:1050", "10.30.3.1:162");
    vec![
        Expect {
            frame: Some(1),
            ..community(c, s, "public", "unknown")
        },
        Expect {
            frame: Some(3),
            ..community(c, s, "trap-v2c", "unknown")
        },
        Expect {
            frame: Some(4),
            ..community(c, s, "inf0rm", "success")
        },
    ]
}

/// UDP to port 161 that is not SNMP (a DNS query, text, a truncated message), and a DNS
/// query whose ID makes it begin like a BER SEQUENCE: nothing.
fn snmp_not_snmp() -> Vec<u8> {
    let dns: &[u8] =
        b"\x30\x39\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03org\x00\x00\x01\x00\x01";
    let get = snmp::message(1, b"cut-short", 0, 5, 0);
    pcap(vec![
        udp(
            ms(1_700_200_400, 0),
            "10.30.4.5:50100",
            "10.30.4.1:161",
            dns,
        ),
        udp(
            ms(1_700_200_401, 0),
            "10.30.4.5:50101",
            "10.30.4.1:161",
            b"public public public",
        ),
        udp(
            ms(1_700_200_402, 0),
            "10.30.4.5:50102",
            "10.30.4.1:161",
            &get[..get.len() - 4],
        ),
        udp(
            ms(1_700_200_403, 0),
            "10.30.4.5:50103",
            "10.30.4.53:53",
            dns,
        ),
    ])
}

/// Passwords written, not presented: `ldappasswd`'s Password Modify (old and new, then one
/// the server generates, for the identity bound); Active Directory's change by an
/// administrator's tool (the old value deleted and the new added as quoted UTF-16LE
/// `unicodePwd`, refused with constraintViolation) and reset (replace, accepted); an
/// entry added with a `{SSHA}` userPassword and a `sambaNTPassword`.
fn ldap_password_writes() -> Vec<u8> {
    let ann = b"uid=ann,ou=people,dc=example,dc=org";
    let mut a = TcpConversation::new(sa("10.20.3.5:40300"), sa("10.20.3.1:389"))
        .without_acks()
        .starting_at(at(1_700_100_300));
    a.handshake()
        .client(&ldap::simple_bind(1, ann, b"Ann-0ld-pw"))
        .server(&ldap::bind_response(1, 0, b"", b"", None))
        .client(&ldap::password_modify(
            2,
            Some(ann),
            Some(b"Ann-0ld-pw"),
            Some(b"Ann-N3w-pw"),
        ))
        .server(&ldap::password_modify_response(2, 0, b"", None))
        .client(&ldap::password_modify(3, None, None, None))
        .server(&ldap::password_modify_response(
            3,
            0,
            b"",
            Some(b"Gen3rated-7"),
        ))
        .close();
    let dana = b"CN=Dana,OU=Staff,DC=corp,DC=example";
    let quoted = |s: &str| -> Vec<u8> { utf16(&format!("\"{s}\"")) };
    let mut b = TcpConversation::new(sa("10.20.3.6:40301"), sa("10.20.3.2:389"))
        .without_acks()
        .starting_at(at(1_700_100_310));
    b.handshake()
        .client(&ldap::simple_bind(
            1,
            b"helpdesk@corp.example",
            b"Help-D3sk-pw",
        ))
        .server(&ldap::bind_response(1, 0, b"", b"", None))
        .client(&ldap::modify(
            2,
            dana,
            &[
                (1, b"unicodePwd", &[&quoted("Dana-Old-1")]),
                (0, b"unicodePwd", &[&quoted("Dana-New-2")]),
            ],
        ))
        .server(&ldap::update_response(
            2,
            false,
            19,
            b"0000052D: Constraint violation - check_password_restrictions",
        ))
        .client(&ldap::modify(
            3,
            dana,
            &[(2, b"unicodePwd", &[&quoted("Dana-Reset-3")])],
        ))
        .server(&ldap::update_response(3, false, 0, b""))
        .close();
    let (ssha, nt) = carl_hashes();
    let mut c = TcpConversation::new(sa("10.20.3.7:40302"), sa("10.20.3.1:389"))
        .without_acks()
        .starting_at(at(1_700_100_320));
    c.handshake()
        .client(&ldap::simple_bind(1, ADMIN_DN.as_bytes(), b"Adm1n!secret"))
        .server(&ldap::bind_response(1, 0, b"", b"", None))
        .client(&ldap::add(
            2,
            b"uid=carl,ou=people,dc=example,dc=org",
            &[
                (b"objectClass", &[b"inetOrgPerson", b"sambaSamAccount"]),
                (b"userPassword", &[ssha.as_bytes()]),
                (b"sambaNTPassword", &[nt.as_bytes()]),
            ],
        ))
        .server(&ldap::update_response(2, true, 0, b""))
        .close();
    pcap(conversations(vec![a, b, c]))
}

/// Carl's password as slapd's `{SSHA}` (SHA-1 of the password and a salt, then the
/// salt, in base64) and as Samba's NT hash (MD4 of UTF-16LE, upper-case hex).
fn carl_hashes() -> (String, String) {
    use base64::Engine as _;
    use sha1::Digest as _;
    let (password, salt) = ("Carl-Hash3d", b"s4lt");
    let mut raw = sha1::Sha1::digest([password.as_bytes(), salt].concat()).to_vec();
    raw.extend_from_slice(salt);
    let ssha = format!(
        "{{SSHA}}{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    );
    let nt = Md4::digest(utf16(password));
    (ssha, hex(&nt).to_uppercase())
}

fn ldap_password_writes_expected() -> Vec<Expect> {
    let ann = "uid=ann,ou=people,dc=example,dc=org";
    let dana = "CN=Dana,OU=Staff,DC=corp,DC=example";
    let carl = "uid=carl,ou=people,dc=example,dc=org";
    let a = |mechanism| Expect {
        mechanism,
        username: Some(ann),
        outcome: "success",
        ..ldap_simple("10.20.3.5:40300", "10.20.3.1:389")
    };
    let b = |mechanism| Expect {
        mechanism,
        username: Some(dana),
        ..ldap_simple("10.20.3.6:40301", "10.20.3.2:389")
    };
    let c = |mechanism| Expect {
        mechanism,
        kind: "challenge-response",
        username: Some(carl),
        outcome: "success",
        frame: Some(24 + 6),
        ..ldap_simple("10.20.3.7:40302", "10.20.3.1:389")
    };
    let (ssha, nt) = carl_hashes();
    let (ssha, nt) = (leak(ssha), leak(nt));
    vec![
        Expect {
            secret: "Ann-0ld-pw",
            frame: Some(4),
            ..a("simple bind")
        },
        Expect {
            secret: "Ann-0ld-pw",
            frame: Some(6),
            ..a("password modify (old password)")
        },
        Expect {
            secret: "Ann-N3w-pw",
            frame: Some(6),
            ..a("password modify (new password)")
        },
        Expect {
            secret: "Gen3rated-7",
            frame: Some(9),
            ..a("password modify (generated password)")
        },
        Expect {
            username: Some("helpdesk@corp.example"),
            secret: "Help-D3sk-pw",
            outcome: "success",
            frame: Some(12 + 4),
            ..b("simple bind")
        },
        Expect {
            secret: "Dana-Old-1",
            outcome: "unknown",
            frame: Some(12 + 6),
            ..b("modify unicodePwd (old value)")
        },
        Expect {
            secret: "Dana-New-2",
            outcome: "failure",
            frame: Some(12 + 6),
            ..b("modify unicodePwd")
        },
        Expect {
            secret: "Dana-Reset-3",
            outcome: "success",
            frame: Some(12 + 8),
            ..b("modify unicodePwd")
        },
        Expect {
            username: Some(ADMIN_DN),
            secret: "Adm1n!secret",
            kind: "cleartext",
            frame: Some(24 + 4),
            ..c("simple bind")
        },
        Expect {
            secret: ssha,
            hashcat: Some((111, ssha)),
            ..c("add userPassword")
        },
        Expect {
            secret: nt,
            hashcat: Some((1000, leak(nt.to_lowercase()))),
            ..c("add sambaNTPassword")
        },
    ]
}

fn none() -> Vec<Expect> {
    Vec::new()
}

pub const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "ldap-simple-bind.pcap",
        bytes: ldap_simple_bind,
        expected: ldap_simple_bind_expected,
        exit: 1,
    },
    Fixture {
        name: "ldap-segmented.pcap",
        bytes: ldap_segmented,
        expected: ldap_segmented_expected,
        exit: 1,
    },
    Fixture {
        name: "ldap-port10389.pcap",
        bytes: ldap_port10389,
        expected: ldap_port10389_expected,
        exit: 1,
    },
    Fixture {
        name: "ldap-anonymous.pcap",
        bytes: ldap_anonymous,
        expected: none,
        exit: 0,
    },
    Fixture {
        name: "ldap-sasl-plain.pcap",
        bytes: ldap_sasl_plain,
        expected: ldap_sasl_plain_expected,
        exit: 1,
    },
    Fixture {
        name: "ldap-ntlm.pcap",
        bytes: ldap_ntlm,
        expected: ldap_ntlm_expected,
        exit: 1,
    },
    Fixture {
        name: "ldap-password-writes.pcap",
        bytes: ldap_password_writes,
        expected: ldap_password_writes_expected,
        exit: 1,
    },
    Fixture {
        name: "ldap-starttls.pcap",
        bytes: ldap_starttls,
        expected: none,
        exit: 0,
    },
    Fixture {
        name: "snmp-v1-get.pcap",
        bytes: snmp_v1_get,
        expected: snmp_v1_get_expected,
        exit: 1,
    },
    Fixture {
        name: "snmp-v2c-noresponse.pcap",
        bytes: snmp_v2c_noresponse,
        expected: snmp_v2c_noresponse_expected,
        exit: 1,
    },
    Fixture {
        name: "snmp-repeated.pcap",
        bytes: snmp_repeated,
        expected: snmp_repeated_expected,
        exit: 1,
    },
    Fixture {
        name: "snmp-trap.pcap",
        bytes: snmp_trap,
        expected: snmp_trap_expected,
        exit: 1,
    },
    Fixture {
        name: "snmp-not-snmp.pcap",
        bytes: snmp_not_snmp,
        expected: none,
        exit: 0,
    },
];

#[test]
fn ldap_snmp_fixtures_are_what_the_generator_makes() {
    assert_generated(FIXTURES);
}

#[test]
fn ldap_snmp_fixtures_give_exactly_their_findings() {
    assert_expected(FIXTURES);
}

#[test]
fn ldap_frames_cover_every_segment_of_a_split_bind() {
    let (findings, _, _) = scan(&[&fixture("ldap-segmented.pcap")]);
    let alice = findings
        .iter()
        .find(|f| f["secret"] == "split-in-3")
        .expect("the split bind");
    assert_eq!(alice["frames"], serde_json::json!([4, 5, 6]));
}

#[test]
fn ldap_failure_keeps_the_servers_diagnostic() {
    let (findings, _, _) = scan(&[&fixture("ldap-simple-bind.pcap")]);
    let failed = findings
        .iter()
        .find(|f| f["outcome"] == "failure")
        .expect("the failed bind");
    assert_eq!(
        failed["details"]["diagnostic"],
        String::from_utf8_lossy(AD_DIAGNOSTIC).as_ref()
    );
}

#[test]
fn snmp_repeats_are_counted() {
    let (_, _, stderr) = scan(&[&fixture("snmp-repeated.pcap")]);
    assert!(
        stderr.contains("4 repeated credentials reported once"),
        "{stderr}"
    );
}
