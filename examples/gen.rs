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
//! - `mixed BYTES [--seed N] [--concurrent N] [--logins-per-gb N] [--truth FILE]`: the
//!   throughput benchmark's input, mixed enterprise-like traffic with planted logins
//!   (see `plainsight::synth::mixed`); the planted logins go to FILE, one JSON per line.

use std::io::{BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use plainsight::capture::PcapWriter;
use plainsight::synth::{Flags, Link, tcp_packet};
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
        eprintln!("usage: gen syn-flood|holes COUNT > out.pcap");
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
