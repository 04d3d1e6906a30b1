//! The end-of-scan summary on standard error.

use std::io::{self, Write};
use std::time::Duration;

use crate::engine::Stats;

/// Writes what was read, what was found, and every counter of something dropped or capped.
pub fn write_summary(
    w: &mut dyn Write,
    stats: &Stats,
    inputs: usize,
    failed: usize,
    elapsed: Duration,
) -> io::Result<()> {
    let secs = elapsed.as_secs_f64();
    write!(
        w,
        "plainsight: {} input{}{}, {} packets, {}, {} TCP flow{}",
        inputs,
        if inputs == 1 { "" } else { "s" },
        if failed > 0 {
            format!(" ({failed} with errors)")
        } else {
            String::new()
        },
        stats.packets,
        human_bytes(stats.bytes),
        stats.flows,
        if stats.flows == 1 { "" } else { "s" },
    )?;
    if stats.udp_flows > 0 {
        write!(w, ", {} UDP conversations", stats.udp_flows)?;
    }
    write!(
        w,
        ", {} finding{} in {:.2}s",
        stats.findings,
        if stats.findings == 1 { "" } else { "s" },
        secs
    )?;
    if secs > 0.05 && stats.bytes > 0 {
        write!(
            w,
            " ({}/s)",
            human_bytes((stats.bytes as f64 / secs) as u64)
        )?;
    }
    writeln!(w)?;
    let r = &stats.reassembly;
    let f = &stats.defrag;
    let notes = [
        ("bad TCP checksums (kept)", stats.bad_tcp_checksums),
        ("malformed packets", stats.malformed),
        (
            "packets of unsupported link types",
            stats.unsupported_linktype,
        ),
        ("IP fragments", f.fragments),
        ("IP datagrams reassembled", f.reassembled),
        ("incomplete IP datagrams timed out", f.timed_out),
        ("incomplete IP datagrams dropped (fragment caps)", f.capped),
        ("invalid IP fragments", f.invalid),
        (
            "overlapping IP fragments that disagreed (first copy kept)",
            f.conflicts,
        ),
        ("gaps in TCP streams", r.gaps),
        ("bytes missing from TCP streams", r.gap_bytes),
        ("out-of-order segments", r.out_of_order),
        ("retransmitted segments", r.retransmitted),
        (
            "overlapping segments that disagreed (first copy kept)",
            r.conflicts,
        ),
        ("segments outside the window", r.out_of_window),
        ("flows evicted (flow table full)", stats.flows_evicted),
        ("idle flows expired", stats.flows_expired),
        (
            "flows no longer inspected (inspection cap)",
            stats.inspect_capped,
        ),
        (
            "holes skipped (total buffer cap)",
            stats.total_buffer_capped,
        ),
        (
            "flows no longer inspected (memory cap)",
            stats.app_memory_capped,
        ),
        (
            "lines skipped (longer than the line cap)",
            stats.lines_too_long,
        ),
        ("repeated credentials reported once", stats.repeats),
    ];
    let shown: Vec<String> = notes
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| format!("{n} {what}"))
        .collect();
    if !shown.is_empty() {
        writeln!(w, "plainsight: {}", shown.join(", "))?;
    }
    Ok(())
}

/// `812 B`, `3.4 KB`, `12.0 MB`, `1.2 GB` (powers of 1000, as network tools count).
pub fn human_bytes(n: u64) -> String {
    let f = n as f64;
    if n < 1000 {
        format!("{n} B")
    } else if f < 1e6 {
        format!("{:.1} KB", f / 1e3)
    } else if f < 1e9 {
        format!("{:.1} MB", f / 1e6)
    } else {
        format!("{:.2} GB", f / 1e9)
    }
}
