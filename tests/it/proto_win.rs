//! SMB and Kerberos captures of the project: how each is generated, and what plainsight
//! must find in it (the same conventions as `fixtures.rs`). Every challenge-response is
//! computed here for a known password (NTLMv2 from MS-NLMP, Kerberos RC4-HMAC and
//! AES-CTS from RFC 4757 and 3962 in `krb_crypto.rs`), and the tests check what plainsight
//! reports against those passwords. To regenerate after changing a generator:
//!
//! ```text
//! PLAINSIGHT_REGENERATE_FIXTURES=1 cargo test --test it win_fixtures_are_what
//! ```

use std::net::SocketAddr;

use md4::{Digest, Md4};
use serde_json::Value;

use plainsight::capture::PcapWriter;
use plainsight::dissect::dcerpc::{self, build as rpc};
use plainsight::dissect::kerberos::build as krb;
use plainsight::dissect::ntlmssp;
use plainsight::dissect::smb::build as smb;
use plainsight::dissect::smb::{STATUS_LOGON_FAILURE, STATUS_MORE_PROCESSING_REQUIRED};
use plainsight::synth::{Link, SynthPacket, TcpConversation, udp_packet};
use plainsight::timestamp::Timestamp;

use crate::fixtures::{Fixture, assert_expected, assert_generated};
use crate::support::hmac_md5;
use crate::support::{Expect, fixture, leak, scan, unhex};

#[path = "krb_crypto.rs"]
pub mod krb_crypto;

use krb_crypto::{
    USAGE_AS_REP_ENC_PART, USAGE_PA_ENC_TIMESTAMP, USAGE_TICKET, aes_decrypt, aes_encrypt,
    aes_string_to_key, nt_hash, rc4_hmac_decrypt, rc4_hmac_encrypt,
};

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

fn udp(ts: Timestamp, src: &str, dst: &str, payload: &[u8]) -> SynthPacket {
    SynthPacket {
        ts,
        ip: udp_packet(sa(src), sa(dst), payload),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- NTLM ---------------------------------------------------------------------------

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// NTProofStr (MS-NLMP 3.3.2) of a password for a user, domain, challenge and blob.
pub fn nt_proof(
    password: &str,
    user: &str,
    domain: &str,
    challenge: &[u8],
    blob: &[u8],
) -> Vec<u8> {
    let nt_hash = Md4::digest(utf16(password));
    let ntowf = hmac_md5(&nt_hash, &[&utf16(&(user.to_uppercase() + domain))]);
    hmac_md5(&ntowf, &[challenge, blob])
}

/// Whether a hashcat 5600 line (`user::domain:challenge:NTProofStr:blob`) is right for
/// `password`, recomputed from its own fields.
pub fn netntlmv2_verifies(line: &str, password: &str) -> bool {
    let p: Vec<&str> = line.split(':').collect();
    p.len() == 6 && hex(&nt_proof(password, p[0], p[2], &unhex(p[3]), &unhex(p[5]))) == p[4]
}

/// An NTLMv2 exchange computed for a password.
struct Ntlm {
    authenticate: Vec<u8>,
    nt: Vec<u8>,
    hashcat: String,
}

fn ntlmv2(user: &str, domain: &str, password: &str, challenge: [u8; 8], seed: u8) -> Ntlm {
    let blob: Vec<u8> = [
        &[1u8, 1, 0, 0, 0, 0, 0, 0][..],
        &[0x00, 0x6e, 0x2b, 0x4a, 0x91, 0x17, 0xda, 0x01], // timestamp
        &[seed; 8],                                        // client challenge
        &[0; 4],
        &[2, 0, 8, 0],
        &utf16("CORP"),
        &[0; 4],
    ]
    .concat();
    let proof = nt_proof(password, user, domain, &challenge, &blob);
    let nt = [proof.clone(), blob.clone()].concat();
    let lmv2 = [vec![0; 16], vec![seed; 8]].concat();
    Ntlm {
        authenticate: ntlmssp::build::authenticate(user, domain, "WS-42", &lmv2, &nt),
        hashcat: format!(
            "{user}::{domain}:{}:{}:{}",
            hex(&challenge),
            hex(&proof),
            hex(&blob)
        ),
        nt,
    }
}

// ---- SMB ----------------------------------------------------------------------------

const SMB2_CH1: [u8; 8] = [0x3a, 0x51, 0x09, 0xe4, 0x77, 0x12, 0xc0, 0x5d];
const SMB2_CH2: [u8; 8] = [0x8f, 0x02, 0x6b, 0xd1, 0x44, 0x9e, 0x31, 0x7a];
const SMB2_CH3: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
const SMB2_CH4: [u8; 8] = [0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10];

/// The accounts and passwords of the SMB fixtures.
pub const SMB_PASSWORDS: &[(&str, &str)] = &[
    ("alice", "Summer2024!"),
    ("bob", "B0b-the-Builder"),
    ("carol", "Carol#1984"),
    ("visitor", "guest-pass"),
];

fn smb2_alice_wrong() -> Ntlm {
    ntlmv2("alice", "CORP", "Winter2023!", SMB2_CH1, 0x11)
}

fn smb2_alice_right() -> Ntlm {
    ntlmv2("alice", "CORP", "Summer2024!", SMB2_CH2, 0x22)
}

fn smb2_visitor() -> Ntlm {
    ntlmv2("visitor", "FS01", "guest-pass", SMB2_CH4, 0x44)
}

/// One SMB2 NTLMSSP session setup: NEGOTIATE, CHALLENGE, AUTHENTICATE, the verdict.
fn smb2_login(
    c: &mut TcpConversation,
    first_id: u64,
    session: u64,
    challenge: [u8; 8],
    authenticate: &[u8],
    status: u32,
    session_flags: u16,
) {
    c.client(&smb::smb2_session_setup(
        first_id,
        0,
        &smb::spnego_init(&smb::ntlm_negotiate()),
    ))
    .server(&smb::smb2_session_setup_response(
        STATUS_MORE_PROCESSING_REQUIRED,
        first_id,
        session,
        0,
        &smb::spnego_resp(&ntlmssp::build::challenge(challenge), true),
    ))
    .client(&smb::smb2_session_setup(
        first_id + 1,
        session,
        &smb::spnego_resp(authenticate, false),
    ))
    .server(&smb::smb2_session_setup_response(
        status,
        first_id + 1,
        session,
        session_flags,
        &[],
    ));
}

/// SMB2 on 445: a wrong password (STATUS_LOGON_FAILURE) then the right one, as two
/// sessions of one connection; on another connection an anonymous null session (no
/// finding) and a login the server maps to guest (outcome unknown).
fn smb2_ntlm() -> Vec<u8> {
    let mut a = TcpConversation::new(sa("10.30.0.5:49700"), sa("10.30.0.10:445"))
        .without_acks()
        .starting_at(at(1_700_200_000));
    a.handshake()
        .client(&smb::smb2_negotiate(false, 0))
        .server(&smb::smb2_negotiate(true, 0));
    smb2_login(
        &mut a,
        1,
        0x0000_1000_0000_0041,
        SMB2_CH1,
        &smb2_alice_wrong().authenticate,
        STATUS_LOGON_FAILURE,
        0,
    );
    smb2_login(
        &mut a,
        3,
        0x0000_1000_0000_0045,
        SMB2_CH2,
        &smb2_alice_right().authenticate,
        0,
        0,
    );
    a.client(&smb::smb2_tree_connect(
        5,
        0x0000_1000_0000_0045,
        "\\\\10.30.0.10\\finance",
    ))
    .close();
    let mut b = TcpConversation::new(sa("10.30.0.6:49701"), sa("10.30.0.10:445"))
        .without_acks()
        .starting_at(at(1_700_200_010));
    b.handshake()
        .client(&smb::smb2_negotiate(false, 0))
        .server(&smb::smb2_negotiate(true, 0));
    let null = ntlmssp::build::authenticate("", "", "", &[0], &[]);
    smb2_login(&mut b, 1, 0x51, SMB2_CH3, &null, 0, 0x0002);
    smb2_login(
        &mut b,
        3,
        0x52,
        SMB2_CH4,
        &smb2_visitor().authenticate,
        0,
        0x0001,
    );
    b.close();
    pcap(conversations(vec![a, b]))
}

fn smb_expect(client: &'static str, server: &'static str, mechanism: &'static str) -> Expect {
    Expect {
        protocol: "smb",
        mechanism,
        kind: "challenge-response",
        client,
        server,
        domain: Some("CORP"),
        ..Expect::default()
    }
}

fn smb2_ntlm_expected() -> Vec<Expect> {
    let (wrong, right, visitor) = (smb2_alice_wrong(), smb2_alice_right(), smb2_visitor());
    let a = smb_expect(
        "10.30.0.5:49700",
        "10.30.0.10:445",
        "SMB2 NTLMSSP (NetNTLMv2)",
    );
    vec![
        Expect {
            username: Some("alice"),
            secret: leak(hex(&wrong.nt)),
            outcome: "failure",
            frame: Some(8), // 3 handshake, 2 negotiate, 2 setup, then the AUTHENTICATE
            challenge: Some(leak(hex(&SMB2_CH1))),
            hashcat: Some((5600, leak(wrong.hashcat))),
            ..a.clone()
        },
        Expect {
            username: Some("alice"),
            secret: leak(hex(&right.nt)),
            outcome: "success",
            frame: Some(12),
            challenge: Some(leak(hex(&SMB2_CH2))),
            hashcat: Some((5600, leak(right.hashcat))),
            ..a
        },
        Expect {
            username: Some("visitor"),
            secret: leak(hex(&visitor.nt)),
            outcome: "unknown",
            challenge: Some(leak(hex(&SMB2_CH4))),
            hashcat: Some((5600, leak(visitor.hashcat))),
            domain: Some("FS01"),
            ..smb_expect(
                "10.30.0.6:49701",
                "10.30.0.10:445",
                "SMB2 NTLMSSP (NetNTLMv2)",
            )
        },
    ]
}

// ---- DCE/RPC ------------------------------------------------------------------------

const RPC_CH1: [u8; 8] = [0x5e, 0x11, 0xa7, 0x30, 0xc2, 0x9d, 0x04, 0x68];
const RPC_CH2: [u8; 8] = [0x72, 0xe8, 0x1b, 0x96, 0x0d, 0x4f, 0xa3, 0x2c];

/// The accounts and passwords of the DCE/RPC fixture (dave types a wrong one).
pub const RPC_PASSWORDS: &[(&str, &str)] =
    &[("svc-backup", "Backup#2024"), ("dave", "Dave-real-1")];

fn rpc_right() -> Ntlm {
    ntlmv2("svc-backup", "CORP", "Backup#2024", RPC_CH1, 0x51)
}

fn rpc_wrong() -> Ntlm {
    ntlmv2("dave", "CORP", "N0t-dave", RPC_CH2, 0x52)
}

/// The interface UUID of the endpoint mapper (its bind's presentation context).
const EPM_UUID: [u8; 16] = [
    0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa,
];

/// DCE/RPC over TCP: on 135 a bind with an NTLM NEGOTIATE (packet integrity), the
/// bind_ack's CHALLENGE, the auth3's AUTHENTICATE in the same segment as the first
/// request, whose response follows (success); on a dynamic port (49667, found by content)
/// SPNEGO NTLM at packet privacy with the AUTHENTICATE in an alter_context, refused with
/// a fault (sec_pkg_error).
fn dcerpc_ntlm() -> Vec<u8> {
    let negotiate = {
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend(1u32.to_le_bytes());
        m.extend(0xe208_8297u32.to_le_bytes());
        m.extend([0; 16]);
        m
    };
    let mut a = TcpConversation::new(sa("10.31.0.5:50110"), sa("10.31.0.10:135"))
        .without_acks()
        .starting_at(at(1_700_210_000));
    let auth3 = rpc::pdu(
        dcerpc::PTYPE_AUTH3,
        1,
        &[0; 4],
        Some((dcerpc::AUTHN_WINNT, 5, &rpc_right().authenticate)),
    );
    let request = rpc::pdu(
        dcerpc::PTYPE_REQUEST,
        2,
        &[0; 48],
        Some((dcerpc::AUTHN_WINNT, 5, &[0; 16])),
    );
    a.handshake()
        .client(&rpc::pdu(
            dcerpc::PTYPE_BIND,
            1,
            &rpc::bind_body(EPM_UUID),
            Some((dcerpc::AUTHN_WINNT, 5, &negotiate)),
        ))
        .server(&rpc::pdu(
            dcerpc::PTYPE_BIND_ACK,
            1,
            &[0; 28],
            Some((dcerpc::AUTHN_WINNT, 5, &ntlmssp::build::challenge(RPC_CH1))),
        ))
        .client(&[auth3, request].concat())
        .server(&rpc::pdu(
            dcerpc::PTYPE_RESPONSE,
            2,
            &[0; 64],
            Some((dcerpc::AUTHN_WINNT, 5, &[0; 16])),
        ))
        .close();
    let mut b = TcpConversation::new(sa("10.31.0.6:50111"), sa("10.31.0.10:49667"))
        .without_acks()
        .starting_at(at(1_700_210_010));
    b.handshake()
        .client(&rpc::pdu(
            dcerpc::PTYPE_BIND,
            1,
            &rpc::bind_body(EPM_UUID),
            Some((
                dcerpc::AUTHN_GSS_NEGOTIATE,
                6,
                &smb::spnego_init(&negotiate),
            )),
        ))
        .server(&rpc::pdu(
            dcerpc::PTYPE_BIND_ACK,
            1,
            &[0; 28],
            Some((
                dcerpc::AUTHN_GSS_NEGOTIATE,
                6,
                &smb::spnego_resp(&ntlmssp::build::challenge(RPC_CH2), true),
            )),
        ))
        .client(&rpc::pdu(
            dcerpc::PTYPE_ALTER_CONTEXT,
            1,
            &rpc::bind_body(EPM_UUID),
            Some((
                dcerpc::AUTHN_GSS_NEGOTIATE,
                6,
                &smb::spnego_resp(&rpc_wrong().authenticate, false),
            )),
        ))
        .server(&rpc::fault(1, dcerpc::FAULT_SEC_PKG_ERROR))
        .close();
    pcap(conversations(vec![a, b]))
}

fn dcerpc_ntlm_expected() -> Vec<Expect> {
    let (right, wrong) = (rpc_right(), rpc_wrong());
    vec![
        Expect {
            protocol: "dcerpc",
            mechanism: "NTLM (NetNTLMv2)",
            kind: "challenge-response",
            client: "10.31.0.5:50110",
            server: "10.31.0.10:135",
            username: Some("svc-backup"),
            domain: Some("CORP"),
            secret: leak(hex(&right.nt)),
            outcome: "success",
            frame: Some(6),
            challenge: Some(leak(hex(&RPC_CH1))),
            hashcat: Some((5600, leak(right.hashcat))),
            ..Expect::default()
        },
        Expect {
            protocol: "dcerpc",
            mechanism: "SPNEGO NTLM (NetNTLMv2)",
            kind: "challenge-response",
            client: "10.31.0.6:50111",
            server: "10.31.0.10:49667",
            username: Some("dave"),
            domain: Some("CORP"),
            secret: leak(hex(&wrong.nt)),
            outcome: "failure",
            challenge: Some(leak(hex(&RPC_CH2))),
            hashcat: Some((5600, leak(wrong.hashcat))),
            ..Expect::default()
        },
    ]
}

const SMB1_CH1: [u8; 8] = [0xc4, 0x1d, 0x7e, 0x02, 0x9b, 0x66, 0x35, 0xa8];
const SMB1_CH2: [u8; 8] = [0x5e, 0xe5, 0x11, 0x93, 0x0d, 0x2c, 0x48, 0xf7];

fn smb1_bob() -> Ntlm {
    ntlmv2("bob", "CORP", "B0b-the-Builder", SMB1_CH1, 0x33)
}

fn smb1_carol() -> Ntlm {
    ntlmv2("carol", "CORP", "Carol#1983", SMB1_CH2, 0x55) // last year's password
}

/// dave's NTLMv1 responses: planted bytes (a DES computation is not needed to check the
/// fields of a 5500 line).
const DAVE_LM: [u8; 24] = [0x61; 24];
const DAVE_NT: [u8; 24] = [
    0x9c, 0xd7, 0xe4, 0xaf, 0x2d, 0x7e, 0x93, 0x4a, 0xdc, 0x9b, 0x30, 0x72, 0x31, 0xa9, 0x58, 0x53,
    0x9b, 0x3d, 0x2c, 0x36, 0x8b, 0x96, 0x4c, 0xea,
];

/// SMB1: extended security (SPNEGO NTLMSSP) over NetBIOS on 139, after the session
/// request; non-extended security on 445, the challenge in the NEGOTIATE response:
/// carol's LMv2/NTLMv2 (refused), then dave's NTLMv1 (accepted).
fn smb1_ntlm() -> Vec<u8> {
    let mut a = TcpConversation::new(sa("10.30.1.5:1050"), sa("10.30.1.10:139"))
        .without_acks()
        .starting_at(at(1_700_200_100));
    a.handshake()
        .client(&smb::session_request("FILESRV", "BOBS-PC"))
        .server(&smb::positive_response())
        .client(&smb::smb1_negotiate_request(true))
        .server(&smb::smb1_negotiate_response(None, 0x03))
        .client(&smb::smb1_session_setup_ext(
            0,
            2,
            &smb::spnego_init(&smb::ntlm_negotiate()),
        ))
        .server(&smb::smb1_session_setup_response(
            STATUS_MORE_PROCESSING_REQUIRED,
            0x0800,
            2,
            0,
            Some(&smb::spnego_resp(
                &ntlmssp::build::challenge(SMB1_CH1),
                true,
            )),
        ))
        .client(&smb::smb1_session_setup_ext(
            0x0800,
            3,
            &smb::spnego_resp(&smb1_bob().authenticate, false),
        ))
        .server(&smb::smb1_session_setup_response(
            0,
            0x0800,
            3,
            0,
            Some(&smb::spnego_resp(&[], true)),
        ))
        .close();
    let carol = smb1_carol();
    let lmv2 = [vec![0x7c; 16], vec![0x55; 8]].concat();
    let mut b = TcpConversation::new(sa("10.30.1.6:1051"), sa("10.30.1.10:445"))
        .without_acks()
        .starting_at(at(1_700_200_110));
    b.handshake()
        .client(&smb::smb1_negotiate_request(false))
        .server(&smb::smb1_negotiate_response(Some(SMB1_CH2), 0x03))
        .client(&smb::smb1_session_setup_basic(
            2, &lmv2, &carol.nt, "carol", "CORP",
        ))
        .server(&smb::smb1_session_setup_response(
            STATUS_LOGON_FAILURE,
            0,
            2,
            0,
            None,
        ))
        .client(&smb::smb1_session_setup_basic(
            3, &DAVE_LM, &DAVE_NT, "dave", "CORP",
        ))
        .server(&smb::smb1_session_setup_response(0, 0x0801, 3, 0, None))
        .close();
    pcap(conversations(vec![a, b]))
}

fn smb1_ntlm_expected() -> Vec<Expect> {
    let (bob, carol) = (smb1_bob(), smb1_carol());
    let b = smb_expect(
        "10.30.1.6:1051",
        "10.30.1.10:445",
        "SMB1 non-extended security (NetNTLMv2)",
    );
    // carol's line: the NTProofStr and blob are the NT response's; the LMv2 is not used.
    vec![
        Expect {
            username: Some("bob"),
            secret: leak(hex(&bob.nt)),
            outcome: "success",
            frame: Some(10),
            challenge: Some(leak(hex(&SMB1_CH1))),
            hashcat: Some((5600, leak(bob.hashcat))),
            ..smb_expect(
                "10.30.1.5:1050",
                "10.30.1.10:139",
                "SMB1 NTLMSSP (NetNTLMv2)",
            )
        },
        Expect {
            username: Some("carol"),
            secret: leak(hex(&carol.nt)),
            outcome: "failure",
            frame: Some(14 + 6), // after the 14 packets of the first connection
            challenge: Some(leak(hex(&SMB1_CH2))),
            hashcat: Some((5600, leak(carol.hashcat))),
            ..b.clone()
        },
        Expect {
            username: Some("dave"),
            secret: leak(hex(&DAVE_NT)),
            outcome: "success",
            frame: Some(14 + 8),
            challenge: Some(leak(hex(&SMB1_CH2))),
            hashcat: Some((
                5500,
                leak(format!(
                    "dave::CORP:{}:{}:{}",
                    hex(&DAVE_LM),
                    hex(&DAVE_NT),
                    hex(&SMB1_CH2)
                )),
            )),
            mechanism: "SMB1 non-extended security (NetNTLMv1)",
            ..b
        },
    ]
}

/// SMB1 to a server whose NEGOTIATE response does not ask for encrypted passwords: the
/// client sends the password itself.
fn smb1_plaintext() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.30.2.5:1060"), sa("10.30.2.10:445"))
        .without_acks()
        .starting_at(at(1_700_200_200));
    c.handshake()
        .client(&smb::smb1_negotiate_request(false))
        .server(&smb::smb1_negotiate_response(Some([0; 8]), 0x01))
        .client(&smb::smb1_session_setup_basic(
            2,
            b"",
            &utf16("Pl@in-Old-NAS"),
            "erin",
            "WORKGROUP",
        ))
        .server(&smb::smb1_session_setup_response(0, 0x0900, 2, 0, None))
        .close();
    pcap(c.into_packets())
}

fn smb1_plaintext_expected() -> Vec<Expect> {
    vec![Expect {
        protocol: "smb",
        mechanism: "SMB1 plaintext password",
        kind: "cleartext",
        client: "10.30.2.5:1060",
        server: "10.30.2.10:445",
        username: Some("erin"),
        secret: "Pl@in-Old-NAS",
        outcome: "success",
        frame: Some(6),
        domain: Some("WORKGROUP"),
        ..Expect::default()
    }]
}

// ---- Kerberos -----------------------------------------------------------------------

const REALM: &str = "CORP.EXAMPLE";
const TIME: &[u8] = b"20231120093015Z";

/// The accounts and passwords of the Kerberos fixtures (the service account's for the
/// Kerberoast ticket).
pub const KRB_PASSWORDS: &[(&str, &str)] = &[
    ("frank", "Autumn-Leaves7"),
    ("grace", "Gr4ce!AES"),
    ("svc-legacy", "NoPreauth2019"),
    ("sqlsvc", "Sql$ervice1"),
];

fn pa_ts() -> Vec<u8> {
    krb::pa_enc_ts_enc(TIME, 271_828)
}

fn frank_wrong() -> Vec<u8> {
    rc4_hmac_encrypt(
        &nt_hash("Autumn-Leaves6"),
        USAGE_PA_ENC_TIMESTAMP,
        &[0x21; 8],
        &pa_ts(),
    )
}

fn frank_right() -> Vec<u8> {
    rc4_hmac_encrypt(
        &nt_hash("Autumn-Leaves7"),
        USAGE_PA_ENC_TIMESTAMP,
        &[0x22; 8],
        &pa_ts(),
    )
}

fn grace_aes() -> Vec<u8> {
    let key = aes_string_to_key("Gr4ce!AES", b"CORP.EXAMPLEgrace", 4096, 32);
    aes_encrypt(&key, USAGE_PA_ENC_TIMESTAMP, &[0x23; 16], &pa_ts())
}

/// A stand-in for an EncASRepPart / EncTicketPart: what the key decrypts to.
fn enc_part_plaintext(tag: u8) -> Vec<u8> {
    use plainsight::dissect::ber::build::{int, octets, seq, tlv};
    tlv(
        tag,
        &seq(&[&tlv(
            0xa0,
            &seq(&[&tlv(0xa0, &int(23)), &tlv(0xa1, &octets(&[0x5c; 16]))]),
        )]),
    )
}

fn legacy_as_rep_cipher() -> Vec<u8> {
    rc4_hmac_encrypt(
        &nt_hash("NoPreauth2019"),
        USAGE_AS_REP_ENC_PART,
        &[0x24; 8],
        &enc_part_plaintext(0x79),
    )
}

fn sql_ticket_cipher() -> Vec<u8> {
    rc4_hmac_encrypt(
        &nt_hash("Sql$ervice1"),
        USAGE_TICKET,
        &[0x25; 8],
        &enc_part_plaintext(0x63),
    )
}

fn pa(etype: i64, cipher: &[u8]) -> Vec<u8> {
    krb::padata(2, &krb::enc_data(etype, None, cipher))
}

/// A reply's ticket and enc-part for a client (their contents are not read).
fn as_rep(user: &[u8], enc_part: &[u8]) -> Vec<u8> {
    let realm = REALM.as_bytes();
    let t = krb::ticket(
        realm,
        &[b"krbtgt", realm],
        &krb::enc_data(18, Some(2), &[0x9e; 180]),
    );
    krb::reply(false, &[], realm, user, &t, enc_part)
}

/// Pre-authentication: over UDP, frank's first AS-REQ without pre-authentication (25,
/// no finding), a wrong RC4 password (24), the right one (AS-REP); over TCP, grace's
/// AES256 PA-ENC-TIMESTAMP with its record split in two segments (AS-REP).
fn kerberos_preauth() -> Vec<u8> {
    let realm = REALM.as_bytes();
    let (client, kdc) = ("10.40.0.5", "10.40.0.1:88");
    let c = |port: u16| format!("{client}:{port}");
    let mut packets = vec![
        udp(
            at(1_700_300_000),
            &c(50001),
            kdc,
            &krb::as_req(b"frank", realm, &[]),
        ),
        udp(
            at(1_700_300_000),
            kdc,
            &c(50001),
            &krb::error(25, realm, Some(b"frank")),
        ),
        udp(
            at(1_700_300_001),
            &c(50002),
            kdc,
            &krb::as_req(b"frank", realm, &[pa(23, &frank_wrong())]),
        ),
        udp(
            at(1_700_300_001),
            kdc,
            &c(50002),
            &krb::error(24, realm, Some(b"frank")),
        ),
        udp(
            at(1_700_300_002),
            &c(50003),
            kdc,
            &krb::as_req(b"frank", realm, &[pa(23, &frank_right())]),
        ),
        udp(
            at(1_700_300_002),
            kdc,
            &c(50003),
            &as_rep(b"frank", &krb::enc_data(23, Some(1), &[0x71; 220])),
        ),
    ];
    let req = krb::tcp(&krb::as_req(b"grace", realm, &[pa(18, &grace_aes())]));
    let mut t = TcpConversation::new(sa("10.40.0.6:50100"), sa(kdc))
        .without_acks()
        .starting_at(at(1_700_300_010));
    t.handshake()
        .client(&req[..60])
        .client(&req[60..])
        .server(&krb::tcp(&as_rep(
            b"grace",
            &krb::enc_data(18, Some(1), &[0x72; 220]),
        )))
        .close();
    packets.extend(t.into_packets());
    pcap(packets)
}

fn krb_expect(client: &'static str, server: &'static str, mechanism: &'static str) -> Expect {
    Expect {
        protocol: "kerberos",
        mechanism,
        kind: "challenge-response",
        client,
        server,
        domain: Some(REALM),
        ..Expect::default()
    }
}

/// hashcat 7500 wants the encrypted timestamp first and the checksum last.
fn line_7500(user: &str, cipher: &[u8]) -> String {
    format!(
        "$krb5pa$23${user}${REALM}${REALM}{user}${}{}",
        hex(&cipher[16..]),
        hex(&cipher[..16])
    )
}

fn kerberos_preauth_expected() -> Vec<Expect> {
    let e = krb_expect("10.40.0.5:50002", "10.40.0.1:88", "AS-REQ PA-ENC-TIMESTAMP");
    let (wrong, right, aes) = (frank_wrong(), frank_right(), grace_aes());
    vec![
        Expect {
            username: Some("frank"),
            secret: leak(hex(&wrong)),
            outcome: "failure",
            frame: Some(3),
            hashcat: Some((7500, leak(line_7500("frank", &wrong)))),
            ..e.clone()
        },
        Expect {
            username: Some("frank"),
            secret: leak(hex(&right)),
            outcome: "success",
            frame: Some(5),
            hashcat: Some((7500, leak(line_7500("frank", &right)))),
            client: "10.40.0.5:50003",
            ..e
        },
        Expect {
            username: Some("grace"),
            secret: leak(hex(&aes)),
            outcome: "success",
            frame: Some(6 + 5), // the second segment completed it
            hashcat: Some((
                19900,
                leak(format!("$krb5pa$18$grace${REALM}${}", hex(&aes))),
            )),
            ..krb_expect("10.40.0.6:50100", "10.40.0.1:88", "AS-REQ PA-ENC-TIMESTAMP")
        },
    ]
}

/// Roasting: an AS-REQ without pre-authentication answered by an AS-REP (the account
/// does not require it) over UDP; over TCP, a TGS-REQ/TGS-REP for an SQL service whose
/// ticket is RC4 (Kerberoast), and one for a file server whose ticket is AES (nothing).
fn kerberos_roast() -> Vec<u8> {
    let realm = REALM.as_bytes();
    let kdc = "10.40.1.1:88";
    let mut packets = vec![
        udp(
            at(1_700_300_100),
            "10.40.1.5:50200",
            kdc,
            &krb::as_req(b"svc-legacy", realm, &[]),
        ),
        udp(
            at(1_700_300_100),
            kdc,
            "10.40.1.5:50200",
            &as_rep(
                b"svc-legacy",
                &krb::enc_data(23, Some(3), &legacy_as_rep_cipher()),
            ),
        ),
    ];
    let sql: &[&[u8]] = &[b"MSSQLSvc", b"sql01.corp.example:1433"];
    let cifs: &[&[u8]] = &[b"cifs", b"fs01.corp.example"];
    let tgs_rep = |sname: &[&[u8]], ticket: Vec<u8>| {
        krb::tcp(&krb::reply(
            true,
            &[],
            realm,
            b"henry",
            &krb::ticket(realm, sname, &ticket),
            &krb::enc_data(18, None, &[0x73; 160]),
        ))
    };
    let mut t = TcpConversation::new(sa("10.40.1.6:50300"), sa(kdc))
        .without_acks()
        .starting_at(at(1_700_300_110));
    t.handshake()
        .client(&krb::tcp(&krb::tgs_req(realm, sql)))
        .server(&tgs_rep(
            sql,
            krb::enc_data(23, Some(5), &sql_ticket_cipher()),
        ))
        .client(&krb::tcp(&krb::tgs_req(realm, cifs)))
        .server(&tgs_rep(cifs, krb::enc_data(18, Some(7), &[0x74; 300])))
        .close();
    packets.extend(t.into_packets());
    pcap(packets)
}

fn kerberos_roast_expected() -> Vec<Expect> {
    let (asrep, ticket) = (legacy_as_rep_cipher(), sql_ticket_cipher());
    vec![
        Expect {
            username: Some("svc-legacy"),
            secret: leak(hex(&asrep)),
            outcome: "success",
            frame: Some(2),
            hashcat: Some((
                18200,
                leak(format!(
                    "$krb5asrep$23$svc-legacy@{REALM}:{}${}",
                    hex(&asrep[..16]),
                    hex(&asrep[16..])
                )),
            )),
            ..krb_expect(
                "10.40.1.5:50200",
                "10.40.1.1:88",
                "AS-REP (no pre-authentication)",
            )
        },
        Expect {
            username: Some("henry"),
            secret: leak(hex(&ticket)),
            outcome: "success",
            frame: Some(2 + 5),
            hashcat: Some((
                13100,
                leak(format!(
                    "$krb5tgs$23$*henry${REALM}$MSSQLSvc/sql01.corp.example:1433*${}${}",
                    hex(&ticket[..16]),
                    hex(&ticket[16..])
                )),
            )),
            ..krb_expect(
                "10.40.1.6:50300",
                "10.40.1.1:88",
                "TGS-REP service ticket (Kerberoast)",
            )
        },
    ]
}

pub const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "dcerpc-ntlm.pcap",
        bytes: dcerpc_ntlm,
        expected: dcerpc_ntlm_expected,
        exit: 1,
    },
    Fixture {
        name: "smb2-ntlm.pcap",
        bytes: smb2_ntlm,
        expected: smb2_ntlm_expected,
        exit: 1,
    },
    Fixture {
        name: "smb1-ntlm.pcap",
        bytes: smb1_ntlm,
        expected: smb1_ntlm_expected,
        exit: 1,
    },
    Fixture {
        name: "smb1-plaintext.pcap",
        bytes: smb1_plaintext,
        expected: smb1_plaintext_expected,
        exit: 1,
    },
    Fixture {
        name: "kerberos-preauth.pcap",
        bytes: kerberos_preauth,
        expected: kerberos_preauth_expected,
        exit: 1,
    },
    Fixture {
        name: "kerberos-roast.pcap",
        bytes: kerberos_roast,
        expected: kerberos_roast_expected,
        exit: 1,
    },
];

#[test]
fn win_fixtures_are_what_the_generator_makes() {
    assert_generated(FIXTURES);
}

#[test]
fn win_fixtures_give_exactly_their_findings() {
    assert_expected(FIXTURES);
}

fn password<'a>(table: &[(&str, &'a str)], user: &str) -> &'a str {
    table
        .iter()
        .find(|(u, _)| *u == user)
        .map(|(_, p)| *p)
        .unwrap_or_else(|| panic!("no password for {user}"))
}

/// Every NetNTLMv2 line plainsight reports verifies against the account's password, and
/// only the logins made with that password succeed.
#[test]
fn smb_and_dcerpc_netntlmv2_lines_verify_against_the_passwords() {
    let mut checked = 0;
    for (name, passwords) in [
        ("smb2-ntlm.pcap", SMB_PASSWORDS),
        ("smb1-ntlm.pcap", SMB_PASSWORDS),
        ("dcerpc-ntlm.pcap", RPC_PASSWORDS),
    ] {
        let (findings, _, _) = scan(&[&fixture(name)]);
        for f in &findings {
            let Some(line) = f["hashcat"]["hash"].as_str() else {
                continue;
            };
            if f["hashcat"]["mode"] != 5600 {
                continue;
            }
            let user = f["username"].as_str().unwrap_or_default();
            let right = netntlmv2_verifies(line, password(passwords, user));
            assert_eq!(
                right,
                f["outcome"] != "failure",
                "{name}: {user}: the line verifies iff the login was not refused: {f:#}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 7);
}

/// Whether a PA-ENC-TS-ENC plaintext holds the fixtures' time.
fn holds_time(plain: &[u8]) -> bool {
    plain.windows(TIME.len()).any(|w| w == TIME)
}

/// The Kerberos secrets and hashcat lines decrypt with the passwords: the ciphers are
/// the password's, and each line puts its fields where hashcat reads them.
#[test]
fn kerberos_secrets_and_lines_decrypt_with_the_passwords() {
    let (mut findings, _, _) = scan(&[&fixture("kerberos-preauth.pcap")]);
    findings.extend(scan(&[&fixture("kerberos-roast.pcap")]).0);
    assert_eq!(findings.len(), 5);
    for f in &findings {
        let user = f["username"].as_str().unwrap_or_default();
        let secret = unhex(f["secret"].as_str().unwrap_or_default());
        let line = f["hashcat"]["hash"].as_str().unwrap_or_default();
        let fields: Vec<&str> = line.split('$').collect();
        match f["hashcat"]["mode"].as_u64() {
            Some(7500) => {
                let key = nt_hash(password(KRB_PASSWORDS, user));
                let ok = rc4_hmac_decrypt(&key, USAGE_PA_ENC_TIMESTAMP, &secret)
                    .is_some_and(|p| holds_time(&p));
                assert_eq!(ok, f["outcome"] == "success", "{f:#}");
                let data = unhex(fields[6]);
                let cipher = [&data[36..], &data[..36]].concat();
                assert_eq!(cipher, secret);
                assert_eq!(fields[3], user);
            }
            Some(19900) => {
                let salt = format!("{}{}", fields[4].to_uppercase(), fields[3]);
                let key =
                    aes_string_to_key(password(KRB_PASSWORDS, user), salt.as_bytes(), 4096, 32);
                let plain = aes_decrypt(&key, USAGE_PA_ENC_TIMESTAMP, &unhex(fields[5]));
                assert!(plain.is_some_and(|p| holds_time(&p)), "{f:#}");
            }
            Some(18200) => {
                let key = nt_hash(password(KRB_PASSWORDS, user));
                let (ck, ed) = line.split_once(':').unwrap().1.split_once('$').unwrap();
                let cipher = [unhex(ck), unhex(ed)].concat();
                assert_eq!(
                    rc4_hmac_decrypt(&key, USAGE_AS_REP_ENC_PART, &cipher),
                    Some(enc_part_plaintext(0x79)[..].to_vec())
                );
            }
            Some(13100) => {
                // The service account's password, not the requester's.
                let key = nt_hash(password(KRB_PASSWORDS, "sqlsvc"));
                // $krb5tgs$23$*user$realm$spn*$checksum$edata2
                assert_eq!(fields[3], format!("*{user}"));
                let cipher = [unhex(fields[6]), unhex(fields[7])].concat();
                assert_eq!(
                    rc4_hmac_decrypt(&key, USAGE_TICKET, &cipher),
                    Some(enc_part_plaintext(0x63)[..].to_vec())
                );
            }
            other => panic!("unexpected hashcat mode {other:?}: {f:#}"),
        }
    }
}

#[test]
fn win_details_say_why() {
    let (findings, _, _) = scan(&[&fixture("kerberos-preauth.pcap")]);
    let failed = findings
        .iter()
        .find(|f| f["outcome"] == "failure")
        .expect("the refused pre-authentication");
    assert_eq!(failed["details"]["error"], "KDC_ERR_PREAUTH_FAILED (24)");
    assert_eq!(failed["details"]["etype"], "23");
    let (findings, _, _) = scan(&[&fixture("kerberos-roast.pcap")]);
    let roast: Vec<&Value> = findings
        .iter()
        .filter(|f| f["details"]["spn"].is_string())
        .collect();
    assert_eq!(roast.len(), 1);
    assert_eq!(
        roast[0]["details"]["spn"],
        "MSSQLSvc/sql01.corp.example:1433"
    );
    let (findings, _, _) = scan(&[&fixture("smb2-ntlm.pcap")]);
    let refused = findings
        .iter()
        .find(|f| f["outcome"] == "failure")
        .expect("the refused login");
    assert_eq!(refused["details"]["status"], "STATUS_LOGON_FAILURE");
    assert_eq!(refused["details"]["workstation"], "WS-42");
    let guest = findings
        .iter()
        .find(|f| f["username"] == "visitor")
        .expect("the guest login");
    assert!(
        guest["details"]["note"]
            .as_str()
            .is_some_and(|n| n.contains("guest"))
    );
}
