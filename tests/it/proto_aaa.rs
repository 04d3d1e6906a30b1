//! RADIUS and SIP captures of the project (`fixtures/radius-*.pcap`, `fixtures/sip-*.pcap`):
//! how each is generated, and what plainsight must find in it (the conventions of
//! `fixtures.rs`). To regenerate after changing a generator:
//!
//! ```text
//! PLAINSIGHT_REGENERATE_FIXTURES=1 cargo test --test it aaa_fixtures_are_what
//! ```
//!
//! Every response is computed here from the password, independently of the dissector:
//! PAP hiding (RFC 2865 section 5.2) is undone with the shared secret, CHAP and EAP-MD5 are
//! `MD5(ident + password + challenge)`, MS-CHAPv2 is DES over the NT hash (RFC 2759), SIP
//! Digest is RFC 2617 with and without `qop=auth`.

use std::net::SocketAddr;

use des::cipher::{BlockCipherEncrypt, KeyInit};
use md4::Md4;
use md5::{Digest, Md5};
use serde_json::Value;
use sha1::Sha1;

use plainsight::capture::PcapWriter;
use plainsight::dissect::radius::build as rad;
use plainsight::dissect::radius::{attr, ms};
use plainsight::synth::{Link, SynthPacket, TcpConversation, fragment_ipv4, udp_packet};
use plainsight::timestamp::Timestamp;

use crate::fixtures::{Fixture, assert_expected, assert_generated};
use crate::support::{Expect, fixture, leak, scan, unhex};

fn sa(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

fn ms_at(secs: i64, millis: u64) -> Timestamp {
    Timestamp::new(secs, millis * 1_000_000)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn md5(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
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

/// UDP datagrams, one every 10 ms from `start` in the order given (frame i+1 is the
/// i-th).
fn datagrams(start: i64, list: &[(&str, &str, Vec<u8>)]) -> Vec<SynthPacket> {
    list.iter()
        .enumerate()
        .map(|(i, (src, dst, payload))| SynthPacket {
            ts: ms_at(start, 10 * i as u64),
            ip: udp_packet(sa(src), sa(dst), payload),
        })
        .collect()
}

// ---- RADIUS -------------------------------------------------------------------------

const SHARED: &[u8] = b"s3cr3t-radius";

/// A Request Authenticator (random in real life; fixed here).
fn ra(seed: u8) -> [u8; 16] {
    std::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8 * 17))
}

fn pap_request(id: u8, auth: &[u8; 16], user: &str, password: &str) -> Vec<u8> {
    rad::packet(
        1,
        id,
        auth,
        &[
            rad::attr(attr::USER_NAME, user.as_bytes()),
            rad::attr(
                attr::USER_PASSWORD,
                &rad::pap_hide(password.as_bytes(), auth, SHARED),
            ),
            rad::attr(4, &[10, 40, 0, 5]), // NAS-IP-Address
        ],
    )
}

fn chap_request(
    id: u8,
    auth: &[u8; 16],
    user: &str,
    password: &str,
    ident: u8,
    challenge: Option<&[u8]>,
) -> Vec<u8> {
    let ch: &[u8] = challenge.unwrap_or(auth);
    let response = md5(&[&[ident], password.as_bytes(), ch]);
    let mut attrs = vec![
        rad::attr(attr::USER_NAME, user.as_bytes()),
        rad::attr(attr::CHAP_PASSWORD, &[&[ident][..], &response].concat()),
    ];
    if let Some(c) = challenge {
        attrs.push(rad::attr(attr::CHAP_CHALLENGE, c));
    }
    rad::packet(1, id, auth, &attrs)
}

const ALICE_WRONG: &str = "wrong-Pa55";
const ALICE_PASS: &str = "Radius-Pa55!";
const BOB_PASS: &str = "chap-S3cret";
const BOB_WRONG: &str = "chap-wr0ng";
const CAROL_PASS: &str = "a-long-passphrase-of-35-characters!";
const DAVE_PASS: &str = "n0-answer";
const BOB_CHALLENGE: &[u8; 16] = b"CHAP-Challenge16";

/// PAP rejected then accepted; CHAP with the Request Authenticator as challenge
/// (accepted) and with a CHAP-Challenge attribute (rejected); on the legacy port 1645 a
/// long PAP password sent twice and answered with an Access-Challenge; accounting (no
/// credential); a PAP request never answered.
fn radius_pap_chap() -> Vec<u8> {
    let (nas, srv) = ("10.40.0.5:40001", "10.40.0.1:1812");
    let (nas2, legacy) = ("10.40.0.6:40003", "10.40.0.1:1645");
    let a1 = ra(1);
    let a2 = ra(2);
    let a3 = ra(3);
    let a4 = ra(4);
    let a5 = ra(5);
    let a6 = ra(6);
    let a7 = ra(7);
    let acct = rad::packet(
        4,
        9,
        &[0; 16],
        &[
            rad::attr(attr::USER_NAME, b"alice"),
            rad::attr(40, &1u32.to_be_bytes()), // Acct-Status-Type Start
            rad::attr(44, b"0001"),             // Acct-Session-Id
        ],
    );
    pcap(datagrams(
        1_700_300_000,
        &[
            // 1-4: PAP, wrong then right.
            (nas, srv, pap_request(1, &a1, "alice", ALICE_WRONG)),
            (srv, nas, rad::reply(3, 1, &a1, &[], SHARED)),
            (nas, srv, pap_request(2, &a2, "alice", ALICE_PASS)),
            (srv, nas, rad::reply(2, 2, &a2, &[], SHARED)),
            // 5-8: CHAP on another client port.
            (
                "10.40.0.5:40002",
                srv,
                chap_request(7, &a3, "bob", BOB_PASS, 0x42, None),
            ),
            (srv, "10.40.0.5:40002", rad::reply(2, 7, &a3, &[], SHARED)),
            (
                "10.40.0.5:40002",
                srv,
                chap_request(8, &a4, "bob", BOB_WRONG, 0x43, Some(BOB_CHALLENGE)),
            ),
            (srv, "10.40.0.5:40002", rad::reply(3, 8, &a4, &[], SHARED)),
            // 9-11: legacy port, a retransmission, an Access-Challenge.
            (nas2, legacy, pap_request(3, &a5, "carol", CAROL_PASS)),
            (nas2, legacy, pap_request(3, &a5, "carol", CAROL_PASS)),
            (
                legacy,
                nas2,
                rad::reply(
                    11,
                    3,
                    &a5,
                    &[
                        rad::attr(18, b"Enter your one-time code"),
                        rad::attr(attr::STATE, b"otp-1"),
                    ],
                    SHARED,
                ),
            ),
            // 12-13: accounting.
            ("10.40.0.5:40004", "10.40.0.1:1813", acct),
            (
                "10.40.0.1:1813",
                "10.40.0.5:40004",
                rad::reply(5, 9, &a6, &[], SHARED),
            ),
            // 14: never answered.
            (
                "10.40.0.7:40005",
                srv,
                pap_request(4, &a7, "dave", DAVE_PASS),
            ),
        ],
    ))
}

fn radius(mechanism: &'static str, client: &'static str, server: &'static str) -> Expect {
    Expect {
        protocol: "radius",
        mechanism,
        kind: "challenge-response",
        client,
        server,
        ..Expect::default()
    }
}

/// The expected PAP finding: the hidden bytes are what the generator planted (the hiding
/// itself is checked by `radius_pap_reveals_the_password_with_the_shared_secret`).
fn pap_expect(
    frame: u64,
    auth: [u8; 16],
    user: &'static str,
    password: &str,
    outcome: &'static str,
    client: &'static str,
    server: &'static str,
) -> Expect {
    Expect {
        username: Some(user),
        secret: leak(hex(&rad::pap_hide(password.as_bytes(), &auth, SHARED))),
        challenge: Some(leak(hex(&auth))),
        outcome,
        frame: Some(frame),
        ..radius("PAP", client, server)
    }
}

fn chap_expect(
    frame: u64,
    ident: u8,
    challenge: &[u8],
    password: &str,
    outcome: &'static str,
) -> Expect {
    let response = md5(&[&[ident], password.as_bytes(), challenge]);
    Expect {
        username: Some("bob"),
        secret: leak(format!("{ident:02x}{}", hex(&response))),
        challenge: Some(leak(hex(challenge))),
        hashcat: Some((
            4800,
            leak(format!("{}:{}:{ident:02x}", hex(&response), hex(challenge))),
        )),
        outcome,
        frame: Some(frame),
        ..radius("CHAP", "10.40.0.5:40002", "10.40.0.1:1812")
    }
}

fn radius_pap_chap_expected() -> Vec<Expect> {
    let (nas, srv) = ("10.40.0.5:40001", "10.40.0.1:1812");
    vec![
        pap_expect(1, ra(1), "alice", ALICE_WRONG, "failure", nas, srv),
        pap_expect(3, ra(2), "alice", ALICE_PASS, "success", nas, srv),
        chap_expect(5, 0x42, &ra(3), BOB_PASS, "success"),
        chap_expect(7, 0x43, BOB_CHALLENGE, BOB_WRONG, "failure"),
        pap_expect(
            9,
            ra(5),
            "carol",
            CAROL_PASS,
            "unknown",
            "10.40.0.6:40003",
            "10.40.0.1:1645",
        ),
        pap_expect(
            14,
            ra(7),
            "dave",
            DAVE_PASS,
            "unknown",
            "10.40.0.7:40005",
            srv,
        ),
    ]
}

/// The NT hash of a password (MD4 of its UTF-16LE form).
fn nt_hash(password: &str) -> Vec<u8> {
    let utf16: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
    Md4::digest(&utf16).to_vec()
}

/// DES of `data` under a 7-byte key (parity bits added), as MS-CHAP uses it.
fn des7(key: &[u8], data: &[u8; 8]) -> [u8; 8] {
    let k = [
        key[0],
        key[0] << 7 | key[1] >> 1,
        key[1] << 6 | key[2] >> 2,
        key[2] << 5 | key[3] >> 3,
        key[3] << 4 | key[4] >> 4,
        key[4] << 3 | key[5] >> 5,
        key[5] << 2 | key[6] >> 6,
        key[6] << 1,
    ];
    let mut block = (*data).into();
    des::Des::new(&k.into()).encrypt_block(&mut block);
    block.into()
}

/// RFC 2759 section 8: ChallengeHash and ChallengeResponse.
fn mschapv2_response(user: &str, password: &str, auth: &[u8], peer: &[u8]) -> ([u8; 8], Vec<u8>) {
    let d = Sha1::new()
        .chain_update(peer)
        .chain_update(auth)
        .chain_update(user.as_bytes())
        .finalize();
    let challenge: [u8; 8] = d[..8].try_into().expect("8 bytes");
    let mut z = nt_hash(password);
    z.resize(21, 0);
    let nt = z.chunks(7).flat_map(|k| des7(k, &challenge)).collect();
    (challenge, nt)
}

const ERIN_PASS: &str = "Ms-Chap-v2!";
const ERIN_AUTH: &[u8; 16] = b"authenticator-ch";
const ERIN_PEER: &[u8; 16] = b"peer-challenge-1";
const FRANK_WRONG: &str = "eap-md5-wr0ng";
const FRANK_CHALLENGE: &[u8; 16] = b"EAP-MD5-challeng";

/// MS-CHAPv2 (user `CORP\erin`) accepted; an EAP-MD5 exchange (identity, Access-Challenge
/// with the MD5-Challenge, the response) rejected.
fn radius_mschap_eap() -> Vec<u8> {
    let (c1, c2, srv) = ("10.41.0.5:41001", "10.41.0.6:41002", "10.41.0.1:1812");
    let (_, nt) = mschapv2_response("erin", ERIN_PASS, ERIN_AUTH, ERIN_PEER);
    let mut r = vec![5u8, 0];
    r.extend_from_slice(ERIN_PEER);
    r.extend_from_slice(&[0; 8]);
    r.extend_from_slice(&nt);
    let a1 = ra(11);
    let mschap = rad::packet(
        1,
        20,
        &a1,
        &[
            rad::attr(attr::USER_NAME, b"CORP\\erin"),
            rad::vendor(ms::VENDOR, ms::CHAP_CHALLENGE, ERIN_AUTH),
            rad::vendor(ms::VENDOR, ms::CHAP2_RESPONSE, &r),
        ],
    );
    let (a2, a3) = (ra(12), ra(13));
    let identity = rad::packet(
        1,
        30,
        &a2,
        &[
            rad::attr(attr::USER_NAME, b"frank"),
            rad::attr(attr::EAP_MESSAGE, &rad::eap_identity(1, b"frank")),
            rad::attr(attr::MESSAGE_AUTHENTICATOR, &[0; 16]),
        ],
    );
    let challenge = rad::reply(
        11,
        30,
        &a2,
        &[
            rad::attr(attr::EAP_MESSAGE, &rad::eap_md5(1, 2, FRANK_CHALLENGE, b"")),
            rad::attr(attr::STATE, b"eap-state-7"),
        ],
        SHARED,
    );
    let response = md5(&[&[2], FRANK_WRONG.as_bytes(), FRANK_CHALLENGE]);
    let answer = rad::packet(
        1,
        31,
        &a3,
        &[
            rad::attr(attr::USER_NAME, b"frank"),
            rad::attr(attr::STATE, b"eap-state-7"),
            rad::attr(attr::EAP_MESSAGE, &rad::eap_md5(2, 2, &response, b"frank")),
        ],
    );
    pcap(datagrams(
        1_700_300_100,
        &[
            (c1, srv, mschap),
            (srv, c1, rad::reply(2, 20, &a1, &[], SHARED)),
            (c2, srv, identity),
            (srv, c2, challenge),
            (c2, srv, answer),
            (
                srv,
                c2,
                rad::reply(
                    3,
                    31,
                    &a3,
                    &[rad::attr(attr::EAP_MESSAGE, &[4, 2, 0, 4])],
                    SHARED,
                ),
            ),
        ],
    ))
}

fn radius_mschap_eap_expected() -> Vec<Expect> {
    let (challenge, nt) = mschapv2_response("erin", ERIN_PASS, ERIN_AUTH, ERIN_PEER);
    let eap = md5(&[&[2], FRANK_WRONG.as_bytes(), FRANK_CHALLENGE]);
    vec![
        Expect {
            username: Some("CORP\\erin"),
            secret: leak(hex(&nt)),
            challenge: Some(leak(hex(ERIN_AUTH))),
            hashcat: Some((
                5500,
                leak(format!("erin::::{}:{}", hex(&nt), hex(&challenge))),
            )),
            outcome: "success",
            frame: Some(1),
            ..radius("MS-CHAPv2", "10.41.0.5:41001", "10.41.0.1:1812")
        },
        Expect {
            username: Some("frank"),
            secret: leak(format!("02{}", hex(&eap))),
            challenge: Some(leak(hex(FRANK_CHALLENGE))),
            hashcat: Some((
                4800,
                leak(format!("{}:{}:02", hex(&eap), hex(FRANK_CHALLENGE))),
            )),
            outcome: "failure",
            frame: Some(5),
            ..radius("EAP-MD5", "10.41.0.6:41002", "10.41.0.1:1812")
        },
    ]
}

// ---- SIP ----------------------------------------------------------------------------

const REALM: &str = "plainsight.test";
const NONCE: &str = "5f3c1a7e9b2d4c60";
const SIP_PASS: &str = "S1p-Secret";
const SIP_WRONG: &str = "s1p-wrong";

fn md5_hex(s: &str) -> String {
    hex(&md5(&[s.as_bytes()]))
}

/// RFC 2617 section 3.2.2.1: the Digest response, MD5, with `qop=auth` or none.
fn digest(
    user: &str,
    password: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    qop: Option<(&str, &str)>,
) -> String {
    let ha1 = md5_hex(&format!("{user}:{REALM}:{password}"));
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    match qop {
        Some((nc, cnonce)) => md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")),
        None => md5_hex(&format!("{ha1}:{nonce}:{ha2}")),
    }
}

fn digest_value(
    user: &str,
    password: &str,
    method: &str,
    uri: &str,
    qop: Option<(&str, &str)>,
) -> String {
    let mut v = format!(
        "Digest username=\"{user}\", realm=\"{REALM}\", nonce=\"{NONCE}\", uri=\"{uri}\", response=\"{}\", algorithm=MD5",
        digest(user, password, method, uri, NONCE, qop)
    );
    if let Some((nc, cnonce)) = qop {
        v.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
    }
    v
}

/// A SIP request; `auth` is a whole header line.
fn sip_request(
    method: &str,
    uri: &str,
    call_id: &str,
    cseq: u32,
    auth: &str,
    body: &str,
) -> Vec<u8> {
    format!(
        "{method} {uri} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 10.50.0.5:5060;branch=z9hG4bK-{cseq}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@{REALM}>;tag=8841\r\n\
         To: <sip:alice@{REALM}>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} {method}\r\n\
         {auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn sip_response(status: &str, call_id: &str, cseq: u32, method: &str, extra: &str) -> Vec<u8> {
    format!(
        "SIP/2.0 {status}\r\n\
         Via: SIP/2.0/UDP 10.50.0.5:5060;branch=z9hG4bK-{cseq}\r\n\
         From: <sip:alice@{REALM}>;tag=8841\r\n\
         To: <sip:alice@{REALM}>;tag=srv1\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} {method}\r\n\
         {extra}Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

const REG_URI: &str = "sip:plainsight.test";
const INV_URI: &str = "sip:bob@plainsight.test:5060";

/// A SIP text body of `n` bytes (a MESSAGE big enough to be fragmented).
fn big_body(n: usize) -> String {
    (0..n).map(|i| (b'a' + (i % 26) as u8) as char).collect()
}

/// UDP 5060: REGISTER challenged (401), then with Digest (no qop) accepted after a
/// 100 Trying; an INVITE with Proxy-Authorization (qop=auth) refused (407); a MESSAGE
/// with Digest (qop=auth) of 3000 bytes, fragmented at the IP layer, accepted; on UDP
/// 5080 (found by content) a REGISTER with Basic, accepted.
fn sip_udp() -> Vec<u8> {
    let (ua, reg) = ("10.50.0.5:5060", "10.50.0.1:5060");
    let challenge =
        format!("WWW-Authenticate: Digest realm=\"{REALM}\", nonce=\"{NONCE}\", algorithm=MD5\r\n");
    let auth = format!(
        "Authorization: {}\r\n",
        digest_value("alice", SIP_PASS, "REGISTER", REG_URI, None)
    );
    let proxy_auth = format!(
        "Proxy-Authorization: {}\r\n",
        digest_value(
            "alice",
            SIP_WRONG,
            "INVITE",
            INV_URI,
            Some(("00000001", "0a4f113b"))
        )
    );
    let msg_auth = format!(
        "Authorization: {}\r\n",
        digest_value(
            "alice",
            SIP_PASS,
            "MESSAGE",
            "sip:bob@plainsight.test",
            Some(("00000002", "77e1c0de"))
        )
    );
    let mut packets = datagrams(
        1_700_300_200,
        &[
            // 1-5
            (
                ua,
                reg,
                sip_request("REGISTER", REG_URI, "reg-1@10.50.0.5", 1, "", ""),
            ),
            (
                reg,
                ua,
                sip_response(
                    "401 Unauthorized",
                    "reg-1@10.50.0.5",
                    1,
                    "REGISTER",
                    &challenge,
                ),
            ),
            (
                ua,
                reg,
                sip_request("REGISTER", REG_URI, "reg-1@10.50.0.5", 2, &auth, ""),
            ),
            (
                reg,
                ua,
                sip_response("100 Trying", "reg-1@10.50.0.5", 2, "REGISTER", ""),
            ),
            (
                reg,
                ua,
                sip_response(
                    "200 OK",
                    "reg-1@10.50.0.5",
                    2,
                    "REGISTER",
                    "Expires: 3600\r\n",
                ),
            ),
            // 6-7
            (
                ua,
                reg,
                sip_request(
                    "INVITE",
                    INV_URI,
                    "inv-1@10.50.0.5",
                    1,
                    &proxy_auth,
                    "v=0\r\no=- 1 1 IN IP4 10.50.0.5\r\ns=-\r\n",
                ),
            ),
            (
                reg,
                ua,
                sip_response(
                    "407 Proxy Authentication Required",
                    "inv-1@10.50.0.5",
                    1,
                    "INVITE",
                    "",
                ),
            ),
        ],
    );
    // 8-10: the fragments of the MESSAGE; 11 its 200 OK.
    let message = sip_request(
        "MESSAGE",
        "sip:bob@plainsight.test",
        "msg-1@10.50.0.5",
        1,
        &msg_auth,
        &big_body(3000),
    );
    let ip = udp_packet(sa(ua), sa(reg), &message);
    for (i, f) in fragment_ipv4(&ip, 1480).into_iter().enumerate() {
        packets.push(SynthPacket {
            ts: ms_at(1_700_300_201, i as u64),
            ip: f,
        });
    }
    packets.push(SynthPacket {
        ts: ms_at(1_700_300_201, 10),
        ip: udp_packet(
            sa(reg),
            sa(ua),
            &sip_response("200 OK", "msg-1@10.50.0.5", 1, "MESSAGE", ""),
        ),
    });
    // 12-13: Basic on a port no protocol is expected on.
    let (ua2, srv2) = ("10.50.0.6:40000", "10.50.0.2:5080");
    packets.extend(datagrams(
        1_700_300_202,
        &[
            (
                ua2,
                srv2,
                sip_request(
                    "REGISTER",
                    "sip:10.50.0.2:5080",
                    "basic-1",
                    1,
                    "Authorization: Basic ZGVza3Bob25lOkJhc2ljLVB3IQ==\r\n",
                    "",
                ),
            ),
            (
                srv2,
                ua2,
                sip_response("200 OK", "basic-1", 1, "REGISTER", ""),
            ),
        ],
    ));
    pcap(packets)
}

fn sip(
    mechanism: &'static str,
    kind: &'static str,
    client: &'static str,
    server: &'static str,
) -> Expect {
    Expect {
        protocol: "sip",
        mechanism,
        kind,
        client,
        server,
        ..Expect::default()
    }
}

/// The `$sip$` line of hashcat mode 11400, written here field by field.
#[allow(clippy::too_many_arguments)]
fn sip_line(
    user: &str,
    method: &str,
    prefix: &str,
    resource: &str,
    suffix: &str,
    cnonce: &str,
    nc: &str,
    qop: &str,
    response: &str,
) -> String {
    format!(
        "$sip$***{user}*{REALM}*{method}*{prefix}*{resource}*{suffix}*{NONCE}*{cnonce}*{nc}*{qop}*MD5*{response}"
    )
}

fn sip_udp_expected() -> Vec<Expect> {
    let (ua, reg) = ("10.50.0.5:5060", "10.50.0.1:5060");
    let r1 = digest("alice", SIP_PASS, "REGISTER", REG_URI, NONCE, None);
    let r2 = digest(
        "alice",
        SIP_WRONG,
        "INVITE",
        INV_URI,
        NONCE,
        Some(("00000001", "0a4f113b")),
    );
    let r3 = digest(
        "alice",
        SIP_PASS,
        "MESSAGE",
        "sip:bob@plainsight.test",
        NONCE,
        Some(("00000002", "77e1c0de")),
    );
    vec![
        Expect {
            username: Some("alice"),
            secret: leak(r1.clone()),
            challenge: Some(NONCE),
            hashcat: Some((
                11400,
                leak(sip_line(
                    "alice",
                    "REGISTER",
                    "sip",
                    "plainsight.test",
                    "",
                    "",
                    "",
                    "",
                    &r1,
                )),
            )),
            outcome: "success",
            frame: Some(3),
            ..sip("Digest", "challenge-response", ua, reg)
        },
        Expect {
            username: Some("alice"),
            secret: leak(r2.clone()),
            challenge: Some(NONCE),
            hashcat: Some((
                11400,
                leak(sip_line(
                    "alice",
                    "INVITE",
                    "sip",
                    "bob@plainsight.test",
                    "5060",
                    "0a4f113b",
                    "00000001",
                    "auth",
                    &r2,
                )),
            )),
            outcome: "failure",
            frame: Some(6),
            ..sip("Proxy Digest", "challenge-response", ua, reg)
        },
        Expect {
            username: Some("alice"),
            secret: leak(r3.clone()),
            challenge: Some(NONCE),
            hashcat: Some((
                11400,
                leak(sip_line(
                    "alice",
                    "MESSAGE",
                    "sip",
                    "bob@plainsight.test",
                    "",
                    "77e1c0de",
                    "00000002",
                    "auth",
                    &r3,
                )),
            )),
            outcome: "success",
            frame: Some(10),
            ..sip("Digest", "challenge-response", ua, reg)
        },
        Expect {
            username: Some("deskphone"),
            secret: "Basic-Pw!",
            outcome: "success",
            frame: Some(12),
            ..sip("Basic", "cleartext", "10.50.0.6:40000", "10.50.0.2:5080")
        },
    ]
}

/// SIP over TCP 5060 with compact headers: a REGISTER challenged, then sent again with
/// Digest (qop=auth) in three segments and accepted; a CRLF keep-alive, a MESSAGE with a
/// body that looks like a response, and an OPTIONS with a wrong password in one segment,
/// their answers (200, 403) in one segment. On TCP 5070 (by content) an INVITE with
/// Proxy-Authorization whose answer the capture lacks.
fn sip_tcp() -> Vec<u8> {
    let compact = |method: &str, uri: &str, cseq: u32, auth: &str, body: &str| -> Vec<u8> {
        format!(
            "{method} {uri} SIP/2.0\r\nv: SIP/2.0/TCP 10.51.0.5:45000;branch=z9hG4bK-t{cseq}\r\n\
             f: <sip:alice@{REALM}>;tag=77\r\nt: <sip:alice@{REALM}>\r\ni: tcp-call-1\r\n\
             CSeq: {cseq} {method}\r\n{auth}l: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    let answer = |status: &str, cseq: u32, method: &str, extra: &str| -> Vec<u8> {
        format!(
            "SIP/2.0 {status}\r\nv: SIP/2.0/TCP 10.51.0.5:45000;branch=z9hG4bK-t{cseq}\r\ni: tcp-call-1\r\n\
             CSeq: {cseq} {method}\r\n{extra}l: 0\r\n\r\n"
        )
        .into_bytes()
    };
    let register = compact(
        "REGISTER",
        REG_URI,
        2,
        &format!(
            "Authorization: {}\r\n",
            digest_value(
                "alice",
                SIP_PASS,
                "REGISTER",
                REG_URI,
                Some(("00000001", "c0ffee01"))
            )
        ),
        "",
    );
    let message_body = "\r\nSIP/2.0 200 OK\r\nCSeq: 2 REGISTER\r\n\r\n";
    let batch = [
        b"\r\n\r\n".to_vec(),
        compact("MESSAGE", "sip:bob@plainsight.test", 3, "", message_body),
        compact(
            "OPTIONS",
            REG_URI,
            4,
            &format!(
                "Authorization: {}\r\n",
                digest_value("alice", SIP_WRONG, "OPTIONS", REG_URI, None)
            ),
            "",
        ),
    ]
    .concat();
    let mut c = TcpConversation::new(sa("10.51.0.5:45000"), sa("10.51.0.1:5060"))
        .without_acks()
        .starting_at(ms_at(1_700_300_300, 0));
    c.handshake()
        .client(&compact("REGISTER", REG_URI, 1, "", ""))
        .server(&answer(
            "401 Unauthorized",
            1,
            "REGISTER",
            &format!(
                "WWW-Authenticate: Digest realm=\"{REALM}\", nonce=\"{NONCE}\", qop=\"auth\"\r\n"
            ),
        ))
        .client(&register[..60])
        .client(&register[60..200])
        .client(&register[200..])
        .server(&answer("200 OK", 2, "REGISTER", ""))
        .client(&batch)
        .server(
            &[
                answer("200 OK", 3, "MESSAGE", ""),
                answer("403 Forbidden", 4, "OPTIONS", ""),
            ]
            .concat(),
        )
        .close();
    let mut d = TcpConversation::new(sa("10.51.0.6:45001"), sa("10.51.0.2:5070"))
        .without_acks()
        .starting_at(ms_at(1_700_300_301, 0));
    d.handshake().client(&format!(
        "INVITE {INV_URI} SIP/2.0\r\nCall-ID: tcp-call-2\r\nCSeq: 1 INVITE\r\nProxy-Authorization: {}\r\nContent-Length: 0\r\n\r\n",
        digest_value("bob", SIP_PASS, "INVITE", INV_URI, None)
    ).into_bytes());
    pcap([c.into_packets(), d.into_packets()].concat())
}

fn sip_tcp_expected() -> Vec<Expect> {
    let (ua, srv) = ("10.51.0.5:45000", "10.51.0.1:5060");
    let r1 = digest(
        "alice",
        SIP_PASS,
        "REGISTER",
        REG_URI,
        NONCE,
        Some(("00000001", "c0ffee01")),
    );
    let r2 = digest("alice", SIP_WRONG, "OPTIONS", REG_URI, NONCE, None);
    let r3 = digest("bob", SIP_PASS, "INVITE", INV_URI, NONCE, None);
    vec![
        Expect {
            username: Some("alice"),
            secret: leak(r1.clone()),
            challenge: Some(NONCE),
            hashcat: Some((
                11400,
                leak(sip_line(
                    "alice",
                    "REGISTER",
                    "sip",
                    "plainsight.test",
                    "",
                    "c0ffee01",
                    "00000001",
                    "auth",
                    &r1,
                )),
            )),
            outcome: "success",
            frame: Some(7),
            ..sip("Digest", "challenge-response", ua, srv)
        },
        Expect {
            username: Some("alice"),
            secret: leak(r2.clone()),
            challenge: Some(NONCE),
            hashcat: Some((
                11400,
                leak(sip_line(
                    "alice",
                    "OPTIONS",
                    "sip",
                    "plainsight.test",
                    "",
                    "",
                    "",
                    "",
                    &r2,
                )),
            )),
            outcome: "failure",
            frame: Some(10),
            ..sip("Digest", "challenge-response", ua, srv)
        },
        Expect {
            username: Some("bob"),
            secret: leak(r3.clone()),
            challenge: Some(NONCE),
            hashcat: Some((
                11400,
                leak(sip_line(
                    "bob",
                    "INVITE",
                    "sip",
                    "bob@plainsight.test",
                    "5060",
                    "",
                    "",
                    "",
                    &r3,
                )),
            )),
            outcome: "unknown",
            ..sip(
                "Proxy Digest",
                "challenge-response",
                "10.51.0.6:45001",
                "10.51.0.2:5070",
            )
        },
    ]
}

pub const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "radius-pap-chap.pcap",
        bytes: radius_pap_chap,
        expected: radius_pap_chap_expected,
        exit: 1,
    },
    Fixture {
        name: "radius-mschap-eap.pcap",
        bytes: radius_mschap_eap,
        expected: radius_mschap_eap_expected,
        exit: 1,
    },
    Fixture {
        name: "sip-udp.pcap",
        bytes: sip_udp,
        expected: sip_udp_expected,
        exit: 1,
    },
    Fixture {
        name: "sip-tcp.pcap",
        bytes: sip_tcp,
        expected: sip_tcp_expected,
        exit: 1,
    },
];

#[test]
fn aaa_fixtures_are_what_the_generator_makes() {
    assert_generated(FIXTURES);
}

#[test]
fn aaa_fixtures_give_exactly_their_findings() {
    assert_expected(FIXTURES);
}

fn findings(name: &str) -> Vec<Value> {
    scan(&[&fixture(name)]).0
}

/// RFC 2865 section 5.2 undone here: each 16 bytes XOR MD5(secret + previous hidden
/// block), the Request Authenticator first; NUL padding dropped.
fn pap_reveal(hidden: &[u8], authenticator: &[u8], secret: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev = authenticator.to_vec();
    for block in hidden.chunks(16) {
        let pad = md5(&[secret, &prev]);
        out.extend(block.iter().zip(&pad).map(|(c, p)| c ^ p));
        prev = block.to_vec();
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    out
}

#[test]
fn radius_pap_reveals_the_password_with_the_shared_secret() {
    let mut seen = Vec::new();
    for f in findings("radius-pap-chap.pcap") {
        if f["mechanism"] != "PAP" {
            continue;
        }
        let hidden = unhex(f["secret"].as_str().expect("secret"));
        let auth = unhex(f["challenge"].as_str().expect("challenge"));
        assert_eq!(hidden.len() % 16, 0, "{f}");
        let password = String::from_utf8(pap_reveal(&hidden, &auth, SHARED)).expect("utf-8");
        assert_ne!(
            pap_reveal(&hidden, &auth, b"not-the-secret"),
            password.as_bytes()
        );
        seen.push(password);
    }
    assert_eq!(seen, [ALICE_WRONG, ALICE_PASS, CAROL_PASS, DAVE_PASS]);
}

#[test]
fn radius_pap_in_clear_with_a_shared_secret_the_reply_proves() {
    let path = fixture("radius-pap-chap.pcap");
    let secret = std::str::from_utf8(SHARED).expect("utf-8");
    let (all, _, stderr) = crate::support::scan_with(
        &["--radius-secret", "not-this-one", "--radius-secret", secret],
        &[path.as_path()],
    );
    let pap: Vec<(&str, &str, &str, &str)> = all
        .iter()
        .filter(|f| f["mechanism"] == "PAP")
        .map(|f| {
            (
                f["username"].as_str().unwrap_or(""),
                f["kind"].as_str().unwrap_or(""),
                f["secret"].as_str().unwrap_or(""),
                f["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    // alice's requests were answered, carol's with an Access-Challenge: the Response
    // Authenticators prove the secret and the passwords are shown. dave's was not: it
    // stays hidden.
    assert_eq!(pap.len(), 4, "{stderr}");
    assert_eq!(pap[0], ("alice", "cleartext", ALICE_WRONG, "failure"));
    assert_eq!(pap[1], ("alice", "cleartext", ALICE_PASS, "success"));
    assert_eq!(pap[2], ("carol", "cleartext", CAROL_PASS, "unknown"));
    assert_eq!((pap[3].0, pap[3].1), ("dave", "challenge-response"));
    // A wrong secret alone reveals nothing.
    let (wrong, _, _) =
        crate::support::scan_with(&["--radius-secret", "not-this-one"], &[path.as_path()]);
    assert!(
        wrong
            .iter()
            .filter(|f| f["mechanism"] == "PAP")
            .all(|f| f["kind"] == "challenge-response"),
        "{wrong:?}"
    );
}

#[test]
fn radius_chap_and_eap_md5_lines_crack_with_the_password() {
    let mut all = findings("radius-pap-chap.pcap");
    all.extend(findings("radius-mschap-eap.pcap"));
    let mut checked = 0;
    for f in all.iter().filter(|f| f["hashcat"]["mode"] == 4800) {
        let line = f["hashcat"]["hash"].as_str().expect("line");
        let p: Vec<&str> = line.split(':').collect();
        assert_eq!(p.len(), 3, "{line}");
        let candidates = [BOB_PASS, BOB_WRONG, FRANK_WRONG];
        let cracked = candidates
            .iter()
            .filter(|pw| hex(&md5(&[&unhex(p[2]), pw.as_bytes(), &unhex(p[1])])) == p[0]);
        assert_eq!(cracked.count(), 1, "{line}");
        checked += 1;
    }
    assert_eq!(checked, 3);
}

#[test]
fn radius_mschapv2_line_cracks_with_the_password() {
    let f = findings("radius-mschap-eap.pcap")
        .into_iter()
        .find(|f| f["mechanism"] == "MS-CHAPv2")
        .expect("MS-CHAPv2");
    let line = f["hashcat"]["hash"].as_str().expect("line").to_string();
    let p: Vec<&str> = line.split(':').collect();
    // user::domain:LM:NT:challenge; what hashcat -m 5500 checks is DES(NT hash) of it.
    assert_eq!(p.len(), 6, "{line}");
    let challenge: [u8; 8] = unhex(p[5]).try_into().expect("8 bytes");
    let mut z = nt_hash(ERIN_PASS);
    z.resize(21, 0);
    let nt: Vec<u8> = z.chunks(7).flat_map(|k| des7(k, &challenge)).collect();
    assert_eq!(hex(&nt), p[4]);
    assert_eq!(f["details"]["peer_challenge"], hex(ERIN_PEER));
}

#[test]
fn sip_digest_responses_recompute_from_the_password() {
    let mut all = findings("sip-udp.pcap");
    all.extend(findings("sip-tcp.pcap"));
    let mut checked = 0;
    for f in all.iter().filter(|f| f["hashcat"]["mode"] == 11400) {
        let d = &f["details"];
        let user = f["username"].as_str().expect("user");
        let method = d["method"].as_str().expect("method");
        let uri = d["uri"].as_str().expect("uri");
        let line = f["hashcat"]["hash"].as_str().expect("line");
        let fields: Vec<&str> = line.split('*').collect();
        let qop = (d["qop"] == "auth").then(|| (fields[11], fields[10]));
        let secret = f["secret"].as_str().expect("secret");
        let password = [SIP_PASS, SIP_WRONG]
            .into_iter()
            .find(|pw| digest(user, pw, method, uri, NONCE, qop) == secret)
            .unwrap_or_else(|| panic!("no password gives {f}"));
        // hashcat rebuilds the URI from its three parts.
        let mut rebuilt = fields[6].to_string();
        rebuilt.push(':');
        rebuilt.push_str(fields[7]);
        if !fields[8].is_empty() {
            rebuilt = format!("{rebuilt}:{}", fields[8]);
        }
        assert_eq!(rebuilt, uri, "{line}");
        assert_eq!(
            digest(fields[3], password, fields[5], &rebuilt, fields[9], qop),
            fields[14]
        );
        checked += 1;
    }
    assert_eq!(checked, 6);
}

#[test]
fn sip_tcp_frames_cover_every_segment_of_a_split_request() {
    let f = findings("sip-tcp.pcap");
    let register = f
        .iter()
        .find(|f| f["outcome"] == "success")
        .expect("the REGISTER");
    assert_eq!(register["frames"], serde_json::json!([6, 7, 8]));
}

#[test]
fn sip_status_and_radius_reply_are_kept() {
    let sip = findings("sip-udp.pcap");
    let invite = sip
        .iter()
        .find(|f| f["mechanism"] == "Proxy Digest")
        .expect("INVITE");
    assert_eq!(invite["details"]["status"], "407");
    assert_eq!(invite["details"]["qop"], "auth");
    let radius = findings("radius-pap-chap.pcap");
    let carol = radius
        .iter()
        .find(|f| f["username"] == "carol")
        .expect("carol");
    assert_eq!(carol["details"]["reply"], "Access-Challenge");
    assert_eq!(carol["frames"], serde_json::json!([9]));
}
