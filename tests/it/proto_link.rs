//! Fixtures of link-layer logins, between MAC addresses: PPP authentication in PPPoE
//! sessions, 802.1X EAP on a wired port, a WPA2 4-way handshake (with a PMKID) in
//! radiotap 802.11 frames, and IS-IS passwords and HMAC-MD5 in 802.3/LLC frames. Generated here from RFC 2759's MS-CHAPv2 example and a MIC
//! computed from a passphrase as a station does (PBKDF2, the 802.11 PRF, HMAC-SHA1), and
//! held to tshark's reading of them when tshark is installed.

use std::process::Command;

use hmac::{Hmac, KeyInit, Mac};

use plainsight::capture::{LinkType, PcapWriter};
use plainsight::dissect::eapol::build::{M1, M2, M3, M4, eapol, key_body};
use plainsight::dissect::ppp::build::{chap_data, control, lcp_auth, pap_data};
use plainsight::dissect::ppp::{CHAP, EAP, PAP};
use plainsight::timestamp::Timestamp;

use crate::fixtures::{Fixture, assert_expected, assert_generated};
use crate::support::{Expect, find_program, fixture, hex, scan, scan_with, tshark_fields, unhex};

fn mac(last: u8, group: u8) -> [u8; 6] {
    [0x02, 0, 0, 0, group, last]
}

fn write(linktype: LinkType, frames: Vec<(i64, Vec<u8>)>) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), linktype, 65535, false, false).expect("header");
    for (t, f) in frames {
        w.write(Timestamp::new(1_700_400_000 + t, 0), &f, f.len() as u32)
            .expect("record");
    }
    w.into_inner()
}

/// An Ethernet frame of `ethertype`.
fn ether(dst: [u8; 6], src: [u8; 6], ethertype: u16, body: &[u8]) -> Vec<u8> {
    let mut f = dst.to_vec();
    f.extend(src);
    f.extend(ethertype.to_be_bytes());
    f.extend(body);
    f
}

/// A PPPoE session frame carrying `ppp` (HDLC framing removed: protocol field first).
fn pppoe(dst: [u8; 6], src: [u8; 6], session: u16, ppp: &[u8]) -> Vec<u8> {
    let ppp = ppp.strip_prefix(&[0xff, 0x03]).unwrap_or(ppp);
    let mut b = vec![0x11, 0];
    b.extend(session.to_be_bytes());
    b.extend((ppp.len() as u16).to_be_bytes());
    b.extend(ppp);
    ether(dst, src, 0x8864, &b)
}

const PAE_GROUP: [u8; 6] = [0x01, 0x80, 0xc2, 0, 0, 0x03];

/// RFC 2759 section 9.2: user "User", password "clientPass".
const AUTH_CHALLENGE: &str = "5b5d7c7d7b3f2f3e3c2c602132262628";
const PEER_CHALLENGE: &str = "21402324255e262a28295f2b3a337c7e";
const NT_RESPONSE: &str = "82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df";

/// Two PPPoE sessions with one access concentrator (its frames first, as PPPoE's LCP
/// has it): MS-CHAPv2 with RFC 2759's example, accepted, and PAP refused; a PPPoE
/// discovery frame (nothing); and a wired 802.1X login to the PAE group address:
/// EAPOL-Start, identity, EAP-MD5 with hashcat's example for mode 4800 (password
/// "hashcat"), EAP Success.
fn pppoe_eapol() -> Vec<u8> {
    let ac = mac(0x01, 0xbb);
    let (c1, c2) = (mac(0x01, 0xaa), mac(0x02, 0xaa));
    let mut value = unhex(PEER_CHALLENGE);
    value.extend([0; 8]);
    value.extend(unhex(NT_RESPONSE));
    value.push(0);
    let mut frames = vec![
        (
            0,
            ether([0xff; 6], c1, 0x8863, &[0x11, 0x09, 0, 0, 0, 4, 1, 1, 0, 0]),
        ),
        (1, pppoe(c1, ac, 0x11, &lcp_auth(1, Some(0x81)))),
        (
            2,
            pppoe(
                ac,
                c1,
                0x11,
                &control(0xc021, 2, 1, &[3, 5, 0xc2, 0x23, 0x81]),
            ),
        ),
        (
            3,
            pppoe(
                c1,
                ac,
                0x11,
                &control(CHAP, 1, 5, &chap_data(&unhex(AUTH_CHALLENGE), b"bras-1")),
            ),
        ),
        (
            4,
            pppoe(
                ac,
                c1,
                0x11,
                &control(CHAP, 2, 5, &chap_data(&value, b"User")),
            ),
        ),
        (
            5,
            pppoe(
                c1,
                ac,
                0x11,
                &control(CHAP, 3, 5, b"S=407A5589115FD0D6209F510FE9C04566932CDA56"),
            ),
        ),
        (10, pppoe(c2, ac, 0x12, &lcp_auth(1, None))),
        (
            11,
            pppoe(
                ac,
                c2,
                0x12,
                &control(PAP, 1, 1, &pap_data(b"dsl-user@isp", b"Pppoe-Pw!")),
            ),
        ),
        (
            12,
            pppoe(c2, ac, 0x12, &control(PAP, 3, 1, b"\x0fLogin incorrect")),
        ),
    ];
    let (supplicant, switch) = (mac(0x01, 0xcc), mac(0x01, 0xdd));
    let challenge = unhex("01020304050607080910111213141516");
    let response = unhex("afd09efdd6f8ca9f18ec77c5869788c3");
    let mut md5_req = vec![4, 16];
    md5_req.extend(&challenge);
    let mut md5_resp = vec![4, 16];
    md5_resp.extend(&response);
    let eap = |code: u8, id: u8, data: &[u8]| -> Vec<u8> {
        let c = control(EAP, code, id, data);
        eapol(0, &c[4..])
    };
    let mut identity = vec![1];
    identity.extend(b"host/pc1.corp");
    frames.extend([
        (20, ether(PAE_GROUP, supplicant, 0x888e, &[2, 1, 0, 0])),
        (21, ether(PAE_GROUP, switch, 0x888e, &eap(1, 1, &[1]))),
        (
            22,
            ether(PAE_GROUP, supplicant, 0x888e, &eap(2, 1, &identity)),
        ),
        (23, ether(PAE_GROUP, switch, 0x888e, &eap(1, 1, &md5_req))),
        (
            24,
            ether(PAE_GROUP, supplicant, 0x888e, &eap(2, 1, &md5_resp)),
        ),
        (25, ether(PAE_GROUP, switch, 0x888e, &eap(3, 1, &[]))),
    ]);
    write(LinkType::ETHERNET, frames)
}

fn pppoe_eapol_expected() -> Vec<Expect> {
    vec![
        Expect {
            protocol: "pppoe",
            mechanism: "MS-CHAPv2",
            kind: "challenge-response",
            client: "02:00:00:00:aa:01",
            server: "02:00:00:00:bb:01",
            username: Some("User"),
            secret: NT_RESPONSE,
            outcome: "success",
            frame: Some(5),
            challenge: Some(AUTH_CHALLENGE),
            hashcat: Some((
                5500,
                "User::::82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df:d02e4386bce91226",
            )),
            ..Expect::default()
        },
        Expect {
            protocol: "pppoe",
            mechanism: "PAP",
            kind: "cleartext",
            client: "02:00:00:00:aa:02",
            server: "02:00:00:00:bb:01",
            username: Some("dsl-user@isp"),
            secret: "Pppoe-Pw!",
            outcome: "failure",
            frame: Some(9),
            ..Expect::default()
        },
        Expect {
            protocol: "eapol",
            mechanism: "EAP-MD5",
            kind: "challenge-response",
            client: "02:00:00:00:cc:01",
            server: "02:00:00:00:dd:01",
            username: Some("host/pc1.corp"),
            secret: "01afd09efdd6f8ca9f18ec77c5869788c3",
            outcome: "success",
            frame: Some(14),
            challenge: Some("01020304050607080910111213141516"),
            hashcat: Some((
                4800,
                "afd09efdd6f8ca9f18ec77c5869788c3:01020304050607080910111213141516:01",
            )),
            ..Expect::default()
        },
    ]
}

const AP: [u8; 6] = [0x02, 0, 0, 0, 0xee, 0x01];
const STA: [u8; 6] = [0x02, 0, 0, 0, 0xee, 0x02];
const SSID: &[u8] = b"PlainsightLab";
const PASSPHRASE: &[u8] = b"Wifi-Passphrase-2026";

fn hmac_sha1(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

/// The MIC of message 2 (`eapol`, MIC zeroed) under `passphrase` (IEEE 802.11-2020
/// 12.7.1: PMK = PBKDF2-HMAC-SHA1(passphrase, SSID, 4096), PTK = PRF-384 over "Pairwise
/// key expansion", the addresses and nonces in order; MIC = HMAC-SHA1(KCK)).
fn wpa2_mic(passphrase: &[u8], anonce: &[u8], snonce: &[u8], eapol: &[u8]) -> [u8; 16] {
    let mut pmk = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(passphrase, SSID, 4096, &mut pmk);
    let mut data = Vec::new();
    data.extend(AP.min(STA));
    data.extend(AP.max(STA));
    data.extend(anonce.min(snonce));
    data.extend(anonce.max(snonce));
    let ptk = hmac_sha1(&pmk, &[b"Pairwise key expansion", &[0], &data, &[0]]);
    hmac_sha1(&ptk[..16], &[eapol])[..16].try_into().unwrap()
}

/// The PMKID an access point puts in message 1: HMAC-SHA1-128(PMK, "PMK Name" | AA |
/// SPA).
fn pmkid(passphrase: &[u8]) -> Vec<u8> {
    let mut pmk = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(passphrase, SSID, 4096, &mut pmk);
    hmac_sha1(&pmk, &[b"PMK Name", &AP, &STA])[..16].to_vec()
}

/// A radiotap header (flags: none) and an 802.11 frame.
fn radiotap(frame: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, 0, 0, 0, 0, 0];
    v.extend(frame);
    v
}

/// An 802.11 data frame with an LLC/SNAP header for EAPOL: from the access point
/// (From DS) or to it (To DS).
fn data_frame(from_ap: bool, body: &[u8]) -> Vec<u8> {
    let (fc1, a1, a2, a3) = if from_ap {
        (0x02, STA, AP, AP)
    } else {
        (0x01, AP, STA, AP)
    };
    let mut f = vec![0x08, fc1, 0x3a, 0x01];
    f.extend(a1);
    f.extend(a2);
    f.extend(a3);
    f.extend([0x10, 0x00]);
    f.extend([0xaa, 0xaa, 0x03, 0, 0, 0, 0x88, 0x8e]);
    f.extend(body);
    f
}

/// A beacon of `SSID` from `AP`.
fn beacon() -> Vec<u8> {
    let mut f = vec![0x80, 0, 0, 0];
    f.extend([0xff; 6]);
    f.extend(AP);
    f.extend(AP);
    f.extend([0, 0]);
    f.extend([0; 8]); // timestamp
    f.extend([0x64, 0, 0x31, 0x04]); // interval, capabilities
    f.push(0);
    f.push(SSID.len() as u8);
    f.extend(SSID);
    f.extend([1, 1, 0x82]); // supported rates
    f
}

/// A WPA2-PSK association as a monitor-mode capture has it: a beacon naming the
/// network, then the 4-way handshake whose message 2 carries the MIC a station computes
/// from `PASSPHRASE`, message 1 with a PMKID in its key data.
fn wpa_handshake() -> Vec<u8> {
    write(LinkType::IEEE802_11_RADIOTAP, wpa_handshake_frames())
}

/// The beacon naming the network, then the handshake's four messages (the first with a
/// PMKID), one a second.
fn wpa_handshake_frames() -> Vec<(i64, Vec<u8>)> {
    let anonce = [0x5au8; 32];
    let snonce: [u8; 32] = core::array::from_fn(|i| i as u8);
    let mut pmkid_kde = vec![0xdd, 0x14, 0x00, 0x0f, 0xac, 0x04];
    pmkid_kde.extend(pmkid(PASSPHRASE));
    let rsn = [
        0x30, 0x14, 1, 0, 0, 0x0f, 0xac, 4, 1, 0, 0, 0x0f, 0xac, 4, 1, 0, 0, 0x0f, 0xac, 2, 0, 0,
    ];
    let m1 = eapol(3, &key_body(M1, 1, &anonce, &[0; 16], &pmkid_kde));
    let unsigned = eapol(3, &key_body(M2, 1, &snonce, &[0; 16], &rsn));
    let mic = wpa2_mic(PASSPHRASE, &anonce, &snonce, &unsigned);
    let m2 = eapol(3, &key_body(M2, 1, &snonce, &mic, &rsn));
    let m3 = eapol(3, &key_body(M3, 2, &anonce, &[0x77; 16], &[0; 56]));
    let m4 = eapol(3, &key_body(M4, 2, &[0; 32], &[0x88; 16], &[]));
    let frames = vec![
        (0, radiotap(&beacon())),
        (1, radiotap(&data_frame(true, &m1))),
        (2, radiotap(&data_frame(false, &m2))),
        (3, radiotap(&data_frame(true, &m3))),
        (4, radiotap(&data_frame(false, &m4))),
    ];
    frames
}

fn wpa_handshake_expected() -> Vec<Expect> {
    let e = Expect {
        protocol: "wpa",
        mechanism: "PMKID",
        kind: "challenge-response",
        client: "02:00:00:00:ee:02",
        server: "02:00:00:00:ee:01",
        secret: crate::support::leak(hex(&pmkid(PASSPHRASE))),
        outcome: "unknown",
        frame: Some(2),
        hashcat: Some((
            22000,
            crate::support::leak(format!(
                "WPA*01*{}*02000000ee01*02000000ee02*506c61696e73696768744c6162***",
                hex(&pmkid(PASSPHRASE))
            )),
        )),
        ..Expect::default()
    };
    vec![
        e.clone(),
        Expect {
            mechanism: "4-way handshake",
            outcome: "success",
            frame: Some(3),
            secret: leak_mic(),
            challenge: Some("5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"),
            hashcat: None,
            ..e
        },
    ]
}

/// The MIC of the fixture's message 2, as text.
fn leak_mic() -> &'static str {
    let anonce = [0x5au8; 32];
    let snonce: [u8; 32] = core::array::from_fn(|i| i as u8);
    let rsn = [
        0x30, 0x14, 1, 0, 0, 0x0f, 0xac, 4, 1, 0, 0, 0x0f, 0xac, 4, 1, 0, 0, 0x0f, 0xac, 2, 0, 0,
    ];
    let unsigned = eapol(3, &key_body(M2, 1, &snonce, &[0; 16], &rsn));
    crate::support::leak(hex(&wpa2_mic(PASSPHRASE, &anonce, &snonce, &unsigned)))
}

const ALL_L1_ISS: [u8; 6] = [0x01, 0x80, 0xc2, 0, 0, 0x14];
const ALL_L2_ISS: [u8; 6] = [0x01, 0x80, 0xc2, 0, 0, 0x15];
const ISIS_AREA_KEY: &[u8] = b"isis-area-key";

/// An 802.3 frame (a length, not a type) carrying an 802.2 LLC frame to SAPs `sap`,
/// behind a VLAN tag when `vlan` is set.
fn llc(dst: [u8; 6], src: [u8; 6], sap: u8, body: &[u8], vlan: bool) -> Vec<u8> {
    let mut f = dst.to_vec();
    f.extend(src);
    if vlan {
        f.extend([0x81, 0x00, 0x00, 0x0a]);
    }
    f.extend((body.len() as u16 + 3).to_be_bytes());
    f.extend([sap, sap, 0x03]);
    f.extend(body);
    f
}

/// IS-IS on a LAN: router 1's level-1 hello with a cleartext password (twice), router 2's
/// level-2 hello with another behind a VLAN tag, router 1's level-1 LSP signed with
/// HMAC-MD5 under the area key (RFC 5304), an unsigned level-2 LSP, and a spanning-tree
/// BPDU (LLC SAP 0x42, not IS-IS).
fn isis_auth() -> Vec<u8> {
    use plainsight::dissect::isis::build::{Signing, lan_hello, lsp};
    let (r1, r2) = (mac(1, 0x15), mac(2, 0x15));
    let (s1, s2) = ([0x19, 0x21, 0x68, 0, 0, 1], [0x19, 0x21, 0x68, 0, 0, 2]);
    let hello = lan_hello(1, s1, Signing::Cleartext(b"isis-hello"));
    let bpdu = [0u8, 0, 0, 0, 0, 0x80, 0, 2, 0, 0, 0, 0, 1];
    write(
        LinkType::ETHERNET,
        vec![
            (0, llc(ALL_L1_ISS, r1, 0xfe, &hello, false)),
            (
                1,
                llc(
                    ALL_L2_ISS,
                    r2,
                    0xfe,
                    &lan_hello(2, s2, Signing::Cleartext(b"isis-l2-hello")),
                    true,
                ),
            ),
            (2, llc(ALL_L1_ISS, r1, 0xfe, &hello, false)),
            (
                3,
                llc(
                    ALL_L1_ISS,
                    r1,
                    0xfe,
                    &lsp(1, s1, Signing::HmacMd5(ISIS_AREA_KEY)),
                    false,
                ),
            ),
            (
                4,
                llc(ALL_L2_ISS, r1, 0xfe, &lsp(2, s1, Signing::None), false),
            ),
            (5, llc([0x01, 0x80, 0xc2, 0, 0, 0], r2, 0x42, &bpdu, false)),
        ],
    )
}

fn isis_auth_expected() -> Vec<Expect> {
    use plainsight::dissect::isis::build::{Signing, lsp};
    let signed_lsp = lsp(
        1,
        [0x19, 0x21, 0x68, 0, 0, 1],
        Signing::HmacMd5(ISIS_AREA_KEY),
    );
    // The digest the router put in its LSP, and what it covers (digest, checksum and
    // lifetime zeroed), recomputed here with the key.
    let digest = &signed_lsp[signed_lsp.len() - 7 - 16..signed_lsp.len() - 7];
    let mut signed = signed_lsp.clone();
    let at = signed.len() - 7 - 16;
    signed[at..at + 16].fill(0);
    signed[10..12].fill(0);
    signed[24..26].fill(0);
    let mut m = Hmac::<md5::Md5>::new_from_slice(ISIS_AREA_KEY).unwrap();
    m.update(&signed);
    assert_eq!(&m.finalize().into_bytes()[..], digest);
    let e = Expect {
        protocol: "isis",
        mechanism: "cleartext password",
        kind: "cleartext",
        client: "02:00:00:00:15:01",
        server: "01:80:c2:00:00:14",
        secret: "isis-hello",
        outcome: "unknown",
        frame: Some(1),
        ..Expect::default()
    };
    vec![
        e.clone(),
        Expect {
            client: "02:00:00:00:15:02",
            server: "01:80:c2:00:00:15",
            secret: "isis-l2-hello",
            frame: Some(2),
            ..e.clone()
        },
        Expect {
            mechanism: "HMAC-MD5",
            kind: "challenge-response",
            secret: crate::support::leak(hex(digest)),
            challenge: Some(crate::support::leak(hex(&signed))),
            frame: Some(4),
            ..e
        },
    ]
}

const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "pppoe-eapol.pcap",
        bytes: pppoe_eapol,
        expected: pppoe_eapol_expected,
        exit: 1,
    },
    Fixture {
        name: "wpa-handshake.pcap",
        bytes: wpa_handshake,
        expected: wpa_handshake_expected,
        exit: 1,
    },
    Fixture {
        name: "isis-auth.pcap",
        bytes: isis_auth,
        expected: isis_auth_expected,
        exit: 1,
    },
];

#[test]
fn link_fixtures_are_what_the_generator_makes() {
    assert_generated(FIXTURES);
}

#[test]
fn link_fixtures_give_exactly_their_findings() {
    assert_expected(FIXTURES);
}

/// The capture begins just before the handshake and the next beacon names the network
/// after it: the findings wait for the name and carry the lines they carry when the
/// beacon comes first (one thread or two).
#[test]
fn wpa_lines_when_the_network_is_named_after_the_handshake() {
    let mut frames = wpa_handshake_frames();
    let (_, beacon) = frames.remove(0);
    frames.push((5, beacon));
    let dir = std::env::temp_dir().join(format!("plainsight-wpa-late-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("directory");
    let late = dir.join("late-beacon.pcap");
    std::fs::write(&late, write(LinkType::IEEE802_11_RADIOTAP, frames)).expect("write");
    let lines = |path: &std::path::Path, threads: &str| -> Vec<String> {
        let (findings, code, stderr) = scan_with(&["--threads", threads], &[path]);
        assert_eq!(code, 1, "{stderr}");
        let mut lines: Vec<String> = findings
            .iter()
            .map(|f| {
                f["hashcat"]["hash"]
                    .as_str()
                    .unwrap_or("(none)")
                    .to_string()
            })
            .collect();
        lines.sort();
        lines
    };
    let want = lines(&fixture("wpa-handshake.pcap"), "1");
    assert_eq!(want.len(), 2, "{want:?}");
    assert!(want.iter().all(|l| l.starts_with("WPA*0")), "{want:?}");
    for threads in ["1", "2"] {
        assert_eq!(lines(&late, threads), want, "{threads} threads");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The handshake's hashcat 22000 line holds what a station's MIC is computed over: with
/// the passphrase its parts give its MIC back, with another passphrase they do not; and
/// hashcat itself, when it can run here, cracks both lines (handshake and PMKID).
#[test]
fn wpa_line_cracks_to_the_passphrase() {
    let (findings, _, _) = scan(&[&fixture("wpa-handshake.pcap")]);
    let lines: Vec<String> = findings
        .iter()
        .filter_map(|f| Some(f["hashcat"]["hash"].as_str()?.to_string()))
        .collect();
    assert_eq!(lines.len(), 2, "{findings:#?}");
    let line = lines
        .iter()
        .find(|l| l.starts_with("WPA*02*"))
        .expect("a WPA*02 line")
        .clone();
    let f: Vec<&str> = line.split('*').collect();
    assert_eq!(f.len(), 9, "{line}");
    assert_eq!((f[0], f[1], f[8]), ("WPA", "02", "00"));
    assert_eq!(
        (f[3], f[4], f[5]),
        (hex(&AP).as_str(), hex(&STA).as_str(), hex(SSID).as_str())
    );
    let (anonce, eapol_m2) = (unhex(f[6]), unhex(f[7]));
    let snonce = &eapol_m2[4 + 13..4 + 45];
    assert_eq!(hex(&wpa2_mic(PASSPHRASE, &anonce, snonce, &eapol_m2)), f[2]);
    assert_ne!(
        hex(&wpa2_mic(b"another-pass", &anonce, snonce, &eapol_m2)),
        f[2]
    );
    // hashcat compiles its kernels for a CPU device first (about a minute): asked for.
    if std::env::var_os("PLAINSIGHT_HASHCAT").is_some() {
        let hashcat = find_program("hashcat").expect("PLAINSIGHT_HASHCAT set: hashcat");
        hashcat_cracks(&hashcat, &lines);
    }
}

/// hashcat itself (with `PLAINSIGHT_HASHCAT` set, hashcat and an OpenCL runtime such as
/// pocl installed) takes the lines and finds the passphrase in a list that holds it, for
/// each.
fn hashcat_cracks(hashcat: &std::path::Path, lines: &[String]) {
    let dir = std::env::temp_dir().join(format!("plainsight-hashcat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("h"), lines.join("\n") + "\n").unwrap();
    std::fs::write(dir.join("w"), "password123\nWifi-Passphrase-2026\n").unwrap();
    let out = Command::new(hashcat)
        .current_dir(&dir)
        .args([
            "-m",
            "22000",
            "-a",
            "0",
            "--potfile-disable",
            "--quiet",
            "-o",
            "cracked",
            "h",
            "w",
        ])
        .output()
        .expect("run hashcat");
    let cracked = std::fs::read_to_string(dir.join("cracked")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() && cracked.is_empty() {
        eprintln!(
            "wpa_line_cracks_to_the_passphrase: hashcat could not run here: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        return;
    }
    let found: Vec<&str> = cracked.lines().collect();
    assert_eq!(found.len(), 2, "{cracked}");
    assert!(
        found.iter().all(|l| l.ends_with(":Wifi-Passphrase-2026")),
        "{cracked}"
    );
}

/// tshark reads the generated frames as what they claim to be.
#[test]
fn tshark_reads_the_link_fixtures_alike() {
    let Some(tshark) = find_program("tshark") else {
        eprintln!("tshark_reads_the_link_fixtures_alike: SKIPPED: no tshark");
        return;
    };
    let fields = |file: &str, filter: &str, fields: &[&str]| {
        tshark_fields(&tshark, &fixture(file), filter, fields)
    };
    let chap = fields(
        "pppoe-eapol.pcap",
        "chap.code == 2",
        &["pppoe.session_id", "chap.name"],
    );
    assert_eq!(chap, ["0x0011\tUser"]);
    let pap = fields(
        "pppoe-eapol.pcap",
        "pap.code == 1",
        &["pap.peer_id", "pap.password"],
    );
    assert_eq!(pap, ["dsl-user@isp\tPppoe-Pw!"]);
    let md5 = fields(
        "pppoe-eapol.pcap",
        "eap.type == 4 && eap.code == 2",
        &["eap.md5.value"],
    );
    assert_eq!(md5, ["afd09efdd6f8ca9f18ec77c5869788c3"]);
    let ssid = fields(
        "wpa-handshake.pcap",
        "wlan.fc.type_subtype == 8",
        &["wlan.ssid"],
    );
    assert_eq!(ssid, [hex(SSID)]);
    let keys = fields(
        "wpa-handshake.pcap",
        "eapol",
        &["wlan_rsna_eapol.keydes.msgnr"],
    );
    assert_eq!(keys, ["1", "2", "3", "4"]);
}
