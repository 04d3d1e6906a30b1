//! Live capture from a network interface through libpcap (the `pcap` crate): promiscuous
//! by default, full snapshot length, immediate mode, a BPF filter compiled by libpcap.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{CaptureError, KernelStats, LinkType, Next, Packet, PacketSource};
use crate::timestamp::Timestamp;

/// How to open a live capture.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    pub interface: String,
    /// A BPF filter in tcpdump's syntax.
    pub filter: Option<String>,
    pub promisc: bool,
    pub snaplen: i32,
    /// Kernel capture buffer in bytes (libpcap's default when `None`).
    pub buffer_size: Option<i32>,
    /// Stop after this many packets.
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
}

/// Why a live capture could not start.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(
        "cannot open interface {interface:?}: {message} (capturing needs root, or the capabilities cap_net_raw,cap_net_admin; see `plainsight live --list-interfaces`)"
    )]
    Open { interface: String, message: String },
    #[error("bad capture filter {filter:?}: {message}")]
    Filter { filter: String, message: String },
    #[error("cannot list interfaces: {0}")]
    List(String),
}

/// Packets from a network interface.
pub struct LiveSource {
    cap: pcap::Capture<pcap::Active>,
    linktype: LinkType,
    frame: u64,
    bytes: u64,
    stop: Arc<AtomicBool>,
    count: Option<u64>,
    deadline: Option<Instant>,
}

/// Read timeout handed to libpcap (unused in immediate mode).
const READ_TIMEOUT_MS: i32 = 100;
/// How long an idle capture waits before looking again.
const IDLE_WAIT: Duration = Duration::from_millis(5);

impl LiveSource {
    /// Opens the interface and applies the filter. `stop` ends the capture when set (by a
    /// signal handler).
    pub fn open(opts: &LiveOptions, stop: Arc<AtomicBool>) -> Result<LiveSource, LiveError> {
        let open_err = |e: pcap::Error| LiveError::Open {
            interface: opts.interface.clone(),
            message: e.to_string(),
        };
        let mut inactive = pcap::Capture::from_device(opts.interface.as_str())
            .map_err(open_err)?
            .promisc(opts.promisc)
            .snaplen(opts.snaplen)
            .immediate_mode(true)
            .timeout(READ_TIMEOUT_MS);
        if let Some(size) = opts.buffer_size {
            inactive = inactive.buffer_size(size);
        }
        // Non-blocking: in immediate mode libpcap ignores the read timeout, and an idle
        // capture must still come back to notice a stop.
        let mut cap = inactive
            .open()
            .and_then(|c| c.setnonblock())
            .map_err(open_err)?;
        if let Some(filter) = &opts.filter {
            cap.filter(filter, true).map_err(|e| LiveError::Filter {
                filter: filter.clone(),
                message: e.to_string(),
            })?;
        }
        let linktype = LinkType(cap.get_datalink().0 as u32);
        Ok(LiveSource {
            cap,
            linktype,
            frame: 0,
            bytes: 0,
            stop,
            count: opts.count,
            deadline: opts.duration.map(|d| Instant::now() + d),
        })
    }

    pub fn linktype(&self) -> LinkType {
        self.linktype
    }
}

/// An interface libpcap can capture on.
#[derive(Clone, Debug)]
pub struct Interface {
    pub name: String,
    pub description: Option<String>,
    pub addresses: Vec<String>,
}

/// The interfaces libpcap can capture on.
pub fn list_interfaces() -> Result<Vec<Interface>, LiveError> {
    let devices = pcap::Device::list().map_err(|e| LiveError::List(e.to_string()))?;
    Ok(devices
        .into_iter()
        .map(|d| Interface {
            addresses: d.addresses.iter().map(|a| a.addr.to_string()).collect(),
            name: d.name,
            description: d.desc,
        })
        .collect())
}

impl PacketSource for LiveSource {
    fn poll(&mut self) -> Result<Next<'_>, CaptureError> {
        if self.stop.load(Ordering::Relaxed)
            || self.count.is_some_and(|c| self.frame >= c)
            || self.deadline.is_some_and(|d| Instant::now() >= d)
        {
            return Ok(Next::End);
        }
        match self.cap.next_packet() {
            Ok(p) => {
                self.frame += 1;
                self.bytes += p.data.len() as u64;
                let tv = p.header.ts;
                let ts = Timestamp::new(tv.tv_sec, (tv.tv_usec.max(0) as u64) * 1000);
                Ok(Next::Packet(Packet {
                    frame: self.frame,
                    ts,
                    linktype: self.linktype,
                    data: p.data,
                    orig_len: p.header.len,
                }))
            }
            Err(pcap::Error::TimeoutExpired) => {
                // Nothing to read: wait a little rather than spin.
                std::thread::sleep(IDLE_WAIT);
                Ok(Next::Idle)
            }
            Err(e) => Err(CaptureError::Io(std::io::Error::other(e.to_string()))),
        }
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }

    fn kernel_stats(&mut self) -> Option<KernelStats> {
        self.cap.stats().ok().map(|s| KernelStats {
            received: u64::from(s.received),
            dropped: u64::from(s.dropped),
            if_dropped: u64::from(s.if_dropped),
        })
    }
}
