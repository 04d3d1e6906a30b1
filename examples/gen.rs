//! Generates synthetic captures for the memory and speed benchmarks, deterministically.
//!
//! ```text
//! cargo run --release --example gen -- syn-flood 1000000 > /tmp/syn.pcap
//! cargo run --release --example gen -- holes 100000 > /tmp/holes.pcap
//! cargo run --release --example gen -- mixed 1000000000 --seed 1 --truth /tmp/truth.jsonl > /tmp/mixed.pcap
//! ```
//!
//! - `syn-flood N`: N SYNs, each from a distinct (address, port), to port 21;
//! - `holes N`: N connections to port 21, each sending 8 segments of 1400 bytes beyond a
//!   hole that never fills (the worst case for out-of-order buffering);
//! - `short N`: N short connections one after the other, from distinct client ports:
//!   every other one an HTTP GET answered with 1200 bytes, the others a TLS ClientHello
//!   answered with 1400 bytes of records; handshake and FIN both ways (the cost of a
//!   flow's whole life, where a scan of a real network spends much of its time);
//! - `dns N`: N DNS queries and their answers, each from its own client port (N UDP
//!   conversations);
//! - `mixed BYTES [--seed N] [--concurrent N] [--logins-per-gb N] [--truth FILE]`: the
//!   throughput benchmark's input, mixed enterprise-like traffic with planted logins
//!   (see `plainsight::synth::mixed`); the planted logins go to FILE, one JSON per line.

use std::io::{BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use plainsight::capture::PcapWriter;
use plainsight::synth::{Flags, Link, tcp_packet, udp_packet};
use plainsight::timestamp::Timestamp;

fn client(i: u64) -> SocketAddr {
    let host = (i / 60_000) as u32;
    let ip = Ipv4Addr::from(0x0a00_0000 | (host & 0x00ff_ffff));
    SocketAddr::new(IpAddr::V4(ip), 1024 + (i % 60_000) as u16)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("mixed") {
        return mixed(&args[2..]);
    }
    let (Some(kind), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok()))
    else {
        eprintln!("usage: gen syn-flood|holes|short|dns COUNT > out.pcap");
        std::process::exit(2);
    };
    let out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut w = PcapWriter::new(out, Link::Ethernet.linktype(), 65535, false, false)?;
    let server = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 168, 0, 1)), 21);
    let syn = Flags {
        syn: true,
        ..Flags::default()
    };
    let psh = Flags {
        ack: true,
        psh: true,
        ..Flags::default()
    };
    let payload = vec![b'x'; 1400];
    let mut t = 0u64;
    let mut write = |w: &mut PcapWriter<_>, ip: Vec<u8>| -> std::io::Result<()> {
        t += 10;
        let f = Link::Ethernet.frame(&ip);
        w.write(
            Timestamp::new(
                1_700_000_000 + (t / 1_000_000) as i64,
                (t % 1_000_000) * 1000,
            ),
            &f,
            f.len() as u32,
        )
    };
    match kind.as_str() {
        "syn-flood" => {
            for i in 0..n {
                write(
                    &mut w,
                    tcp_packet(client(i), server, i as u32 * 7919, 0, syn, b""),
                )?;
            }
        }
        "holes" => {
            for i in 0..n {
                let c = client(i);
                let isn = i as u32 * 7919;
                write(&mut w, tcp_packet(c, server, isn, 0, syn, b""))?;
                for k in 0..8u32 {
                    let seq = isn.wrapping_add(1 + 100_000 + k * 1400);
                    write(&mut w, tcp_packet(c, server, seq, 1, psh, &payload))?;
                }
            }
        }
        "short" => {
            let web = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 168, 0, 2)), 80);
            let tls = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 168, 0, 3)), 443);
            let mut response =
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1200\r\n\r\n"
                    .to_vec();
            response.extend(std::iter::repeat_n(b'y', 1200));
            // A ClientHello record of 517 bytes (what browsers send), and the server's
            // handshake and application data records.
            let mut hello = vec![
                0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
            ];
            hello.extend((0..506).map(|i| (i * 13 + 5) as u8));
            let mut records = vec![0x16, 0x03, 0x03, 0x02, 0x00];
            records.extend((0..512).map(|i| (i * 7 + 1) as u8));
            records.extend_from_slice(&[0x17, 0x03, 0x03, 0x03, 0x6b]);
            records.extend((0..875).map(|i| (i * 11 + 3) as u8));
            for i in 0..n {
                let (server, request, answer) = if i % 2 == 0 {
                    let get = format!(
                        "GET /page/{i} HTTP/1.1\r\nHost: intranet.example.com\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\r\n"
                    );
                    (web, get.into_bytes(), &response)
                } else {
                    (tls, hello.clone(), &records)
                };
                let mut c = plainsight::synth::TcpConversation::new(client(i), server)
                    .isns(i as u32 * 7919, i as u32 * 104_729);
                c.handshake();
                c.client(&request);
                c.server(answer);
                c.close();
                for p in c.into_packets() {
                    write(&mut w, p.ip)?;
                }
            }
        }
        "dns" => {
            let resolver = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 168, 0, 53)), 53);
            for i in 0..n {
                let c = client(i);
                let mut query = vec![(i >> 8) as u8, i as u8, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
                let host = format!("host{}", i % 5000);
                for label in [host.as_str(), "corp", "example", "com"] {
                    query.push(label.len() as u8);
                    query.extend_from_slice(label.as_bytes());
                }
                query.extend_from_slice(&[0, 0, 1, 0, 1]);
                let mut answer = query.clone();
                answer[2..4].copy_from_slice(&[0x81, 0x80]);
                answer[7] = 1;
                // The name by pointer, type A, class IN, TTL 60, 10.1.x.y.
                answer.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1]);
                answer.extend_from_slice(&[(i >> 8) as u8, i as u8]);
                write(&mut w, udp_packet(c, resolver, &query))?;
                write(&mut w, udp_packet(resolver, c, &answer))?;
            }
        }
        other => {
            eprintln!("unknown kind {other}");
            std::process::exit(2);
        }
    }
    w.flush()
}

fn mixed(args: &[String]) -> std::io::Result<()> {
    use plainsight::synth::mixed::{Config, write_pcap};
    let usage = || -> ! {
        eprintln!(
            "usage: gen mixed BYTES [--seed N] [--concurrent N] [--logins-per-gb N] [--truth FILE] > out.pcap"
        );
        std::process::exit(2)
    };
    let mut config = Config::default();
    let mut truth_path = None;
    let mut it = args.iter();
    config.bytes = it
        .next()
        .and_then(|b| b.parse().ok())
        .unwrap_or_else(|| usage());
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| usage());
        let number = || value.parse::<u64>().unwrap_or_else(|_| usage());
        match flag.as_str() {
            "--seed" => config.seed = number(),
            "--concurrent" => config.concurrent = number() as usize,
            "--logins-per-gb" => config.logins_per_gb = number(),
            "--truth" => truth_path = Some(value.clone()),
            _ => usage(),
        }
    }
    let mut truth = match &truth_path {
        Some(p) => Some(std::io::BufWriter::new(std::fs::File::create(p)?)),
        None => None,
    };
    let out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut failed = None;
    let written = write_pcap(&config, out, |p| {
        if let Some(t) = truth.as_mut()
            && let Err(e) = writeln!(t, "{}", p.to_json())
        {
            failed = Some(e);
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    if let Some(mut t) = truth {
        t.flush()?;
    }
    eprintln!(
        "mixed: {} packets, {} bytes of packets, {} flows",
        written.packets, written.bytes, written.flows
    );
    Ok(())
}
