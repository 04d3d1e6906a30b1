//! The project's own captures: how each is generated, and what plainsight must find in
//! it. The generator is deterministic; `fixtures_are_what_the_generator_makes` checks the
//! committed files against it. To regenerate after changing a generator:
//!
//! ```text
//! PLAINSIGHT_REGENERATE_FIXTURES=1 cargo test --test it fixtures_are_what
//! ```

use std::net::SocketAddr;

use plainsight::capture::{PcapNgWriter, PcapWriter};
use plainsight::synth::{Flags, Link, SynthPacket, TcpConversation, fragment_ipv4, fragment_ipv6};
use plainsight::timestamp::Timestamp;

use crate::support::{Expect, assert_findings, fixture, scan};

pub struct Fixture {
    pub name: &'static str,
    pub bytes: fn() -> Vec<u8>,
    pub expected: fn() -> Vec<Expect>,
    /// Exit status of `plainsight scan` on it.
    pub exit: i32,
}

fn sa(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

fn at(secs: i64) -> Timestamp {
    Timestamp::new(secs, 0)
}

/// Packets of several conversations, in time order.
fn merge(parts: Vec<Vec<(Link, SynthPacket)>>) -> Vec<(Link, SynthPacket)> {
    let mut all: Vec<(Link, SynthPacket)> = parts.into_iter().flatten().collect();
    all.sort_by_key(|(_, p)| p.ts);
    all
}

fn on(link: Link, c: TcpConversation) -> Vec<(Link, SynthPacket)> {
    c.into_packets()
        .into_iter()
        .map(|p| (link.clone(), p))
        .collect()
}

/// A classic little-endian microsecond pcap of packets that share one link type.
fn pcap(packets: &[(Link, SynthPacket)]) -> Vec<u8> {
    let linktype = packets
        .first()
        .map(|(l, _)| l.linktype())
        .unwrap_or(Link::Ethernet.linktype());
    let mut w = PcapWriter::new(Vec::new(), linktype, 65535, false, false).expect("header");
    for (link, p) in packets {
        let f = link.frame(&p.ip);
        w.write(p.ts, &f, f.len() as u32).expect("record");
    }
    w.into_inner()
}

fn ftp_login(c: &mut TcpConversation, user: &[u8], pass: &[u8], reply: &[u8]) {
    c.client(&[b"USER ", user, b"\r\n"].concat());
    c.server(b"331 Please specify the password.\r\n");
    c.client(&[b"PASS ", pass, b"\r\n"].concat());
    c.server(reply);
}

// ---- FTP ----------------------------------------------------------------------------

fn ftp_logins() -> Vec<u8> {
    let mut a = TcpConversation::new(sa("10.0.0.5:40001"), sa("10.0.0.21:21"))
        .starting_at(at(1_700_000_000));
    a.handshake().server(b"220 (vsFTPd 3.0.3)\r\n");
    ftp_login(&mut a, b"alice", b"wrongpass", b"530 Login incorrect.\r\n");
    ftp_login(
        &mut a,
        b"alice",
        b"Tr0ub4dor&3",
        b"230 Login successful.\r\n",
    );
    a.client(b"QUIT\r\n").server(b"221 Goodbye.\r\n").close();
    let mut b = TcpConversation::new(sa("10.0.0.6:40002"), sa("10.0.0.21:21"))
        .starting_at(at(1_700_000_010));
    b.handshake()
        .server(b"220-Welcome\r\n220 (vsFTPd 3.0.3)\r\n");
    ftp_login(
        &mut b,
        b"anonymous",
        b"guest@example.com",
        b"230-Hello\r\n230 Login successful.\r\n",
    );
    b.close();
    pcap(&merge(vec![on(Link::Ethernet, a), on(Link::Ethernet, b)]))
}

fn ftp_logins_expected() -> Vec<Expect> {
    let base = Expect {
        protocol: "ftp",
        mechanism: "USER/PASS",
        kind: "cleartext",
        client: "10.0.0.5:40001",
        server: "10.0.0.21:21",
        username: Some("alice"),
        ..Expect::default()
    };
    vec![
        Expect {
            secret: "wrongpass",
            outcome: "failure",
            frame: Some(10),
            ..base.clone()
        },
        Expect {
            secret: "Tr0ub4dor&3",
            outcome: "success",
            frame: Some(18),
            ..base.clone()
        },
        Expect {
            client: "10.0.0.6:40002",
            username: Some("anonymous"),
            secret: "guest@example.com",
            outcome: "success",
            anonymous: true,
            ..base
        },
    ]
}

/// FTP on a port no protocol is expected on, in a big-endian nanosecond pcap.
fn ftp_port2121() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("192.0.2.10:51000"), sa("192.0.2.20:2121"))
        .starting_at(Timestamp::new(1_700_000_000, 123_456_789));
    c.handshake().server(b"220 ProFTPD Server ready.\r\n");
    ftp_login(
        &mut c,
        b"deploy",
        b"d3pl0y!",
        b"230 User deploy logged in.\r\n",
    );
    c.close();
    let mut w =
        PcapWriter::new(Vec::new(), Link::Ethernet.linktype(), 262144, true, true).expect("header");
    for p in c.packets() {
        let f = Link::Ethernet.frame(&p.ip);
        w.write(p.ts, &f, f.len() as u32).expect("record");
    }
    w.into_inner()
}

fn ftp_port2121_expected() -> Vec<Expect> {
    vec![Expect {
        protocol: "ftp",
        mechanism: "USER/PASS",
        kind: "cleartext",
        client: "192.0.2.10:51000",
        server: "192.0.2.20:2121",
        username: Some("deploy"),
        secret: "d3pl0y!",
        outcome: "success",
        ..Expect::default()
    }]
}

/// The password line arrives in three segments sent out of order, one duplicated and one
/// retransmitted with an overlap.
fn ftp_reordered() -> Vec<u8> {
    let client = sa("10.1.1.2:50123");
    let server = sa("10.1.1.1:21");
    let mut c = TcpConversation::new(client, server)
        .without_acks()
        .starting_at(at(1_700_000_100));
    c.handshake()
        .server(b"220 ready\r\n")
        .client(b"USER bob\r\n")
        .server(b"331 pw?\r\n");
    c.client(b"PA").client(b"SS reor").client(b"dered\r\n");
    c.server(b"230 ok\r\n").close();
    let mut p = c.into_packets();
    // Indices: 0-2 handshake, 3 banner, 4 USER, 5 331, 6-8 the PASS pieces.
    let (d1, d2, d3) = (p[6].clone(), p[7].clone(), p[8].clone());
    let mut retrans = d2.clone();
    retrans.ts = Timestamp::new(d3.ts.secs, u64::from(d3.ts.nanos) + 500_000);
    p[6] = d3;
    p[7] = d1.clone();
    p[8] = d1;
    p.insert(9, d2);
    p.insert(10, retrans);
    let packets: Vec<(Link, SynthPacket)> = p.into_iter().map(|x| (Link::Ethernet, x)).collect();
    pcap(&packets)
}

fn ftp_reordered_expected() -> Vec<Expect> {
    vec![Expect {
        protocol: "ftp",
        mechanism: "USER/PASS",
        kind: "cleartext",
        client: "10.1.1.2:50123",
        server: "10.1.1.1:21",
        username: Some("bob"),
        secret: "reordered",
        outcome: "success",
        ..Expect::default()
    }]
}

/// The capture starts after the handshake and the banner: the sides come from port 21.
fn ftp_midflow() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("172.16.0.9:33333"), sa("172.16.0.1:21"))
        .starting_at(at(1_700_000_200));
    c.handshake().server(b"220 hi\r\n");
    ftp_login(&mut c, b"carol", b"midflow-pw", b"230 ok\r\n");
    c.close();
    let packets: Vec<(Link, SynthPacket)> = c
        .into_packets()
        .into_iter()
        .skip(5)
        .map(|p| (Link::Ethernet, p))
        .collect();
    pcap(&packets)
}

fn ftp_midflow_expected() -> Vec<Expect> {
    vec![Expect {
        protocol: "ftp",
        mechanism: "USER/PASS",
        kind: "cleartext",
        client: "172.16.0.9:33333",
        server: "172.16.0.1:21",
        username: Some("carol"),
        secret: "midflow-pw",
        outcome: "success",
        ..Expect::default()
    }]
}

fn ftp_ipv6() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("[2001:db8::10]:49185"), sa("[2001:db8::21]:21"))
        .starting_at(at(1_700_000_300));
    c.handshake().server(b"220 ipv6 ftp\r\n");
    ftp_login(&mut c, b"v6user", b"v6pass", b"230 ok\r\n");
    c.close();
    pcap(&on(Link::Ethernet, c))
}

fn ftp_ipv6_expected() -> Vec<Expect> {
    vec![Expect {
        protocol: "ftp",
        mechanism: "USER/PASS",
        kind: "cleartext",
        client: "[2001:db8::10]:49185",
        server: "[2001:db8::21]:21",
        username: Some("v6user"),
        secret: "v6pass",
        outcome: "success",
        ..Expect::default()
    }]
}

/// UTF-8 and non-UTF-8 credentials: the exact bytes must come out.
fn ftp_utf8() -> Vec<u8> {
    let mut a = TcpConversation::new(sa("10.0.0.7:40010"), sa("10.0.0.21:21"))
        .starting_at(at(1_700_000_400));
    a.handshake().server(b"220 hi\r\n");
    ftp_login(
        &mut a,
        "jürgen".as_bytes(),
        "pässwort".as_bytes(),
        b"230 ok\r\n",
    );
    a.close();
    let mut b = TcpConversation::new(sa("10.0.0.7:40011"), sa("10.0.0.21:21"))
        .starting_at(at(1_700_000_410));
    b.handshake().server(b"220 hi\r\n");
    ftp_login(&mut b, b"latin1", b"p\xe4ss", b"530 no\r\n");
    b.close();
    pcap(&merge(vec![on(Link::Ethernet, a), on(Link::Ethernet, b)]))
}

fn ftp_utf8_expected() -> Vec<Expect> {
    let base = Expect {
        protocol: "ftp",
        mechanism: "USER/PASS",
        kind: "cleartext",
        server: "10.0.0.21:21",
        ..Expect::default()
    };
    vec![
        Expect {
            client: "10.0.0.7:40010",
            username: Some("jürgen"),
            secret: "pässwort",
            outcome: "success",
            ..base.clone()
        },
        Expect {
            client: "10.0.0.7:40011",
            username: Some("latin1"),
            secret: "p\u{fffd}ss",
            secret_hex: Some("70e47373"),
            outcome: "failure",
            ..base
        },
    ]
}

/// Checksum offload: every TCP checksum is left zero, as on the sending host.
fn ftp_bad_checksums() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.9.9.2:45000"), sa("10.9.9.1:21"))
        .starting_at(at(1_700_000_500));
    c.handshake().server(b"220 hi\r\n");
    ftp_login(&mut c, b"offload", b"csum-pw", b"230 ok\r\n");
    c.close();
    let packets: Vec<(Link, SynthPacket)> = c
        .into_packets()
        .into_iter()
        .map(|mut p| {
            // IPv4 header is 20 bytes; the TCP checksum is at offset 16 of the TCP header.
            p.ip[36] = 0;
            p.ip[37] = 0;
            (Link::Ethernet, p)
        })
        .collect();
    pcap(&packets)
}

fn ftp_bad_checksums_expected() -> Vec<Expect> {
    vec![Expect {
        protocol: "ftp",
        mechanism: "USER/PASS",
        kind: "cleartext",
        client: "10.9.9.2:45000",
        server: "10.9.9.1:21",
        username: Some("offload"),
        secret: "csum-pw",
        outcome: "success",
        ..Expect::default()
    }]
}

/// A login, then the file ends in the middle of a record.
fn ftp_truncated() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.2.2.2:41000"), sa("10.2.2.1:21"))
        .starting_at(at(1_700_000_600));
    c.handshake().server(b"220 hi\r\n");
    ftp_login(&mut c, b"dave", b"before-the-cut", b"230 ok\r\n");
    c.client(b"LIST\r\n").server(
        &[
            b"150 Here comes the directory listing.\r\n".as_slice(),
            &[b'x'; 400],
        ]
        .concat(),
    );
    let mut bytes = pcap(&on(Link::Ethernet, c));
    bytes.truncate(bytes.len() - 300);
    bytes
}

fn ftp_truncated_expected() -> Vec<Expect> {
    vec![Expect {
        protocol: "ftp",
        mechanism: "USER/PASS",
        kind: "cleartext",
        client: "10.2.2.2:41000",
        server: "10.2.2.1:21",
        username: Some("dave"),
        secret: "before-the-cut",
        outcome: "success",
        ..Expect::default()
    }]
}

// ---- POP3 ---------------------------------------------------------------------------

fn pop3_user_pass() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.0.1.5:41000"), sa("10.0.1.110:110"))
        .starting_at(at(1_700_001_000));
    c.handshake().server(b"+OK Dovecot ready.\r\n");
    c.client(b"CAPA\r\n")
        .server(b"+OK\r\nCAPA\r\nTOP\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n");
    c.client(b"USER erin\r\n").server(b"+OK\r\n");
    c.client(b"PASS not it\r\n")
        .server(b"-ERR [AUTH] Authentication failed.\r\n");
    c.client(b"USER erin\r\n").server(b"+OK\r\n");
    c.client(b"PASS correct horse\r\n")
        .server(b"+OK Logged in.\r\n");
    c.client(b"QUIT\r\n")
        .server(b"+OK Logging out.\r\n")
        .close();
    pcap(&on(Link::Ethernet, c))
}

fn pop3_user_pass_expected() -> Vec<Expect> {
    let base = Expect {
        protocol: "pop3",
        mechanism: "USER/PASS",
        kind: "cleartext",
        client: "10.0.1.5:41000",
        server: "10.0.1.110:110",
        username: Some("erin"),
        ..Expect::default()
    };
    vec![
        Expect {
            secret: "not it",
            outcome: "failure",
            ..base.clone()
        },
        Expect {
            secret: "correct horse",
            outcome: "success",
            ..base
        },
    ]
}

/// The APOP example of RFC 1939, verbatim.
fn pop3_apop() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.0.1.6:41001"), sa("10.0.1.110:110"))
        .starting_at(at(1_700_001_100));
    c.handshake()
        .server(b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n")
        .client(b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n")
        .server(b"+OK mrose's maildrop has 2 messages (320 octets)\r\n")
        .close();
    pcap(&on(Link::Ethernet, c))
}

fn pop3_apop_expected() -> Vec<Expect> {
    vec![Expect {
        protocol: "pop3",
        mechanism: "APOP",
        kind: "challenge-response",
        client: "10.0.1.6:41001",
        server: "10.0.1.110:110",
        username: Some("mrose"),
        secret: "c4c9334bac560ecc979e58001b3e22fb",
        outcome: "success",
        challenge: Some("<1896.697170952@dbc.mtview.ca.us>"),
        hashcat: Some((
            20,
            "c4c9334bac560ecc979e58001b3e22fb:<1896.697170952@dbc.mtview.ca.us>",
        )),
        ..Expect::default()
    }]
}

/// SASL through POP3 AUTH (RFC 5034): PLAIN with an initial response and an authzid,
/// LOGIN without one, PLAIN answered after `+`, and a cancelled exchange.
fn pop3_sasl() -> Vec<u8> {
    let mut a = TcpConversation::new(sa("10.0.1.7:41002"), sa("10.0.1.110:110"))
        .starting_at(at(1_700_001_200));
    // "admin\0frank\0pl@in pw" in base64.
    a.handshake()
        .server(b"+OK ready\r\n")
        .client(b"AUTH PLAIN YWRtaW4AZnJhbmsAcGxAaW4gcHc=\r\n")
        .server(b"+OK Logged in.\r\n")
        .close();
    let mut b = TcpConversation::new(sa("10.0.1.7:41003"), sa("10.0.1.110:110"))
        .starting_at(at(1_700_001_210));
    // LOGIN: "grace", then "l0gin-pw".
    b.handshake()
        .server(b"+OK ready\r\n")
        .client(b"AUTH LOGIN\r\n")
        .server(b"+ VXNlcm5hbWU6\r\n")
        .client(b"Z3JhY2U=\r\n")
        .server(b"+ UGFzc3dvcmQ6\r\n")
        .client(b"bDBnaW4tcHc=\r\n")
        .server(b"-ERR [AUTH] Authentication failed.\r\n")
        .client(b"AUTH PLAIN\r\n")
        .server(b"+ \r\n")
        .client(b"AGdyYWNlAHJpZ2h0LXB3\r\n")
        .server(b"+OK Logged in.\r\n")
        .close();
    let mut c = TcpConversation::new(sa("10.0.1.7:41004"), sa("10.0.1.110:110"))
        .starting_at(at(1_700_001_220));
    c.handshake()
        .server(b"+OK ready\r\n")
        .client(b"AUTH LOGIN\r\n")
        .server(b"+ VXNlcm5hbWU6\r\n")
        .client(b"aGVucnk=\r\n")
        .server(b"+ UGFzc3dvcmQ6\r\n")
        .client(b"*\r\n")
        .server(b"-ERR Authentication cancelled\r\n")
        .close();
    pcap(&merge(vec![
        on(Link::Ethernet, a),
        on(Link::Ethernet, b),
        on(Link::Ethernet, c),
    ]))
}

fn pop3_sasl_expected() -> Vec<Expect> {
    let base = Expect {
        protocol: "pop3",
        kind: "cleartext",
        server: "10.0.1.110:110",
        ..Expect::default()
    };
    vec![
        Expect {
            mechanism: "AUTH PLAIN",
            client: "10.0.1.7:41002",
            username: Some("frank"),
            secret: "pl@in pw",
            outcome: "success",
            ..base.clone()
        },
        Expect {
            mechanism: "AUTH LOGIN",
            client: "10.0.1.7:41003",
            username: Some("grace"),
            secret: "l0gin-pw",
            outcome: "failure",
            ..base.clone()
        },
        Expect {
            mechanism: "AUTH PLAIN",
            client: "10.0.1.7:41003",
            username: Some("grace"),
            secret: "right-pw",
            outcome: "success",
            ..base
        },
    ]
}

// ---- Telnet -------------------------------------------------------------------------

const IAC_NEGOTIATION: &[u8] = b"\xff\xfd\x18\xff\xfd\x20\xff\xfb\x01\xff\xfb\x03";

/// Character mode: every keystroke its own segment, the user name echoed, a failed
/// attempt, then a password corrected with a backspace.
fn telnet_charmode() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.0.2.5:52000"), sa("10.0.2.23:23"))
        .starting_at(at(1_700_002_000));
    c.handshake()
        .server(IAC_NEGOTIATION)
        .client(b"\xff\xfb\x18\xff\xfb\x20\xff\xfd\x01\xff\xfd\x03")
        .server(b"Debian GNU/Linux 12\r\n")
        .server(b"demo login: ");
    c.client_keystrokes(b"root\r\0", true);
    c.server(b"\r\nPassword: ");
    c.client_keystrokes(b"hunter1\r\0", false);
    c.server(b"\r\nLogin incorrect\r\ndemo login: ");
    c.client_keystrokes(b"alice\r\0", true);
    c.server(b"\r\nPassword: ");
    c.client_keystrokes(b"s3cx\x7fret!\r\0", false);
    c.server(b"\r\nLast login: Mon Nov 23 10:00:00 2026 from 10.0.2.4\r\n")
        .server(b"alice@demo:~$ ");
    c.client_keystrokes(b"exit\r\0", true);
    c.server(b"logout\r\n").close();
    pcap(&on(Link::Ethernet, c))
}

fn telnet_charmode_expected() -> Vec<Expect> {
    let base = Expect {
        protocol: "telnet",
        mechanism: "login",
        kind: "cleartext",
        client: "10.0.2.5:52000",
        server: "10.0.2.23:23",
        ..Expect::default()
    };
    vec![
        Expect {
            username: Some("root"),
            secret: "hunter1",
            outcome: "failure",
            ..base.clone()
        },
        Expect {
            username: Some("alice"),
            secret: "s3cret!",
            outcome: "success",
            ..base
        },
    ]
}

/// Linemode: the client sends whole lines; the server turns echo off for the password.
fn telnet_linemode() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.0.2.6:52001"), sa("10.0.2.23:23"))
        .starting_at(at(1_700_002_100));
    c.handshake()
        .server(b"\xff\xfd\x22\xff\xfd\x18")
        .client(b"\xff\xfb\x22\xff\xfb\x18")
        .server(b"\r\nrouter login: ")
        .client(b"bob\r\n")
        .server(b"\xff\xfb\x01Password:")
        .client(b"\xff\xfd\x01")
        .client(b"linemode pw\r\n")
        .server(b"\xff\xfc\x01\r\nrouter> ")
        .client(b"exit\r\n")
        .close();
    pcap(&on(Link::Ethernet, c))
}

fn telnet_linemode_expected() -> Vec<Expect> {
    vec![Expect {
        protocol: "telnet",
        mechanism: "login",
        kind: "cleartext",
        client: "10.0.2.6:52001",
        server: "10.0.2.23:23",
        username: Some("bob"),
        secret: "linemode pw",
        outcome: "success",
        ..Expect::default()
    }]
}

// ---- Link layers and containers -----------------------------------------------------

/// FTP behind one 802.1Q tag and POP3 behind two (QinQ) in one Ethernet capture.
fn vlan() -> Vec<u8> {
    let mut a = TcpConversation::new(sa("10.3.0.2:40100"), sa("10.3.0.1:21"))
        .starting_at(at(1_700_003_000));
    a.handshake().server(b"220 hi\r\n");
    ftp_login(&mut a, b"vlanuser", b"vlan100", b"230 ok\r\n");
    a.close();
    let mut b = TcpConversation::new(sa("10.3.0.3:40101"), sa("10.3.0.1:110"))
        .starting_at(at(1_700_003_010));
    b.handshake()
        .server(b"+OK hi\r\n")
        .client(b"USER qinq\r\n")
        .server(b"+OK\r\n")
        .client(b"PASS vlan200.300\r\n")
        .server(b"+OK\r\n")
        .close();
    pcap(&merge(vec![
        on(Link::Vlan(vec![100]), a),
        on(Link::Vlan(vec![200, 300]), b),
    ]))
}

fn vlan_expected() -> Vec<Expect> {
    vec![
        Expect {
            protocol: "ftp",
            mechanism: "USER/PASS",
            kind: "cleartext",
            client: "10.3.0.2:40100",
            server: "10.3.0.1:21",
            username: Some("vlanuser"),
            secret: "vlan100",
            outcome: "success",
            ..Expect::default()
        },
        Expect {
            protocol: "pop3",
            mechanism: "USER/PASS",
            kind: "cleartext",
            client: "10.3.0.3:40101",
            server: "10.3.0.1:110",
            username: Some("qinq"),
            secret: "vlan200.300",
            outcome: "success",
            ..Expect::default()
        },
    ]
}

/// POP3 in a Linux cooked capture (`tcpdump -i any`).
fn linux_sll() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.4.0.2:40200"), sa("10.4.0.1:110"))
        .starting_at(at(1_700_004_000));
    c.handshake()
        .server(b"+OK hi\r\n")
        .client(b"USER cooked\r\n")
        .server(b"+OK\r\n")
        .client(b"PASS sll-pw\r\n")
        .server(b"-ERR no\r\n")
        .close();
    pcap(&on(Link::LinuxSll, c))
}

fn linux_sll_expected() -> Vec<Expect> {
    vec![Expect {
        protocol: "pop3",
        mechanism: "USER/PASS",
        kind: "cleartext",
        client: "10.4.0.2:40200",
        server: "10.4.0.1:110",
        username: Some("cooked"),
        secret: "sll-pw",
        outcome: "failure",
        ..Expect::default()
    }]
}

/// POP3 over BSD loopback (DLT_NULL).
fn null_loopback() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("127.0.0.1:58246"), sa("127.0.0.1:110"))
        .starting_at(at(1_700_004_100));
    c.handshake()
        .server(b"+OK hi\r\n")
        .client(b"USER lo\r\n")
        .server(b"+OK\r\n")
        .client(b"PASS loopback\r\n")
        .server(b"+OK\r\n")
        .close();
    pcap(&on(Link::Null, c))
}

fn null_loopback_expected() -> Vec<Expect> {
    vec![Expect {
        protocol: "pop3",
        mechanism: "USER/PASS",
        kind: "cleartext",
        client: "127.0.0.1:58246",
        server: "127.0.0.1:110",
        username: Some("lo"),
        secret: "loopback",
        outcome: "success",
        ..Expect::default()
    }]
}

/// A pcapng whose interfaces have different link types (Ethernet, raw IP, and Linux
/// cooked v2 with nanosecond timestamps): libpcap refuses such files.
fn multi_link_pcapng() -> Vec<u8> {
    let mut a = TcpConversation::new(sa("10.5.0.2:40300"), sa("10.5.0.1:21"))
        .starting_at(at(1_700_005_000));
    a.handshake().server(b"220 hi\r\n");
    ftp_login(&mut a, b"eth", b"over-ethernet", b"230 ok\r\n");
    a.close();
    let mut b = TcpConversation::new(sa("10.5.0.3:40301"), sa("10.5.0.1:110"))
        .starting_at(Timestamp::new(1_700_005_000, 500_000));
    b.handshake()
        .server(b"+OK hi\r\n")
        .client(b"USER raw\r\n")
        .server(b"+OK\r\n")
        .client(b"PASS over-raw-ip\r\n")
        .server(b"+OK\r\n")
        .close();
    let mut c = TcpConversation::new(sa("10.5.0.4:40302"), sa("10.5.0.1:23"))
        .starting_at(Timestamp::new(1_700_005_000, 700_000_001));
    c.handshake()
        .server(b"\xff\xfd\x18login: ")
        .client(b"sll2\r\n")
        .server(b"Password: ")
        .client(b"over-sll2\r\n")
        .server(b"\r\nLast login: never\r\n$ ")
        .close();
    let all = merge(vec![
        on(Link::Ethernet, a),
        on(Link::Raw, b),
        on(Link::LinuxSll2, c),
    ]);
    let mut w = PcapNgWriter::new(Vec::new()).expect("shb");
    let eth = w
        .add_interface(Link::Ethernet.linktype(), 65535, 6)
        .expect("idb");
    let raw = w
        .add_interface(Link::Raw.linktype(), 65535, 6)
        .expect("idb");
    let sll2 = w
        .add_interface(Link::LinuxSll2.linktype(), 65535, 9)
        .expect("idb");
    for (link, p) in &all {
        let id = match link {
            Link::Ethernet => eth,
            Link::Raw => raw,
            _ => sll2,
        };
        let f = link.frame(&p.ip);
        w.write(id, p.ts, &f, f.len() as u32).expect("epb");
    }
    w.into_inner()
}

/// The link layers other than Ethernet, raw IP and Linux cooked that captures come in, one
/// interface of a pcapng each, a POP3 login on each: (link, client, server, user, password).
fn link_layer_table() -> Vec<(Link, &'static str, &'static str, &'static str, &'static str)> {
    vec![
        (
            Link::Pppoe,
            "10.6.0.2:40400",
            "10.6.0.1:110",
            "pppoe",
            "dsl-line-pw",
        ),
        (
            Link::Pppoe,
            "[fd06::2]:40401",
            "[fd06::1]:110",
            "pppoe6",
            "dsl-line-v6",
        ),
        (
            Link::Mpls(vec![18, 3001]),
            "10.6.0.3:40402",
            "10.6.0.1:110",
            "mpls",
            "two-labels",
        ),
        (
            Link::Ppp,
            "10.6.0.4:40403",
            "10.6.0.1:110",
            "ppp",
            "over-a-modem",
        ),
        (
            Link::CiscoHdlc,
            "10.6.0.5:40404",
            "10.6.0.1:110",
            "hdlc",
            "serial-wan",
        ),
        (
            Link::Ieee80211,
            "10.6.0.6:40405",
            "10.6.0.1:110",
            "wifi",
            "open-hotspot",
        ),
        (
            Link::Radiotap { fcs: true },
            "10.6.0.7:40406",
            "10.6.0.1:110",
            "radiotap",
            "monitor-mode",
        ),
        (
            Link::Ppi,
            "10.6.0.8:40407",
            "10.6.0.1:110",
            "ppi",
            "kismet-log",
        ),
        (
            Link::Nflog,
            "[fd06::9]:40408",
            "[fd06::1]:110",
            "nflog",
            "netfilter-log",
        ),
        (
            Link::Pflog,
            "10.6.0.10:40409",
            "10.6.0.1:110",
            "pflog",
            "openbsd-pf",
        ),
    ]
}

fn link_layers_pcapng() -> Vec<u8> {
    let mut parts = Vec::new();
    for (i, (link, client, server, user, pass)) in link_layer_table().into_iter().enumerate() {
        let mut c = TcpConversation::new(sa(client), sa(server))
            .starting_at(at(1_700_006_000 + 10 * i as i64));
        c.handshake()
            .server(b"+OK hi\r\n")
            .client(format!("USER {user}\r\n").as_bytes())
            .server(b"+OK\r\n")
            .client(format!("PASS {pass}\r\n").as_bytes())
            .server(b"+OK logged in\r\n")
            .close();
        parts.push(on(link, c));
    }
    let all = merge(parts);
    let mut w = PcapNgWriter::new(Vec::new()).expect("shb");
    let mut interfaces: Vec<(Link, u32)> = Vec::new();
    for (link, p) in &all {
        let id = match interfaces.iter().find(|(l, _)| l == link) {
            Some((_, id)) => *id,
            None => {
                let id = w.add_interface(link.linktype(), 65535, 6).expect("idb");
                interfaces.push((link.clone(), id));
                id
            }
        };
        let f = link.frame(&p.ip);
        w.write(id, p.ts, &f, f.len() as u32).expect("epb");
    }
    w.into_inner()
}

fn link_layers_pcapng_expected() -> Vec<Expect> {
    link_layer_table()
        .into_iter()
        .map(|(_, client, server, user, pass)| Expect {
            protocol: "pop3",
            mechanism: "USER/PASS",
            kind: "cleartext",
            client,
            server,
            username: Some(user),
            secret: pass,
            outcome: "success",
            ..Expect::default()
        })
        .collect()
}

/// The link layers fixture as an independent reader sees it: tshark decodes every frame of
/// it down to TCP (the generator writes these layers as Wireshark reads them, radiotap's
/// frame check sequences included) and reads the same POP3 logins plainsight reports.
#[test]
fn link_layers_read_as_tshark_reads_them() {
    let Some(tshark) = crate::support::find_program("tshark") else {
        eprintln!("link_layers: SKIPPED: tshark missing (./scripts/setup-debian.sh --test)");
        return;
    };
    let out = std::process::Command::new(tshark)
        .args(["-n", "-o", "wlan.check_checksum:TRUE", "-r"])
        .arg(fixture("link-layers.pcapng"))
        .args(["-T", "fields", "-E", "separator=|"])
        .args(["-e", "frame.protocols", "-e", "wlan.fcs.status"])
        .args(["-e", "pop.request.command", "-e", "pop.request.parameter"])
        .output()
        .expect("run tshark");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut requests = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('|').collect();
        assert!(fields[0].contains(":tcp"), "not TCP to tshark: {line}");
        assert!(fields[1].is_empty() || fields[1] == "1", "bad FCS: {line}");
        if !fields[2].is_empty() {
            requests.push(format!("{} {}", fields[2], fields[3]));
        }
    }
    let mut expected: Vec<String> = link_layer_table()
        .into_iter()
        .flat_map(|(_, _, _, user, pass)| [format!("USER {user}"), format!("PASS {pass}")])
        .collect();
    requests.sort();
    expected.sort();
    assert_eq!(requests, expected, "{text}");
}

fn multi_link_pcapng_expected() -> Vec<Expect> {
    vec![
        Expect {
            protocol: "ftp",
            mechanism: "USER/PASS",
            kind: "cleartext",
            client: "10.5.0.2:40300",
            server: "10.5.0.1:21",
            username: Some("eth"),
            secret: "over-ethernet",
            outcome: "success",
            ..Expect::default()
        },
        Expect {
            protocol: "pop3",
            mechanism: "USER/PASS",
            kind: "cleartext",
            client: "10.5.0.3:40301",
            server: "10.5.0.1:110",
            username: Some("raw"),
            secret: "over-raw-ip",
            outcome: "success",
            ..Expect::default()
        },
        Expect {
            protocol: "telnet",
            mechanism: "login",
            kind: "cleartext",
            client: "10.5.0.4:40302",
            server: "10.5.0.1:23",
            username: Some("sll2"),
            secret: "over-sll2",
            outcome: "success",
            ..Expect::default()
        },
    ]
}

/// FTP that switches to TLS (AUTH TLS) and POP3 that does (STLS): nothing to report, even
/// though cleartext-looking bytes follow the switch.
fn negative_tls() -> Vec<u8> {
    let mut a = TcpConversation::new(sa("10.6.0.2:40400"), sa("10.6.0.1:21"))
        .starting_at(at(1_700_006_000));
    a.handshake()
        .server(b"220 hi\r\n")
        .client(b"AUTH TLS\r\n")
        .server(b"234 Proceed with negotiation.\r\n")
        .client(b"\x16\x03\x01\x00\x2a\x01\x00\x00\x26\x03\x03")
        .client(b"USER hidden\r\nPASS inside-tls\r\n")
        .server(b"230 ok\r\n")
        .close();
    let mut b = TcpConversation::new(sa("10.6.0.3:40401"), sa("10.6.0.1:110"))
        .starting_at(at(1_700_006_010));
    b.handshake()
        .server(b"+OK hi\r\n")
        .client(b"STLS\r\n")
        .server(b"+OK Begin TLS negotiation now.\r\n")
        .client(b"USER hidden\r\nPASS inside-tls\r\n")
        .server(b"+OK\r\n")
        .close();
    pcap(&merge(vec![on(Link::Ethernet, a), on(Link::Ethernet, b)]))
}

/// The demo of the README: FTP, POP3 and Telnet logins, one of them failing.
fn demo() -> Vec<u8> {
    let mut f = TcpConversation::new(sa("192.168.1.211:1042"), sa("192.168.1.17:21"))
        .starting_at(at(1_700_010_000));
    f.handshake().server(b"220 (vsFTPd 3.0.3)\r\n");
    ftp_login(&mut f, b"test", b"test1", b"230 Login successful.\r\n");
    f.client(b"QUIT\r\n").server(b"221 Goodbye.\r\n").close();
    let mut p = TcpConversation::new(sa("192.168.1.212:50110"), sa("192.168.1.25:110"))
        .starting_at(at(1_700_010_005));
    p.handshake()
        .server(b"+OK Dovecot ready.\r\n")
        .client(b"USER alice\r\n")
        .server(b"+OK\r\n")
        .client(b"PASS Summer2026!\r\n")
        .server(b"-ERR [AUTH] Authentication failed.\r\n")
        .client(b"PASS Winter2026!\r\n")
        .server(b"+OK Logged in.\r\n")
        .client(b"QUIT\r\n")
        .server(b"+OK Logging out.\r\n")
        .close();
    let mut t = TcpConversation::new(sa("192.168.1.213:51515"), sa("192.168.1.30:23"))
        .starting_at(at(1_700_010_010));
    t.handshake()
        .server(IAC_NEGOTIATION)
        .client(b"\xff\xfb\x18\xff\xfd\x01\xff\xfd\x03")
        .server(b"Ubuntu 24.04 LTS\r\nlab login: ");
    t.client_keystrokes(b"admin\r\0", true);
    t.server(b"\r\nPassword: ");
    t.client_keystrokes(b"letmeinn\x7f!\r\0", false);
    t.server(b"\r\nLast login: Tue Nov 24 09:12:01 2026\r\nadmin@lab:~$ ");
    t.client_keystrokes(b"exit\r\0", true);
    t.close();
    pcap(&merge(vec![
        on(Link::Ethernet, f),
        on(Link::Ethernet, p),
        on(Link::Ethernet, t),
    ]))
}

fn demo_expected() -> Vec<Expect> {
    vec![
        Expect {
            protocol: "ftp",
            mechanism: "USER/PASS",
            kind: "cleartext",
            client: "192.168.1.211:1042",
            server: "192.168.1.17:21",
            username: Some("test"),
            secret: "test1",
            outcome: "success",
            ..Expect::default()
        },
        Expect {
            protocol: "pop3",
            mechanism: "USER/PASS",
            kind: "cleartext",
            client: "192.168.1.212:50110",
            server: "192.168.1.25:110",
            username: Some("alice"),
            secret: "Summer2026!",
            outcome: "failure",
            ..Expect::default()
        },
        Expect {
            protocol: "pop3",
            mechanism: "USER/PASS",
            kind: "cleartext",
            client: "192.168.1.212:50110",
            server: "192.168.1.25:110",
            username: Some("alice"),
            secret: "Winter2026!",
            outcome: "success",
            ..Expect::default()
        },
        Expect {
            protocol: "telnet",
            mechanism: "login",
            kind: "cleartext",
            client: "192.168.1.213:51515",
            server: "192.168.1.30:23",
            username: Some("admin"),
            secret: "letmein!",
            outcome: "success",
            ..Expect::default()
        },
    ]
}

// ---- Hostile and unusual transport --------------------------------------------------

fn ftp_expect(
    client: &'static str,
    server: &'static str,
    user: &'static str,
    secret: &'static str,
    outcome: &'static str,
) -> Expect {
    Expect {
        protocol: "ftp",
        mechanism: "USER/PASS",
        kind: "cleartext",
        client,
        server,
        username: Some(user),
        secret,
        outcome,
        ..Expect::default()
    }
}

fn pop3_expect(
    client: &'static str,
    server: &'static str,
    user: &'static str,
    secret: &'static str,
    outcome: &'static str,
) -> Expect {
    Expect {
        protocol: "pop3",
        ..ftp_expect(client, server, user, secret, outcome)
    }
}

/// An FTP login without pure ACKs: 0-2 handshake, 3 banner, 4 USER, 5 331, 6 PASS,
/// 7 230, 8-10 teardown.
fn bare_ftp_login(
    client: &str,
    server: &str,
    user: &[u8],
    pass: &[u8],
    start: i64,
) -> Vec<SynthPacket> {
    let mut c = TcpConversation::new(sa(client), sa(server))
        .without_acks()
        .starting_at(at(start));
    c.handshake().server(b"220 hi\r\n");
    ftp_login(&mut c, user, pass, b"230 ok\r\n");
    c.close();
    c.into_packets()
}

fn with_ip(p: &SynthPacket, ip: Vec<u8>) -> SynthPacket {
    SynthPacket { ts: p.ts, ip }
}

/// The PASS packet split into IP fragments: IPv4 in reverse order with a duplicate;
/// IPv6 with a hop-by-hop header before the fragment header and destination options
/// after it; IPv4 where a forged overlapping fragment disagrees with the first copy.
fn ip_fragments() -> Vec<u8> {
    let mut a = bare_ftp_login(
        "10.7.0.2:40600",
        "10.7.0.1:21",
        b"frag4",
        b"fragmented-secret",
        1_700_007_000,
    );
    let f = fragment_ipv4(&a[6].ip, 16);
    assert_eq!(f.len(), 3);
    let pass = a.remove(6);
    for (i, frag) in [&f[2], &f[0], &f[0], &f[1]].into_iter().enumerate() {
        let mut p = with_ip(&pass, frag.clone());
        p.ts = Timestamp::new(pass.ts.secs, u64::from(pass.ts.nanos) + i as u64 * 10);
        a.insert(6 + i, p);
    }
    let mut b = bare_ftp_login(
        "[2001:db8:7::2]:40601",
        "[2001:db8:7::1]:21",
        b"frag6",
        b"v6-fragmented",
        1_700_007_010,
    );
    let f = fragment_ipv6(&b[6].ip, 16, 0xabcd, true);
    assert!(f.len() >= 3);
    let pass = b.remove(6);
    for (i, frag) in f.iter().rev().enumerate() {
        let mut p = with_ip(&pass, frag.clone());
        p.ts = Timestamp::new(pass.ts.secs, u64::from(pass.ts.nanos) + i as u64 * 10);
        b.insert(6 + i, p);
    }
    let mut c = bare_ftp_login(
        "10.7.0.3:40602",
        "10.7.0.1:21",
        b"frag-overlap",
        b"first-copy-wins",
        1_700_007_020,
    );
    let f = fragment_ipv4(&c[6].ip, 16);
    let mut forged = f[1].clone();
    let n = forged.len();
    forged[n - 8..].copy_from_slice(b"EVILEVIL");
    let pass = c.remove(6);
    for (i, frag) in [&f[0], &f[1], &forged, &f[2]].into_iter().enumerate() {
        let mut p = with_ip(&pass, frag.clone());
        p.ts = Timestamp::new(pass.ts.secs, u64::from(pass.ts.nanos) + i as u64 * 10);
        c.insert(6 + i, p);
    }
    let parts = [a, b, c]
        .into_iter()
        .map(|ps| ps.into_iter().map(|p| (Link::Ethernet, p)).collect())
        .collect();
    pcap(&merge(parts))
}

fn ip_fragments_expected() -> Vec<Expect> {
    vec![
        ftp_expect(
            "10.7.0.2:40600",
            "10.7.0.1:21",
            "frag4",
            "fragmented-secret",
            "success",
        ),
        ftp_expect(
            "[2001:db8:7::2]:40601",
            "[2001:db8:7::1]:21",
            "frag6",
            "v6-fragmented",
            "success",
        ),
        ftp_expect(
            "10.7.0.3:40602",
            "10.7.0.1:21",
            "frag-overlap",
            "first-copy-wins",
            "success",
        ),
    ]
}

/// A SYN, then a SYN with a new initial sequence number (a new attempt): the connection
/// that follows uses the second.
fn tcp_syn_new_isn() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.8.0.2:40700"), sa("10.8.0.1:21"))
        .starting_at(at(1_700_008_000));
    c.raw(
        true,
        1000,
        Flags {
            syn: true,
            ..Flags::default()
        },
        b"",
    );
    c.wait(1)
        .set_seq(true, 5000)
        .handshake()
        .server(b"220 hi\r\n");
    ftp_login(&mut c, b"isn", b"second-syn", b"230 ok\r\n");
    c.close();
    pcap(&on(Link::Ethernet, c))
}

/// A reset right after the password: the finding stays, its outcome unknown.
fn tcp_rst_midway() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.8.0.3:40701"), sa("10.8.0.1:110"))
        .starting_at(at(1_700_008_010));
    c.handshake()
        .server(b"+OK hi\r\n")
        .client(b"USER rst\r\n")
        .server(b"+OK\r\n");
    c.client(b"PASS before-reset\r\n").reset();
    c.server(b"+OK too late\r\n");
    pcap(&on(Link::Ethernet, c))
}

/// The password arrives in a segment that also carries the FIN.
fn tcp_fin_with_data() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.8.0.4:40702"), sa("10.8.0.1:21"))
        .starting_at(at(1_700_008_020));
    c.handshake()
        .server(b"220 hi\r\n")
        .client(b"USER fin\r\n")
        .server(b"331 pw\r\n");
    c.send(
        true,
        Flags {
            ack: true,
            psh: true,
            fin: true,
            ..Flags::default()
        },
        b"PASS fin-data\r\n",
    );
    c.server(b"230 ok\r\n");
    c.send(
        false,
        Flags {
            ack: true,
            fin: true,
            ..Flags::default()
        },
        b"",
    );
    pcap(&on(Link::Ethernet, c))
}

/// Keep-alives (one old byte) and a zero-window probe (the next byte alone, then sent
/// again with the rest) around the password.
fn tcp_keepalive_zero_window() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.8.0.5:40703"), sa("10.8.0.1:110"))
        .starting_at(at(1_700_008_030));
    c.handshake()
        .server(b"+OK hi\r\n")
        .client(b"USER probe\r\n")
        .server(b"+OK\r\n");
    let next = c.next_seq(true);
    c.raw(
        true,
        next.wrapping_sub(1),
        Flags {
            ack: true,
            ..Flags::default()
        },
        b"\0",
    );
    c.raw(
        true,
        next,
        Flags {
            ack: true,
            ..Flags::default()
        },
        b"P",
    );
    c.raw(
        true,
        next.wrapping_sub(1),
        Flags {
            ack: true,
            ..Flags::default()
        },
        b"",
    );
    c.client(b"PASS window-pw\r\n").server(b"+OK\r\n").close();
    pcap(&on(Link::Ethernet, c))
}

/// Two connections on the same 4-tuple, one after the other.
fn tcp_port_reuse() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.8.0.6:40704"), sa("10.8.0.1:21"))
        .starting_at(at(1_700_008_040));
    c.handshake().server(b"220 hi\r\n");
    ftp_login(&mut c, b"first", b"first-conn", b"230 ok\r\n");
    c.close();
    c.wait(2)
        .set_seq(true, 0x1234_5678)
        .set_seq(false, 0x7654_3210)
        .handshake()
        .server(b"220 hi\r\n");
    ftp_login(&mut c, b"second", b"second-conn", b"530 no\r\n");
    c.close();
    pcap(&on(Link::Ethernet, c))
}

/// Sequence numbers that wrap past 2^32 in the middle of the login.
fn tcp_seq_wrap() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.8.0.7:40705"), sa("10.8.0.1:110"))
        .isns(0xffff_fff0, 0xffff_fffa)
        .starting_at(at(1_700_008_050));
    c.handshake()
        .server(b"+OK hi\r\n")
        .client(b"USER wrap\r\n")
        .server(b"+OK\r\n");
    c.client(b"PASS across-2^32\r\n").server(b"+OK\r\n").close();
    pcap(&on(Link::Ethernet, c))
}

/// A capture that starts in the middle of a connection and ends right after the
/// password: the login is still reported when the flow is flushed at the end.
fn tcp_ends_midflow() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.8.0.8:40706"), sa("10.8.0.1:21"))
        .starting_at(at(1_700_008_060));
    c.handshake()
        .server(b"220 hi\r\n")
        .client(b"USER cut\r\n")
        .server(b"331 pw\r\n");
    c.client(b"PASS last-words\r\n");
    let packets: Vec<(Link, SynthPacket)> = c
        .into_packets()
        .into_iter()
        .skip(5)
        .take(5)
        .map(|p| (Link::Ethernet, p))
        .collect();
    pcap(&packets)
}

/// Overlapping copies that disagree: out of order in the buffer, and a retransmission
/// of delivered bytes. The copy seen first wins.
fn tcp_overlap_conflict() -> Vec<u8> {
    let mut c = TcpConversation::new(sa("10.8.0.9:40707"), sa("10.8.0.1:21"))
        .without_acks()
        .starting_at(at(1_700_008_070));
    c.handshake()
        .server(b"220 hi\r\n")
        .client(b"USER overlap\r\n")
        .server(b"331 pw\r\n");
    let s = c.next_seq(true);
    let psh = Flags {
        ack: true,
        psh: true,
        ..Flags::default()
    };
    c.raw(true, s.wrapping_add(11), psh, b"copy\r\n");
    c.raw(true, s.wrapping_add(11), psh, b"EVIL\r\n");
    c.raw(true, s, psh, b"PASS first-");
    c.raw(true, s, psh, b"PASS wrong!");
    c.set_seq(true, s.wrapping_add(17));
    c.server(b"230 ok\r\n").close();
    pcap(&on(Link::Ethernet, c))
}

// ---- IMAP and SMTP ------------------------------------------------------------------

fn imap_expect(
    client: &'static str,
    mechanism: &'static str,
    user: &'static str,
    secret: &'static str,
    outcome: &'static str,
) -> Expect {
    Expect {
        protocol: "imap",
        mechanism,
        kind: "cleartext",
        client,
        server: "10.9.1.1:143",
        username: Some(user),
        secret,
        outcome,
        ..Expect::default()
    }
}

/// IMAP LOGIN with atoms, quoted strings with escapes, synchronising literals (password
/// with spaces, quotes and braces) and non-synchronising literals (LITERAL+).
fn imap_login() -> Vec<u8> {
    let mut a = TcpConversation::new(sa("10.9.1.2:41430"), sa("10.9.1.1:143"))
        .starting_at(at(1_700_009_000));
    a.handshake()
        .server(b"* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] Dovecot ready.\r\n")
        .client(b"a1 LOGIN samir pfres\r\n")
        .server(b"a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
        .client(b"a2 LOGIN \"jo \\\"the\\\" user\" \"back\\\\slash pw\"\r\n")
        .server(b"a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
        .client(b"a3 LOGIN {5}\r\n")
        .server(b"+ OK\r\n")
        .client(b"alice {14}\r\n")
        .server(b"+ OK\r\n")
        .client(b"pa\"ss w0rd {x}\r\n")
        .server(b"a3 OK [CAPABILITY IMAP4rev1] Logged in\r\n")
        .close();
    let mut b = TcpConversation::new(sa("10.9.1.3:41431"), sa("10.9.1.1:143"))
        .starting_at(at(1_700_009_010));
    b.handshake()
        .server(b"* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n")
        .client(b"b1 LOGIN {3+}\r\nbob {8+}\r\nlit+ pw!\r\n")
        .server(b"b1 OK Logged in\r\n")
        .close();
    pcap(&merge(vec![on(Link::Ethernet, a), on(Link::Ethernet, b)]))
}

fn imap_login_expected() -> Vec<Expect> {
    vec![
        imap_expect("10.9.1.2:41430", "LOGIN", "samir", "pfres", "failure"),
        imap_expect(
            "10.9.1.2:41430",
            "LOGIN",
            "jo \"the\" user",
            "back\\slash pw",
            "failure",
        ),
        imap_expect(
            "10.9.1.2:41430",
            "LOGIN",
            "alice",
            "pa\"ss w0rd {x}",
            "success",
        ),
        imap_expect("10.9.1.3:41431", "LOGIN", "bob", "lit+ pw!", "success"),
    ]
}

/// IMAP AUTHENTICATE: PLAIN with an initial response and an authzid, CRAM-MD5 (RFC 2195
/// example), and a cancelled LOGIN exchange.
fn imap_authenticate() -> Vec<u8> {
    let mut a = TcpConversation::new(sa("10.9.1.4:41432"), sa("10.9.1.1:143"))
        .starting_at(at(1_700_009_020));
    a.handshake()
        .server(b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=CRAM-MD5] ready\r\n")
        .client(b"c1 AUTHENTICATE PLAIN YWRtaW4AZWxlbmEAczNjcmV0\r\n")
        .server(b"c1 OK Logged in\r\n")
        .close();
    let mut b = TcpConversation::new(sa("10.9.1.5:41433"), sa("10.9.1.1:143"))
        .starting_at(at(1_700_009_030));
    b.handshake()
        .server(b"* OK ready\r\n")
        .client(b"d1 AUTHENTICATE LOGIN\r\n")
        .server(b"+ VXNlcm5hbWU6\r\n")
        .client(b"bWFsbG9yeQ==\r\n")
        .server(b"+ UGFzc3dvcmQ6\r\n")
        .client(b"*\r\n")
        .server(b"d1 BAD Authentication cancelled\r\n")
        .client(b"d2 AUTHENTICATE CRAM-MD5\r\n")
        .server(b"+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n")
        .client(b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n")
        .server(b"d2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
        .close();
    pcap(&merge(vec![on(Link::Ethernet, a), on(Link::Ethernet, b)]))
}

fn imap_authenticate_expected() -> Vec<Expect> {
    vec![
        imap_expect(
            "10.9.1.4:41432",
            "AUTHENTICATE PLAIN",
            "elena",
            "s3cret",
            "success",
        ),
        Expect {
            kind: "challenge-response",
            challenge: Some("<1896.697170952@postoffice.reston.mci.net>"),
            hashcat: Some((
                10200,
                "$cram_md5$PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+$dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
            )),
            ..imap_expect(
                "10.9.1.5:41433",
                "AUTHENTICATE CRAM-MD5",
                "tim",
                "b913a602c7eda7a495b4e6e7334d3890",
                "failure",
            )
        },
    ]
}

/// IMAP and SMTP sessions that switch to TLS: nothing to report.
fn mail_starttls() -> Vec<u8> {
    let mut a = TcpConversation::new(sa("10.9.1.6:41434"), sa("10.9.1.1:143"))
        .starting_at(at(1_700_009_040));
    a.handshake()
        .server(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n")
        .client(b"s1 STARTTLS\r\n")
        .server(b"s1 OK Begin TLS negotiation now.\r\n")
        .client(b"\x16\x03\x01\x00\x2a\x01\x00\x00\x26\x03\x03")
        .client(b"a1 LOGIN hidden inside-tls\r\n")
        .close();
    let mut b = TcpConversation::new(sa("10.9.1.7:41435"), sa("10.9.1.1:25"))
        .starting_at(at(1_700_009_050));
    b.handshake()
        .server(b"220 mx.example.org ESMTP\r\n")
        .client(b"EHLO c\r\n")
        .server(b"250-mx.example.org\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n")
        .client(b"STARTTLS\r\n")
        .server(b"220 2.0.0 Ready to start TLS\r\n")
        .client(b"AUTH PLAIN AGNhcmwAZjFyc3Q=\r\n")
        .server(b"235 ok\r\n")
        .close();
    pcap(&merge(vec![on(Link::Ethernet, a), on(Link::Ethernet, b)]))
}

fn smtp_expect(
    client: &'static str,
    server: &'static str,
    mechanism: &'static str,
    user: &'static str,
    secret: &'static str,
    outcome: &'static str,
) -> Expect {
    Expect {
        protocol: "smtp",
        mechanism,
        kind: "cleartext",
        client,
        server,
        username: Some(user),
        secret,
        outcome,
        ..Expect::default()
    }
}

/// SMTP AUTH: LOGIN on submission where the server offers AUTH without STARTTLS; PLAIN
/// with an authzid (failing) and PLAIN after a 334 continuation on a server that offers
/// STARTTLS the client does not use; NTLM with its challenge; message content that
/// looks like a command.
fn smtp_auth() -> Vec<u8> {
    use base64::Engine;
    use plainsight::dissect::ntlmssp::build;
    use plainsight::dissect::sasl::BASE64;
    let mut a = TcpConversation::new(sa("10.9.2.2:41500"), sa("10.9.2.1:587"))
        .starting_at(at(1_700_009_100));
    a.handshake()
        .server(b"220 submit.example.org ESMTP\r\n")
        .client(b"EHLO laptop\r\n")
        .server(
            b"250-submit.example.org\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
        )
        .client(b"AUTH LOGIN\r\n")
        .server(b"334 VXNlcm5hbWU6\r\n")
        .client(b"bWFsbG9yeQ==\r\n")
        .server(b"334 UGFzc3dvcmQ6\r\n")
        .client(b"bDBnaW4tcHc=\r\n")
        .server(b"235 2.7.0 Authentication successful\r\n")
        .client(b"MAIL FROM:<m@example.org>\r\nRCPT TO:<x@example.org>\r\nDATA\r\n")
        .server(b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n")
        .client(b"Subject: note\r\n\r\nAUTH PLAIN AGZha2UAZmFrZQ==\r\n.\r\n")
        .server(b"250 2.0.0 Ok: queued\r\n")
        .close();
    let mut b = TcpConversation::new(sa("10.9.2.3:41501"), sa("10.9.2.1:25"))
        .starting_at(at(1_700_009_110));
    b.handshake()
        .server(b"220 mx.example.org ESMTP\r\n")
        .client(b"EHLO relay\r\n")
        .server(b"250-mx.example.org\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n")
        .client(b"AUTH PLAIN cmVsYXkAY2FybAB3cjBuZw==\r\n")
        .server(b"535 5.7.8 Error: authentication failed\r\n")
        .client(b"AUTH PLAIN\r\n")
        .server(b"334 \r\n")
        .client(b"AGNhcmwAZjFyc3Q=\r\n")
        .server(b"235 2.7.0 Authentication successful\r\n")
        .close();
    let nt: Vec<u8> = (0u8..64).collect();
    let negotiate = b"NTLMSSP\0\x01\0\0\0\x07\x82\x08\xa2";
    let challenge = build::challenge([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    let auth = build::authenticate("dana", "CORP", "LAPTOP7", &[0; 24], &nt);
    let line = |m: &[u8]| [BASE64.encode(m).into_bytes(), b"\r\n".to_vec()].concat();
    let mut c = TcpConversation::new(sa("10.9.2.4:41502"), sa("10.9.2.1:587"))
        .starting_at(at(1_700_009_120));
    c.handshake()
        .server(b"220 exch.example.org Microsoft ESMTP MAIL Service ready\r\n")
        .client(b"EHLO ws\r\n")
        .server(b"250-exch.example.org\r\n250-AUTH NTLM\r\n250 OK\r\n")
        .client(&[b"AUTH NTLM ".to_vec(), line(negotiate)].concat())
        .server(&[b"334 ".to_vec(), line(&challenge)].concat())
        .client(&line(&auth))
        .server(b"235 2.7.0 Authentication successful\r\n")
        .close();
    pcap(&merge(vec![
        on(Link::Ethernet, a),
        on(Link::Ethernet, b),
        on(Link::Ethernet, c),
    ]))
}

fn smtp_auth_expected() -> Vec<Expect> {
    let nt: Vec<u8> = (0u8..64).collect();
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let secret: &'static str = Box::leak(hex(&nt).into_boxed_str());
    let hash: &'static str = Box::leak(
        format!(
            "dana::CORP:1122334455667788:{}:{}",
            hex(&nt[..16]),
            hex(&nt[16..])
        )
        .into_boxed_str(),
    );
    vec![
        Expect {
            flags: &["auth_offered_in_clear"],
            ..smtp_expect(
                "10.9.2.2:41500",
                "10.9.2.1:587",
                "AUTH LOGIN",
                "mallory",
                "l0gin-pw",
                "success",
            )
        },
        smtp_expect(
            "10.9.2.3:41501",
            "10.9.2.1:25",
            "AUTH PLAIN",
            "carl",
            "wr0ng",
            "failure",
        ),
        smtp_expect(
            "10.9.2.3:41501",
            "10.9.2.1:25",
            "AUTH PLAIN",
            "carl",
            "f1rst",
            "success",
        ),
        Expect {
            kind: "challenge-response",
            domain: Some("CORP"),
            challenge: Some("1122334455667788"),
            hashcat: Some((5600, hash)),
            ..smtp_expect(
                "10.9.2.4:41502",
                "10.9.2.1:587",
                "AUTH NTLM (NetNTLMv2)",
                "dana",
                secret,
                "success",
            )
        },
    ]
}

pub const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "demo.pcap",
        bytes: demo,
        expected: demo_expected,
        exit: 1,
    },
    Fixture {
        name: "ftp-logins.pcap",
        bytes: ftp_logins,
        expected: ftp_logins_expected,
        exit: 1,
    },
    Fixture {
        name: "ftp-port2121-be-ns.pcap",
        bytes: ftp_port2121,
        expected: ftp_port2121_expected,
        exit: 1,
    },
    Fixture {
        name: "ftp-reordered.pcap",
        bytes: ftp_reordered,
        expected: ftp_reordered_expected,
        exit: 1,
    },
    Fixture {
        name: "ftp-midflow.pcap",
        bytes: ftp_midflow,
        expected: ftp_midflow_expected,
        exit: 1,
    },
    Fixture {
        name: "ftp-ipv6.pcap",
        bytes: ftp_ipv6,
        expected: ftp_ipv6_expected,
        exit: 1,
    },
    Fixture {
        name: "ftp-utf8.pcap",
        bytes: ftp_utf8,
        expected: ftp_utf8_expected,
        exit: 1,
    },
    Fixture {
        name: "ftp-bad-checksums.pcap",
        bytes: ftp_bad_checksums,
        expected: ftp_bad_checksums_expected,
        exit: 1,
    },
    Fixture {
        name: "ftp-truncated.pcap",
        bytes: ftp_truncated,
        expected: ftp_truncated_expected,
        exit: 1,
    },
    Fixture {
        name: "pop3-user-pass.pcap",
        bytes: pop3_user_pass,
        expected: pop3_user_pass_expected,
        exit: 1,
    },
    Fixture {
        name: "pop3-apop.pcap",
        bytes: pop3_apop,
        expected: pop3_apop_expected,
        exit: 1,
    },
    Fixture {
        name: "pop3-sasl.pcap",
        bytes: pop3_sasl,
        expected: pop3_sasl_expected,
        exit: 1,
    },
    Fixture {
        name: "telnet-charmode.pcap",
        bytes: telnet_charmode,
        expected: telnet_charmode_expected,
        exit: 1,
    },
    Fixture {
        name: "telnet-linemode.pcap",
        bytes: telnet_linemode,
        expected: telnet_linemode_expected,
        exit: 1,
    },
    Fixture {
        name: "vlan-qinq.pcap",
        bytes: vlan,
        expected: vlan_expected,
        exit: 1,
    },
    Fixture {
        name: "linux-sll.pcap",
        bytes: linux_sll,
        expected: linux_sll_expected,
        exit: 1,
    },
    Fixture {
        name: "null-loopback.pcap",
        bytes: null_loopback,
        expected: null_loopback_expected,
        exit: 1,
    },
    Fixture {
        name: "multi-link.pcapng",
        bytes: multi_link_pcapng,
        expected: multi_link_pcapng_expected,
        exit: 1,
    },
    Fixture {
        name: "link-layers.pcapng",
        bytes: link_layers_pcapng,
        expected: link_layers_pcapng_expected,
        exit: 1,
    },
    Fixture {
        name: "negative-tls.pcap",
        bytes: negative_tls,
        expected: Vec::new,
        exit: 0,
    },
    Fixture {
        name: "ip-fragments.pcap",
        bytes: ip_fragments,
        expected: ip_fragments_expected,
        exit: 1,
    },
    Fixture {
        name: "tcp-syn-new-isn.pcap",
        bytes: tcp_syn_new_isn,
        expected: || {
            vec![ftp_expect(
                "10.8.0.2:40700",
                "10.8.0.1:21",
                "isn",
                "second-syn",
                "success",
            )]
        },
        exit: 1,
    },
    Fixture {
        name: "tcp-rst-midway.pcap",
        bytes: tcp_rst_midway,
        expected: || {
            vec![pop3_expect(
                "10.8.0.3:40701",
                "10.8.0.1:110",
                "rst",
                "before-reset",
                "unknown",
            )]
        },
        exit: 1,
    },
    Fixture {
        name: "tcp-fin-with-data.pcap",
        bytes: tcp_fin_with_data,
        expected: || {
            vec![ftp_expect(
                "10.8.0.4:40702",
                "10.8.0.1:21",
                "fin",
                "fin-data",
                "success",
            )]
        },
        exit: 1,
    },
    Fixture {
        name: "tcp-keepalive-zero-window.pcap",
        bytes: tcp_keepalive_zero_window,
        expected: || {
            vec![pop3_expect(
                "10.8.0.5:40703",
                "10.8.0.1:110",
                "probe",
                "window-pw",
                "success",
            )]
        },
        exit: 1,
    },
    Fixture {
        name: "tcp-port-reuse.pcap",
        bytes: tcp_port_reuse,
        expected: || {
            vec![
                ftp_expect(
                    "10.8.0.6:40704",
                    "10.8.0.1:21",
                    "first",
                    "first-conn",
                    "success",
                ),
                ftp_expect(
                    "10.8.0.6:40704",
                    "10.8.0.1:21",
                    "second",
                    "second-conn",
                    "failure",
                ),
            ]
        },
        exit: 1,
    },
    Fixture {
        name: "tcp-seq-wrap.pcap",
        bytes: tcp_seq_wrap,
        expected: || {
            vec![pop3_expect(
                "10.8.0.7:40705",
                "10.8.0.1:110",
                "wrap",
                "across-2^32",
                "success",
            )]
        },
        exit: 1,
    },
    Fixture {
        name: "tcp-ends-midflow.pcap",
        bytes: tcp_ends_midflow,
        expected: || {
            vec![ftp_expect(
                "10.8.0.8:40706",
                "10.8.0.1:21",
                "cut",
                "last-words",
                "unknown",
            )]
        },
        exit: 1,
    },
    Fixture {
        name: "imap-login.pcap",
        bytes: imap_login,
        expected: imap_login_expected,
        exit: 1,
    },
    Fixture {
        name: "imap-authenticate.pcap",
        bytes: imap_authenticate,
        expected: imap_authenticate_expected,
        exit: 1,
    },
    Fixture {
        name: "mail-starttls.pcap",
        bytes: mail_starttls,
        expected: Vec::new,
        exit: 0,
    },
    Fixture {
        name: "smtp-auth.pcap",
        bytes: smtp_auth,
        expected: smtp_auth_expected,
        exit: 1,
    },
    Fixture {
        name: "tcp-overlap-conflict.pcap",
        bytes: tcp_overlap_conflict,
        expected: || {
            vec![ftp_expect(
                "10.8.0.9:40707",
                "10.8.0.1:21",
                "overlap",
                "first-copy",
                "success",
            )]
        },
        exit: 1,
    },
];

/// Every fixture file is byte for byte what its generator makes
/// (`PLAINSIGHT_REGENERATE_FIXTURES=1` writes them first).
pub fn assert_generated(fixtures: &[Fixture]) {
    let regenerate = std::env::var_os("PLAINSIGHT_REGENERATE_FIXTURES").is_some();
    for f in fixtures {
        let want = (f.bytes)();
        let path = fixture(f.name);
        if regenerate {
            std::fs::write(&path, &want).expect("write fixture");
        }
        let have = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            have == want,
            "{} differs from its generator: regenerate the fixtures",
            f.name
        );
    }
}

/// Every fixture gives exactly its expected findings and exit status.
pub fn assert_expected(fixtures: &[Fixture]) {
    for f in fixtures {
        let path = fixture(f.name);
        let (findings, code, stderr) = scan(&[&path]);
        assert_findings(f.name, &findings, &(f.expected)());
        assert_eq!(code, f.exit, "{}: exit status (stderr: {stderr})", f.name);
    }
}

#[test]
fn fixtures_are_what_the_generator_makes() {
    assert_generated(FIXTURES);
}

#[test]
fn every_fixture_gives_exactly_its_findings() {
    assert_expected(FIXTURES);
}

#[test]
fn frames_point_at_the_packets_that_carried_the_credential() {
    let by_secret = |findings: &[serde_json::Value], secret: &str| {
        findings
            .iter()
            .find(|f| f["secret"] == secret)
            .cloned()
            .unwrap_or_else(|| panic!("no finding with secret {secret}: {findings:?}"))
    };
    let (findings, _, _) = scan(&[&fixture("ftp-logins.pcap")]);
    assert_eq!(
        by_secret(&findings, "wrongpass")["frames"],
        serde_json::json!([6, 10])
    );
    // Telnet: every keystroke packet of the user name and password, backspace included.
    let (findings, _, _) = scan(&[&fixture("telnet-charmode.pcap")]);
    let alice = by_secret(&findings, "s3cret!");
    let frames = alice["frames"].as_array().expect("frames").len();
    assert_eq!(
        frames,
        "alice\r".len() + "s3cx\x7fret!\r".len(),
        "{alice:?}"
    );
}

#[test]
fn nanosecond_timestamps_are_kept() {
    let (findings, _, _) = scan(&[&fixture("ftp-port2121-be-ns.pcap")]);
    let ts = findings[0]["timestamp"].as_str().expect("timestamp");
    assert!(
        ts.starts_with("2023-11-14T22:13:20.") && ts.ends_with('Z') && ts.len() == 30,
        "{ts}"
    );
}

#[test]
fn truncated_capture_warns_and_keeps_findings() {
    let (findings, code, stderr) = scan(&[&fixture("ftp-truncated.pcap")]);
    assert_eq!(findings.len(), 1);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("ftp-truncated.pcap") && stderr.contains("cut short"),
        "{stderr}"
    );
}

#[test]
fn bad_checksums_are_counted_not_dropped() {
    let (findings, _, stderr) = scan(&[&fixture("ftp-bad-checksums.pcap")]);
    assert_eq!(findings.len(), 1);
    assert!(stderr.contains("bad TCP checksums"), "{stderr}");
}

#[test]
fn conflicting_overlaps_and_fragments_are_counted() {
    let (_, _, stderr) = scan(&[&fixture("tcp-overlap-conflict.pcap")]);
    assert!(
        stderr.contains("2 overlapping segments that disagreed"),
        "{stderr}"
    );
    let (_, _, stderr) = scan(&[&fixture("ip-fragments.pcap")]);
    assert!(stderr.contains("3 IP datagrams reassembled"), "{stderr}");
    assert!(
        stderr.contains("1 overlapping IP fragments that disagreed"),
        "{stderr}"
    );
    let (_, _, stderr) = scan(&[&fixture("tcp-keepalive-zero-window.pcap")]);
    assert!(
        !stderr.contains("disagreed"),
        "keep-alives are not conflicts: {stderr}"
    );
}
