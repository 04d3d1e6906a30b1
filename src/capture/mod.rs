//! Capture sources: where packets come from (capture files, standard input, live
//! interfaces), behind one small trait.

mod chunk;
mod file;
pub mod live;
#[allow(unsafe_code)]
mod mapped;
pub mod writer;

pub use chunk::{CHUNK, Chunk, ChunkSource, ChunkedFile, Section};
pub use file::{FileSource, is_capture_file};
#[cfg(test)]
pub(crate) use file::{MAX_SECTION, word};
pub use live::{LiveOptions, LiveSource};
pub use mapped::prefetch_head;
pub use writer::{PcapNgWriter, PcapWriter};

use crate::timestamp::Timestamp;

/// Link-layer header type, as numbered by tcpdump.org's LINKTYPE_ registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    /// DLT_RAW as OpenBSD numbers it in files (12) and DLT_RAW's LINKTYPE_RAW (101).
    pub const RAW_OPENBSD: LinkType = LinkType(12);
    pub const RAW_14: LinkType = LinkType(14);
    pub const RAW: LinkType = LinkType(101);
    pub const LOOP: LinkType = LinkType(108);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);
    pub const PPP: LinkType = LinkType(9);
    pub const PPP_HDLC: LinkType = LinkType(50);
    pub const PPP_ETHER: LinkType = LinkType(51);
    pub const C_HDLC: LinkType = LinkType(104);
    pub const IEEE802_11: LinkType = LinkType(105);
    pub const PFLOG: LinkType = LinkType(117);
    pub const PRISM: LinkType = LinkType(119);
    pub const IEEE802_11_RADIOTAP: LinkType = LinkType(127);
    pub const AVS: LinkType = LinkType(163);
    pub const PPI: LinkType = LinkType(192);
    pub const NFLOG: LinkType = LinkType(239);
}

impl std::fmt::Display for LinkType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match *self {
            LinkType::NULL => "NULL",
            LinkType::ETHERNET => "ETHERNET",
            LinkType::RAW | LinkType::RAW_OPENBSD | LinkType::RAW_14 => "RAW",
            LinkType::LOOP => "LOOP",
            LinkType::LINUX_SLL => "LINUX_SLL",
            LinkType::IPV4 => "IPV4",
            LinkType::IPV6 => "IPV6",
            LinkType::LINUX_SLL2 => "LINUX_SLL2",
            LinkType::PPP => "PPP",
            LinkType::PPP_HDLC => "PPP_HDLC",
            LinkType::PPP_ETHER => "PPP_ETHER",
            LinkType::C_HDLC => "C_HDLC",
            LinkType::IEEE802_11 => "IEEE802_11",
            LinkType::PFLOG => "PFLOG",
            LinkType::PRISM => "IEEE802_11_PRISM",
            LinkType::IEEE802_11_RADIOTAP => "IEEE802_11_RADIOTAP",
            LinkType::AVS => "IEEE802_11_AVS",
            LinkType::PPI => "PPI",
            LinkType::NFLOG => "NFLOG",
            _ => return write!(f, "{}", self.0),
        };
        write!(f, "{} ({})", name, self.0)
    }
}

/// One captured packet, borrowed from the source's buffer until the next call.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    /// 1-based number of the packet in its source, as Wireshark numbers frames.
    pub frame: u64,
    pub ts: Timestamp,
    pub linktype: LinkType,
    /// The captured bytes (possibly cut short by the snapshot length).
    pub data: &'a [u8],
    /// Length of the packet on the wire.
    pub orig_len: u32,
}

/// Why a source stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a pcap or pcapng capture (first bytes {0})")]
    NotACapture(String),
    #[error("the capture is empty")]
    Empty,
    #[error("cut short in the middle of the record after frame {frame}")]
    Truncated { frame: u64 },
    #[error("corrupt record after frame {frame} (byte offset {offset}): {what}")]
    Corrupt {
        frame: u64,
        offset: u64,
        what: String,
    },
    /// Not an error of the capture: it was read whole, on fewer threads than asked for.
    #[error("{0}")]
    Threads(crate::pipeline::Shortfall),
}

/// What a source has next.
#[derive(Debug)]
pub enum Next<'a> {
    Packet(Packet<'a>),
    /// No packet for now (a live capture's read timeout): a moment to flush output and
    /// look at the clock.
    Idle,
    /// The source ended (end of file, or a live capture was told to stop).
    End,
}

/// Counters a live capture gets from the kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelStats {
    /// Packets the filter accepted.
    pub received: u64,
    /// Dropped because the capture buffer was full (plainsight too slow).
    pub dropped: u64,
    /// Dropped by the interface or its driver.
    pub if_dropped: u64,
}

/// A source of packets. Implementations stream: a packet borrows the source's buffer and
/// is valid until the next call.
pub trait PacketSource {
    /// The next packet, `Idle`, `End`, or the error that ended the source. Oddities that
    /// do not stop reading (an unknown pcapng interface) are counted, not returned.
    fn poll(&mut self) -> Result<Next<'_>, CaptureError>;

    /// Bytes of the source consumed so far (for progress and throughput).
    fn bytes_read(&self) -> u64;

    /// The kernel's counters, for a live capture.
    fn kernel_stats(&mut self) -> Option<KernelStats> {
        None
    }
}
