//! The floors under a scan, for BENCHMARKS.md: how fast a capture file can be walked
//! (`read`), walked and decoded down to TCP/UDP (`decode`), as plainsight's file source and
//! decoder do it, without any flow or dissector work.
//!
//! ```text
//! cargo run --release --example floor -- read /tmp/mixed.pcap
//! cargo run --release --example floor -- decode /tmp/mixed.pcap
//! ```

use std::time::Instant;

use plainsight::capture::FileSource;
use plainsight::decode::{Decoder, DefragLimits};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(path)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: floor read|decode FILE");
        std::process::exit(2);
    };
    let start = Instant::now();
    let mut src = FileSource::open(std::fs::File::open(path)?)?;
    let mut decoder = Decoder::new(DefragLimits::default());
    let (mut packets, mut bytes, mut decoded) = (0u64, 0u64, 0u64);
    while let Some(p) = src.next_packet()? {
        packets += 1;
        bytes += p.data.len() as u64;
        if mode == "decode" && decoder.decode(&p).is_ok() {
            decoded += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{mode}: {packets} packets ({decoded} decoded), {bytes} bytes in {secs:.3}s: {:.0} MB/s",
        bytes as f64 / secs / 1e6
    );
    Ok(())
}
