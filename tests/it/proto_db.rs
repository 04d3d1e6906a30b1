//! Database captures of the project (Redis, PostgreSQL, MySQL/MariaDB, MSSQL TDS, DRDA, Oracle TNS, Neo4j Bolt): how each
//! is generated, and what plainsight must find in it (the same conventions as
//! `fixtures.rs`). The challenge-responses are computed here from known passwords. To
//! regenerate after changing a generator:
//!
//! ```text
//! PLAINSIGHT_REGENERATE_FIXTURES=1 cargo test --test it db_fixtures_are_what
//! ```

use std::net::SocketAddr;

use md4::Md4;
use md5::{Digest, Md5};
use sha1::Sha1;

use plainsight::capture::PcapWriter;
use plainsight::dissect::bolt;
use plainsight::dissect::drda;
use plainsight::dissect::mysql::build as my;
use plainsight::dissect::ntlmssp;
use plainsight::dissect::postgresql::{self as pg, build as pgb};
use plainsight::dissect::redis::build as resp;
use plainsight::dissect::tds::{self, build as tdsb};
use plainsight::dissect::tds_rpc::build as rpcb;
use plainsight::dissect::tns::build as t;
use plainsight::synth::{Link, SynthPacket, TcpConversation};
use plainsight::timestamp::Timestamp;

use crate::fixtures::{Fixture, assert_expected, assert_generated};
use crate::o5logon::{self, Challenge};
use crate::support::hmac_md5;
use crate::support::{Expect, Scram, caching_sha2, fixture, leak, scan, scram, unhex};

fn sa(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

fn at(secs: i64) -> Timestamp {
    Timestamp::new(secs, 0)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

/// A conversation without pure ACKs: after the handshake (frames 1-3) every `client` /
/// `server` call is one frame.
fn conv(client: &str, server: &str, secs: i64) -> TcpConversation {
    TcpConversation::new(sa(client), sa(server))
        .without_acks()
        .starting_at(at(secs))
}

fn expect(protocol: &'static str, mechanism: &'static str, kind: &'static str) -> Expect {
    Expect {
        protocol,
        mechanism,
        kind,
        ..Expect::default()
    }
}

// ---- the challenge-responses, computed from the password -----------------------------

/// PostgreSQL's md5 response: "md5" + md5(md5(password + user) + salt), in hex.
fn postgres_md5(user: &str, password: &str, salt: [u8; 4]) -> String {
    let inner = hex(&Md5::digest(format!("{password}{user}")));
    let outer = Md5::digest([inner.as_bytes(), &salt].concat());
    format!("md5{}", hex(&outer))
}

/// mysql_native_password: SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password))).
fn mysql_native_response(password: &str, scramble: &[u8]) -> [u8; 20] {
    let stage1 = Sha1::digest(password.as_bytes());
    let stage2 = Sha1::digest(stage1);
    let mask = Sha1::digest([scramble, &stage2[..]].concat());
    let mut r = [0u8; 20];
    for (i, b) in r.iter_mut().enumerate() {
        *b = stage1[i] ^ mask[i];
    }
    r
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// An NTLMv2 AUTHENTICATE computed for a password (MS-NLMP 3.3.2), the hashcat 5600 line
/// and the NT response (hex) that must come out of it.
fn ntlmv2(
    user: &str,
    domain: &str,
    password: &str,
    challenge: [u8; 8],
) -> (Vec<u8>, String, String) {
    let blob: Vec<u8> = [
        &[1u8, 1, 0, 0, 0, 0, 0, 0][..],
        &[0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0x01],
        &[0x77; 8],
        &[0; 4],
        &[0; 4],
    ]
    .concat();
    let nt_hash = Md4::digest(utf16(password));
    let ntowf = hmac_md5(&nt_hash, &[&utf16(&(user.to_uppercase() + domain))]);
    let proof = hmac_md5(&ntowf, &[&challenge, &blob]);
    let nt = [proof.clone(), blob.clone()].concat();
    (
        ntlmssp::build::authenticate(user, domain, "SQLCLIENT7", &[0; 24], &nt),
        format!(
            "{user}::{domain}:{}:{}:{}",
            hex(&challenge),
            hex(&proof),
            hex(&blob)
        ),
        hex(&nt),
    )
}

// ---- Redis ------------------------------------------------------------------------------

const WRONGPASS: &[u8] = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n";

/// `AUTH password` (requirepass) wrong then right; `AUTH user password` (an ACL user) wrong
/// then right, on another connection.
fn redis_auth() -> Vec<u8> {
    let mut a = conv("10.40.0.5:50000", "10.40.0.1:6379", 1_700_300_000);
    a.handshake()
        .client(&resp::command(&[b"AUTH", b"wrong-pass"]))
        .server(WRONGPASS)
        .client(&resp::command(&[b"AUTH", b"s3cret-Redis"]))
        .server(b"+OK\r\n")
        .client(&resp::command(&[b"PING"]))
        .server(b"+PONG\r\n")
        .close();
    let mut b = conv("10.40.0.6:50001", "10.40.0.1:6379", 1_700_300_010);
    b.handshake()
        .client(&resp::command(&[b"AUTH", b"alice", b"not-alices"]))
        .server(WRONGPASS)
        .client(&resp::command(&[b"AUTH", b"alice", b"Al1ce-ACL!"]))
        .server(b"+OK\r\n")
        .close();
    pcap(conversations(vec![a, b]))
}

fn redis_auth_expected() -> Vec<Expect> {
    let a = Expect {
        client: "10.40.0.5:50000",
        server: "10.40.0.1:6379",
        ..expect("redis", "AUTH", "cleartext")
    };
    let b = Expect {
        client: "10.40.0.6:50001",
        server: "10.40.0.1:6379",
        username: Some("alice"),
        ..a.clone()
    };
    vec![
        Expect {
            secret: "wrong-pass",
            outcome: "failure",
            frame: Some(4),
            ..a.clone()
        },
        Expect {
            secret: "s3cret-Redis",
            outcome: "success",
            frame: Some(6),
            ..a
        },
        Expect {
            secret: "not-alices",
            outcome: "failure",
            frame: Some(12 + 4),
            ..b.clone()
        },
        Expect {
            secret: "Al1ce-ACL!",
            outcome: "success",
            frame: Some(12 + 6),
            ..b
        },
    ]
}

/// `HELLO 3 AUTH user password SETNAME name`: refused, then accepted (the RESP3 map).
fn redis_hello() -> Vec<u8> {
    let mut c = conv("10.40.1.5:50100", "10.40.1.1:6379", 1_700_300_100);
    c.handshake()
        .client(&resp::command(&[
            b"HELLO",
            b"3",
            b"AUTH",
            b"bob",
            b"guessed",
            b"SETNAME",
            b"worker-1",
        ]))
        .server(WRONGPASS)
        .client(&resp::command(&[
            b"HELLO",
            b"3",
            b"AUTH",
            b"bob",
            b"B0b-hello",
            b"SETNAME",
            b"worker-1",
        ]))
        .server(&resp::hello3_reply())
        .close();
    pcap(c.into_packets())
}

fn redis_hello_expected() -> Vec<Expect> {
    let e = Expect {
        client: "10.40.1.5:50100",
        server: "10.40.1.1:6379",
        username: Some("bob"),
        ..expect("redis", "HELLO AUTH", "cleartext")
    };
    vec![
        Expect {
            secret: "guessed",
            outcome: "failure",
            ..e.clone()
        },
        Expect {
            secret: "B0b-hello",
            outcome: "success",
            ..e
        },
    ]
}

/// Redis on port 7001 (found by content): a SET of 3000 bytes over two segments, then AUTH
/// and GET pipelined in the same segment, the three replies in one segment; an AUTH never
/// answered (the client resets). An inline `AUTH "..."` typed on 6379.
fn redis_pipelined() -> Vec<u8> {
    let set = resp::command(&[b"SET", b"session:42", &[b'v'; 3000]]);
    let (first, rest) = set.split_at(1000);
    let mut second = rest.to_vec();
    second.extend_from_slice(&resp::command(&[b"AUTH", b"carol", b"C4rol-pipe"]));
    second.extend_from_slice(&resp::command(&[b"GET", b"session:42"]));
    let mut replies = b"+OK\r\n+OK\r\n".to_vec();
    replies.extend_from_slice(&resp::bulk(&[b'v'; 3000]));
    let mut a = conv("10.40.2.5:50200", "10.40.2.1:7001", 1_700_300_200);
    a.handshake()
        .client(first)
        .client(&second)
        .server(&replies)
        .client(&resp::command(&[b"AUTH", b"carol", b"n0-answer"]))
        .reset();
    let mut b = conv("10.40.2.6:50201", "10.40.2.1:6379", 1_700_300_210);
    b.handshake()
        .client(b"AUTH \"inline pass\"\r\n")
        .server(b"+OK\r\n")
        .client(b"QUIT\r\n")
        .server(b"+OK\r\n")
        .close();
    pcap(conversations(vec![a, b]))
}

fn redis_pipelined_expected() -> Vec<Expect> {
    let a = Expect {
        client: "10.40.2.5:50200",
        server: "10.40.2.1:7001",
        username: Some("carol"),
        ..expect("redis", "AUTH", "cleartext")
    };
    vec![
        Expect {
            secret: "C4rol-pipe",
            outcome: "success",
            frame: Some(5),
            ..a.clone()
        },
        Expect {
            secret: "n0-answer",
            outcome: "unknown",
            frame: Some(7),
            ..a
        },
        Expect {
            client: "10.40.2.6:50201",
            server: "10.40.2.1:6379",
            secret: "inline pass",
            outcome: "success",
            ..expect("redis", "AUTH", "cleartext")
        },
    ]
}

// ---- PostgreSQL -------------------------------------------------------------------------

const PG_SALT_OK: [u8; 4] = [0x5a, 0x1f, 0x77, 0xc3];
const PG_SALT_BAD: [u8; 4] = [0x0b, 0xad, 0xf0, 0x0d];

/// `password` authentication after an SSLRequest refused (`N`): a wrong password (28P01),
/// then the right one on a new connection (AuthenticationOk).
fn postgresql_cleartext() -> Vec<u8> {
    let startup = pgb::startup(&[
        ("user", "app_user"),
        ("database", "inventory"),
        ("application_name", "psql"),
    ]);
    let mut a = conv("10.50.0.5:51000", "10.50.0.1:5432", 1_700_400_000);
    a.handshake()
        .client(&pgb::encryption_request(pg::SSL_REQUEST))
        .server(b"N")
        .client(&startup)
        .server(&pgb::auth(pg::AUTH_CLEARTEXT, b""))
        .client(&pgb::password(b"wrong-Pw"))
        .server(&pgb::error(
            "28P01",
            "password authentication failed for user \"app_user\"",
        ))
        .close();
    let mut b = conv("10.50.0.6:51001", "10.50.0.1:5432", 1_700_400_010);
    b.handshake()
        .client(&startup)
        .server(&pgb::auth(pg::AUTH_CLEARTEXT, b""))
        .client(&pgb::password(b"Corr3ct-Pw"))
        .server(&[pgb::auth(pg::AUTH_OK, b""), pgb::ready()].concat())
        .client(&pgb::message(b'Q', b"SELECT 1\0"))
        .close();
    pcap(conversations(vec![a, b]))
}

fn postgresql_cleartext_expected() -> Vec<Expect> {
    let e = Expect {
        username: Some("app_user"),
        ..expect("postgresql", "cleartext password", "cleartext")
    };
    vec![
        Expect {
            client: "10.50.0.5:51000",
            server: "10.50.0.1:5432",
            secret: "wrong-Pw",
            outcome: "failure",
            frame: Some(8),
            ..e.clone()
        },
        Expect {
            client: "10.50.0.6:51001",
            server: "10.50.0.1:5432",
            secret: "Corr3ct-Pw",
            outcome: "success",
            frame: Some(12 + 6),
            ..e
        },
    ]
}

/// `md5` authentication computed for known passwords: success on 5432, a wrong password on
/// 6432 (a pgbouncer, found by content).
fn postgresql_md5() -> Vec<u8> {
    let mut a = conv("10.50.1.5:51100", "10.50.1.1:5432", 1_700_400_100);
    a.handshake()
        .client(&pgb::startup(&[
            ("user", "reporter"),
            ("database", "sales"),
        ]))
        .server(&pgb::auth(pg::AUTH_MD5, &PG_SALT_OK))
        .client(&pgb::password(
            postgres_md5("reporter", "Md5-R3porter", PG_SALT_OK).as_bytes(),
        ))
        .server(&[pgb::auth(pg::AUTH_OK, b""), pgb::ready()].concat())
        .close();
    let mut b = conv("10.50.1.6:51101", "10.50.1.2:6432", 1_700_400_110);
    b.handshake()
        .client(&pgb::startup(&[
            ("user", "postgres"),
            ("database", "postgres"),
        ]))
        .server(&pgb::auth(pg::AUTH_MD5, &PG_SALT_BAD))
        .client(&pgb::password(
            postgres_md5("postgres", "postgres", PG_SALT_BAD).as_bytes(),
        ))
        .server(&pgb::error(
            "28P01",
            "password authentication failed for user \"postgres\"",
        ))
        .close();
    pcap(conversations(vec![a, b]))
}

fn postgresql_md5_expected() -> Vec<Expect> {
    let ok = postgres_md5("reporter", "Md5-R3porter", PG_SALT_OK);
    let bad = postgres_md5("postgres", "postgres", PG_SALT_BAD);
    vec![
        Expect {
            client: "10.50.1.5:51100",
            server: "10.50.1.1:5432",
            username: Some("reporter"),
            secret: leak(&ok),
            outcome: "success",
            frame: Some(6),
            challenge: Some(leak(hex(&PG_SALT_OK))),
            hashcat: Some((
                11100,
                leak(format!(
                    "$postgres$reporter*{}*{}",
                    hex(&PG_SALT_OK),
                    &ok[3..]
                )),
            )),
            ..expect("postgresql", "md5", "challenge-response")
        },
        Expect {
            client: "10.50.1.6:51101",
            server: "10.50.1.2:6432",
            username: Some("postgres"),
            secret: leak(&bad),
            outcome: "failure",
            frame: Some(10 + 6),
            challenge: Some(leak(hex(&PG_SALT_BAD))),
            hashcat: Some((
                11100,
                leak(format!(
                    "$postgres$postgres*{}*{}",
                    hex(&PG_SALT_BAD),
                    &bad[3..]
                )),
            )),
            ..expect("postgresql", "md5", "challenge-response")
        },
    ]
}

/// SCRAM-SHA-256 logins as libpq makes them (PostgreSQL 14+'s default): a right
/// password (AuthenticationSASLFinal, AuthenticationOk) and a wrong one (28P01).
fn pg_scram(password: &str, nonces: (&str, &str)) -> Scram {
    scram("SHA-256", "", password, nonces, b"pg-scram-salt-16", 4096)
}

const PG_SCRAM_OK: (&str, &str) = ("rOprNGfwEbeRWgbNEkqO", "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
const PG_SCRAM_BAD: (&str, &str) = ("Zm9vYmFyYmF6cXV4", "Q2xpZW50U2VydmVyTm9uY2U");

fn postgresql_scram() -> Vec<u8> {
    let sasl_initial = |first: &[u8]| {
        let mut m = b"SCRAM-SHA-256\0".to_vec();
        m.extend((first.len() as u32).to_be_bytes());
        m.extend(first);
        pgb::message(b'p', &m)
    };
    let ok = pg_scram("Scr4m-Rep0rts", PG_SCRAM_OK);
    let mut a = conv("10.50.2.5:51200", "10.50.2.1:5432", 1_700_400_200);
    a.handshake()
        .client(&pgb::startup(&[
            ("user", "scram_user"),
            ("database", "sales"),
        ]))
        .server(&pgb::auth(pg::AUTH_SASL, b"SCRAM-SHA-256\0\0"))
        .client(&sasl_initial(&ok.first))
        .server(&pgb::auth(pg::AUTH_SASL_CONTINUE, &ok.server))
        .client(&pgb::message(b'p', &ok.last))
        .server(
            &[
                pgb::auth(pg::AUTH_SASL_FINAL, &ok.verdict),
                pgb::auth(pg::AUTH_OK, b""),
                pgb::ready(),
            ]
            .concat(),
        )
        .close();
    let bad = pg_scram("Scr4m-guess", PG_SCRAM_BAD);
    let mut b = conv("10.50.2.6:51201", "10.50.2.1:5432", 1_700_400_210);
    b.handshake()
        .client(&pgb::startup(&[("user", "scram_user")]))
        .server(&pgb::auth(
            pg::AUTH_SASL,
            b"SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0",
        ))
        .client(&sasl_initial(&bad.first))
        .server(&pgb::auth(pg::AUTH_SASL_CONTINUE, &bad.server))
        .client(&pgb::message(b'p', &bad.last))
        .server(&pgb::error(
            "28P01",
            "password authentication failed for user \"scram_user\"",
        ))
        .close();
    pcap(conversations(vec![a, b]))
}

fn postgresql_scram_expected() -> Vec<Expect> {
    let ok = pg_scram("Scr4m-Rep0rts", PG_SCRAM_OK);
    let bad = pg_scram("Scr4m-guess", PG_SCRAM_BAD);
    vec![
        Expect {
            client: "10.50.2.5:51200",
            server: "10.50.2.1:5432",
            username: Some("scram_user"),
            secret: leak(ok.proof),
            outcome: "success",
            frame: Some(8),
            challenge: Some(leak(ok.auth_message)),
            ..expect("postgresql", "SASL SCRAM-SHA-256", "challenge-response")
        },
        Expect {
            client: "10.50.2.6:51201",
            server: "10.50.2.1:5432",
            username: Some("scram_user"),
            secret: leak(bad.proof),
            outcome: "failure",
            frame: Some(12 + 8),
            challenge: Some(leak(bad.auth_message)),
            ..expect("postgresql", "SASL SCRAM-SHA-256", "challenge-response")
        },
    ]
}

// ---- MongoDB ---------------------------------------------------------------------------

const MONGO_APP_PASS: &str = "M0ngo-Orders!";
const MONGO_OLD_PASS: &str = "legacy-guess";

/// MongoDB's SCRAM-SHA-1 takes hex(MD5(user:mongo:password)) for the password.
fn mongo_sha1_input(user: &str, password: &str) -> String {
    hex(&Md5::digest(format!("{user}:mongo:{password}")))
}

fn mongo_scram_256() -> Scram {
    scram(
        "SHA-256",
        "orders_app",
        MONGO_APP_PASS,
        ("pymongoNonce0123456789", "srvNonceABCDEF"),
        b"mongo-salt-28byte-long-sha256",
        15000,
    )
}

fn mongo_scram_1() -> Scram {
    scram(
        "SHA-1",
        "report=2Cer",
        &mongo_sha1_input("report,er", MONGO_OLD_PASS),
        ("javaNonce9876", "srvNonce5432"),
        b"mongo-salt-16byt",
        10000,
    )
}

const MONGO_NONCE: &str = "2375531c32080ae8";

fn mongo_cr_key() -> String {
    let inner = mongo_sha1_input("backup", "Backup-2012");
    hex(&Md5::digest(format!("{MONGO_NONCE}backup{inner}")))
}

/// MongoDB logins: a driver since 4.4 (hello in OP_QUERY with speculativeAuthenticate,
/// SCRAM-SHA-256, the rest in OP_MSG), accepted; SCRAM-SHA-1 through saslStart on 27018
/// (a user name with an escaped comma), refused; PLAIN for an LDAP user on $external,
/// accepted; MONGODB-CR (getnonce, authenticate in OP_QUERY/OP_REPLY) on 37017, found by
/// content, accepted.
fn mongodb_logins() -> Vec<u8> {
    use plainsight::dissect::mongodb::build::{self as mb, B};
    let ok = |extra: Vec<(&'static str, B<'static>)>| {
        let mut e = extra;
        e.push(("ok", B::Double(1.0)));
        mb::doc(&e)
    };
    let s = mongo_scram_256();
    let mut a = conv("10.50.5.5:52000", "10.50.5.1:27017", 1_700_400_500);
    let hello = mb::doc(&[
        ("isMaster", B::Int(1)),
        ("helloOk", B::Bool(true)),
        ("saslSupportedMechs", B::Str("admin.orders_app")),
        (
            "speculativeAuthenticate",
            B::Doc(vec![
                ("saslStart", B::Int(1)),
                ("mechanism", B::Str("SCRAM-SHA-256")),
                ("payload", B::Bin(&s.first)),
                ("autoAuthorize", B::Int(1)),
                (
                    "options",
                    B::Doc(vec![("skipEmptyExchange", B::Bool(true))]),
                ),
                ("db", B::Str("admin")),
            ]),
        ),
    ]);
    a.handshake()
        .client(&mb::op_query(1, "admin", &hello))
        .server(&mb::op_reply(
            101,
            1,
            &mb::doc(&[
                ("ismaster", B::Bool(true)),
                ("maxWireVersion", B::Int(17)),
                (
                    "speculativeAuthenticate",
                    B::Doc(vec![
                        ("conversationId", B::Int(1)),
                        ("done", B::Bool(false)),
                        ("payload", B::Bin(&s.server)),
                    ]),
                ),
                ("ok", B::Double(1.0)),
            ]),
        ))
        .client(&mb::op_msg(
            2,
            0,
            &mb::doc(&[
                ("saslContinue", B::Int(1)),
                ("conversationId", B::Int(1)),
                ("payload", B::Bin(&s.last)),
                ("$db", B::Str("admin")),
            ]),
        ))
        .server(&mb::op_msg(
            102,
            2,
            &mb::doc(&[
                ("conversationId", B::Int(1)),
                ("done", B::Bool(true)),
                ("payload", B::Bin(&s.verdict)),
                ("ok", B::Double(1.0)),
            ]),
        ))
        .client(&mb::op_msg(
            3,
            0,
            &mb::doc(&[("find", B::Str("orders")), ("$db", B::Str("shop"))]),
        ))
        .close();
    let s1 = mongo_scram_1();
    let mut b = conv("10.50.5.6:52001", "10.50.5.2:27018", 1_700_400_510);
    b.handshake()
        .client(&mb::op_msg(
            5,
            0,
            &mb::doc(&[
                ("saslStart", B::Int(1)),
                ("mechanism", B::Str("SCRAM-SHA-1")),
                ("payload", B::Bin(&s1.first)),
                ("$db", B::Str("reports")),
            ]),
        ))
        .server(&mb::op_msg(
            105,
            5,
            &mb::doc(&[
                ("conversationId", B::Int(1)),
                ("done", B::Bool(false)),
                ("payload", B::Bin(&s1.server)),
                ("ok", B::Double(1.0)),
            ]),
        ))
        .client(&mb::op_msg(
            6,
            0,
            &mb::doc(&[
                ("saslContinue", B::Int(1)),
                ("conversationId", B::Int(1)),
                ("payload", B::Bin(&s1.last)),
                ("$db", B::Str("reports")),
            ]),
        ))
        .server(&mb::op_msg(
            106,
            6,
            &mb::doc(&[
                ("ok", B::Double(0.0)),
                ("errmsg", B::Str("Authentication failed.")),
                ("code", B::Int(18)),
                ("codeName", B::Str("AuthenticationFailed")),
            ]),
        ))
        .close();
    let mut c = conv("10.50.5.7:52002", "10.50.5.1:27017", 1_700_400_520);
    c.handshake()
        .client(&mb::op_msg(
            1,
            0,
            &mb::doc(&[
                ("saslStart", B::Int(1)),
                ("mechanism", B::Str("PLAIN")),
                ("payload", B::Bin(b"\0jdoe\0Ld4p-Dir3ctory")),
                ("autoAuthorize", B::Int(1)),
                ("$db", B::Str("$external")),
            ]),
        ))
        .server(&mb::op_msg(
            2,
            1,
            &ok(vec![("conversationId", B::Int(1)), ("done", B::Bool(true))]),
        ))
        .close();
    let key = mongo_cr_key();
    let mut d = conv("10.50.5.8:52003", "10.50.5.3:37017", 1_700_400_530);
    d.handshake()
        .client(&mb::op_query(
            1,
            "inventory",
            &mb::doc(&[("getnonce", B::Int(1))]),
        ))
        .server(&mb::op_reply(
            2,
            1,
            &ok(vec![("nonce", B::Str(MONGO_NONCE))]),
        ))
        .client(&mb::op_query(
            3,
            "inventory",
            &mb::doc(&[
                ("authenticate", B::Int(1)),
                ("user", B::Str("backup")),
                ("nonce", B::Str(MONGO_NONCE)),
                ("key", B::Str(&key)),
            ]),
        ))
        .server(&mb::op_reply(4, 3, &ok(vec![])))
        .close();
    pcap(conversations(vec![a, b, c, d]))
}

/// Passwords MongoDB users are given: the first administrator created through the
/// localhost exception (`createUser` before any login), accepted; after a PLAIN login, an
/// `updateUser` refused (Unauthorized) and a `createUser` with `digestPassword: false`
/// (an old shell's digest, hex(MD5(`legacy:mongo:Legacy-Pw-3`))), accepted.
fn mongodb_user_passwords() -> Vec<u8> {
    use plainsight::dissect::mongodb::build::{self as mb, B};
    let ok = mb::doc(&[("ok", B::Double(1.0))]);
    let digest = hex(&Md5::digest(b"legacy:mongo:Legacy-Pw-3"));
    let mut a = conv("127.0.0.1:52100", "127.0.0.1:27017", 1_700_400_700);
    a.handshake()
        .client(&mb::op_msg(
            1,
            0,
            &mb::doc(&[
                ("createUser", B::Str("admin")),
                ("pwd", B::Str("First-Adm1n!")),
                ("roles", B::Doc(vec![("0", B::Str("root"))])),
                ("$db", B::Str("admin")),
            ]),
        ))
        .server(&mb::op_msg(2, 1, &ok))
        .close();
    let mut b = conv("10.50.5.9:52101", "10.50.5.1:27017", 1_700_400_710);
    b.handshake()
        .client(&mb::op_msg(
            1,
            0,
            &mb::doc(&[
                ("saslStart", B::Int(1)),
                ("mechanism", B::Str("PLAIN")),
                ("payload", B::Bin(b"\0ops\0Ops-Pl4in")),
                ("$db", B::Str("$external")),
            ]),
        ))
        .server(&mb::op_msg(
            2,
            1,
            &mb::doc(&[("done", B::Bool(true)), ("ok", B::Double(1.0))]),
        ))
        .client(&mb::op_msg(
            3,
            0,
            &mb::doc(&[
                ("updateUser", B::Str("root")),
                ("pwd", B::Str("Root-Upd4te")),
                ("$db", B::Str("admin")),
            ]),
        ))
        .server(&mb::op_msg(
            4,
            3,
            &mb::doc(&[
                ("ok", B::Double(0.0)),
                (
                    "errmsg",
                    B::Str("not authorized on admin to execute command"),
                ),
                ("code", B::Int(13)),
                ("codeName", B::Str("Unauthorized")),
            ]),
        ))
        .client(&mb::op_msg(
            5,
            0,
            &mb::doc(&[
                ("createUser", B::Str("legacy")),
                ("pwd", B::Str(&digest)),
                ("digestPassword", B::Bool(false)),
                ("$db", B::Str("admin")),
            ]),
        ))
        .server(&mb::op_msg(6, 5, &ok))
        .close();
    pcap(conversations(vec![a, b]))
}

fn mongodb_user_passwords_expected() -> Vec<Expect> {
    let digest = leak(hex(&Md5::digest(b"legacy:mongo:Legacy-Pw-3")));
    let b = Expect {
        client: "10.50.5.9:52101",
        server: "10.50.5.1:27017",
        outcome: "success",
        ..expect("mongodb", "", "cleartext")
    };
    vec![
        Expect {
            client: "127.0.0.1:52100",
            server: "127.0.0.1:27017",
            mechanism: "createUser",
            username: Some("admin"),
            secret: "First-Adm1n!",
            outcome: "success",
            ..expect("mongodb", "", "cleartext")
        },
        Expect {
            mechanism: "PLAIN",
            username: Some("ops"),
            secret: "Ops-Pl4in",
            ..b.clone()
        },
        Expect {
            mechanism: "updateUser",
            username: Some("root"),
            secret: "Root-Upd4te",
            outcome: "failure",
            ..b.clone()
        },
        Expect {
            mechanism: "createUser",
            kind: "challenge-response",
            username: Some("legacy"),
            secret: digest,
            ..b
        },
    ]
}

fn mongodb_logins_expected() -> Vec<Expect> {
    let (s, s1, key) = (mongo_scram_256(), mongo_scram_1(), mongo_cr_key());
    vec![
        Expect {
            client: "10.50.5.5:52000",
            server: "10.50.5.1:27017",
            username: Some("orders_app"),
            secret: leak(s.proof),
            outcome: "success",
            frame: Some(6),
            challenge: Some(leak(s.auth_message)),
            ..expect("mongodb", "SCRAM-SHA-256", "challenge-response")
        },
        Expect {
            client: "10.50.5.6:52001",
            server: "10.50.5.2:27018",
            username: Some("report,er"),
            secret: leak(s1.proof),
            outcome: "failure",
            challenge: Some(leak(s1.auth_message)),
            ..expect("mongodb", "SCRAM-SHA-1", "challenge-response")
        },
        Expect {
            client: "10.50.5.7:52002",
            server: "10.50.5.1:27017",
            username: Some("jdoe"),
            secret: "Ld4p-Dir3ctory",
            outcome: "success",
            ..expect("mongodb", "PLAIN", "cleartext")
        },
        Expect {
            client: "10.50.5.8:52003",
            server: "10.50.5.3:37017",
            username: Some("backup"),
            secret: leak(key.clone()),
            outcome: "success",
            challenge: Some(MONGO_NONCE),
            ..expect("mongodb", "MONGODB-CR", "challenge-response")
        },
    ]
}

// ---- Cassandra -------------------------------------------------------------------------

const CASS_AUTH: &str = "org.apache.cassandra.auth.PasswordAuthenticator";

/// Cassandra logins: a v4 driver (OPTIONS, STARTUP, AUTH_RESPONSE), accepted; a v5
/// driver whose AUTH_RESPONSE travels in a segment, refused, on 19042 (found by content).
fn cassandra_logins() -> Vec<u8> {
    use plainsight::dissect::cassandra::{self as cs, build as cb};
    let mut a = conv("10.50.6.5:53000", "10.50.6.1:9042", 1_700_400_600);
    a.handshake()
        .client(&cb::frame(4, 0, 0, cs::OP_OPTIONS, b""))
        .server(&cb::frame(0x84, 0, 0, 0x06, &cb::map_of(&[])))
        .client(&cb::frame(
            4,
            0,
            1,
            cs::OP_STARTUP,
            &cb::map_of(&[("CQL_VERSION", "3.4.5")]),
        ))
        .server(&cb::frame(
            0x84,
            0,
            1,
            cs::OP_AUTHENTICATE,
            &cb::string_of(CASS_AUTH),
        ))
        .client(&cb::frame(
            4,
            0,
            2,
            cs::OP_AUTH_RESPONSE,
            &cb::bytes_of(b"\0etl_loader\0Cql-L0ader!"),
        ))
        .server(&cb::frame(
            0x84,
            0,
            2,
            cs::OP_AUTH_SUCCESS,
            &(-1i32).to_be_bytes(),
        ))
        .close();
    let mut b = conv("10.50.6.6:53001", "10.50.6.2:19042", 1_700_400_610);
    b.handshake()
        .client(&cb::frame(
            5,
            0,
            0,
            cs::OP_STARTUP,
            &cb::map_of(&[("CQL_VERSION", "3.0.0")]),
        ))
        .server(&cb::frame(
            0x85,
            0,
            0,
            cs::OP_AUTHENTICATE,
            &cb::string_of(CASS_AUTH),
        ))
        .client(&cb::segment_of(&cb::frame(
            5,
            0,
            1,
            cs::OP_AUTH_RESPONSE,
            &cb::bytes_of(b"\0cassandra\0Cassandra-2019"),
        )))
        .server(&cb::segment_of(&cb::frame(
            0x85,
            0,
            1,
            cs::OP_ERROR,
            &cb::error(
                0x0100,
                "Provided username cassandra and/or password are incorrect",
            ),
        )))
        .close();
    pcap(conversations(vec![a, b]))
}

fn cassandra_logins_expected() -> Vec<Expect> {
    vec![
        Expect {
            client: "10.50.6.5:53000",
            server: "10.50.6.1:9042",
            username: Some("etl_loader"),
            secret: "Cql-L0ader!",
            outcome: "success",
            frame: Some(8),
            ..expect("cassandra", "AUTH_RESPONSE PLAIN", "cleartext")
        },
        Expect {
            client: "10.50.6.6:53001",
            server: "10.50.6.2:19042",
            username: Some("cassandra"),
            secret: "Cassandra-2019",
            outcome: "failure",
            ..expect("cassandra", "AUTH_RESPONSE PLAIN", "cleartext")
        },
    ]
}

/// bcrypt of `Etl-Bcr7pt-1` (cost 10; made with `htpasswd -bnBC 10`, `$2y$` written
/// `$2a$` as Cassandra stores it).
const CASS_BCRYPT: &str = "$2a$10$w6FhElqfHaa4DXkDJhP6Huz6PCJ6LxARAO2du2UPLQvl.JtcZCXAS";

/// Role passwords in CQL after a Cassandra login (v4): a QUERY creating a role with a
/// `HASHED PASSWORD` (bcrypt), answered RESULT; a BATCH whose `ALTER ROLE ... WITH
/// PASSWORD` is refused with ERROR 0x2100 (unauthorized); a SELECT with a role's name in
/// a string (nothing).
fn cassandra_role_passwords() -> Vec<u8> {
    use plainsight::dissect::cassandra::{self as cs, build as cb};
    let query = |q: &str| {
        let mut b = (q.len() as u32).to_be_bytes().to_vec();
        b.extend_from_slice(q.as_bytes());
        b.extend_from_slice(&[0, 1, 0]);
        b
    };
    let mut batch = vec![0u8, 0, 1, 0];
    let q = "ALTER ROLE cassandra WITH PASSWORD = 'Root-Cql-9'";
    batch.extend((q.len() as u32).to_be_bytes());
    batch.extend(q.as_bytes());
    batch.extend([0, 0, 0, 1, 0]);
    let mut a = conv("10.50.6.7:53002", "10.50.6.1:9042", 1_700_400_620);
    a.handshake()
        .client(&cb::frame(4, 0, 1, cs::OP_STARTUP, &cb::map_of(&[("CQL_VERSION", "3.4.5")])))
        .server(&cb::frame(0x84, 0, 1, cs::OP_AUTHENTICATE, &cb::string_of(CASS_AUTH)))
        .client(&cb::frame(4, 0, 2, cs::OP_AUTH_RESPONSE, &cb::bytes_of(b"\0dba\0Dba-Cql-1")))
        .server(&cb::frame(0x84, 0, 2, cs::OP_AUTH_SUCCESS, &(-1i32).to_be_bytes()))
        .client(&cb::frame(
            4,
            0,
            3,
            cs::OP_QUERY,
            &query(&format!(
                "CREATE ROLE IF NOT EXISTS etl WITH HASHED PASSWORD = '{CASS_BCRYPT}' AND LOGIN = true"
            )),
        ))
        .server(&cb::frame(0x84, 0, 3, cs::OP_RESULT, &1u32.to_be_bytes()))
        .client(&cb::frame(4, 0, 4, cs::OP_BATCH, &batch))
        .server(&cb::frame(
            0x84,
            0,
            4,
            cs::OP_ERROR,
            &cb::error(0x2100, "User dba has no ALTER permission on <role cassandra> or any of its parents"),
        ))
        .client(&cb::frame(
            4,
            0,
            5,
            cs::OP_QUERY,
            &query("SELECT * FROM system_auth.roles WHERE role = 'PASSWORD = x'"),
        ))
        .server(&cb::frame(0x84, 0, 5, cs::OP_RESULT, &1u32.to_be_bytes()))
        .close();
    pcap(conversations(vec![a]))
}

fn cassandra_role_passwords_expected() -> Vec<Expect> {
    let e = Expect {
        client: "10.50.6.7:53002",
        server: "10.50.6.1:9042",
        outcome: "success",
        ..expect("cassandra", "AUTH_RESPONSE PLAIN", "cleartext")
    };
    vec![
        Expect {
            username: Some("dba"),
            secret: "Dba-Cql-1",
            ..e.clone()
        },
        Expect {
            mechanism: "CREATE ROLE ... HASHED PASSWORD",
            kind: "challenge-response",
            username: Some("etl"),
            secret: CASS_BCRYPT,
            hashcat: Some((3200, CASS_BCRYPT)),
            ..e.clone()
        },
        Expect {
            mechanism: "ALTER ROLE ... PASSWORD",
            username: Some("cassandra"),
            secret: "Root-Cql-9",
            outcome: "failure",
            ..e
        },
    ]
}

/// What gives nothing: an SSLRequest accepted (`S`) with TLS after it and bytes that
/// would read as a password in the clear, a GSSENCRequest accepted (`G`), and trust
/// authentication (no password asked).
fn postgresql_safe() -> Vec<u8> {
    let mut b = conv("10.50.2.6:51201", "10.50.2.1:5432", 1_700_400_210);
    b.handshake()
        .client(&pgb::encryption_request(pg::SSL_REQUEST))
        .server(b"S")
        .client(b"\x16\x03\x01\x00\x2a\x01\x00\x00\x26\x03\x03")
        .server(b"\x16\x03\x03\x00\x31\x02\x00\x00\x2d\x03\x03")
        .client(&pgb::startup(&[("user", "hidden")]))
        .server(&pgb::auth(pg::AUTH_CLEARTEXT, b""))
        .client(&pgb::password(b"inside-tls"))
        .close();
    let mut c = conv("10.50.2.7:51202", "10.50.2.1:5432", 1_700_400_220);
    c.handshake()
        .client(&pgb::encryption_request(pg::GSSENC_REQUEST))
        .server(b"G")
        .client(&[0x60, 0x82, 0x02, 0x10, 0x06, 0x09])
        .close();
    let mut d = conv("10.50.2.8:51203", "10.50.2.1:5432", 1_700_400_230);
    d.handshake()
        .client(&pgb::startup(&[("user", "trusted"), ("database", "dbdb")]))
        .server(&[pgb::auth(pg::AUTH_OK, b""), pgb::ready()].concat())
        .close();
    pcap(conversations(vec![b, c, d]))
}

// ---- MySQL / MariaDB --------------------------------------------------------------------

const MY_SCRAMBLE_A: [u8; 20] = *b"g7#Lq;2p]W!x9Tz@4k_R";
const MY_SCRAMBLE_B: [u8; 20] = *b"+/0aZk3%Jt^v8w&Q1m(s";
const MY_SCRAMBLE_C: [u8; 20] = *b"7e$Pn*X2)cV5y=B1h[Dq";
const MARIADB: &str = "5.5.5-10.11.6-MariaDB-0+deb12u1";

/// mysql_native_password computed for known passwords: a MariaDB login with a database
/// that succeeds, a wrong root password on 3307 (found by content) refused with 1045.
fn mysql_native() -> Vec<u8> {
    let mut a = conv("10.60.0.5:52000", "10.60.0.1:3306", 1_700_500_000);
    a.handshake()
        .server(&my::greeting(
            MARIADB,
            &MY_SCRAMBLE_A,
            "mysql_native_password",
        ))
        .client(&my::response(
            "webapp",
            &mysql_native_response("W3bApp!pw", &MY_SCRAMBLE_A),
            Some("shop"),
            "mysql_native_password",
        ))
        .server(&my::ok(2))
        .client(&my::packet(0, b"\x03SELECT @@version"))
        .close();
    let mut b = conv("10.60.0.6:52001", "10.60.0.2:3307", 1_700_500_010);
    b.handshake()
        .server(&my::greeting(
            "5.7.44-log",
            &MY_SCRAMBLE_B,
            "mysql_native_password",
        ))
        .client(&my::response(
            "root",
            &mysql_native_response("toor", &MY_SCRAMBLE_B),
            None,
            "mysql_native_password",
        ))
        .server(&my::err(
            2,
            1045,
            "Access denied for user 'root'@'10.60.0.6' (using password: YES)",
        ))
        .close();
    pcap(conversations(vec![a, b]))
}

fn native_expect(user: &'static str, password: &str, scramble: &[u8; 20]) -> Expect {
    let response = hex(&mysql_native_response(password, scramble));
    Expect {
        username: Some(user),
        secret: leak(&response),
        challenge: Some(leak(hex(scramble))),
        hashcat: Some((
            11200,
            leak(format!("$mysqlna${}*{response}", hex(scramble))),
        )),
        ..expect("mysql", "mysql_native_password", "challenge-response")
    }
}

fn mysql_native_expected() -> Vec<Expect> {
    vec![
        Expect {
            client: "10.60.0.5:52000",
            server: "10.60.0.1:3306",
            outcome: "success",
            frame: Some(5),
            ..native_expect("webapp", "W3bApp!pw", &MY_SCRAMBLE_A)
        },
        Expect {
            client: "10.60.0.6:52001",
            server: "10.60.0.2:3307",
            outcome: "failure",
            frame: Some(10 + 5),
            ..native_expect("root", "toor", &MY_SCRAMBLE_B)
        },
    ]
}

/// Passwords in the clear: a MariaDB client whose native response the server answers with
/// an AuthSwitchRequest to mysql_clear_password (a PAM account), then the password (OK);
/// a caching_sha2_password client that answers the server's request for full
/// authentication with the password itself on a connection without TLS (ERR 1045).
/// PostgreSQL's SCRAM-SHA-256 verifier of a password, as `psql`'s `\\password` sends it:
/// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64).
fn scram_verifier(password: &str, salt: &[u8], iterations: u32) -> String {
    use base64::Engine as _;
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest as _, Sha256};
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut salted);
    let key = |label: &[u8]| {
        let mut m = Hmac::<Sha256>::new_from_slice(&salted).expect("key");
        m.update(label);
        m.finalize().into_bytes().to_vec()
    };
    let stored = Sha256::digest(key(b"Client Key"));
    format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        b64(salt),
        b64(&stored),
        b64(&key(b"Server Key"))
    )
}

/// Passwords in statements after a login: a PostgreSQL superuser (trusted login) sets
/// its own password as `psql`'s `\\password` does (a SCRAM-SHA-256 verifier), creates a
/// role with an md5 verifier, and in one query creates a role with a cleartext password
/// then fails on a second statement (the first rolled back with it); a MariaDB session
/// (logged in with mysql_clear_password) creates an account from a native password hash
/// and sets its password in clear.
fn sql_password_statements() -> Vec<u8> {
    let ready = || pgb::message(b'Z', b"I");
    let query = |text: &str| pgb::message(b'Q', format!("{text}\0").as_bytes());
    let complete = |tag: &str| pgb::message(b'C', format!("{tag}\0").as_bytes());
    let (scram, md5, native) = sql_hashes();
    let mut a = conv("10.60.3.5:52300", "10.60.3.1:5432", 1_700_500_300);
    a.handshake()
        .client(&pgb::startup(&[("user", "dba"), ("database", "postgres")]))
        .server(&[pgb::auth(pg::AUTH_OK, b""), ready()].concat())
        .client(&query(&format!("ALTER USER dba PASSWORD '{scram}'")))
        .server(&[complete("ALTER ROLE"), ready()].concat())
        .client(&query(&format!("CREATE ROLE app LOGIN PASSWORD '{md5}'")))
        .server(&[complete("CREATE ROLE"), ready()].concat())
        .client(&query(
            "CREATE ROLE etl LOGIN PASSWORD 'Etl-Cl3ar!'; GRANT missing TO etl",
        ))
        .server(
            &[
                complete("CREATE ROLE"),
                pgb::error("42704", "role \"missing\" does not exist"),
                ready(),
            ]
            .concat(),
        )
        .close();
    let mut b = conv("10.60.3.6:52301", "10.60.3.2:3306", 1_700_500_310);
    let q = |seq: u8, text: &str| my::packet(seq, &[&[3u8][..], text.as_bytes()].concat());
    b.handshake()
        .server(&my::greeting(
            MARIADB,
            &MY_SCRAMBLE_C,
            "mysql_clear_password",
        ))
        .client(&my::response(
            "ops",
            b"0ps-Cl3ar\0",
            None,
            "mysql_clear_password",
        ))
        .server(&my::ok(2))
        .client(&q(
            0,
            &format!("CREATE USER 'rep'@'10.%' IDENTIFIED BY PASSWORD '{native}'"),
        ))
        .server(&my::ok(1))
        .client(&q(
            0,
            "SET PASSWORD FOR 'rep'@'10.%' = PASSWORD('Rep-Pl41n-2')",
        ))
        .server(&my::ok(1))
        .close();
    pcap(conversations(vec![a, b]))
}

/// The verifiers of `sql_password_statements`: SCRAM-SHA-256 of `Dba-Scr4m-pw`, md5 of
/// `App-Md5-pw` for the role `app` (`md5` + MD5(password + user)), and MySQL's native
/// hash of `Rep-N4tive-1` (`*` + SHA1(SHA1(password)), upper-case hex).
fn sql_hashes() -> (String, String, String) {
    let scram = scram_verifier("Dba-Scr4m-pw", b"fixture-salt-16b", 4096);
    let md5 = format!("md5{}", hex(&Md5::digest(b"App-Md5-pwapp")));
    let native = format!(
        "*{}",
        hex(&Sha1::digest(Sha1::digest(b"Rep-N4tive-1"))).to_uppercase()
    );
    (scram, md5, native)
}

fn sql_password_statements_expected() -> Vec<Expect> {
    let (scram, md5, native) = sql_hashes();
    let (scram, md5, native) = (leak(scram), leak(md5), leak(native));
    let pg = |mechanism, kind| Expect {
        client: "10.60.3.5:52300",
        server: "10.60.3.1:5432",
        outcome: "success",
        ..expect("postgresql", mechanism, kind)
    };
    let my = |mechanism, kind| Expect {
        client: "10.60.3.6:52301",
        server: "10.60.3.2:3306",
        outcome: "success",
        ..expect("mysql", mechanism, kind)
    };
    vec![
        Expect {
            username: Some("dba"),
            secret: scram,
            hashcat: Some((28600, scram)),
            frame: Some(6),
            ..pg("ALTER USER ... PASSWORD", "challenge-response")
        },
        Expect {
            username: Some("app"),
            secret: md5,
            hashcat: Some((12, leak(format!("{}:app", &md5[3..])))),
            frame: Some(8),
            ..pg("CREATE ROLE ... PASSWORD", "challenge-response")
        },
        Expect {
            username: Some("etl"),
            secret: "Etl-Cl3ar!",
            outcome: "failure",
            frame: Some(10),
            ..pg("CREATE ROLE ... PASSWORD", "cleartext")
        },
        Expect {
            username: Some("ops"),
            secret: "0ps-Cl3ar",
            frame: Some(14 + 5),
            ..my("mysql_clear_password", "cleartext")
        },
        Expect {
            username: Some("rep"),
            secret: native,
            hashcat: Some((300, leak(native[1..].to_lowercase()))),
            frame: Some(14 + 7),
            ..my("CREATE USER ... IDENTIFIED", "challenge-response")
        },
        Expect {
            username: Some("rep"),
            secret: "Rep-Pl41n-2",
            frame: Some(14 + 9),
            ..my("SET PASSWORD", "cleartext")
        },
    ]
}

fn mysql_clear_password() -> Vec<u8> {
    let mut a = conv("10.60.1.5:52100", "10.60.1.1:3306", 1_700_500_100);
    a.handshake()
        .server(&my::greeting(
            MARIADB,
            &MY_SCRAMBLE_C,
            "mysql_native_password",
        ))
        .client(&my::response(
            "pam_dave",
            &mysql_native_response("D4ve-PAM-pw", &MY_SCRAMBLE_C),
            None,
            "mysql_native_password",
        ))
        .server(&my::auth_switch(2, "mysql_clear_password", b""))
        .client(&my::packet(3, b"D4ve-PAM-pw\0"))
        .server(&my::ok(4))
        .close();
    let mut b = conv("10.60.1.6:52101", "10.60.1.2:3306", 1_700_500_110);
    b.handshake()
        .server(&my::greeting(
            "8.0.36",
            &MY_SCRAMBLE_A,
            "caching_sha2_password",
        ))
        .client(&my::response(
            "erin",
            &caching_sha2("Sha2-in-clear", &MY_SCRAMBLE_A),
            None,
            "caching_sha2_password",
        ))
        .server(&my::packet(2, &[1, 4]))
        .client(&my::packet(3, b"Sha2-in-clear\0"))
        .server(&my::err(4, 1045, "Access denied for user 'erin'"))
        .close();
    pcap(conversations(vec![a, b]))
}

fn mysql_clear_password_expected() -> Vec<Expect> {
    let a = ("10.60.1.5:52100", "10.60.1.1:3306");
    vec![
        Expect {
            client: a.0,
            server: a.1,
            outcome: "success",
            frame: Some(5),
            ..native_expect("pam_dave", "D4ve-PAM-pw", &MY_SCRAMBLE_C)
        },
        Expect {
            client: a.0,
            server: a.1,
            username: Some("pam_dave"),
            secret: "D4ve-PAM-pw",
            outcome: "success",
            frame: Some(7),
            ..expect("mysql", "mysql_clear_password", "cleartext")
        },
        Expect {
            client: "10.60.1.6:52101",
            server: "10.60.1.2:3306",
            username: Some("erin"),
            secret: leak(hex(&caching_sha2("Sha2-in-clear", &MY_SCRAMBLE_A))),
            outcome: "failure",
            frame: Some(11 + 5),
            challenge: Some(leak(hex(&MY_SCRAMBLE_A))),
            ..expect("mysql", "caching_sha2_password", "challenge-response")
        },
        Expect {
            client: "10.60.1.6:52101",
            server: "10.60.1.2:3306",
            username: Some("erin"),
            secret: "Sha2-in-clear",
            outcome: "failure",
            frame: Some(11 + 7),
            ..expect("mysql", "caching_sha2_password", "cleartext")
        },
    ]
}

/// MySQL 8's default login: caching_sha2_password fast authentication (AuthMoreData
/// 0x03, then OK), and full authentication with the server's RSA public key (the
/// encrypted password is not reported; the scramble before it is, judged by the ERR).
fn mysql_caching_sha2() -> Vec<u8> {
    let mut b = conv("10.60.2.6:52201", "10.60.2.1:3306", 1_700_500_210);
    b.handshake()
        .server(&my::greeting(
            "8.0.36",
            &MY_SCRAMBLE_B,
            "caching_sha2_password",
        ))
        .client(&my::response(
            "fast",
            &caching_sha2("F4st-Auth!", &MY_SCRAMBLE_B),
            Some("inventory"),
            "caching_sha2_password",
        ))
        .server(&[my::packet(2, &[1, 3]), my::ok(3)].concat())
        .close();
    let mut c = conv("10.60.2.7:52202", "10.60.2.1:3306", 1_700_500_220);
    c.handshake()
        .server(&my::greeting("8.0.36", &MY_SCRAMBLE_C, "caching_sha2_password"))
        .client(&my::response(
            "rsa",
            &caching_sha2("rsa-Guess", &MY_SCRAMBLE_C),
            None,
            "caching_sha2_password",
        ))
        .server(&my::packet(2, &[1, 4]))
        .client(&my::packet(3, &[2]))
        .server(&my::packet(
            4,
            b"\x01-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n",
        ))
        .client(&my::packet(5, &[0xa7; 256]))
        .server(&my::err(6, 1045, "Access denied for user 'rsa'"))
        .close();
    pcap(conversations(vec![b, c]))
}

fn mysql_caching_sha2_expected() -> Vec<Expect> {
    vec![
        Expect {
            client: "10.60.2.6:52201",
            server: "10.60.2.1:3306",
            username: Some("fast"),
            secret: leak(hex(&caching_sha2("F4st-Auth!", &MY_SCRAMBLE_B))),
            outcome: "success",
            frame: Some(5),
            challenge: Some(leak(hex(&MY_SCRAMBLE_B))),
            ..expect("mysql", "caching_sha2_password", "challenge-response")
        },
        Expect {
            client: "10.60.2.7:52202",
            server: "10.60.2.1:3306",
            username: Some("rsa"),
            secret: leak(hex(&caching_sha2("rsa-Guess", &MY_SCRAMBLE_C))),
            outcome: "failure",
            challenge: Some(leak(hex(&MY_SCRAMBLE_C))),
            ..expect("mysql", "caching_sha2_password", "challenge-response")
        },
    ]
}

/// What gives nothing: an SSLRequest and TLS; a login without a password.
fn mysql_safe() -> Vec<u8> {
    let mut a = conv("10.60.2.5:52200", "10.60.2.1:3306", 1_700_500_200);
    a.handshake()
        .server(&my::greeting(
            "8.0.36",
            &MY_SCRAMBLE_A,
            "caching_sha2_password",
        ))
        .client(&my::ssl_request())
        .client(b"\x16\x03\x01\x00\x2a\x01\x00\x00\x26\x03\x03")
        .server(b"\x16\x03\x03\x00\x31\x02\x00\x00\x2d\x03\x03")
        .client(&my::packet(3, b"Sha2-inside-tls\0"))
        .close();
    let mut d = conv("10.60.2.8:52203", "10.60.2.1:3306", 1_700_500_230);
    d.handshake()
        .server(&my::greeting(
            MARIADB,
            &MY_SCRAMBLE_A,
            "mysql_native_password",
        ))
        .client(&my::response("nopass", b"", None, "mysql_native_password"))
        .server(&my::err(2, 1045, "Access denied (using password: NO)"))
        .close();
    pcap(conversations(vec![a, d]))
}

// ---- MSSQL (TDS) ------------------------------------------------------------------------

const TDS_CHALLENGE: [u8; 8] = [0x9a, 0x4c, 0x21, 0xde, 0x03, 0x88, 0x5f, 0x61];

fn login7(user: &str, password: &str) -> Vec<u8> {
    tdsb::login7(
        "WS-FIN-07",
        user,
        password,
        "SQLCMD",
        "sql01.corp.example",
        "finance",
    )
}

/// LOGIN7 in the clear: after a PRELOGIN where both sides say ENCRYPT_NOT_SUP, `sa` with
/// a wrong password (ERROR 18456); a login without PRELOGIN that succeeds (LOGINACK), with
/// a non-ASCII password; one on port 14330 (found by content) in two TDS packets over two
/// segments, never answered; integrated authentication with NTLMv2 computed for a known
/// password (SSPI), accepted.
fn mssql_login7() -> Vec<u8> {
    let mut a = conv("10.70.0.5:53000", "10.70.0.1:1433", 1_700_600_000);
    a.handshake()
        .client(&tdsb::packet(
            tds::PRELOGIN,
            1,
            true,
            &tdsb::prelogin(tds::ENCRYPT_NOT_SUP),
        ))
        .server(&tdsb::packet(
            tds::TABULAR_RESULT,
            1,
            true,
            &tdsb::prelogin(tds::ENCRYPT_NOT_SUP),
        ))
        .client(&tdsb::packet(
            tds::LOGIN7,
            1,
            true,
            &login7("sa", "Password1"),
        ))
        .server(&tdsb::packet(
            tds::TABULAR_RESULT,
            1,
            true,
            &tdsb::error(18456, "Login failed for user 'sa'."),
        ))
        .close();
    let mut b = conv("10.70.0.6:53001", "10.70.0.1:1433", 1_700_600_010);
    b.handshake()
        .client(&tdsb::packet(
            tds::LOGIN7,
            1,
            true,
            &login7("report_user", "Rép0rt-Pässwörd"),
        ))
        .server(&tdsb::packet(
            tds::TABULAR_RESULT,
            1,
            true,
            &tdsb::loginack(),
        ))
        .close();
    let l = tdsb::login7("lab-pc", "labuser", "spl1t-login", "Python", "lab", "lab");
    let mut c = conv("10.70.0.7:53002", "10.70.0.2:14330", 1_700_600_020);
    c.handshake()
        .client(&tdsb::packet(tds::LOGIN7, 1, false, &l[..100]))
        .client(&tdsb::packet(tds::LOGIN7, 2, true, &l[100..]))
        .reset();
    let (auth, _, _) = mssql_ntlm();
    let mut negotiate = b"NTLMSSP\0".to_vec();
    negotiate.extend_from_slice(&1u32.to_le_bytes());
    negotiate.extend_from_slice(&0xa088_0205u32.to_le_bytes());
    negotiate.extend_from_slice(&[0; 16]);
    let mut d = conv("10.70.0.8:53003", "10.70.0.1:1433", 1_700_600_030);
    d.handshake()
        .client(&tdsb::packet(
            tds::LOGIN7,
            1,
            true,
            &tdsb::login7_with(
                "WS-FIN-08",
                "",
                "",
                "SSMS",
                "sql01",
                "",
                tds::INTEGRATED_SECURITY,
                &negotiate,
            ),
        ))
        .server(&tdsb::packet(
            tds::TABULAR_RESULT,
            1,
            true,
            &tdsb::sspi_token(&ntlmssp::build::challenge(TDS_CHALLENGE)),
        ))
        .client(&tdsb::packet(tds::SSPI, 1, true, &auth))
        .server(&tdsb::packet(
            tds::TABULAR_RESULT,
            1,
            true,
            &tdsb::loginack(),
        ))
        .close();
    pcap(conversations(vec![a, b, c, d]))
}

/// TDS 5.0 and 4.2 login records (Sybase): `sa` refused by a TDS 5.0 server (an EED
/// "Login failed." then LOGINACK 6), the record's two packets in two segments; a
/// big-endian TDS 5.0 client (jConnect's byte order) accepted (LOGINACK 5, answered
/// big-endian); a TDS 4.2 login on port 15000 (found by content) refused with an ERROR
/// token alone; and a TDS 5.0 login whose password is to be sent encrypted (`lseclogin`:
/// the field left empty), which gives nothing.
fn sybase_logins() -> Vec<u8> {
    let answer = |status, little_endian| {
        tdsb::packet(
            tds::TABULAR_RESULT,
            1,
            true,
            &tdsb::login_record_answer(status, little_endian),
        )
    };
    let record = |user, password, version, little_endian, encrypt| {
        tdsb::login_record_packets(&tdsb::login_record(
            "ops-ws-3",
            user,
            password,
            "isql",
            version,
            little_endian,
            encrypt,
        ))
    };
    let refused = record("sa", "Sa-Syb4se", [5, 0], true, false);
    let mut a = conv("10.70.2.5:53200", "10.70.2.1:5000", 1_700_600_200);
    a.handshake()
        .client(&refused[..512])
        .client(&refused[512..])
        .server(&answer(Some(tds::LOG_FAIL), true))
        .close();
    let mut b = conv("10.70.2.6:53201", "10.70.2.1:5000", 1_700_600_210);
    b.handshake()
        .client(&record(
            "billing_app",
            "B1ll-Java-2026",
            [5, 0],
            false,
            false,
        ))
        .server(&answer(Some(tds::LOG_SUCCEED), false))
        .close();
    let mut c = conv("10.70.2.7:53202", "10.70.2.2:15000", 1_700_600_220);
    c.handshake()
        .client(&record("legacy", "dblib-42-pw", [4, 2], true, false))
        .server(&answer(None, true))
        .close();
    let mut d = conv("10.70.2.8:53203", "10.70.2.1:5000", 1_700_600_230);
    d.handshake()
        .client(&record("sa", "never-in-the-record", [5, 0], true, true))
        .server(&answer(Some(tds::LOG_NEGOTIATE), true))
        .close();
    pcap(conversations(vec![a, b, c, d]))
}

fn sybase_logins_expected() -> Vec<Expect> {
    let v5 = expect("sybase", "TDS 5.0 login", "cleartext");
    vec![
        Expect {
            client: "10.70.2.5:53200",
            server: "10.70.2.1:5000",
            username: Some("sa"),
            secret: "Sa-Syb4se",
            outcome: "failure",
            frame: Some(5),
            ..v5.clone()
        },
        Expect {
            client: "10.70.2.6:53201",
            server: "10.70.2.1:5000",
            username: Some("billing_app"),
            secret: "B1ll-Java-2026",
            outcome: "success",
            frame: Some(9 + 4),
            ..v5
        },
        Expect {
            client: "10.70.2.7:53202",
            server: "10.70.2.2:15000",
            username: Some("legacy"),
            secret: "dblib-42-pw",
            outcome: "failure",
            frame: Some(17 + 4),
            ..expect("sybase", "TDS 4.2 login", "cleartext")
        },
    ]
}

fn mssql_ntlm() -> (Vec<u8>, String, String) {
    ntlmv2("frank", "CORP", "Fr4nk-Domain!", TDS_CHALLENGE)
}

fn mssql_login7_expected() -> Vec<Expect> {
    let (_, hashcat, nt) = mssql_ntlm();
    let e = expect("mssql", "LOGIN7", "cleartext");
    vec![
        Expect {
            client: "10.70.0.5:53000",
            server: "10.70.0.1:1433",
            username: Some("sa"),
            secret: "Password1",
            outcome: "failure",
            frame: Some(6),
            ..e.clone()
        },
        Expect {
            client: "10.70.0.6:53001",
            server: "10.70.0.1:1433",
            username: Some("report_user"),
            secret: "Rép0rt-Pässwörd",
            outcome: "success",
            frame: Some(10 + 4),
            ..e.clone()
        },
        Expect {
            client: "10.70.0.7:53002",
            server: "10.70.0.2:14330",
            username: Some("labuser"),
            secret: "spl1t-login",
            outcome: "unknown",
            frame: Some(18 + 4),
            ..e
        },
        Expect {
            client: "10.70.0.8:53003",
            server: "10.70.0.1:1433",
            username: Some("frank"),
            domain: Some("CORP"),
            secret: leak(&nt),
            outcome: "success",
            challenge: Some(leak(hex(&TDS_CHALLENGE))),
            hashcat: Some((5600, leak(&hashcat))),
            ..expect("mssql", "SSPI NTLM (NetNTLMv2)", "challenge-response")
        },
    ]
}

/// SQL Server 2012's password hash of `password` with `salt`, as `HASHED` takes it:
/// `0x0200`, the salt, SHA-512 of the UTF-16LE password and the salt (hashcat 1731).
fn mssql_2012_hash(password: &str, salt: [u8; 4]) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha512::new();
    let utf16: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
    h.update(&utf16);
    h.update(salt);
    format!("0x0200{}{}", hex(&salt), hex(&h.finalize()))
}

/// SQL batches after MSSQL logins: one whose LOGIN7 went inside TLS (both sides at
/// ENCRYPT_OFF: the handshake in PRELOGIN packets, then one TLS record), then a `CREATE
/// LOGIN ... HASHED` accepted and an `ALTER LOGIN sa ... OLD_PASSWORD` refused on its
/// line; one in the clear on port 14330 (found by content) whose batch calls
/// `sp_setapprole` and, on its second line, `sp_addlogin` refused.
fn mssql_statements() -> Vec<u8> {
    let record: Vec<u8> = [&[0x17u8, 0x03, 0x03, 0x00, 0x40][..], &[0x5a; 0x40]].concat();
    let batch = |text: &str| tdsb::packet(tds::SQL_BATCH, 1, true, &tdsb::sql_batch(text));
    let answer = |p: Vec<u8>| tdsb::packet(tds::TABULAR_RESULT, 1, true, &p);
    let mut a = conv("10.70.2.5:53200", "10.70.2.1:1433", 1_700_600_200);
    a.handshake()
        .client(&tdsb::packet(
            tds::PRELOGIN,
            1,
            true,
            &tdsb::prelogin(tds::ENCRYPT_OFF),
        ))
        .server(&answer(tdsb::prelogin(tds::ENCRYPT_OFF)))
        .client(&tdsb::packet(
            tds::PRELOGIN,
            1,
            true,
            b"\x16\x03\x01\x00\x04\x01\x00\x00\x00",
        ))
        .server(&tdsb::packet(
            tds::PRELOGIN,
            1,
            true,
            b"\x16\x03\x03\x00\x04\x02\x00\x00\x00",
        ))
        .client(&record)
        .server(&answer(tdsb::loginack()))
        .client(&batch(&format!(
            "CREATE LOGIN [etl] WITH PASSWORD = {} HASHED, CHECK_POLICY = OFF",
            mssql_2012_hash("Etl-H4sh-2026", [0x0a, 0x0b, 0x0c, 0x0d])
        )))
        .server(&answer(tdsb::done_final()))
        .client(&batch(
            "ALTER LOGIN sa WITH PASSWORD = 'Sa-N3w-2026' OLD_PASSWORD = 'Sa-0ld-2025'",
        ))
        .server(&answer(tdsb::error_at(
            15151,
            16,
            "Cannot alter the login 'sa', because it does not exist or you do not have permission.",
            1,
        )))
        .close();
    let mut b = conv("10.70.2.6:53201", "10.70.2.1:14330", 1_700_600_210);
    b.handshake()
        .client(&tdsb::packet(
            tds::LOGIN7,
            1,
            true,
            &login7("ops", "0ps-Cl3ar-1"),
        ))
        .server(&answer(tdsb::loginack()))
        .client(&batch(
            "EXEC sp_setapprole 'Payroll', N'Payr0ll-Ap'\nEXEC sp_addlogin 'bob', 'B0b-Add-1'",
        ))
        .server(&answer(tdsb::error_at(
            15025,
            16,
            "The server principal 'bob' already exists.",
            2,
        )))
        .close();
    // RPC requests: an application role set by a procedure call by name (ADO.NET's
    // CommandType.StoredProcedure), then a parameterised `sp_password` through
    // sp_executesql that the server refuses.
    let rpc = |payload: Vec<u8>| tdsb::packet(tds::RPC, 1, true, &payload);
    let mut c = conv("10.70.2.7:53202", "10.70.2.1:1433", 1_700_600_220);
    c.handshake()
        .client(&tdsb::packet(
            tds::LOGIN7,
            1,
            true,
            &login7("webapp", "W3bApp-Login"),
        ))
        .server(&answer(tdsb::loginack()))
        .client(&rpc(rpcb::request(&[(
            "sp_setapprole",
            vec![
                rpcb::nvarchar("@rolename", Some("Reports")),
                rpcb::nvarchar("@password", Some("R3ports-Ap!")),
            ],
        )])))
        .server(&answer(tdsb::rpc_answer(None, "")))
        .client(&rpc(rpcb::request(&[(
            "10",
            vec![
                rpcb::nvarchar("", Some("EXEC sp_password @P1, @P2, @P3")),
                rpcb::nvarchar(
                    "",
                    Some("@P1 nvarchar(128),@P2 nvarchar(128),@P3 nvarchar(128)"),
                ),
                rpcb::nvarchar("", Some("Old-Sa-Rpc")),
                rpcb::nvarchar("", Some("N3w-Sa-Rpc")),
                rpcb::nvarchar("", Some("sa")),
            ],
        )])))
        .server(&answer(tdsb::rpc_answer(
            Some((15151, "Cannot alter the login 'sa'.")),
            "sp_password",
        )))
        .close();
    pcap(conversations(vec![a, b, c]))
}

/// DRDA logins and statements: a Db2 client on port 50000 that offers no UTF-8 (its
/// user name and password in EBCDIC CCSID 500) logs in and maps a federated server's
/// user; a Derby client (UTF-8 agreed) on 1527 is refused; another on port 15270 (found
/// by content) changes an expired password (`USRIDNWPWD`), then resets bob's with a
/// prepared `CALL` that the server refuses.
fn drda_logins() -> Vec<u8> {
    use drda::build as d;
    let mut db2 = conv("10.70.3.5:52100", "10.70.3.1:50000", 1_700_600_300);
    db2.handshake()
        .client(&[d::excsat(false), d::accsec(drda::USRIDPWD, "SAMPLE")].concat())
        .server(&[d::excsatrd(false), d::accsecrd(drda::USRIDPWD)].concat())
        .client(&d::secchk(
            drda::USRIDPWD,
            &d::ebcdic("DB2INST1", 500),
            &d::ebcdic("Db2-Cl34r!", 500),
            None,
            &d::ebcdic("SAMPLE            ", 500),
        ))
        .server(&d::secchkrm(0, 0))
        .client(&d::statement(
            drda::EXCSQLIMM,
            3,
            "CREATE USER MAPPING FOR DB2INST1 SERVER FEDSRV OPTIONS (REMOTE_AUTHID 'fedusr', REMOTE_PASSWORD 'Fed-R3mote-9')",
        ))
        .server(&d::sqlcard(3, None))
        .close();
    let mut refused = conv("10.70.3.6:52101", "10.70.3.1:1527", 1_700_600_310);
    refused
        .handshake()
        .client(&[d::excsat(true), d::accsec(drda::USRIDPWD, "appdb")].concat())
        .server(&[d::excsatrd(true), d::accsecrd(drda::USRIDPWD)].concat())
        .client(&d::secchk(
            drda::USRIDPWD,
            b"app",
            b"wr0ng-Pw",
            None,
            b"appdb",
        ))
        .server(&d::secchkrm(8, 0x0f))
        .close();
    let mut change = conv("10.70.3.6:52102", "10.70.3.1:15270", 1_700_600_320);
    change
        .handshake()
        .client(&[d::excsat(true), d::accsec(drda::USRIDNWPWD, "appdb")].concat())
        .server(&[d::excsatrd(true), d::accsecrd(drda::USRIDNWPWD)].concat())
        .client(&d::secchk(
            drda::USRIDNWPWD,
            b"app",
            b"0ld-Expired-1",
            Some(b"N3w-Fresh-2"),
            b"appdb",
        ))
        .server(&d::secchkrm(0, 0))
        .client(&d::statement(
            drda::PRPSQLSTT,
            1,
            "CALL SYSCS_UTIL.SYSCS_RESET_PASSWORD('bob', 'B0b-Reset-3')",
        ))
        .server(&d::sqlcard(1, None))
        .client(&d::excsqlstt(2))
        .server(&d::sqlcard(2, Some((-20001, "42504"))))
        .close();
    pcap(conversations(vec![db2, refused, change]))
}

fn drda_logins_expected() -> Vec<Expect> {
    let db2 = Expect {
        client: "10.70.3.5:52100",
        server: "10.70.3.1:50000",
        ..expect("drda", "USRIDPWD", "cleartext")
    };
    let change = Expect {
        client: "10.70.3.6:52102",
        server: "10.70.3.1:15270",
        username: Some("app"),
        ..expect("drda", "USRIDNWPWD", "cleartext")
    };
    vec![
        Expect {
            username: Some("DB2INST1"),
            secret: "Db2-Cl34r!",
            outcome: "success",
            ..db2.clone()
        },
        Expect {
            mechanism: "CREATE USER MAPPING ... REMOTE_PASSWORD",
            username: Some("fedusr"),
            secret: "Fed-R3mote-9",
            outcome: "success",
            ..db2
        },
        Expect {
            client: "10.70.3.6:52101",
            server: "10.70.3.1:1527",
            username: Some("app"),
            secret: "wr0ng-Pw",
            outcome: "failure",
            ..expect("drda", "USRIDPWD", "cleartext")
        },
        Expect {
            secret: "0ld-Expired-1",
            outcome: "success",
            ..change.clone()
        },
        Expect {
            mechanism: "USRIDNWPWD (new password)",
            secret: "N3w-Fresh-2",
            outcome: "success",
            ..change.clone()
        },
        Expect {
            mechanism: "SYSCS_RESET_PASSWORD",
            username: Some("bob"),
            secret: "B0b-Reset-3",
            outcome: "failure",
            ..change
        },
    ]
}

/// The O5LOGON challenges of `oracle-logins.pcap`: a 12c verifier on a 12c server, and
/// an 11g verifier on an 11g server (no PBKDF2 key derivation).
const ORA_12C: Challenge<'static> = Challenge {
    verifier: o5logon::VERIFIER_12C,
    salt: "6A1F0C3B5D7E9F8A2B4C6D8E0F1A3B5C",
    csk_salt: "9E8D7C6B5A49382716050F1E2D3C4B5A",
    vgen_count: 4096,
    sder_count: 3,
};
const ORA_11G_SALT: &str = "D1C2B3A4958677685940";
const ORA_SCOTT_PW: &str = "Tiger-0racle-26";
const ORA_SYSTEM_PW: &str = "Manag3r-11g";
const ORA_APP_PW: &str = "App-0ld-Pw1";
const ORA_APP_NEW_PW: &str = "App-N3w-Pw2";

fn ora_12c_challenge() -> Vec<u8> {
    let (server_key, _, _) = o5logon::exchange(&ORA_12C, ORA_SCOTT_PW.as_bytes(), b"", 1);
    ora_challenge(&server_key, ORA_12C.salt, o5logon::VERIFIER_12C, true)
}

fn ora_challenge(server_key: &str, salt: &str, verifier: u32, pbkdf2: bool) -> Vec<u8> {
    let mut pairs = vec![
        t::pair("AUTH_SESSKEY", server_key.as_bytes(), 0),
        t::pair("AUTH_VFR_DATA", salt.as_bytes(), u64::from(verifier)),
    ];
    if pbkdf2 {
        pairs.push(t::pair(
            "AUTH_PBKDF2_CSK_SALT",
            ORA_12C.csk_salt.as_bytes(),
            0,
        ));
        pairs.push(t::pair("AUTH_PBKDF2_VGEN_COUNT", b"4096", 0));
        pairs.push(t::pair("AUTH_PBKDF2_SDER_COUNT", b"3", 0));
    }
    // The call ends as every call does: an error message numbered 0.
    [t::parameters(&pairs), t::call_ok()].concat()
}

/// Oracle (TNS): a python-oracledb-like client (raw user name, TNS 318 with 4-byte
/// lengths) logs in as scott with a 12c verifier and sets alice's password and a
/// database link's; an OCI-like client (user name behind its length) on an 11g server
/// (TNS 314, 2-byte lengths, no PBKDF2 key derivation: John's `o5logon` line) is refused;
/// a third on port 15211 (found by content) changes app's password at login.
fn oracle_logins() -> Vec<u8> {
    let mut thin = conv("10.70.4.5:40100", "10.70.4.1:1521", 1_700_600_400);
    let (server_key, client_key, password) = o5logon::exchange(
        &ORA_12C,
        ORA_SCOTT_PW.as_bytes(),
        ORA_SCOTT_PW.as_bytes(),
        1,
    );
    assert_eq!(
        ora_12c_challenge(),
        ora_challenge(&server_key, ORA_12C.salt, o5logon::VERIFIER_12C, true)
    );
    thin.handshake()
        .client(&t::connect("ORCLPDB1", "db.example"))
        .server(&t::accept(318))
        .client(&t::data(&t::phase_one(b"scott", false), true))
        .server(&t::data(&ora_12c_challenge(), true))
        .client(&t::data(&t::phase_two(b"scott", &client_key, &password, None, false), true))
        .server(&t::data(&t::logged_in(), true))
        .client(&t::data(&t::execute("ALTER USER alice IDENTIFIED BY \"Al1ce-Ora-7\" ACCOUNT UNLOCK", false), true))
        .server(&t::data(&t::call_ok(), true))
        .client(&t::data(
            &t::execute("CREATE DATABASE LINK sales.example CONNECT TO remote_u IDENTIFIED BY \"L1nk-Pw-9\" USING 'SALES'", true),
            true,
        ))
        .server(&t::data(&t::call_ok(), true))
        .close();
    let mut oci = conv("10.70.4.6:40101", "10.70.4.1:1521", 1_700_600_410);
    let (server_key, client_key, password) =
        o5logon::legacy_exchange(ORA_11G_SALT, ORA_SYSTEM_PW.as_bytes(), 7);
    oci.handshake()
        .client(&t::connect("LEGACY11", "db11.example"))
        .server(&t::accept(314))
        .client(&t::data(&t::phase_one(b"SYSTEM", true), false))
        .server(&t::data(
            &ora_challenge(&server_key, ORA_11G_SALT, o5logon::VERIFIER_11G, false),
            false,
        ))
        .client(&t::data(
            &t::phase_two(b"SYSTEM", &client_key, &password, None, true),
            false,
        ))
        .server(&t::data(
            &t::error(1017, "ORA-01017: invalid username/password; logon denied\n"),
            false,
        ))
        .close();
    let mut change = conv("10.70.4.7:40102", "10.70.4.1:15211", 1_700_600_420);
    let (server_key, client_key, password) =
        o5logon::exchange(&ORA_12C, ORA_APP_PW.as_bytes(), ORA_APP_PW.as_bytes(), 11);
    let new = ora_new_password(&server_key, &client_key);
    change
        .handshake()
        .client(&t::connect("ORCLPDB1", "db.example"))
        .server(&t::accept(318))
        .client(&t::data(&t::phase_one(b"app", false), true))
        .server(&t::data(
            &ora_challenge(&server_key, ORA_12C.salt, o5logon::VERIFIER_12C, true),
            true,
        ))
        .client(&t::data(
            &t::phase_two(b"app", &client_key, &password, Some(&new), false),
            true,
        ))
        .server(&t::data(&t::logged_in(), true))
        .close();
    pcap(conversations(vec![thin, oci, change]))
}

/// App's new password, encrypted with the session key of its login (seed 11).
fn ora_new_password(server_key: &str, client_key: &str) -> String {
    o5logon::encrypt_password(
        &ORA_12C,
        ORA_APP_PW.as_bytes(),
        server_key,
        client_key,
        ORA_APP_NEW_PW.as_bytes(),
        12,
    )
}

fn oracle_logins_expected() -> Vec<Expect> {
    let thin = Expect {
        client: "10.70.4.5:40100",
        server: "10.70.4.1:1521",
        outcome: "success",
        ..expect("oracle", "", "cleartext")
    };
    let values = |pw: &str, seed: u8| {
        let (s, c, p) = o5logon::exchange(&ORA_12C, pw.as_bytes(), pw.as_bytes(), seed);
        (s, c, p)
    };
    let (s, c, p) = values(ORA_SCOTT_PW, 1);
    let (ls, lc, lp) = o5logon::legacy_exchange(ORA_11G_SALT, ORA_SYSTEM_PW.as_bytes(), 7);
    let (as_, ac, ap) = values(ORA_APP_PW, 11);
    let new = ora_new_password(&as_, &ac);
    let change = Expect {
        client: "10.70.4.7:40102",
        server: "10.70.4.1:15211",
        username: Some("app"),
        outcome: "success",
        challenge: Some(ORA_12C.salt),
        ..expect("oracle", "O5LOGON", "challenge-response")
    };
    vec![
        Expect {
            mechanism: "O5LOGON",
            kind: "challenge-response",
            username: Some("scott"),
            secret: leak(format!("{s}*{c}*{p}")),
            challenge: Some(ORA_12C.salt),
            ..thin.clone()
        },
        Expect {
            mechanism: "ALTER USER ... IDENTIFIED BY",
            username: Some("alice"),
            secret: "Al1ce-Ora-7",
            ..thin.clone()
        },
        Expect {
            mechanism: "CREATE DATABASE LINK ... IDENTIFIED BY",
            username: Some("remote_u"),
            secret: "L1nk-Pw-9",
            ..thin
        },
        Expect {
            client: "10.70.4.6:40101",
            server: "10.70.4.1:1521",
            username: Some("SYSTEM"),
            secret: leak(format!("{ls}*{lc}*{lp}")),
            challenge: Some(ORA_11G_SALT),
            outcome: "failure",
            ..expect("oracle", "O5LOGON", "challenge-response")
        },
        Expect {
            secret: leak(format!("{as_}*{ac}*{ap}")),
            ..change.clone()
        },
        Expect {
            mechanism: "O5LOGON (new password)",
            secret: leak(format!("{as_}*{ac}*{new}")),
            ..change
        },
    ]
}

/// Neo4j Bolt: a driver on Bolt 5.8 after a manifest handshake (Neo4j 2025) sends HELLO
/// and LOGON together, is refused, logs in again and sets a password with a parameter
/// (accepted) and with `dbms.security.createUser` (refused); a Bolt 4.4 driver's HELLO
/// carries its credentials; a Bolt 1 `INIT` on port 17474 (found by content).
fn bolt_logins() -> Vec<u8> {
    use bolt::Value;
    use bolt::build::{basic, handshake, map, message as m, s};
    let ok = || {
        m(
            bolt::SUCCESS,
            vec![map(&[("server", s("Neo4j/2025.01.0"))])],
            4096,
        )
    };
    let fail = |code: &str| {
        m(
            bolt::FAILURE,
            vec![map(&[("neo4j_code", s(code)), ("message", s("refused"))])],
            4096,
        )
    };
    let agent = || map(&[("user_agent", s("neo4j-java/5.27.0-1f2d1b2c"))]);
    let mut five = conv("10.70.5.5:41100", "10.70.5.1:7687", 1_700_600_500);
    five.handshake()
        .client(&handshake())
        .server(&[0, 0, 1, 0xff, 2, 0, 8, 8, 5, 0, 0, 4, 4, 0])
        .client(
            &[
                vec![0, 0, 8, 5, 0],
                m(bolt::HELLO, vec![agent()], 4096),
                m(bolt::LOGON, vec![basic("neo4j", "Wr0ng-Neo")], 4096),
            ]
            .concat(),
        )
        .server(&[ok(), fail("Neo.ClientError.Security.Unauthorized")].concat())
        .client(&m(bolt::RESET, vec![], 4096))
        .server(&ok())
        .client(&m(bolt::LOGON, vec![basic("neo4j", "N3o-Graph-26")], 4096))
        .server(&ok())
        .client(
            &[
                m(
                    bolt::RUN,
                    vec![
                        s("ALTER USER etl SET PASSWORD $secret CHANGE NOT REQUIRED"),
                        map(&[("secret", s("Etl-Gr4ph-1"))]),
                        map(&[]),
                    ],
                    4096,
                ),
                m(bolt::PULL, vec![map(&[("n", Value::Int(1000))])], 4096),
            ]
            .concat(),
        )
        .server(&[ok(), ok()].concat())
        .client(
            &[
                m(
                    bolt::RUN,
                    vec![
                        s("CALL dbms.security.createUser('viewer', 'V1ewer-pw', false)"),
                        map(&[]),
                        map(&[]),
                    ],
                    4096,
                ),
                m(bolt::PULL, vec![map(&[("n", Value::Int(1000))])], 4096),
            ]
            .concat(),
        )
        .server(
            &[
                fail("Neo.ClientError.Procedure.ProcedureNotFound"),
                m(bolt::IGNORED, vec![], 4096),
            ]
            .concat(),
        )
        .close();
    let mut four = conv("10.70.5.6:41101", "10.70.5.1:7687", 1_700_600_510);
    four.handshake()
        .client(&handshake())
        .server(&[0, 0, 4, 4])
        .client(&m(
            bolt::HELLO,
            vec![map(&[
                ("user_agent", s("neo4j-python/4.4.12")),
                ("scheme", s("basic")),
                ("principal", s("reporter")),
                ("credentials", s("R3port-Bolt")),
            ])],
            4096,
        ))
        .server(&ok())
        .close();
    let mut one = conv("10.70.5.7:41102", "10.70.5.1:17474", 1_700_600_520);
    one.handshake()
        .client(
            &[
                &bolt::MAGIC[..],
                &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            ]
            .concat(),
        )
        .server(&[0, 0, 0, 1])
        .client(&m(
            bolt::HELLO,
            vec![s("neo4j-javascript/1.7.6"), basic("legacy", "Old-Bolt-1")],
            8,
        ))
        .server(&ok())
        .close();
    pcap(conversations(vec![five, four, one]))
}

fn bolt_logins_expected() -> Vec<Expect> {
    let five = Expect {
        client: "10.70.5.5:41100",
        server: "10.70.5.1:7687",
        username: Some("neo4j"),
        ..expect("bolt", "LOGON basic", "cleartext")
    };
    vec![
        Expect {
            secret: "Wr0ng-Neo",
            outcome: "failure",
            ..five.clone()
        },
        Expect {
            secret: "N3o-Graph-26",
            outcome: "success",
            ..five.clone()
        },
        Expect {
            mechanism: "ALTER USER ... SET PASSWORD",
            username: Some("etl"),
            secret: "Etl-Gr4ph-1",
            outcome: "success",
            ..five.clone()
        },
        Expect {
            mechanism: "CALL dbms.security.createUser",
            username: Some("viewer"),
            secret: "V1ewer-pw",
            outcome: "failure",
            ..five
        },
        Expect {
            client: "10.70.5.6:41101",
            server: "10.70.5.1:7687",
            username: Some("reporter"),
            secret: "R3port-Bolt",
            outcome: "success",
            ..expect("bolt", "HELLO basic", "cleartext")
        },
        Expect {
            client: "10.70.5.7:41102",
            server: "10.70.5.1:17474",
            username: Some("legacy"),
            secret: "Old-Bolt-1",
            outcome: "success",
            ..expect("bolt", "INIT basic", "cleartext")
        },
    ]
}

fn mssql_statements_expected() -> Vec<Expect> {
    let tls = Expect {
        client: "10.70.2.5:53200",
        server: "10.70.2.1:1433",
        ..expect("mssql", "", "cleartext")
    };
    let clear = Expect {
        client: "10.70.2.6:53201",
        server: "10.70.2.1:14330",
        ..expect("mssql", "", "cleartext")
    };
    let rpc = Expect {
        client: "10.70.2.7:53202",
        server: "10.70.2.1:1433",
        ..expect("mssql", "", "cleartext")
    };
    let hash = leak(mssql_2012_hash("Etl-H4sh-2026", [0x0a, 0x0b, 0x0c, 0x0d]));
    vec![
        Expect {
            mechanism: "CREATE LOGIN ... WITH PASSWORD",
            kind: "challenge-response",
            username: Some("etl"),
            secret: hash,
            hashcat: Some((1731, hash)),
            outcome: "success",
            ..tls.clone()
        },
        Expect {
            mechanism: "ALTER LOGIN ... WITH PASSWORD",
            username: Some("sa"),
            secret: "Sa-N3w-2026",
            outcome: "failure",
            ..tls.clone()
        },
        Expect {
            mechanism: "ALTER LOGIN ... OLD_PASSWORD",
            username: Some("sa"),
            secret: "Sa-0ld-2025",
            outcome: "failure",
            ..tls
        },
        Expect {
            mechanism: "LOGIN7",
            username: Some("ops"),
            secret: "0ps-Cl3ar-1",
            outcome: "success",
            ..clear.clone()
        },
        Expect {
            mechanism: "sp_setapprole",
            username: Some("Payroll"),
            secret: "Payr0ll-Ap",
            outcome: "unknown",
            ..clear.clone()
        },
        Expect {
            mechanism: "sp_addlogin",
            username: Some("bob"),
            secret: "B0b-Add-1",
            outcome: "failure",
            ..clear
        },
        Expect {
            mechanism: "LOGIN7",
            username: Some("webapp"),
            secret: "W3bApp-Login",
            outcome: "success",
            ..rpc.clone()
        },
        Expect {
            mechanism: "sp_setapprole",
            username: Some("Reports"),
            secret: "R3ports-Ap!",
            outcome: "success",
            ..rpc.clone()
        },
        Expect {
            mechanism: "sp_password",
            username: Some("sa"),
            secret: "N3w-Sa-Rpc",
            outcome: "failure",
            ..rpc.clone()
        },
        Expect {
            mechanism: "sp_password (old password)",
            username: Some("sa"),
            secret: "Old-Sa-Rpc",
            outcome: "failure",
            ..rpc
        },
    ]
}

/// The SQL Server 2012 hash construction gives hashcat's own example for mode 1731
/// (password `hashcat`, salt 01020304).
#[test]
fn mssql_2012_hash_is_hashcats() {
    assert_eq!(
        mssql_2012_hash("hashcat", [1, 2, 3, 4]),
        "0x02000102030434ea1b17802fd95ea6316bd61d2c94622ca3812793e8fb1672487b5c904a45a31b2ab4a78890d563d2fcf5663e46fe797d71550494be50cf4915d3f4d55ec375"
    );
}

/// What gives nothing: ENCRYPT_OFF on both sides (the LOGIN7 still goes inside TLS: the
/// handshake in PRELOGIN packets, then TLS records), ENCRYPT_ON/ENCRYPT_REQ, and TDS 8.0
/// (TLS first).
fn mssql_encrypted() -> Vec<u8> {
    let tls_hello = b"\x16\x03\x01\x00\x2a\x01\x00\x00\x26\x03\x03";
    let mut a = conv("10.70.1.5:53100", "10.70.1.1:1433", 1_700_600_100);
    a.handshake()
        .client(&tdsb::packet(
            tds::PRELOGIN,
            1,
            true,
            &tdsb::prelogin(tds::ENCRYPT_OFF),
        ))
        .server(&tdsb::packet(
            tds::TABULAR_RESULT,
            1,
            true,
            &tdsb::prelogin(tds::ENCRYPT_OFF),
        ))
        .client(&tdsb::packet(tds::PRELOGIN, 1, true, tls_hello))
        .server(&tdsb::packet(
            tds::PRELOGIN,
            1,
            true,
            b"\x16\x03\x03\x00\x31\x02\x00\x00\x2d",
        ))
        .client(b"\x17\x03\x03\x01\x00encrypted-login7")
        .server(&tdsb::packet(
            tds::TABULAR_RESULT,
            1,
            true,
            &tdsb::loginack(),
        ))
        .close();
    let mut b = conv("10.70.1.6:53101", "10.70.1.1:1433", 1_700_600_110);
    b.handshake()
        .client(&tdsb::packet(
            tds::PRELOGIN,
            1,
            true,
            &tdsb::prelogin(tds::ENCRYPT_ON),
        ))
        .server(&tdsb::packet(
            tds::TABULAR_RESULT,
            1,
            true,
            &tdsb::prelogin(tds::ENCRYPT_REQ),
        ))
        .client(&tdsb::packet(
            tds::LOGIN7,
            1,
            true,
            &login7("sa", "not-in-clear"),
        ))
        .close();
    let mut c = conv("10.70.1.7:53102", "10.70.1.1:1433", 1_700_600_120);
    c.handshake()
        .client(tls_hello)
        .server(b"\x16\x03\x03\x00\x31\x02\x00\x00\x2d\x03\x03")
        .close();
    pcap(conversations(vec![a, b, c]))
}

fn none() -> Vec<Expect> {
    Vec::new()
}

pub const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "redis-auth.pcap",
        bytes: redis_auth,
        expected: redis_auth_expected,
        exit: 1,
    },
    Fixture {
        name: "redis-hello.pcap",
        bytes: redis_hello,
        expected: redis_hello_expected,
        exit: 1,
    },
    Fixture {
        name: "redis-pipelined.pcap",
        bytes: redis_pipelined,
        expected: redis_pipelined_expected,
        exit: 1,
    },
    Fixture {
        name: "postgresql-cleartext.pcap",
        bytes: postgresql_cleartext,
        expected: postgresql_cleartext_expected,
        exit: 1,
    },
    Fixture {
        name: "postgresql-md5.pcap",
        bytes: postgresql_md5,
        expected: postgresql_md5_expected,
        exit: 1,
    },
    Fixture {
        name: "postgresql-scram.pcap",
        bytes: postgresql_scram,
        expected: postgresql_scram_expected,
        exit: 1,
    },
    Fixture {
        name: "cassandra-role-passwords.pcap",
        bytes: cassandra_role_passwords,
        expected: cassandra_role_passwords_expected,
        exit: 1,
    },
    Fixture {
        name: "cassandra-logins.pcap",
        bytes: cassandra_logins,
        expected: cassandra_logins_expected,
        exit: 1,
    },
    Fixture {
        name: "mongodb-user-passwords.pcap",
        bytes: mongodb_user_passwords,
        expected: mongodb_user_passwords_expected,
        exit: 1,
    },
    Fixture {
        name: "mongodb-logins.pcap",
        bytes: mongodb_logins,
        expected: mongodb_logins_expected,
        exit: 1,
    },
    Fixture {
        name: "postgresql-safe.pcap",
        bytes: postgresql_safe,
        expected: none,
        exit: 0,
    },
    Fixture {
        name: "mysql-native.pcap",
        bytes: mysql_native,
        expected: mysql_native_expected,
        exit: 1,
    },
    Fixture {
        name: "mysql-clear-password.pcap",
        bytes: mysql_clear_password,
        expected: mysql_clear_password_expected,
        exit: 1,
    },
    Fixture {
        name: "mysql-caching-sha2.pcap",
        bytes: mysql_caching_sha2,
        expected: mysql_caching_sha2_expected,
        exit: 1,
    },
    Fixture {
        name: "mysql-safe.pcap",
        bytes: mysql_safe,
        expected: none,
        exit: 0,
    },
    Fixture {
        name: "sql-password-statements.pcap",
        bytes: sql_password_statements,
        expected: sql_password_statements_expected,
        exit: 1,
    },
    Fixture {
        name: "mssql-login7.pcap",
        bytes: mssql_login7,
        expected: mssql_login7_expected,
        exit: 1,
    },
    Fixture {
        name: "sybase-logins.pcap",
        bytes: sybase_logins,
        expected: sybase_logins_expected,
        exit: 1,
    },
    Fixture {
        name: "mssql-statements.pcap",
        bytes: mssql_statements,
        expected: mssql_statements_expected,
        exit: 1,
    },
    Fixture {
        name: "drda-logins.pcap",
        bytes: drda_logins,
        expected: drda_logins_expected,
        exit: 1,
    },
    Fixture {
        name: "oracle-logins.pcap",
        bytes: oracle_logins,
        expected: oracle_logins_expected,
        exit: 1,
    },
    Fixture {
        name: "bolt-logins.pcap",
        bytes: bolt_logins,
        expected: bolt_logins_expected,
        exit: 1,
    },
    Fixture {
        name: "mssql-encrypted.pcap",
        bytes: mssql_encrypted,
        expected: none,
        exit: 0,
    },
];

#[test]
fn db_fixtures_are_what_the_generator_makes() {
    assert_generated(FIXTURES);
}

#[test]
fn db_fixtures_give_exactly_their_findings() {
    assert_expected(FIXTURES);
}

/// The challenge-responses recomputed from the known passwords with the fields of the
/// findings (user name, challenge, response, hashcat line), the dissector's output only.
#[test]
fn db_challenge_responses_recompute_from_the_password() {
    let (findings, _, _) = scan(&[&fixture("postgresql-md5.pcap")]);
    assert_eq!(findings.len(), 2);
    for f in &findings {
        let user = f["username"].as_str().expect("user");
        let password = match user {
            "reporter" => "Md5-R3porter",
            "postgres" => "postgres",
            other => panic!("unexpected user {other}"),
        };
        let salt: [u8; 4] = unhex(f["challenge"].as_str().expect("salt"))
            .try_into()
            .expect("4-byte salt");
        let inner = hex(&Md5::digest(format!("{password}{user}")));
        let outer = hex(&Md5::digest([inner.as_bytes(), &salt].concat()));
        assert_eq!(f["secret"], format!("md5{outer}"), "{f}");
        // hashcat -m 11100: $postgres$<user>*<salt>*<md5 hex without "md5">.
        let line = f["hashcat"]["hash"].as_str().expect("hashcat");
        let fields: Vec<&str> = line
            .strip_prefix("$postgres$")
            .expect("signature")
            .split('*')
            .collect();
        assert_eq!(fields, [user, &hex(&salt), &outer]);
    }

    let (findings, _, _) = scan(&[
        &fixture("mysql-native.pcap"),
        &fixture("mysql-clear-password.pcap"),
    ]);
    let native: Vec<_> = findings
        .iter()
        .filter(|f| f["mechanism"] == "mysql_native_password")
        .collect();
    assert_eq!(native.len(), 3);
    for f in native {
        let password = match f["username"].as_str().expect("user") {
            "webapp" => "W3bApp!pw",
            "root" => "toor",
            "pam_dave" => "D4ve-PAM-pw",
            other => panic!("unexpected user {other}"),
        };
        let scramble = unhex(f["challenge"].as_str().expect("scramble"));
        assert_eq!(scramble.len(), 20);
        let stage1 = Sha1::digest(password.as_bytes());
        let mask = Sha1::digest([&scramble[..], &Sha1::digest(stage1)[..]].concat());
        let response: Vec<u8> = stage1.iter().zip(mask.iter()).map(|(a, b)| a ^ b).collect();
        assert_eq!(f["secret"], hex(&response), "{f}");
        // hashcat -m 11200: $mysqlna$<scramble hex>*<response hex>.
        assert_eq!(
            f["hashcat"]["hash"],
            format!("$mysqlna${}*{}", hex(&scramble), hex(&response))
        );
    }
}

#[test]
fn db_details_say_what_the_reader_needs() {
    let (findings, _, _) = scan(&[&fixture("postgresql-cleartext.pcap")]);
    for f in &findings {
        assert_eq!(f["details"]["database"], "inventory", "{f}");
    }
    let failed = findings
        .iter()
        .find(|f| f["outcome"] == "failure")
        .expect("failure");
    assert_eq!(
        failed["details"]["diagnostic"],
        "password authentication failed for user \"app_user\""
    );
    let (findings, _, _) = scan(&[&fixture("mssql-login7.pcap")]);
    let sa = findings.iter().find(|f| f["username"] == "sa").expect("sa");
    assert_eq!(sa["details"]["hostname"], "WS-FIN-07");
    assert_eq!(sa["details"]["application"], "SQLCMD");
    assert_eq!(sa["details"]["server_name"], "sql01.corp.example");
    assert_eq!(sa["details"]["database"], "finance");
    assert!(
        sa["details"]["note"]
            .as_str()
            .unwrap_or("")
            .contains("XOR 0xA5"),
        "{sa}"
    );
    assert_eq!(
        sa["details"]["diagnostic"],
        "18456 Login failed for user 'sa'."
    );
    let (findings, _, _) = scan(&[&fixture("mysql-clear-password.pcap")]);
    let sha2 = findings
        .iter()
        .find(|f| f["mechanism"] == "caching_sha2_password" && f["kind"] == "cleartext")
        .expect("caching_sha2");
    assert!(
        sha2["details"]["note"]
            .as_str()
            .unwrap_or("")
            .contains("without TLS")
    );
    let (findings, _, _) = scan(&[&fixture("redis-auth.pcap")]);
    // `AUTH password` has no user name: the key is absent, as for SNMP communities.
    assert_eq!(
        findings
            .iter()
            .filter(|f| f.get("username").is_none())
            .count(),
        2
    );
}

/// The O5LOGON findings of `oracle-logins.pcap` test a guess: the known password
/// decrypts the client's AUTH_PASSWORD from the reported values (12c), and John's line
/// of the 11g login cracks with it — in both its forms, as John checks them — and with
/// no other.
#[test]
fn oracle_logins_test_a_guess_offline() {
    let (findings, _, _) = scan(&[&fixture("oracle-logins.pcap")]);
    let logins: Vec<_> = findings
        .iter()
        .filter(|f| {
            f["mechanism"]
                .as_str()
                .is_some_and(|m| m.starts_with("O5LOGON"))
        })
        .collect();
    assert_eq!(logins.len(), 4, "{findings:#?}");
    for f in &logins {
        let parts: Vec<&str> = f["secret"].as_str().expect("secret").split('*').collect();
        let [server_key, client_key, encrypted] = parts[..] else {
            panic!("three values: {f}");
        };
        match f["username"].as_str() {
            Some("SYSTEM") => {
                assert!(f["details"]["pbkdf2_csk_salt"].is_null(), "{f}");
                let line = f["john"]["hash"].as_str().expect("John's line");
                assert_eq!(f["john"]["format"], "o5logon");
                assert_eq!(line.split('*').count(), 4, "{line}");
                assert!(o5logon::john_cracks(line, ORA_SYSTEM_PW.as_bytes()));
                assert!(!o5logon::john_cracks(line, b"Manag3r-12c"));
                let short = format!("$o5logon${server_key}*{ORA_11G_SALT}");
                assert!(o5logon::john_cracks(&short, ORA_SYSTEM_PW.as_bytes()));
                assert!(!o5logon::john_cracks(&short, b"manag3r-11g"));
            }
            user => {
                assert!(f["john"].is_null(), "John reads no 12c exchange: {f}");
                let (account, sent) = match (user, f["mechanism"].as_str()) {
                    (Some("scott"), _) => (ORA_SCOTT_PW, ORA_SCOTT_PW),
                    (Some("app"), Some("O5LOGON")) => (ORA_APP_PW, ORA_APP_PW),
                    (Some("app"), _) => (ORA_APP_PW, ORA_APP_NEW_PW),
                    other => panic!("unexpected {other:?}"),
                };
                assert_eq!(
                    o5logon::decrypt_password(
                        &ORA_12C,
                        account.as_bytes(),
                        server_key,
                        client_key,
                        encrypted
                    )
                    .as_deref(),
                    Some(sent.as_bytes()),
                    "{f}"
                );
                assert_eq!(f["details"]["verifier"], "12c (PBKDF2-SHA512)");
                assert_eq!(f["details"]["database"], "ORCLPDB1");
            }
        }
    }
}
