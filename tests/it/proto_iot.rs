//! MQTT, AMQP, STOMP, NATS, Kafka, IRC, NNTP, SOCKS, rlogin and VNC captures of the project: how each is generated,
//! and what plainsight must find in it (the conventions of `fixtures.rs`). The expected
//! findings are written from what each generator plants. To regenerate after changing a
//! generator:
//!
//! ```text
//! PLAINSIGHT_REGENERATE_FIXTURES=1 cargo test --test it iot_fixtures_are_what
//! ```

use std::net::SocketAddr;

use base64::Engine as _;
use des::Des;
use des::cipher::{BlockCipherEncrypt, KeyInit};
use hmac::{Hmac, Mac};
use serde_json::Value;

use plainsight::capture::PcapWriter;
use plainsight::dissect::amqp::build as amqp;
use plainsight::dissect::kafka::build as kafka;
use plainsight::dissect::mqtt::build::{self as mqtt, ConnectSpec};
use plainsight::dissect::socks::build as socks;
use plainsight::synth::{Link, SynthPacket, TcpConversation};
use plainsight::timestamp::Timestamp;

use crate::fixtures::{Fixture, assert_expected, assert_generated};
use crate::support::{Expect, fixture, leak, repo, scan, unhex};

fn sa(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

fn at(secs: i64) -> Timestamp {
    Timestamp::new(secs, 0)
}

/// A little-endian microsecond Ethernet pcap of conversations, in time order.
fn pcap(cs: Vec<TcpConversation>) -> Vec<u8> {
    let mut packets: Vec<SynthPacket> = cs
        .into_iter()
        .flat_map(TcpConversation::into_packets)
        .collect();
    packets.sort_by_key(|p| p.ts);
    let mut w = PcapWriter::new(Vec::new(), Link::Ethernet.linktype(), 65535, false, false)
        .expect("header");
    for p in &packets {
        let f = Link::Ethernet.frame(&p.ip);
        w.write(p.ts, &f, f.len() as u32).expect("record");
    }
    w.into_inner()
}

/// A conversation without pure ACKs: after the handshake (frames 1-3) each segment is
/// one frame.
fn conv(client: &str, server: &str, start: i64) -> TcpConversation {
    let mut c = TcpConversation::new(sa(client), sa(server))
        .without_acks()
        .starting_at(at(start));
    c.handshake();
    c
}

fn none() -> Vec<Expect> {
    Vec::new()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- MQTT ----------------------------------------------------------------------------

const MQTT_SERVER: &str = "10.30.0.1:1883";

fn mqtt_expect(client: &'static str, user: &'static str, secret: &'static str) -> Expect {
    Expect {
        protocol: "mqtt",
        mechanism: "CONNECT",
        kind: "cleartext",
        client,
        server: MQTT_SERVER,
        username: Some(user),
        secret,
        ..Expect::default()
    }
}

/// MQTT 3.1 (`MQIsdp`): CONNECT with user name and password, accepted; a PUBLISH.
fn mqtt31_connect() -> Vec<u8> {
    let mut c = conv("10.30.0.10:50001", MQTT_SERVER, 1_700_300_000);
    c.client(&mqtt::connect(&ConnectSpec {
        level: 3,
        client_id: b"sensor-31",
        username: Some(b"alice"),
        password: Some(b"Mqtt31!pw"),
        ..ConnectSpec::default()
    }))
    .server(&mqtt::connack(3, 0, &[]))
    .client(&mqtt::publish(b"home/temp", b"21.5"))
    .client(&mqtt::disconnect())
    .close();
    pcap(vec![c])
}

fn mqtt31_connect_expected() -> Vec<Expect> {
    vec![Expect {
        outcome: "success",
        frame: Some(4),
        ..mqtt_expect("10.30.0.10:50001", "alice", "Mqtt31!pw")
    }]
}

/// MQTT 3.1.1: refused with return code 4 (bad user name or password), then 5 (not
/// authorised), each on its own connection.
fn mqtt311_refused() -> Vec<u8> {
    let mut a = conv("10.30.0.11:50002", MQTT_SERVER, 1_700_300_100);
    a.client(&mqtt::connect(&ConnectSpec {
        level: 4,
        client_id: b"cli-a",
        username: Some(b"bob"),
        password: Some(b"not-bobs"),
        ..ConnectSpec::default()
    }))
    .server(&mqtt::connack(4, 4, &[]))
    .close();
    let mut b = conv("10.30.0.11:50003", MQTT_SERVER, 1_700_300_110);
    b.client(&mqtt::connect(&ConnectSpec {
        level: 4,
        client_id: b"cli-b",
        username: Some(b"carol"),
        password: Some(b"c4rol-311"),
        ..ConnectSpec::default()
    }))
    .server(&mqtt::connack(4, 5, &[]))
    .close();
    pcap(vec![a, b])
}

fn mqtt311_refused_expected() -> Vec<Expect> {
    vec![
        Expect {
            outcome: "failure",
            frame: Some(4),
            ..mqtt_expect("10.30.0.11:50002", "bob", "not-bobs")
        },
        Expect {
            outcome: "failure",
            ..mqtt_expect("10.30.0.11:50003", "carol", "c4rol-311")
        },
    ]
}

/// MQTT and STOMP over WebSocket: a browser-style upgrade to `mqtt` on 8083 then a CONNECT
/// in a masked binary frame, accepted; an upgrade to `v12.stomp` on 15674 (RabbitMQ's
/// Web-STOMP) then a STOMP CONNECT in a masked text frame, refused with an ERROR frame; an
/// upgrade to another subprotocol (`graphql-ws`) whose frames are not read.
fn websocket_logins() -> Vec<u8> {
    use plainsight::dissect::websocket::build::frame;
    let upgrade = |path: &str, protocol: &str| {
        format!(
            "GET {path} HTTP/1.1\r\nHost: broker.example.org\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {protocol}\r\nOrigin: http://dash.example.org\r\n\r\n"
        )
        .into_bytes()
    };
    let switching = |protocol: &str| {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n"
        )
        .into_bytes()
    };
    let connect = mqtt::connect(&ConnectSpec {
        level: 4,
        client_id: b"dash-web",
        username: Some(b"dash"),
        password: Some(b"Ws-Mqtt-2026"),
        ..ConnectSpec::default()
    });
    let mut a = conv("10.30.0.40:50100", "10.30.0.1:8083", 1_700_300_900);
    a.client(&upgrade("/mqtt", "mqtt"))
        .server(&switching("mqtt"))
        .client(&frame(2, &connect, Some([0x37, 0xfa, 0x21, 0x3d])))
        .server(&frame(2, &mqtt::connack(4, 0, &[]), None))
        .close();
    let stomp = b"CONNECT\naccept-version:1.2\nhost:/\nlogin:web\npasscode:Ws-Stomp-2026\n\n\0";
    let error =
        b"ERROR\nmessage:Bad CONNECT\ncontent-type:text/plain\n\nAccess refused for user 'web'\0";
    let mut b = conv("10.30.0.41:50101", "10.30.0.2:15674", 1_700_300_910);
    b.client(&upgrade("/ws", "v12.stomp, v11.stomp"))
        .server(&switching("v12.stomp"))
        .client(&frame(1, stomp, Some([1, 2, 3, 4])))
        .server(&frame(1, error, None))
        .close();
    // RFC 7118: a WebRTC softphone registering (Asterisk's /ws on 8088), challenged, then
    // with Digest (RFC 2617 without qop: MD5(MD5(1001:pbx.example.org:Sip-Ws-2026):
    // MD5(REGISTER:sip:pbx.example.org)) with the nonce between them), accepted.
    let sip_register = |cseq: u32, auth: &str| {
        format!(
            "REGISTER sip:pbx.example.org SIP/2.0\r\nVia: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK{cseq}\r\nFrom: <sip:1001@pbx.example.org>;tag=ws1\r\nTo: <sip:1001@pbx.example.org>\r\nCall-ID: ws-call-1\r\nCSeq: {cseq} REGISTER\r\n{auth}Content-Length: 0\r\n\r\n"
        )
    };
    let sip_answer = |status: &str, cseq: u32, extra: &str| {
        format!(
            "SIP/2.0 {status}\r\nVia: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK{cseq}\r\nCall-ID: ws-call-1\r\nCSeq: {cseq} REGISTER\r\n{extra}Content-Length: 0\r\n\r\n"
        )
    };
    let md5 = |s: String| {
        use md5::Digest as _;
        crate::support::hex(&md5::Md5::digest(s.as_bytes()))
    };
    let ha1 = md5("1001:pbx.example.org:Sip-Ws-2026".to_string());
    let ha2 = md5("REGISTER:sip:pbx.example.org".to_string());
    let response = md5(format!("{ha1}:5f1d2a:{ha2}"));
    let authorization = format!(
        "Authorization: Digest username=\"1001\",realm=\"pbx.example.org\",nonce=\"5f1d2a\",uri=\"sip:pbx.example.org\",response=\"{response}\",algorithm=MD5\r\n"
    );
    let mut d = conv("10.30.0.43:50103", "10.30.0.4:8088", 1_700_300_930);
    d.client(&upgrade("/ws", "sip"))
        .server(&switching("sip"))
        .client(&frame(1, sip_register(1, "").as_bytes(), Some([9, 8, 7, 6])))
        .server(&frame(
            1,
            sip_answer(
                "401 Unauthorized",
                1,
                "WWW-Authenticate: Digest realm=\"pbx.example.org\", nonce=\"5f1d2a\", algorithm=MD5\r\n",
            )
            .as_bytes(),
            None,
        ))
        .client(&frame(1, sip_register(2, &authorization).as_bytes(), Some([1, 3, 5, 7])))
        .server(&frame(1, sip_answer("200 OK", 2, "").as_bytes(), None))
        .close();
    let mut c = conv("10.30.0.42:50102", "10.30.0.3:8080", 1_700_300_920);
    c.client(&upgrade("/graphql", "graphql-ws"))
        .server(&switching("graphql-ws"))
        .client(&frame(
            1,
            br#"{"type":"connection_init","payload":{"password":"not-read"}}"#,
            Some([5, 6, 7, 8]),
        ))
        .close();
    pcap(vec![a, b, c, d])
}

fn websocket_logins_expected() -> Vec<Expect> {
    vec![
        Expect {
            server: "10.30.0.1:8083",
            outcome: "success",
            ..mqtt_expect("10.30.0.40:50100", "dash", "Ws-Mqtt-2026")
        },
        Expect {
            protocol: "stomp",
            mechanism: "CONNECT",
            kind: "cleartext",
            client: "10.30.0.41:50101",
            server: "10.30.0.2:15674",
            username: Some("web"),
            secret: "Ws-Stomp-2026",
            outcome: "failure",
            ..Expect::default()
        },
        Expect {
            protocol: "sip",
            mechanism: "Digest",
            kind: "challenge-response",
            client: "10.30.0.43:50103",
            server: "10.30.0.4:8088",
            username: Some("1001"),
            secret: sip_ws_response(),
            challenge: Some("5f1d2a"),
            hashcat: Some((
                11400,
                leak(format!(
                    "$sip$***1001*pbx.example.org*REGISTER*sip*pbx.example.org**5f1d2a****MD5*{}",
                    sip_ws_response()
                )),
            )),
            outcome: "success",
            ..Expect::default()
        },
    ]
}

/// The Digest response of the fixture's softphone (password `Sip-Ws-2026`), computed as
/// RFC 2617 says without qop.
fn sip_ws_response() -> &'static str {
    use md5::Digest as _;
    let md5 = |s: String| crate::support::hex(&md5::Md5::digest(s.as_bytes()));
    let ha1 = md5("1001:pbx.example.org:Sip-Ws-2026".to_string());
    let ha2 = md5("REGISTER:sip:pbx.example.org".to_string());
    leak(md5(format!("{ha1}:5f1d2a:{ha2}")))
}

const MQTT5_PASSWORD: &[u8] = b"\x00\x01\xfepw\xff";

/// MQTT 5: a CONNECT with properties, a will (with its own properties) and a binary
/// password cut over three segments, accepted (CONNACK with properties); a PUBLISH whose
/// payload is larger than anything buffered.
fn mqtt5_binary_password() -> Vec<u8> {
    let connect = mqtt::connect(&ConnectSpec {
        level: 5,
        client_id: b"dev-01",
        username: Some(b"dev-01"),
        password: Some(MQTT5_PASSWORD),
        will: Some((b"dev/01/status", b"offline")),
        properties: vec![
            vec![0x11, 0, 0, 0x0e, 0x10],
            mqtt::user_property(b"site", b"lab"),
        ],
    });
    let mut c = conv("10.30.0.12:50004", MQTT_SERVER, 1_700_300_200);
    c.client(&connect[..9])
        .client(&connect[9..30])
        .client(&connect[30..])
        .server(&mqtt::connack(5, 0, &[vec![0x22, 0, 10]]));
    let publish = mqtt::publish(b"dev/01/blob", &[0x10; 100_000]);
    for part in publish.chunks(1400) {
        c.client(part);
    }
    c.close();
    pcap(vec![c])
}

fn mqtt5_binary_password_expected() -> Vec<Expect> {
    vec![Expect {
        outcome: "success",
        frame: Some(6),
        secret: "\u{0}\u{1}\u{fffd}pw\u{fffd}",
        secret_hex: Some("0001fe7077ff"),
        ..mqtt_expect("10.30.0.12:50004", "dev-01", "")
    }]
}

/// MQTT 5 refused with reason code 0x86 and a reason string.
fn mqtt5_refused() -> Vec<u8> {
    let mut c = conv("10.30.0.13:50005", MQTT_SERVER, 1_700_300_300);
    c.client(&mqtt::connect(&ConnectSpec {
        level: 5,
        client_id: b"",
        username: Some(b"dave"),
        password: Some(b"d4ve-mqtt5"),
        ..ConnectSpec::default()
    }))
    .server(&mqtt::connack(
        5,
        0x86,
        &[mqtt::prop_bytes(0x1f, b"Bad user name or password")],
    ))
    .close();
    pcap(vec![c])
}

fn mqtt5_refused_expected() -> Vec<Expect> {
    vec![Expect {
        outcome: "failure",
        ..mqtt_expect("10.30.0.13:50005", "dave", "d4ve-mqtt5")
    }]
}

type HmacMd5 = Hmac<md5::Md5>;

const CRAM_CHALLENGE: &[u8] = b"<4711.1700300400@broker.example>";
const CRAM_PASSWORD: &[u8] = b"cr4m-secret";

fn cram_response(user: &str) -> String {
    let mut m = HmacMd5::new_from_slice(CRAM_PASSWORD).expect("any key length");
    m.update(CRAM_CHALLENGE);
    format!("{user} {}", hex(&m.finalize().into_bytes()))
}

/// MQTT 5 enhanced authentication: PLAIN data in the CONNECT (accepted); CRAM-MD5 over
/// AUTH packets (refused, 0x87); a custom method's token (accepted).
fn mqtt5_enhanced_auth() -> Vec<u8> {
    let mut a = conv("10.30.0.14:50006", MQTT_SERVER, 1_700_300_400);
    a.client(&mqtt::connect(&ConnectSpec {
        level: 5,
        client_id: b"e1",
        properties: vec![
            mqtt::prop_bytes(0x15, b"PLAIN"),
            mqtt::prop_bytes(0x16, b"\0erin\0Pl41n-mqtt"),
        ],
        ..ConnectSpec::default()
    }))
    .server(&mqtt::connack(5, 0, &[]))
    .close();
    let mut b = conv("10.30.0.14:50007", MQTT_SERVER, 1_700_300_410);
    b.client(&mqtt::connect(&ConnectSpec {
        level: 5,
        client_id: b"e2",
        properties: vec![mqtt::prop_bytes(0x15, b"CRAM-MD5")],
        ..ConnectSpec::default()
    }))
    .server(&mqtt::auth(
        0x18,
        &[
            mqtt::prop_bytes(0x15, b"CRAM-MD5"),
            mqtt::prop_bytes(0x16, CRAM_CHALLENGE),
        ],
    ))
    .client(&mqtt::auth(
        0x18,
        &[
            mqtt::prop_bytes(0x15, b"CRAM-MD5"),
            mqtt::prop_bytes(0x16, cram_response("frank").as_bytes()),
        ],
    ))
    .server(&mqtt::connack(5, 0x87, &[]))
    .close();
    let mut c = conv("10.30.0.14:50008", MQTT_SERVER, 1_700_300_420);
    c.client(&mqtt::connect(&ConnectSpec {
        level: 5,
        client_id: b"e3",
        properties: vec![
            mqtt::prop_bytes(0x15, b"x-acme-token"),
            mqtt::prop_bytes(0x16, b"acme-7f3a9c"),
        ],
        ..ConnectSpec::default()
    }))
    .server(&mqtt::connack(5, 0, &[]))
    .close();
    pcap(vec![a, b, c])
}

fn mqtt5_enhanced_auth_expected() -> Vec<Expect> {
    let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
    vec![
        Expect {
            mechanism: "enhanced auth PLAIN",
            outcome: "success",
            frame: Some(4),
            ..mqtt_expect("10.30.0.14:50006", "erin", "Pl41n-mqtt")
        },
        Expect {
            mechanism: "enhanced auth CRAM-MD5",
            kind: "challenge-response",
            outcome: "failure",
            frame: Some(14),
            challenge: Some(std::str::from_utf8(CRAM_CHALLENGE).expect("ascii")),
            hashcat: Some((
                10200,
                leak(format!(
                    "$cram_md5${}${}",
                    b64(CRAM_CHALLENGE),
                    b64(cram_response("frank").as_bytes())
                )),
            )),
            ..mqtt_expect(
                "10.30.0.14:50007",
                "frank",
                leak(cram_response("frank")[6..].to_string()),
            )
        },
        Expect {
            mechanism: "enhanced auth",
            kind: "token",
            username: None,
            outcome: "success",
            ..mqtt_expect("10.30.0.14:50008", "", "acme-7f3a9c")
        },
    ]
}

/// MQTT on a port no protocol is expected on, the CONNACK never seen.
fn mqtt_other_port_unanswered() -> Vec<u8> {
    let mut c = conv("10.30.0.15:50009", "10.30.0.2:18830", 1_700_300_500);
    c.client(&mqtt::connect(&ConnectSpec {
        level: 4,
        client_id: b"lost",
        username: Some(b"gina"),
        password: Some(b"g1na-pw"),
        ..ConnectSpec::default()
    }))
    .reset();
    pcap(vec![c])
}

fn mqtt_other_port_unanswered_expected() -> Vec<Expect> {
    vec![Expect {
        outcome: "unknown",
        server: "10.30.0.2:18830",
        ..mqtt_expect("10.30.0.15:50009", "gina", "g1na-pw")
    }]
}

/// A CONNECT with a user name but no password, and one with neither: no credential.
fn mqtt_no_password() -> Vec<u8> {
    let mut c = conv("10.30.0.16:50010", MQTT_SERVER, 1_700_300_600);
    c.client(&mqtt::connect(&ConnectSpec {
        level: 4,
        client_id: b"anon",
        username: Some(b"just-a-name"),
        ..ConnectSpec::default()
    }))
    .server(&mqtt::connack(4, 0, &[]))
    .close();
    let mut d = conv("10.30.0.16:50011", MQTT_SERVER, 1_700_300_610);
    d.client(&mqtt::connect(&ConnectSpec {
        level: 5,
        client_id: b"anon2",
        ..ConnectSpec::default()
    }))
    .server(&mqtt::connack(5, 0, &[]))
    .close();
    pcap(vec![c, d])
}

// ---- IRC -----------------------------------------------------------------------------

const IRC_SERVER: &str = "10.31.0.1:6667";

fn irc_expect(client: &'static str, mechanism: &'static str) -> Expect {
    Expect {
        protocol: "irc",
        mechanism,
        kind: "cleartext",
        client,
        server: IRC_SERVER,
        ..Expect::default()
    }
}

/// `PASS` accepted (001), and `PASS` refused (464) on another connection.
fn irc_pass() -> Vec<u8> {
    let mut a = conv("10.31.0.10:40001", IRC_SERVER, 1_700_310_000);
    a.server(b":irc.example.net NOTICE * :*** Looking up your hostname...\r\n")
        .client(b"PASS s3rv3r-pw\r\n")
        .client(b"NICK alice\r\nUSER alice 0 * :Alice\r\n")
        .server(b":irc.example.net 001 alice :Welcome to the Example IRC Network alice\r\n:irc.example.net 002 alice :Your host is irc.example.net\r\n")
        .client(b"QUIT :bye\r\n")
        .close();
    let mut b = conv("10.31.0.10:40002", IRC_SERVER, 1_700_310_010);
    b.client(b"PASS guess\r\nNICK mallory\r\nUSER m 0 * :M\r\n")
        .server(b":irc.example.net 464 mallory :Password incorrect\r\nERROR :Closing link: (m@10.31.0.10) [Access denied]\r\n")
        .close();
    pcap(vec![a, b])
}

fn irc_pass_expected() -> Vec<Expect> {
    vec![
        Expect {
            username: Some("alice"),
            secret: "s3rv3r-pw",
            outcome: "success",
            frame: Some(5),
            ..irc_expect("10.31.0.10:40001", "PASS")
        },
        Expect {
            username: Some("mallory"),
            secret: "guess",
            outcome: "failure",
            ..irc_expect("10.31.0.10:40002", "PASS")
        },
    ]
}

/// `OPER` refused (491), then accepted (381).
fn irc_oper() -> Vec<u8> {
    let mut c = conv("10.31.0.11:40003", IRC_SERVER, 1_700_310_100);
    c.client(b"NICK root\r\nUSER root 0 * :R\r\n")
        .server(b":irc.example.net 001 root :Welcome\r\n")
        .client(b"OPER admin n0t-it\r\n")
        .server(b":irc.example.net 491 root :Invalid oper credentials\r\n")
        .client(b"OPER admin 0per-Pw\r\n")
        .server(b":irc.example.net MODE root :+o\r\n:irc.example.net 381 root :You are now an IRC operator\r\n")
        .close();
    pcap(vec![c])
}

fn irc_oper_expected() -> Vec<Expect> {
    let e = irc_expect("10.31.0.11:40003", "OPER");
    vec![
        Expect {
            username: Some("admin"),
            secret: "n0t-it",
            outcome: "failure",
            frame: Some(6),
            ..e.clone()
        },
        Expect {
            username: Some("admin"),
            secret: "0per-Pw",
            outcome: "success",
            frame: Some(8),
            ..e
        },
    ]
}

/// NickServ IDENTIFY, on a port no protocol is expected on (found by content): accepted
/// (NickServ says so), refused, and unanswered.
fn irc_nickserv() -> Vec<u8> {
    let mut c = conv("10.31.0.12:40004", "10.31.0.2:8067", 1_700_310_200);
    c.server(b"NOTICE AUTH :*** Looking up your hostname\r\n")
        .client(b"NICK henry\r\nUSER h 0 * :H\r\n")
        .server(b":irc.example.net 001 henry :Welcome\r\n")
        .client(b"PRIVMSG NickServ :IDENTIFY h3nry-ns\r\n")
        .server(b":NickServ!NickServ@services.example.net NOTICE henry :You are now identified for \x02henry\x02.\r\n")
        .client(b"NS IDENTIFY iris wr0ng\r\n")
        .server(b":NickServ!NickServ@services.example.net NOTICE henry :Invalid password for \x02iris\x02.\r\n")
        .client(b"NICKSERV IDENTIFY j4ck\r\n")
        .close();
    pcap(vec![c])
}

fn irc_nickserv_expected() -> Vec<Expect> {
    let e = Expect {
        server: "10.31.0.2:8067",
        ..irc_expect("10.31.0.12:40004", "NickServ IDENTIFY")
    };
    vec![
        Expect {
            username: Some("henry"),
            secret: "h3nry-ns",
            outcome: "success",
            frame: Some(7),
            ..e.clone()
        },
        Expect {
            username: Some("iris"),
            secret: "wr0ng",
            outcome: "failure",
            ..e.clone()
        },
        Expect {
            username: Some("henry"),
            secret: "j4ck",
            outcome: "unknown",
            ..e
        },
    ]
}

fn irc_sasl_line(user: &str, password: &str) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
    format!("AUTHENTICATE {b64}\r\n").into_bytes()
}

/// IRCv3 SASL PLAIN: refused (904), then accepted (900, 903).
fn irc_sasl_plain() -> Vec<u8> {
    let mut c = conv("10.31.0.13:40005", IRC_SERVER, 1_700_310_300);
    c.client(b"CAP LS 302\r\nNICK kim\r\nUSER kim 0 * :Kim\r\n")
        .server(b":irc.example.net CAP * LS :multi-prefix sasl\r\n")
        .client(b"CAP REQ :sasl\r\n")
        .server(b":irc.example.net CAP kim ACK :sasl\r\n")
        .client(b"AUTHENTICATE PLAIN\r\n")
        .server(b"AUTHENTICATE +\r\n")
        .client(&irc_sasl_line("kim", "bad-sasl"))
        .server(b":irc.example.net 904 kim :SASL authentication failed\r\n")
        .client(b"AUTHENTICATE PLAIN\r\n")
        .server(b"AUTHENTICATE +\r\n")
        .client(&irc_sasl_line("kim", "S4sl-good"))
        .server(b":irc.example.net 900 kim kim!kim@h kim :You are now logged in as kim\r\n:irc.example.net 903 kim :SASL authentication successful\r\n")
        .client(b"CAP END\r\n")
        .server(b":irc.example.net 001 kim :Welcome\r\n")
        .close();
    pcap(vec![c])
}

fn irc_sasl_plain_expected() -> Vec<Expect> {
    let e = irc_expect("10.31.0.13:40005", "AUTHENTICATE PLAIN");
    vec![
        Expect {
            username: Some("kim"),
            secret: "bad-sasl",
            outcome: "failure",
            frame: Some(10),
            ..e.clone()
        },
        Expect {
            username: Some("kim"),
            secret: "S4sl-good",
            outcome: "success",
            frame: Some(14),
            ..e
        },
    ]
}

/// Channel keys: one channel joined (the key is not judged), one refused (475); the
/// same JOIN repeated is one finding.
fn irc_channel_key() -> Vec<u8> {
    let mut c = conv("10.31.0.14:40006", IRC_SERVER, 1_700_310_400);
    c.client(b"NICK leo\r\nUSER leo 0 * :Leo\r\n")
        .server(b":irc.example.net 001 leo :Welcome\r\n")
        .client(b"JOIN #ops,#dev k3y-ops,k3y-dev\r\n")
        .server(b":leo!leo@10.31.0.14 JOIN :#ops\r\n:irc.example.net 475 leo #dev :Cannot join channel (+k) - bad key\r\n")
        .client(b"JOIN #ops k3y-ops\r\n")
        .server(b":leo!leo@10.31.0.14 JOIN :#ops\r\n")
        .close();
    pcap(vec![c])
}

fn irc_channel_key_expected() -> Vec<Expect> {
    let e = irc_expect("10.31.0.14:40006", "JOIN channel key");
    vec![
        Expect {
            username: Some("leo"),
            secret: "k3y-ops",
            outcome: "unknown",
            frame: Some(6),
            ..e.clone()
        },
        Expect {
            username: Some("leo"),
            secret: "k3y-dev",
            outcome: "failure",
            ..e
        },
    ]
}

// ---- NNTP ----------------------------------------------------------------------------

const NNTP_SERVER: &str = "10.32.0.1:119";

fn nntp_expect(client: &'static str, mechanism: &'static str) -> Expect {
    Expect {
        protocol: "nntp",
        mechanism,
        kind: "cleartext",
        client,
        server: NNTP_SERVER,
        ..Expect::default()
    }
}

/// AUTHINFO USER/PASS refused (481), then accepted (281); an article read before them
/// holds AUTHINFO lines that are not commands.
fn nntp_authinfo() -> Vec<u8> {
    let mut c = conv("10.32.0.10:41001", NNTP_SERVER, 1_700_320_000);
    c.server(b"200 news.example.com InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n")
        .client(b"MODE READER\r\n")
        .server(b"200 news.example.com ready\r\n")
        .client(b"ARTICLE <howto@example.com>\r\n")
        .server(b"220 0 <howto@example.com> article\r\nSubject: howto\r\n\r\nType AUTHINFO USER me then AUTHINFO PASS example\r\n281 is the code for success.\r\n.\r\n")
        .client(b"AUTHINFO USER nina\r\n")
        .server(b"381 Enter password\r\n")
        .client(b"AUTHINFO PASS n1na-bad\r\n")
        .server(b"481 Authentication failed\r\n")
        .client(b"AUTHINFO USER nina\r\n")
        .server(b"381 Enter password\r\n")
        .client(b"AUTHINFO PASS N3ws-ok!\r\n")
        .server(b"281 Authentication succeeded\r\n")
        .client(b"QUIT\r\n")
        .server(b"205 bye\r\n")
        .close();
    pcap(vec![c])
}

fn nntp_authinfo_expected() -> Vec<Expect> {
    let e = nntp_expect("10.32.0.10:41001", "AUTHINFO USER/PASS");
    vec![
        Expect {
            username: Some("nina"),
            secret: "n1na-bad",
            outcome: "failure",
            frame: Some(11),
            ..e.clone()
        },
        Expect {
            username: Some("nina"),
            secret: "N3ws-ok!",
            outcome: "success",
            frame: Some(15),
            ..e
        },
    ]
}

/// AUTHINFO SASL PLAIN with an initial response, accepted.
fn nntp_sasl_plain() -> Vec<u8> {
    let ir = base64::engine::general_purpose::STANDARD.encode(b"\0oscar\0Sasl-nntp");
    let mut c = conv("10.32.0.11:41002", NNTP_SERVER, 1_700_320_100);
    c.server(b"200 news.example.com ready\r\n")
        .client(b"CAPABILITIES\r\n")
        .server(b"101 Capability list:\r\nVERSION 2\r\nAUTHINFO SASL\r\nSASL PLAIN\r\n.\r\n")
        .client(format!("AUTHINFO SASL PLAIN {ir}\r\n").as_bytes())
        .server(b"281 Authentication accepted\r\n")
        .close();
    pcap(vec![c])
}

fn nntp_sasl_plain_expected() -> Vec<Expect> {
    vec![Expect {
        username: Some("oscar"),
        secret: "Sasl-nntp",
        outcome: "success",
        frame: Some(7),
        ..nntp_expect("10.32.0.11:41002", "AUTHINFO SASL PLAIN")
    }]
}

/// STARTTLS accepted: what follows is TLS, even if it looked like a login.
fn nntp_starttls() -> Vec<u8> {
    let mut c = conv("10.32.0.12:41003", NNTP_SERVER, 1_700_320_200);
    c.server(b"200 news.example.com ready\r\n")
        .client(b"STARTTLS\r\n")
        .server(b"382 Continue with TLS negotiation\r\n")
        .client(b"\x16\x03\x01\x00\x05hello")
        .client(b"AUTHINFO USER x\r\nAUTHINFO PASS y\r\n")
        .close();
    pcap(vec![c])
}

// ---- SOCKS ---------------------------------------------------------------------------

const SOCKS_SERVER: &str = "10.33.0.1:1080";

fn socks_expect(client: &'static str) -> Expect {
    Expect {
        protocol: "socks",
        mechanism: "SOCKS5 username/password",
        kind: "cleartext",
        client,
        server: SOCKS_SERVER,
        ..Expect::default()
    }
}

/// SOCKS5 username/password accepted, CONNECT to a host name, then HTTP in the tunnel.
fn socks5_userpass() -> Vec<u8> {
    let mut c = conv("10.33.0.10:42001", SOCKS_SERVER, 1_700_330_000);
    c.client(&socks::greeting(&[0, 2]))
        .server(b"\x05\x02")
        .client(&socks::userpass(b"paul", b"S0cks-pw"))
        .server(b"\x01\x00")
        .client(&socks::connect_host(1, b"intranet.example", 80))
        .server(&socks::connect_ipv4(0, [10, 33, 0, 1], 40000))
        .client(b"GET / HTTP/1.1\r\nHost: intranet.example\r\n\r\n")
        .server(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        .close();
    pcap(vec![c])
}

fn socks5_userpass_expected() -> Vec<Expect> {
    vec![Expect {
        username: Some("paul"),
        secret: "S0cks-pw",
        outcome: "success",
        frame: Some(6),
        ..socks_expect("10.33.0.10:42001")
    }]
}

/// SOCKS5 username/password refused (status 1).
fn socks5_refused() -> Vec<u8> {
    let mut c = conv("10.33.0.11:42002", SOCKS_SERVER, 1_700_330_100);
    c.client(&socks::greeting(&[2]))
        .server(b"\x05\x02")
        .client(&socks::userpass(b"quinn", b"not-it"))
        .server(b"\x01\x01")
        .close();
    pcap(vec![c])
}

fn socks5_refused_expected() -> Vec<Expect> {
    vec![Expect {
        username: Some("quinn"),
        secret: "not-it",
        outcome: "failure",
        ..socks_expect("10.33.0.11:42002")
    }]
}

/// SOCKS4a with a user id (an identifier, not a secret) and SOCKS5 without
/// authentication: nothing.
fn socks_no_secret() -> Vec<u8> {
    let mut a = conv("10.33.0.12:42003", SOCKS_SERVER, 1_700_330_200);
    a.client(&socks::socks4a(b"rita", b"intranet.example", 80))
        .server(b"\x00\x5a\x00\x00\x00\x00\x00\x00")
        .client(b"GET / HTTP/1.0\r\n\r\n")
        .close();
    let mut b = conv("10.33.0.12:42004", SOCKS_SERVER, 1_700_330_210);
    b.client(&socks::greeting(&[0]))
        .server(b"\x05\x00")
        .client(&socks::connect_ipv4(1, [192, 0, 2, 7], 22))
        .server(&socks::connect_ipv4(0, [0; 4], 0))
        .client(b"SSH-2.0-OpenSSH_9.2\r\n")
        .close();
    pcap(vec![a, b])
}

// ---- AMQP ----------------------------------------------------------------------------

/// AMQP: a RabbitMQ-like broker on 5672: a 0-9-1 client logging in with PLAIN, accepted
/// (Connection.Tune), its Start-Ok cut in two segments; an AMQPLAIN login refused with
/// Connection.Close 403; on 5673 (found by content) an AMQP 1.0 client with SASL PLAIN and
/// a hostname, accepted (sasl-outcome 0); an EXTERNAL login (no password: nothing).
fn amqp_logins() -> Vec<u8> {
    let v091 = b"AMQP\x00\x00\x09\x01";
    let start_ok = amqp::start_ok_frame(b"PLAIN", b"\0orders-svc\0Rabb1t!mq");
    let mut a = conv("10.39.0.10:43001", "10.39.0.1:5672", 1_700_390_000);
    a.client(v091)
        .server(&amqp::start(b"AMQPLAIN PLAIN"))
        .client(&start_ok[..30])
        .client(&start_ok[30..])
        .server(&amqp::tune())
        .close();
    let mut b = conv("10.39.0.11:43002", "10.39.0.1:5672", 1_700_390_010);
    b.client(v091)
        .server(&amqp::start(b"AMQPLAIN PLAIN"))
        .client(&amqp::start_ok_frame(
            b"AMQPLAIN",
            &amqp::amqplain_table(b"guest", b"guest-2024"),
        ))
        .server(&amqp::close(
            403,
            b"ACCESS_REFUSED - Login was refused using authentication mechanism AMQPLAIN",
        ))
        .close();
    let sasl = b"AMQP\x03\x01\x00\x00";
    let mut c = conv("10.39.0.12:43003", "10.39.0.2:5673", 1_700_390_020);
    c.client(sasl)
        .server(&[&sasl[..], &amqp::sasl_mechanisms(b"PLAIN")].concat())
        .client(&amqp::sasl_init_frame(
            b"PLAIN",
            b"\0telemetry\0T3lem-key",
            b"fleet",
        ))
        .server(&amqp::sasl_outcome_frame(0))
        .close();
    let mut d = conv("10.39.0.13:43004", "10.39.0.1:5672", 1_700_390_030);
    d.client(v091)
        .server(&amqp::start(b"EXTERNAL PLAIN"))
        .client(&amqp::start_ok_frame(b"EXTERNAL", b""))
        .server(&amqp::tune())
        .close();
    pcap(vec![a, b, c, d])
}

fn amqp_logins_expected() -> Vec<Expect> {
    let e = Expect {
        protocol: "amqp",
        mechanism: "PLAIN",
        kind: "cleartext",
        client: "10.39.0.10:43001",
        server: "10.39.0.1:5672",
        username: Some("orders-svc"),
        secret: "Rabb1t!mq",
        outcome: "success",
        frame: Some(6),
        ..Expect::default()
    };
    vec![
        e.clone(),
        Expect {
            mechanism: "AMQPLAIN",
            client: "10.39.0.11:43002",
            username: Some("guest"),
            secret: "guest-2024",
            outcome: "failure",
            frame: None,
            ..e.clone()
        },
        Expect {
            mechanism: "SASL PLAIN",
            client: "10.39.0.12:43003",
            server: "10.39.0.2:5673",
            username: Some("telemetry"),
            secret: "T3lem-key",
            frame: None,
            ..e
        },
    ]
}

// ---- STOMP ---------------------------------------------------------------------------

/// STOMP: a CONNECT accepted on 61613 (CONNECTED), then a SUBSCRIBE; a STOMP 1.2 `STOMP`
/// frame with CR LF line ends refused with ERROR, on 61616 (found by content); an HTTP
/// CONNECT on 61613 (not STOMP: no finding).
fn stomp_connect() -> Vec<u8> {
    let mut a = conv("10.39.1.10:44001", "10.39.1.1:61613", 1_700_391_000);
    a.client(
        b"CONNECT\naccept-version:1.1,1.2\nhost:/prod\nlogin:billing\npasscode:St0mp&Go\n\n\0",
    )
    .server(b"CONNECTED\nversion:1.2\nserver:ActiveMQ/5.18.3\n\n\0")
    .client(b"SUBSCRIBE\nid:0\ndestination:/queue/invoices\n\n\0")
    .close();
    let mut b = conv("10.39.1.11:44002", "10.39.1.2:61616", 1_700_391_010);
    b.client(b"STOMP\r\naccept-version:1.2\r\nhost:/\r\nlogin:admin\r\npasscode:Adm1n!\r\n\r\n\0")
        .server(b"ERROR\r\nmessage:Security Error occurred: User name [admin] or password is invalid.\r\n\r\n\0")
        .close();
    let mut c = conv("10.39.1.12:44003", "10.39.1.1:61613", 1_700_391_020);
    c.client(b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n")
        .server(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
        .close();
    pcap(vec![a, b, c])
}

fn stomp_connect_expected() -> Vec<Expect> {
    let e = Expect {
        protocol: "stomp",
        mechanism: "CONNECT",
        kind: "cleartext",
        client: "10.39.1.10:44001",
        server: "10.39.1.1:61613",
        username: Some("billing"),
        secret: "St0mp&Go",
        outcome: "success",
        frame: Some(4),
        ..Expect::default()
    };
    vec![
        e.clone(),
        Expect {
            client: "10.39.1.11:44002",
            server: "10.39.1.2:61616",
            username: Some("admin"),
            secret: "Adm1n!",
            outcome: "failure",
            frame: None,
            ..e
        },
    ]
}

// ---- NATS ----------------------------------------------------------------------------

const NATS_INFO: &[u8] = b"INFO {\"server_id\":\"NDX7\",\"server_name\":\"hub-1\",\"version\":\"2.9.10\",\"go\":\"go1.19\",\"host\":\"0.0.0.0\",\"port\":4222,\"auth_required\":true,\"max_payload\":1048576}\r\n";

/// NATS: a client with user and password accepted (PONG to its PING); one with a token
/// refused (`-ERR 'Authorization Violation'`) on 14222 (found by content); an NKey login
/// (a signature, no secret: nothing).
fn nats_connect() -> Vec<u8> {
    let mut a = conv("10.39.2.10:45001", "10.39.2.1:4222", 1_700_392_000);
    a.server(NATS_INFO)
        .client(b"CONNECT {\"verbose\":false,\"pedantic\":false,\"user\":\"inventory\",\"pass\":\"N@ts-2024\",\"tls_required\":false,\"name\":\"inventory-sync\",\"lang\":\"go\",\"version\":\"1.28.0\",\"protocol\":1,\"echo\":true}\r\nPING\r\n")
        .server(b"PONG\r\n")
        .client(b"SUB stock.* 1\r\n")
        .close();
    let mut b = conv("10.39.2.11:45002", "10.39.2.2:14222", 1_700_392_010);
    b.server(NATS_INFO)
        .client(b"CONNECT {\"verbose\":false,\"auth_token\":\"old-t0ken-42\",\"lang\":\"python3\",\"version\":\"2.6.0\",\"protocol\":1}\r\nPING\r\n")
        .server(b"-ERR 'Authorization Violation'\r\n")
        .close();
    let mut c = conv("10.39.2.12:45003", "10.39.2.1:4222", 1_700_392_020);
    c.server(NATS_INFO)
        .client(b"CONNECT {\"nkey\":\"UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4\",\"sig\":\"cMxf0kzm9dG4dXnmr0lxO1YoZvKnV2TIZG3TKXVKNPiZCyeuLILwE8JrFwhvAOExFyAHzSnLi8fE3cCPdOJZCw\",\"protocol\":1}\r\nPING\r\n")
        .server(b"PONG\r\n")
        .close();
    pcap(vec![a, b, c])
}

fn nats_connect_expected() -> Vec<Expect> {
    vec![
        Expect {
            protocol: "nats",
            mechanism: "user/pass",
            kind: "cleartext",
            client: "10.39.2.10:45001",
            server: "10.39.2.1:4222",
            username: Some("inventory"),
            secret: "N@ts-2024",
            outcome: "success",
            frame: Some(5),
            ..Expect::default()
        },
        Expect {
            protocol: "nats",
            mechanism: "token",
            kind: "token",
            client: "10.39.2.11:45002",
            server: "10.39.2.2:14222",
            secret: "old-t0ken-42",
            outcome: "failure",
            ..Expect::default()
        },
    ]
}

// ---- Kafka ---------------------------------------------------------------------------

/// Kafka on a SASL_PLAINTEXT listener: a current client (SaslHandshake v1, flexible
/// SaslAuthenticate v2) with PLAIN, accepted; one refused (error 58) on 19092 (found by
/// content); an old client (SaslHandshake v0, then a bare token), answered with an empty
/// token (success).
fn kafka_sasl() -> Vec<u8> {
    let mut a = conv("10.39.3.10:46001", "10.39.3.1:9092", 1_700_393_000);
    a.client(&kafka::handshake(1, 1, b"payments-app", b"PLAIN"))
        .server(&kafka::handshake_ok(1, &[b"PLAIN", b"SCRAM-SHA-512"]))
        .client(&kafka::authenticate(
            2,
            2,
            b"payments-app",
            b"\0payments\0K@fka-Pay-1",
        ))
        .server(&kafka::authenticate_response(2, 2, 0, b""))
        .close();
    let mut b = conv("10.39.3.11:46002", "10.39.3.2:19092", 1_700_393_010);
    b.client(&kafka::handshake(1, 1, b"etl", b"PLAIN"))
        .server(&kafka::handshake_ok(1, &[b"PLAIN"]))
        .client(&kafka::authenticate(1, 2, b"etl", b"\0etl\0wr0ng-pass"))
        .server(&kafka::authenticate_response(
            1,
            2,
            58,
            b"Authentication failed: Invalid username or password",
        ))
        .close();
    let mut c = conv("10.39.3.12:46003", "10.39.3.1:9092", 1_700_393_020);
    c.client(&kafka::handshake(0, 1, b"legacy", b"PLAIN"))
        .server(&kafka::handshake_ok(1, &[b"PLAIN"]))
        .client(&kafka::bare(b"\0legacy\0Old-Kafka-08"))
        .server(&kafka::bare(b""))
        .close();
    // SCRAM-SHA-512 (what managed clusters use): two SaslAuthenticate round trips.
    let s = kafka_scram();
    let mut d = conv("10.39.3.13:46004", "10.39.3.1:9092", 1_700_393_030);
    d.client(&kafka::handshake(1, 1, b"billing", b"SCRAM-SHA-512"))
        .server(&kafka::handshake_ok(1, &[b"PLAIN", b"SCRAM-SHA-512"]))
        .client(&kafka::authenticate(2, 2, b"billing", &s.first))
        .server(&kafka::authenticate_answer(2, 2, 0, b"", &s.server))
        .client(&kafka::authenticate(2, 3, b"billing", &s.last))
        .server(&kafka::authenticate_answer(2, 3, 0, b"", &s.verdict))
        .close();
    pcap(vec![a, b, c, d])
}

fn kafka_scram() -> crate::support::Scram {
    crate::support::scram(
        "SHA-512",
        "billing-svc",
        "Sh4red-Kafka-S3cret",
        ("c0ffee5eed0123456789", "kafkaSrvN0nce"),
        b"kafka-scram-salt",
        4096,
    )
}

fn kafka_sasl_expected() -> Vec<Expect> {
    let e = Expect {
        protocol: "kafka",
        mechanism: "SASL PLAIN",
        kind: "cleartext",
        client: "10.39.3.10:46001",
        server: "10.39.3.1:9092",
        username: Some("payments"),
        secret: "K@fka-Pay-1",
        outcome: "success",
        frame: Some(6),
        ..Expect::default()
    };
    vec![
        e.clone(),
        Expect {
            client: "10.39.3.11:46002",
            server: "10.39.3.2:19092",
            username: Some("etl"),
            secret: "wr0ng-pass",
            outcome: "failure",
            frame: None,
            ..e.clone()
        },
        Expect {
            client: "10.39.3.12:46003",
            username: Some("legacy"),
            secret: "Old-Kafka-08",
            frame: None,
            ..e.clone()
        },
        Expect {
            mechanism: "SASL SCRAM-SHA-512",
            kind: "challenge-response",
            client: "10.39.3.13:46004",
            username: Some("billing-svc"),
            secret: leak(kafka_scram().proof),
            challenge: Some(leak(kafka_scram().auth_message)),
            frame: None,
            ..e
        },
    ]
}

// ---- rlogin --------------------------------------------------------------------------

/// rlogin: the handshake, the server's window-size request and the client's answer, a
/// wrong password refused, the user name typed again at `login:` (echoed), the right
/// password typed with a correction, accepted.
fn rlogin_password() -> Vec<u8> {
    let mut c = conv("10.34.0.10:1023", "10.34.0.1:513", 1_700_340_000);
    c.client(b"\0")
        .client(b"sam\0root\0xterm/38400\0")
        .server(b"\0")
        .server(b"\x80")
        .client(b"\xff\xffss\x00\x18\x00\x50\x00\x00\x00\x00")
        .server(b"Password: ")
        .client_keystrokes(b"toor\r", false)
        .server(b"\r\nLogin incorrect\r\nlogin: ")
        .client_keystrokes(b"root", true)
        .client_keystrokes(b"\r", false)
        .server(b"\r\nPassword: ")
        .client_keystrokes(b"R00tx\x7f!\r", false)
        .server(b"\r\nLast login: Tue Nov 14 10:00:00 from 10.34.0.10\r\nroot@box:~# ")
        .client_keystrokes(b"exit\r", true)
        .close();
    pcap(vec![c])
}

fn rlogin_password_expected() -> Vec<Expect> {
    let e = Expect {
        protocol: "rlogin",
        mechanism: "login",
        kind: "cleartext",
        client: "10.34.0.10:1023",
        server: "10.34.0.1:513",
        username: Some("root"),
        ..Expect::default()
    };
    vec![
        Expect {
            secret: "toor",
            outcome: "failure",
            frame: Some(5),
            ..e.clone()
        },
        Expect {
            secret: "R00t!",
            outcome: "success",
            ..e
        },
    ]
}

// ---- VNC -----------------------------------------------------------------------------

const VNC_SERVER: &str = "10.35.0.1:5900";

/// The VNC Authentication response, computed here from the password: DES (ECB) of each
/// 8-byte half of the challenge, keyed with the password's first 8 bytes (NUL-padded),
/// each key byte's bits in reverse order.
pub fn vnc_response(password: &[u8], challenge: &[u8; 16]) -> [u8; 16] {
    let mut key = [0u8; 8];
    for (i, k) in key.iter_mut().enumerate() {
        let b = password.get(i).copied().unwrap_or(0);
        // Bit i of the byte becomes bit 7 - i.
        *k = (0..8).fold(0u8, |acc, bit| acc | (((b >> bit) & 1) << (7 - bit)));
    }
    let cipher = Des::new_from_slice(&key).expect("8-byte key");
    let mut out = [0u8; 16];
    for half in 0..2 {
        let mut block = des::cipher::Block::<Des>::default();
        block.copy_from_slice(&challenge[half * 8..half * 8 + 8]);
        cipher.encrypt_block(&mut block);
        out[half * 8..half * 8 + 8].copy_from_slice(&block);
    }
    out
}

fn challenge(seed: u8) -> [u8; 16] {
    std::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8 * 17))
}

const VNC33_PASSWORD: &[u8] = b"Vnc33pw";
const VNC37_WRONG: &[u8] = b"guessed!";
const VNC38_WRONG: &[u8] = b"wrongpwd";
const VNC38_PASSWORD: &[u8] = b"s3cr3t!x";

fn vnc_expect(client: &'static str, ch: [u8; 16], password: &[u8]) -> Expect {
    Expect {
        protocol: "vnc",
        mechanism: "VNC authentication",
        kind: "challenge-response",
        client,
        server: VNC_SERVER,
        username: None,
        secret: leak(hex(&vnc_response(password, &ch))),
        challenge: Some(leak(hex(&ch))),
        ..Expect::default()
    }
}

/// RFB 3.3: the security type and the challenge in one segment; accepted.
fn vnc_rfb33() -> Vec<u8> {
    let ch = challenge(1);
    let mut c = conv("10.35.0.10:43001", VNC_SERVER, 1_700_350_000);
    c.server(b"RFB 003.003\n")
        .client(b"RFB 003.003\n")
        .server(&[&[0, 0, 0, 2][..], &ch].concat())
        .client(&vnc_response(VNC33_PASSWORD, &ch))
        .server(&[0, 0, 0, 0])
        .client(&[1])
        .close();
    pcap(vec![c])
}

fn vnc_rfb33_expected() -> Vec<Expect> {
    vec![Expect {
        outcome: "success",
        frame: Some(7),
        ..vnc_expect("10.35.0.10:43001", challenge(1), VNC33_PASSWORD)
    }]
}

/// RFB 3.7 (the client's version, lower than the server's 3.8): refused, no reason.
fn vnc_rfb37() -> Vec<u8> {
    let ch = challenge(2);
    let mut c = conv("10.35.0.11:43002", VNC_SERVER, 1_700_350_100);
    c.server(b"RFB 003.008\n")
        .client(b"RFB 003.007\n")
        .server(&[2, 2, 16])
        .client(&[2])
        .server(&ch)
        .client(&vnc_response(VNC37_WRONG, &ch))
        .server(&[0, 0, 0, 1])
        .close();
    pcap(vec![c])
}

fn vnc_rfb37_expected() -> Vec<Expect> {
    vec![Expect {
        outcome: "failure",
        frame: Some(9),
        ..vnc_expect("10.35.0.11:43002", challenge(2), VNC37_WRONG)
    }]
}

/// RFB 3.8: refused with a reason string, then accepted on a second connection (the
/// response cut over two segments).
fn vnc_rfb38() -> Vec<u8> {
    let (ch1, ch2) = (challenge(3), challenge(4));
    let mut a = conv("10.35.0.12:43003", VNC_SERVER, 1_700_350_200);
    a.server(b"RFB 003.008\n")
        .client(b"RFB 003.008\n")
        .server(&[1, 2])
        .client(&[2])
        .server(&ch1)
        .client(&vnc_response(VNC38_WRONG, &ch1))
        .server(b"\0\0\0\x01\0\0\0\x15Authentication failed")
        .close();
    let resp = vnc_response(VNC38_PASSWORD, &ch2);
    let mut b = conv("10.35.0.12:43004", VNC_SERVER, 1_700_350_210);
    b.server(b"RFB 003.008\n")
        .client(b"RFB 003.008\n")
        .server(&[1, 2])
        .client(&[2])
        .server(&ch2)
        .client(&resp[..7])
        .client(&resp[7..])
        .server(&[0, 0, 0, 0])
        .client(&[1])
        .close();
    pcap(vec![a, b])
}

fn vnc_rfb38_expected() -> Vec<Expect> {
    vec![
        Expect {
            outcome: "failure",
            frame: Some(9),
            ..vnc_expect("10.35.0.12:43003", challenge(3), VNC38_WRONG)
        },
        Expect {
            outcome: "success",
            ..vnc_expect("10.35.0.12:43004", challenge(4), VNC38_PASSWORD)
        },
    ]
}

/// Security type None (RFB 3.8): no credential.
fn vnc_none() -> Vec<u8> {
    let mut c = conv("10.35.0.13:43005", VNC_SERVER, 1_700_350_300);
    c.server(b"RFB 003.008\n")
        .client(b"RFB 003.008\n")
        .server(&[1, 1])
        .client(&[1])
        .server(&[0, 0, 0, 0])
        .client(&[1])
        .close();
    pcap(vec![c])
}

/// VeNCrypt Plain (no TLS) on display :1: user name and password in clear, accepted.
fn vnc_vencrypt_plain() -> Vec<u8> {
    let mut plain = 4u32.to_be_bytes().to_vec();
    plain.extend(9u32.to_be_bytes());
    plain.extend(b"tina");
    plain.extend(b"V3nCrypt!");
    let mut c = conv("10.35.0.14:43006", "10.35.0.1:5901", 1_700_350_400);
    c.server(b"RFB 003.008\n")
        .client(b"RFB 003.008\n")
        .server(&[1, 19])
        .client(&[19])
        .server(&[0, 2])
        .client(&[0, 2])
        .server(&[0])
        .server(&[2, 0, 0, 1, 0, 0, 0, 1, 3])
        .client(&[0, 0, 1, 0])
        .client(&plain)
        .server(&[0, 0, 0, 0])
        .close();
    pcap(vec![c])
}

fn vnc_vencrypt_plain_expected() -> Vec<Expect> {
    vec![Expect {
        protocol: "vnc",
        mechanism: "VeNCrypt Plain",
        kind: "cleartext",
        client: "10.35.0.14:43006",
        server: "10.35.0.1:5901",
        username: Some("tina"),
        secret: "V3nCrypt!",
        outcome: "success",
        frame: Some(13),
        ..Expect::default()
    }]
}

pub const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "mqtt31-connect.pcap",
        bytes: mqtt31_connect,
        expected: mqtt31_connect_expected,
        exit: 1,
    },
    Fixture {
        name: "websocket-logins.pcap",
        bytes: websocket_logins,
        expected: websocket_logins_expected,
        exit: 1,
    },
    Fixture {
        name: "mqtt311-refused.pcap",
        bytes: mqtt311_refused,
        expected: mqtt311_refused_expected,
        exit: 1,
    },
    Fixture {
        name: "mqtt5-binary-password.pcap",
        bytes: mqtt5_binary_password,
        expected: mqtt5_binary_password_expected,
        exit: 1,
    },
    Fixture {
        name: "mqtt5-refused.pcap",
        bytes: mqtt5_refused,
        expected: mqtt5_refused_expected,
        exit: 1,
    },
    Fixture {
        name: "mqtt5-enhanced-auth.pcap",
        bytes: mqtt5_enhanced_auth,
        expected: mqtt5_enhanced_auth_expected,
        exit: 1,
    },
    Fixture {
        name: "mqtt-other-port-unanswered.pcap",
        bytes: mqtt_other_port_unanswered,
        expected: mqtt_other_port_unanswered_expected,
        exit: 1,
    },
    Fixture {
        name: "mqtt-no-password.pcap",
        bytes: mqtt_no_password,
        expected: none,
        exit: 0,
    },
    Fixture {
        name: "irc-pass.pcap",
        bytes: irc_pass,
        expected: irc_pass_expected,
        exit: 1,
    },
    Fixture {
        name: "irc-oper.pcap",
        bytes: irc_oper,
        expected: irc_oper_expected,
        exit: 1,
    },
    Fixture {
        name: "irc-nickserv.pcap",
        bytes: irc_nickserv,
        expected: irc_nickserv_expected,
        exit: 1,
    },
    Fixture {
        name: "irc-sasl-plain.pcap",
        bytes: irc_sasl_plain,
        expected: irc_sasl_plain_expected,
        exit: 1,
    },
    Fixture {
        name: "irc-channel-key.pcap",
        bytes: irc_channel_key,
        expected: irc_channel_key_expected,
        exit: 1,
    },
    Fixture {
        name: "nntp-authinfo.pcap",
        bytes: nntp_authinfo,
        expected: nntp_authinfo_expected,
        exit: 1,
    },
    Fixture {
        name: "nntp-sasl-plain.pcap",
        bytes: nntp_sasl_plain,
        expected: nntp_sasl_plain_expected,
        exit: 1,
    },
    Fixture {
        name: "nntp-starttls.pcap",
        bytes: nntp_starttls,
        expected: none,
        exit: 0,
    },
    Fixture {
        name: "socks5-userpass.pcap",
        bytes: socks5_userpass,
        expected: socks5_userpass_expected,
        exit: 1,
    },
    Fixture {
        name: "socks5-refused.pcap",
        bytes: socks5_refused,
        expected: socks5_refused_expected,
        exit: 1,
    },
    Fixture {
        name: "socks-no-secret.pcap",
        bytes: socks_no_secret,
        expected: none,
        exit: 0,
    },
    Fixture {
        name: "amqp-logins.pcap",
        bytes: amqp_logins,
        expected: amqp_logins_expected,
        exit: 1,
    },
    Fixture {
        name: "stomp-connect.pcap",
        bytes: stomp_connect,
        expected: stomp_connect_expected,
        exit: 1,
    },
    Fixture {
        name: "nats-connect.pcap",
        bytes: nats_connect,
        expected: nats_connect_expected,
        exit: 1,
    },
    Fixture {
        name: "kafka-sasl.pcap",
        bytes: kafka_sasl,
        expected: kafka_sasl_expected,
        exit: 1,
    },
    Fixture {
        name: "rlogin-password.pcap",
        bytes: rlogin_password,
        expected: rlogin_password_expected,
        exit: 1,
    },
    Fixture {
        name: "vnc-rfb33.pcap",
        bytes: vnc_rfb33,
        expected: vnc_rfb33_expected,
        exit: 1,
    },
    Fixture {
        name: "vnc-rfb37.pcap",
        bytes: vnc_rfb37,
        expected: vnc_rfb37_expected,
        exit: 1,
    },
    Fixture {
        name: "vnc-rfb38.pcap",
        bytes: vnc_rfb38,
        expected: vnc_rfb38_expected,
        exit: 1,
    },
    Fixture {
        name: "vnc-none.pcap",
        bytes: vnc_none,
        expected: none,
        exit: 0,
    },
    Fixture {
        name: "vnc-vencrypt-plain.pcap",
        bytes: vnc_vencrypt_plain,
        expected: vnc_vencrypt_plain_expected,
        exit: 1,
    },
];

#[test]
fn iot_fixtures_are_what_the_generator_makes() {
    assert_generated(FIXTURES);
}

#[test]
fn iot_fixtures_give_exactly_their_findings() {
    assert_expected(FIXTURES);
}

fn details(name: &str) -> Vec<Value> {
    let (findings, _, _) = scan(&[&fixture(name)]);
    findings.iter().map(|f| f["details"].clone()).collect()
}

#[test]
fn iot_details_carry_client_id_destination_channel_and_version() {
    assert_eq!(
        details("mqtt31-connect.pcap"),
        vec![serde_json::json!({"client_id": "sensor-31", "version": "3.1"})]
    );
    assert_eq!(
        details("mqtt5-refused.pcap"),
        vec![serde_json::json!({"version": "5.0", "reason": "Bad user name or password"})]
    );
    let enhanced = details("mqtt5-enhanced-auth.pcap");
    assert!(
        enhanced.iter().all(|d| d["method"].is_string()),
        "{enhanced:?}"
    );
    assert_eq!(
        details("socks5-userpass.pcap"),
        vec![serde_json::json!({"destination": "intranet.example:80"})]
    );
    let keys = details("irc-channel-key.pcap");
    assert!(
        keys.contains(&serde_json::json!({"channel": "#dev"})),
        "{keys:?}"
    );
    let amqp = details("amqp-logins.pcap");
    assert_eq!(amqp[0], serde_json::json!({"version": "0-9-1"}));
    assert_eq!(
        amqp[1],
        serde_json::json!({
            "version": "0-9-1",
            "reason": "ACCESS_REFUSED - Login was refused using authentication mechanism AMQPLAIN"
        })
    );
    assert_eq!(
        amqp[2],
        serde_json::json!({"version": "1.0", "hostname": "fleet"})
    );
    assert_eq!(
        details("stomp-connect.pcap"),
        vec![
            serde_json::json!({"host": "/prod"}),
            serde_json::json!({
                "host": "/",
                "reason": "Security Error occurred: User name [admin] or password is invalid."
            })
        ]
    );
    assert_eq!(
        details("nats-connect.pcap"),
        vec![
            serde_json::json!({"client_name": "inventory-sync"}),
            serde_json::json!({"reason": "Authorization Violation"})
        ]
    );
    assert_eq!(
        details("kafka-sasl.pcap"),
        vec![
            serde_json::json!({"client_id": "payments-app"}),
            serde_json::json!({
                "client_id": "etl",
                "reason": "Authentication failed: Invalid username or password"
            }),
            serde_json::json!({"client_id": "legacy"}),
            serde_json::json!({
                "client_id": "billing",
                "hash": "SHA-512",
                "iterations": "4096",
                "salt": "a2Fma2Etc2NyYW0tc2FsdA=="
            }),
        ]
    );
    assert_eq!(
        details("rlogin-password.pcap"),
        vec![serde_json::json!({"client_user": "sam"}); 2]
    );
    assert_eq!(
        details("vnc-rfb37.pcap"),
        vec![serde_json::json!({"version": "3.7"})]
    );
    assert_eq!(
        details("vnc-rfb38.pcap")[0],
        serde_json::json!({"reason": "Authentication failed", "version": "3.8"})
    );
}

/// Every VNC finding's response, recomputed from the password with DES (not with the
/// dissector's code) and the finding's own challenge.
fn check_vnc(findings: &[Value], passwords: &[&[u8]]) {
    for f in findings {
        let ch: [u8; 16] = unhex(f["challenge"].as_str().expect("challenge"))
            .try_into()
            .expect("16-byte challenge");
        let secret = f["secret"].as_str().expect("secret");
        assert!(
            passwords
                .iter()
                .any(|p| hex(&vnc_response(p, &ch)) == secret),
            "no password gives {f:#}"
        );
    }
}

#[test]
fn vnc_responses_are_des_of_the_challenge_under_the_password() {
    // A known pair: john-samples' 3.8 capture, password pass1234 (its MANIFEST entry).
    let ch: [u8; 16] = unhex("612522e570df96c66abf7a915c9c8f12")
        .try_into()
        .expect("16 bytes");
    assert_eq!(
        hex(&vnc_response(b"pass1234", &ch)),
        "a1e0317becbedfe81574feab9a3b2046"
    );
    // John the Ripper's own VNC test vector ($vnc$*challenge*response, password
    // "Password", vnc_fmt_plug.c).
    let ch: [u8; 16] = unhex("0805b790b58e967f2a350a0c99de3881")
        .try_into()
        .expect("16 bytes");
    assert_eq!(
        hex(&vnc_response(b"Password", &ch)),
        "aecb26faeaaa62d79636a5934bac1078"
    );
    for name in ["vnc-rfb33.pcap", "vnc-rfb37.pcap", "vnc-rfb38.pcap"] {
        let (findings, _, _) = scan(&[&fixture(name)]);
        assert!(!findings.is_empty(), "{name}");
        check_vnc(
            &findings,
            &[VNC33_PASSWORD, VNC37_WRONG, VNC38_WRONG, VNC38_PASSWORD],
        );
    }
    // The third-party captures, with the passwords their sources publish.
    let third = repo().join("../shared/fixtures/third-party/vnc");
    for (file, password) in [
        ("john-vnc-3.3-Password.pcap", &b"Password"[..]),
        ("john-vnc-3.7-openwall.pcap", b"openwall"),
        ("john-vnc-3.8-pass1234.pcap", b"pass1234"),
    ] {
        let path = third.join(file);
        if !path.is_file() {
            eprintln!("skipped: {} is not here", path.display());
            continue;
        }
        let (findings, _, _) = scan(&[&path]);
        assert!(!findings.is_empty(), "{file}");
        check_vnc(&findings, &[password]);
    }
}
