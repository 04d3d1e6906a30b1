//! The scanning engine: packets in, findings out. It decodes each packet, finds its flow,
//! reassembles TCP, chooses the protocol of each flow and feeds its dissector, and keeps
//! memory bounded with caps, eviction and idle expiry.

use std::net::IpAddr;
use std::sync::Arc;

use crate::capture::Packet;
use crate::decode::{
    Decoded, Decoder, DefragLimits, DefragStats, IpDatagram, LinkFrame, LinkPayload, Other, Skip,
    TcpSegment, Transport as L4, UdpDatagram, decode_stateless,
};
use crate::dissect::detect::{Detector, Registry, Verdict};
use crate::dissect::{Chunk, DatagramDissector, Dissector, DissectorConfig};
use crate::finding::{CapturedPacket, Credential, Endpoint, Finding};
use crate::flow::reassembly::{Delivery, HalfStream, Origin, ReassemblyStats, Segment};
use crate::flow::{Direction, Flow, FlowId, FlowKey, FlowTable, Orientation, Transport};
use crate::rules::{RuleSet, StreamRules};
use crate::timestamp::Timestamp;

/// Caps that keep memory bounded whatever the traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Flows tracked at once; the least recently active is evicted beyond it.
    pub max_flows: usize,
    /// Out-of-order bytes buffered per direction of a flow.
    pub max_flow_buffer: usize,
    /// Out-of-order bytes buffered over all flows.
    pub max_total_buffer: usize,
    /// Bytes held by protocol detection and dissectors (partial lines, prefixes) over all
    /// flows.
    pub max_app_memory: usize,
    /// Bytes of one direction of a flow inspected without finding a login, after which
    /// the flow is no longer inspected.
    pub max_inspect: u64,
    /// Seconds (capture time) after which an idle open flow is expired.
    pub idle_timeout: u64,
    /// Seconds a closed flow is remembered, so late packets do not open a new one.
    pub closed_timeout: u64,
    /// Seconds (capture time) after which an idle UDP conversation ends.
    pub udp_timeout: u64,
    /// IP fragment reassembly caps.
    pub defrag: DefragLimits,
    /// What dissectors are configured with (line length cap...).
    pub dissector: DissectorConfig,
    /// Keep the packets of flows under inspection, to attach them to findings and write
    /// evidence files (`--write-evidence`, the classroom view).
    pub keep_packets: bool,
    /// Bytes of packets kept per flow.
    pub evidence_per_flow: usize,
    /// Bytes of packets kept over all flows; past it packets are no longer kept (counted
    /// in `evidence_capped`), inspection goes on.
    pub max_evidence: usize,
    /// Keep only what findings can name (the classroom view): packets with payload, and
    /// of the server's only small ones (prompts, challenges, verdicts), not bulk data.
    pub lean_evidence: bool,
}

/// UDP datagrams remembered (when packets are kept), and the largest one.
const RECENT_UDP: usize = 256;
const RECENT_UDP_PACKET: usize = 2048;

/// With `lean_evidence`, the largest packet from the server kept.
const LEAN_SERVER_PACKET: usize = 1024;

/// The memory budget of the default limits.
pub const DEFAULT_MEMORY: usize = 256 << 20;

/// Memory one tracked flow costs, table entry included (measured with 1,000,000 SYNs).
pub const FLOW_COST: usize = 512;

impl Limits {
    /// One worker's share when `workers` engines split the flows between them: the flow
    /// table and the buffers are divided, the per-flow limits stay.
    pub fn per_worker(self, workers: usize) -> Limits {
        let workers = workers.max(1);
        Limits {
            max_flows: self.max_flows.div_ceil(workers),
            max_total_buffer: self.max_total_buffer / workers,
            max_app_memory: self.max_app_memory / workers,
            ..self
        }
    }

    /// Limits that keep the engine's memory within `bytes`: half for the flow table, a
    /// quarter for out-of-order TCP data, an eighth for protocol detection and dissector
    /// buffers, a sixteenth for IP fragments.
    pub fn for_memory(bytes: usize) -> Limits {
        let bytes = bytes.max(1 << 20);
        Limits {
            max_flows: (bytes / 2 / FLOW_COST).max(64),
            max_flow_buffer: (bytes / 4 / 64).clamp(16 << 10, 1 << 20),
            max_total_buffer: bytes / 4,
            max_app_memory: bytes / 8,
            max_inspect: 1 << 20,
            idle_timeout: 600,
            closed_timeout: 30,
            udp_timeout: 120,
            defrag: DefragLimits {
                max_bytes: bytes / 16,
                ..DefragLimits::default()
            },
            dissector: DissectorConfig::default(),
            keep_packets: false,
            evidence_per_flow: 1 << 20,
            max_evidence: bytes / 16,
            lean_evidence: false,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::for_memory(DEFAULT_MEMORY)
    }
}

/// Counters for the end-of-scan summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub packets: u64,
    pub bytes: u64,
    pub tcp_segments: u64,
    pub udp_datagrams: u64,
    /// Not IP, or IP carrying neither TCP nor UDP.
    pub other_packets: u64,
    pub malformed: u64,
    pub unsupported_linktype: u64,
    /// TCP segments inspected whose checksum is wrong (kept all the same).
    pub bad_tcp_checksums: u64,
    pub flows: u64,
    pub udp_flows: u64,
    /// Findings not reported again: a credential the client presents over and over
    /// (HTTP Basic, SNMP community) is reported once per client, server and outcome.
    pub repeats: u64,
    /// Flows evicted because the flow table was full.
    pub flows_evicted: u64,
    /// Open flows expired after being idle.
    pub flows_expired: u64,
    /// Ended connections forgotten before `closed_timeout` because their table was full
    /// (a late packet of one that carries data is then taken for a new flow).
    pub closed_forgotten: u64,
    /// Flows whose inspection stopped at the inspection cap.
    pub inspect_capped: u64,
    /// Times a flow gave up its holes because the total buffer cap was reached.
    pub total_buffer_capped: u64,
    /// Flows no longer inspected because detection and dissectors held too much memory.
    pub app_memory_capped: u64,
    /// Lines longer than the line cap, skipped by text dissectors.
    pub lines_too_long: u64,
    /// Packets not kept as evidence because all flows together held `max_evidence`.
    pub evidence_capped: u64,
    /// Flows (TCP) and conversations (UDP) handed to each protocol's dissector.
    pub sessions: ProtocolCounts,
    /// Capture time of the earliest and the latest TCP/UDP packet (zero: none).
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    pub reassembly: ReassemblyStats,
    pub defrag: DefragStats,
    pub findings: u64,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.packets += o.packets;
        self.bytes += o.bytes;
        self.tcp_segments += o.tcp_segments;
        self.udp_datagrams += o.udp_datagrams;
        self.other_packets += o.other_packets;
        self.malformed += o.malformed;
        self.unsupported_linktype += o.unsupported_linktype;
        self.bad_tcp_checksums += o.bad_tcp_checksums;
        self.flows += o.flows;
        self.udp_flows += o.udp_flows;
        self.repeats += o.repeats;
        self.flows_evicted += o.flows_evicted;
        self.flows_expired += o.flows_expired;
        self.closed_forgotten += o.closed_forgotten;
        self.inspect_capped += o.inspect_capped;
        self.total_buffer_capped += o.total_buffer_capped;
        self.app_memory_capped += o.app_memory_capped;
        self.lines_too_long += o.lines_too_long;
        self.evidence_capped += o.evidence_capped;
        self.sessions.merge(&o.sessions);
        if o.first_ts != Timestamp::ZERO
            && (self.first_ts == Timestamp::ZERO || o.first_ts < self.first_ts)
        {
            self.first_ts = o.first_ts;
        }
        self.last_ts = self.last_ts.max(o.last_ts);
        let (a, b) = (&mut self.reassembly, &o.reassembly);
        a.retransmitted += b.retransmitted;
        a.conflicts += b.conflicts;
        a.out_of_order += b.out_of_order;
        a.gaps += b.gaps;
        a.gap_bytes += b.gap_bytes;
        a.out_of_window += b.out_of_window;
        let (a, b) = (&mut self.defrag, &o.defrag);
        a.fragments += b.fragments;
        a.reassembled += b.reassembled;
        a.timed_out += b.timed_out;
        a.capped += b.capped;
        a.invalid += b.invalid;
        a.conflicts += b.conflicts;
        self.findings += o.findings;
    }
}

/// A count per protocol name, small and `Copy` like the rest of [`Stats`]. Holds
/// [`ProtocolCounts::CAPACITY`] names; counts of further names go to `other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtocolCounts {
    names: [&'static str; ProtocolCounts::CAPACITY],
    counts: [u64; ProtocolCounts::CAPACITY],
    len: usize,
    /// Counts of names past the capacity.
    pub other: u64,
}

impl Default for ProtocolCounts {
    fn default() -> Self {
        ProtocolCounts {
            names: [""; ProtocolCounts::CAPACITY],
            counts: [0; ProtocolCounts::CAPACITY],
            len: 0,
            other: 0,
        }
    }
}

impl ProtocolCounts {
    pub const CAPACITY: usize = 48;

    pub fn add(&mut self, name: &'static str, n: u64) {
        if let Some(i) = self.names[..self.len].iter().position(|&x| x == name) {
            self.counts[i] += n;
        } else if self.len < Self::CAPACITY {
            self.names[self.len] = name;
            self.counts[self.len] = n;
            self.len += 1;
        } else {
            self.other += n;
        }
    }

    pub fn get(&self, name: &str) -> u64 {
        self.iter().find(|&(x, _)| x == name).map_or(0, |(_, n)| n)
    }

    /// Every name counted, in the order first seen.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.names[..self.len]
            .iter()
            .copied()
            .zip(self.counts[..self.len].iter().copied())
    }

    pub fn merge(&mut self, o: &ProtocolCounts) {
        for (name, n) in o.iter() {
            self.add(name, n);
        }
        self.other += o.other;
    }
}

/// What the application layer of a flow is doing.
enum App {
    /// No byte seen yet (most flows of a SYN flood stay so); `fixed`: the sides come from
    /// the handshake.
    New {
        fixed: bool,
    },
    /// Protocol not known yet.
    Detecting(Box<Detector>),
    Active(Box<dyn Dissector>),
    /// Nothing (more) to look at.
    Ignored,
}

impl App {
    fn buffered(&self) -> usize {
        match self {
            App::Detecting(d) => d.buffered(),
            App::Active(d) => d.buffered(),
            App::New { .. } | App::Ignored => 0,
        }
    }
}

/// Per-flow state above the flow table.
struct TcpState {
    /// Indexed by [`Direction`]: bytes to the server, bytes to the client.
    streams: [HalfStream; 2],
    app: App,
    fin: [bool; 2],
    /// Bytes handed to detection or the dissector, per direction.
    inspected: [u64; 2],
    /// The dissector reported something on this flow.
    found: bool,
    /// What the application layer held after the last packet.
    app_memory: usize,
    /// The flow's packets, when the engine keeps them (bounded).
    evidence: Vec<CapturedPacket>,
    evidence_bytes: usize,
    /// Rule detectors running over the flow, once its protocol is known.
    rules: Option<Box<StreamRules>>,
    /// Rule findings of a flow with a dissector, held to its end so they can be checked
    /// against what the dissector reported.
    rule_findings: Vec<Credential>,
    /// Hashes of the secrets the dissector reported on this flow.
    dissector_secrets: Vec<u64>,
    /// A dissector was chosen for this flow.
    dissected: bool,
    /// Per direction, whether the rules still look at the bytes (kept beside the boxed
    /// rules, which are not touched for packets that deliver nothing).
    rules_want: [bool; 2],
    /// Something was delivered to the application layer (bytes, a gap, a new detector or
    /// dissector) since its bytes to pass over and its memory were last asked for: a
    /// packet that delivers nothing leaves both as they were, and does not touch the
    /// dissector (in the body of an HTTP download, most packets).
    app_touched: bool,
}

impl TcpState {
    /// Bytes still have to be reassembled: a dissector or a rule wants them.
    fn inspected_further(&self) -> bool {
        !matches!(self.app, App::Ignored) || self.rules.as_ref().is_some_and(|r| !r.done())
    }
}

/// A secret's hash, to match rule findings against dissector findings.
fn secret_hash(c: &Credential) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x5ec).hash_one(&c.secret)
}

/// Whether a dissector already reported a rule finding's secret: as is, or URL-decoded
/// (rules see query strings raw, the HTTP dissector decodes them).
fn already_reported(dissector: &[u64], c: &Credential) -> bool {
    if dissector.contains(&secret_hash(c)) {
        return true;
    }
    let decoded = Credential {
        secret: c
            .secret
            .as_deref()
            .map(|s| crate::dissect::http::percent_decode(s, true)),
        ..c.clone()
    };
    dissector.contains(&secret_hash(&decoded))
}

/// Where delivered bytes go, and what they need.
struct DeliverEnv<'a> {
    registry: &'a Registry,
    rule_set: &'a RuleSet,
    /// Rule findings.
    rule_out: &'a mut Vec<Credential>,
    config: &'a DissectorConfig,
    server_port: u16,
    client_port: u16,
    out: &'a mut Vec<Credential>,
    /// Detection decided the flow is the other way round.
    reversed: bool,
    inspected: [u64; 2],
    /// The protocol detection chose for the flow, when it just did.
    chosen: Option<&'static str>,
    /// Something was delivered (see [`TcpState::app_touched`]).
    touched: bool,
}

/// Starts the rules of a flow whose protocol just became known, and shows them the bytes
/// detection kept.
fn start_rules(
    rules: &mut Option<Box<StreamRules>>,
    env: &mut DeliverEnv<'_>,
    protocol: Option<&str>,
    det: &Detector,
    reversed: bool,
) {
    if env.rule_set.is_empty() {
        return;
    }
    *rules = StreamRules::for_flow(env.rule_set, env.server_port, protocol).map(Box::new);
    if let Some(r) = rules.as_mut() {
        let (set, out) = (env.rule_set, &mut *env.rule_out);
        det.for_each(reversed, |dir, item| match item {
            Ok(c) => r.data(set, dir, c.data, c.frame, c.ts, out),
            Err(_) => r.gap(set, dir, out),
        });
    }
}

fn deliver(
    app: &mut App,
    rules: &mut Option<Box<StreamRules>>,
    env: &mut DeliverEnv<'_>,
    dir: Direction,
    d: Delivery<'_>,
) {
    let dir = if env.reversed { dir.opposite() } else { dir };
    env.touched = true;
    if let Some(r) = rules.as_mut() {
        match d {
            Delivery::Data(data, o) => r.data(env.rule_set, dir, data, o.frame, o.ts, env.rule_out),
            Delivery::Gap(_) => r.gap(env.rule_set, dir, env.rule_out),
        }
    }
    if let Delivery::Data(data, _) = d {
        env.inspected[dir.index()] += data.len() as u64;
    }
    if let App::New { fixed } = *app {
        *app = App::Detecting(Box::new(Detector::new(env.registry, fixed)));
    }
    match app {
        App::New { .. } | App::Ignored => {}
        App::Active(dis) => match d {
            Delivery::Data(data, o) => dis.data(
                dir,
                Chunk {
                    data,
                    frame: o.frame,
                    ts: o.ts,
                },
                env.out,
            ),
            Delivery::Gap(n) => dis.gap(dir, n, env.out),
        },
        App::Detecting(det) => {
            let mut rest: Option<(&[u8], Origin)> = None;
            match d {
                Delivery::Data(data, o) => {
                    let chunk = Chunk {
                        data,
                        frame: o.frame,
                        ts: o.ts,
                    };
                    let kept = det.data(dir, chunk);
                    if kept < data.len() {
                        rest = Some((&data[kept..], o));
                    }
                }
                Delivery::Gap(n) => det.gap(dir, n),
            }
            let verdict = det.decide(
                env.registry,
                env.server_port,
                env.client_port,
                rest.is_some(),
            );
            match verdict {
                Verdict::Wait => {}
                Verdict::Nothing => {
                    start_rules(rules, env, None, det, false);
                    if let (Some(r), Some((data, o))) = (rules.as_mut(), rest) {
                        r.data(env.rule_set, dir, data, o.frame, o.ts, env.rule_out);
                    }
                    *app = App::Ignored;
                }
                Verdict::Chosen { spec, reversed } => {
                    let spec = env.registry.spec(spec);
                    env.chosen = Some(spec.name);
                    start_rules(rules, env, Some(spec.name), det, reversed);
                    if let (Some(r), Some((data, o))) = (rules.as_mut(), rest) {
                        let dir = if reversed { dir.opposite() } else { dir };
                        r.data(env.rule_set, dir, data, o.frame, o.ts, env.rule_out);
                    }
                    let mut dis = (spec.new)(env.config);
                    det.replay(&mut *dis, reversed, env.out);
                    if let Some((data, o)) = rest {
                        let dir = if reversed { dir.opposite() } else { dir };
                        let chunk = Chunk {
                            data,
                            frame: o.frame,
                            ts: o.ts,
                        };
                        dis.data(dir, chunk, env.out);
                    }
                    if reversed {
                        env.reversed = true;
                        env.inspected.swap(0, 1);
                    }
                    *app = App::Active(dis);
                }
            }
        }
    }
}

/// A delivery copied out of reassembly when a flow ends: bytes or a gap, and where they
/// came from.
struct Flushed {
    data: Option<Vec<u8>>,
    gap: u64,
    origin: Origin,
}

/// Everything but the decoder (which lends reassembled IP datagrams to the rest).
struct Core {
    limits: Limits,
    registry: Arc<Registry>,
    /// Open connections.
    flows: FlowTable<TcpState>,
    /// Connections that ended (FIN both ways, RST), remembered `closed_timeout` seconds so
    /// their late packets are ignored rather than taken for a new flow: the 4-tuple and
    /// the times alone (a third of an open flow's entry), not the state of a flow that
    /// has nothing left to inspect. At most a quarter as many as open flows: under heavy
    /// churn the oldest are forgotten first (a late packet of one that carries data is
    /// then a flow of its own; one without data, most late packets, is ignored anyway).
    closed: FlowTable<()>,
    udp: FlowTable<UdpState>,
    stats: Stats,
    source: Arc<str>,
    scratch: Vec<Credential>,
    /// Rule findings of the packet being processed.
    rule_scratch: Vec<Credential>,
    findings: Vec<Finding>,
    /// The last UDP datagrams (when packets are kept): a credential completed by a
    /// later datagram (the response) or at the conversation's end names earlier ones.
    recent_udp: std::collections::VecDeque<CapturedPacket>,
    /// Network names of 802.11 BSSIDs, from beacons, probe responses and association
    /// requests.
    ssids: std::collections::VecDeque<([u8; 6], Vec<u8>)>,
    /// EAPOL conversations that began before any frame named their network, with their
    /// two MAC addresses: a name that comes later is handed to them.
    unnamed_eapol: std::collections::VecDeque<(FlowId, [[u8; 6]; 2])>,
    /// Packets of flows that produced findings, for evidence files.
    evidence: Vec<CapturedPacket>,
    now: Timestamp,
    last_expiry: Timestamp,
    memory: Memory,
}

/// A UDP conversation's protocol, chosen from its first datagram.
enum UdpState {
    /// The protocol's name and its dissector.
    Active(&'static str, Box<dyn DatagramDissector>),
    Ignored,
}

/// Network names remembered from 802.11 beacons (the oldest forgotten first).
const MAX_SSIDS: usize = 256;

/// The address a MAC endpoint goes by in the flow table (see [`Endpoint::mac`]).
fn mac_ip(mac: [u8; 6]) -> IpAddr {
    crate::finding::Endpoint::mac(mac).ip
}

/// Bytes held above the flow table, over all flows.
#[derive(Debug, Default)]
struct Memory {
    /// Out-of-order TCP bytes.
    buffered: usize,
    /// Detection prefixes and dissector buffers.
    app: usize,
    /// Packets kept as evidence by flows still open.
    evidence: usize,
}

/// Stops inspecting a flow whose dissector is done, has read too much of one direction
/// without finding anything, or holds memory while all flows together hold too much.
fn app_layer_limits(
    st: &mut TcpState,
    touched: bool,
    limits: &Limits,
    stats: &mut Stats,
    memory: &mut Memory,
    scratch: &mut Vec<Credential>,
) {
    // Kept packets have their own budget (`max_evidence`): they never stop inspection.
    // Nothing delivered (`touched` false): what the application layer holds, whether it
    // is done and what it has inspected are as the last packet left them (which did not
    // stop it); only the memory of all flows may have grown past its cap since.
    let now = if touched {
        st.app.buffered() + st.rules.as_ref().map_or(0, |r| r.buffered())
    } else {
        st.app_memory
    };
    memory.app = (memory.app + now).saturating_sub(st.app_memory);
    st.app_memory = now;
    let stop = match &st.app {
        App::Ignored => touched && st.rules.as_ref().is_some_and(|r| r.done()),
        App::Active(dis) if touched && dis.done() => true,
        _ if touched && !st.found && st.inspected.iter().any(|&n| n > limits.max_inspect) => {
            stats.inspect_capped += 1;
            true
        }
        _ if memory.app > limits.max_app_memory && now > 0 => {
            stats.app_memory_capped += 1;
            true
        }
        _ => false,
    };
    if stop {
        if let App::Active(dis) = &mut st.app {
            dis.close(scratch);
        }
        drop_app(st, memory, stats);
    }
}

/// Frees everything above the flow table for a flow that is no longer inspected.
fn drop_app(st: &mut TcpState, memory: &mut Memory, stats: &mut Stats) {
    if let App::Active(dis) = &st.app {
        stats.lines_too_long += dis.lines_too_long();
    }
    st.app = App::Ignored;
    st.rules = None;
    memory.app = memory.app.saturating_sub(st.app_memory);
    st.app_memory = 0;
    let pending = st.streams[0].pending_bytes() + st.streams[1].pending_bytes();
    memory.buffered = memory.buffered.saturating_sub(pending);
    st.streams = [HalfStream::new(), HalfStream::new()];
    if !st.found {
        // No finding: its packets are no evidence of anything.
        memory.evidence = memory.evidence.saturating_sub(st.evidence_bytes);
        st.evidence = Vec::new();
        st.evidence_bytes = 0;
    }
}

/// The kept packets a credential's frames name.
fn evidence_of(kept: &[CapturedPacket], frames: &[u64]) -> Vec<CapturedPacket> {
    kept.iter()
        .filter(|p| frames.binary_search(&p.frame).is_ok())
        .cloned()
        .collect()
}

/// Where a decoded packet came from: its frame number and time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Meta {
    pub frame: u64,
    pub ts: Timestamp,
}

/// The flow stage: flow tables, reassembly, protocol detection and dissectors. It takes
/// decoded packets (so a reader thread can decode and shard by flow while several of
/// these run in parallel, one per worker).
pub struct FlowEngine {
    core: Core,
}

impl FlowEngine {
    pub fn new(registry: Arc<Registry>, limits: Limits, source: Arc<str>) -> FlowEngine {
        FlowEngine {
            core: Core {
                limits,
                registry,
                flows: FlowTable::new(limits.max_flows),
                closed: FlowTable::new((limits.max_flows / 4).max(16)),
                udp: FlowTable::new((limits.max_flows / 4).max(16)),
                stats: Stats::default(),
                source,
                scratch: Vec::new(),
                rule_scratch: Vec::new(),
                findings: Vec::new(),
                recent_udp: std::collections::VecDeque::new(),
                ssids: std::collections::VecDeque::new(),
                unnamed_eapol: std::collections::VecDeque::new(),
                evidence: Vec::new(),
                now: Timestamp::ZERO,
                last_expiry: Timestamp::ZERO,
                memory: Memory::default(),
            },
        }
    }

    /// A decoded packet; `raw` is the captured packet, kept as evidence when the limits
    /// ask for it.
    pub fn decoded(&mut self, d: &Decoded<'_>, meta: Meta, raw: Option<&Packet<'_>>) {
        let core = &mut self.core;
        core.saw(meta.ts);
        match d.transport {
            L4::Tcp(seg) => {
                core.stats.tcp_segments += 1;
                core.tcp(d, &seg, meta, raw);
            }
            L4::Udp(dg) => {
                core.stats.udp_datagrams += 1;
                core.udp(d, &dg, meta, raw);
            }
        }
        core.expire_now_and_then();
    }

    /// Capture time moves on to `ts` because of a packet of a flow another worker owns:
    /// idle flows here expire as they would have with that packet in this engine (so the
    /// findings do not depend on how flows are shared among workers).
    pub fn advance(&mut self, ts: Timestamp) {
        let core = &mut self.core;
        if ts > core.now {
            core.now = ts;
            core.expire_now_and_then();
        }
    }

    /// A packet that carries neither TCP nor UDP (and was counted as skipped): an IP
    /// datagram read when a dissector knows its IP protocol, a link-layer frame (PPPoE,
    /// EAPOL). `raw` is kept as evidence when the limits ask for it.
    pub fn other(&mut self, other: &Other<'_>, meta: Meta, raw: Option<&Packet<'_>>) {
        let core = &mut self.core;
        // Only what a dissector reads reaches the flow stage (and the capture's time
        // range): not ICMP, nor IP protocols no dissector knows.
        if let Other::Ip(dg) = other
            && !core.registry.reads_ip_protocol(dg.protocol)
        {
            return;
        }
        let raw = raw.filter(|_| core.limits.keep_packets);
        core.saw(meta.ts);
        match other {
            Other::Ip(dg) => core.ip(dg, meta, raw),
            Other::Link(f) => core.link(f, meta, raw),
        }
        core.expire_now_and_then();
    }

    /// A packet that yields no segment, counted.
    pub fn skipped(&mut self, skip: Skip) {
        let stats = &mut self.core.stats;
        match skip {
            Skip::NotTcpUdp => stats.other_packets += 1,
            Skip::Malformed => stats.malformed += 1,
            Skip::Fragment => {}
            Skip::UnsupportedLinkType => stats.unsupported_linktype += 1,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        self.core.stats
    }

    /// Findings completed since the last call.
    pub fn drain_findings(&mut self) -> std::vec::Drain<'_, Finding> {
        self.core.findings.drain(..)
    }

    /// Flows currently tracked.
    pub fn flows(&self) -> usize {
        self.core.flows.len()
    }

    /// Packets of flows that produced findings (when packets are kept), since the last
    /// call: each flow's packets once the flow ends.
    pub fn drain_evidence(&mut self) -> std::vec::Drain<'_, CapturedPacket> {
        self.core.evidence.drain(..)
    }

    /// End of input: every flow is flushed through its dissector and closed.
    pub fn finish(&mut self) {
        let core = &mut self.core;
        while let Some(mut flow) = core.flows.pop_least_recent() {
            core.close(&mut flow);
        }
        while let Some((id, _)) = core.udp.least_recent() {
            core.end_udp(id);
        }
    }
}

/// The whole engine on one thread: decoder and flow stage.
pub struct Engine {
    decoder: Decoder,
    flows: FlowEngine,
    packets: u64,
    bytes: u64,
    keep_packets: bool,
}

impl Engine {
    pub fn new(registry: Arc<Registry>, limits: Limits, source: Arc<str>) -> Engine {
        Engine {
            decoder: Decoder::new(limits.defrag),
            flows: FlowEngine::new(registry, limits, source),
            packets: 0,
            bytes: 0,
            keep_packets: limits.keep_packets,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        let mut s = self.flows.stats();
        s.packets = self.packets;
        s.bytes = self.bytes;
        s.defrag = self.decoder.defrag_stats();
        s
    }

    /// Findings completed since the last call.
    pub fn drain_findings(&mut self) -> std::vec::Drain<'_, Finding> {
        self.flows.drain_findings()
    }

    /// Flows currently tracked.
    pub fn flows(&self) -> usize {
        self.flows.flows()
    }

    /// Packets of flows that produced findings, since the last call.
    pub fn drain_evidence(&mut self) -> std::vec::Drain<'_, CapturedPacket> {
        self.flows.drain_evidence()
    }

    /// Whether [`Engine::drain_findings`] has findings to give (asked after every packet:
    /// draining an empty list still costs the drain's set-up and drop).
    pub fn has_findings(&self) -> bool {
        !self.flows.core.findings.is_empty()
    }

    /// Whether [`Engine::drain_evidence`] has packets to give.
    pub fn has_evidence(&self) -> bool {
        !self.flows.core.evidence.is_empty()
    }

    /// Processes one captured packet.
    pub fn packet(&mut self, pkt: &Packet<'_>) {
        self.packets += 1;
        self.bytes += pkt.data.len() as u64;
        let meta = Meta {
            frame: pkt.frame,
            ts: pkt.ts,
        };
        let raw = self.keep_packets.then_some(pkt);
        // Decoded without reassembly first and used where the decoder wrote it (see
        // `Stateless`); an IP fragment, rare, is decoded again by the reassembling
        // decoder, to the same effect as decoding every packet with it.
        let stateless = decode_stateless(pkt);
        let mut again = None;
        match self.decoder.reassembling(pkt, &stateless, &mut again) {
            Ok(d) => self.flows.decoded(d, meta, raw),
            Err(skip) => {
                self.flows.skipped(skip);
                if let Some(o) = stateless.other(pkt) {
                    self.flows.other(&o, meta, Some(pkt));
                }
            }
        }
    }

    /// End of input: every flow is flushed through its dissector and closed.
    pub fn finish(&mut self) {
        self.flows.finish();
    }
}

impl Core {
    /// Capture time moves on to a packet's, `ts`; the capture's time range grows.
    #[inline(always)]
    fn saw(&mut self, ts: Timestamp) {
        if ts > self.now {
            self.now = ts;
        }
        let stats = &mut self.stats;
        if stats.first_ts == Timestamp::ZERO || ts < stats.first_ts {
            stats.first_ts = ts;
        }
        stats.last_ts = stats.last_ts.max(ts);
    }

    /// A UDP datagram: its conversation's dissector, chosen from the first datagram.
    fn udp(&mut self, d: &Decoded<'_>, dg: &UdpDatagram<'_>, pkt: Meta, raw: Option<&Packet<'_>>) {
        let src = (d.src, dg.src_port);
        let dst = (d.dst, dg.dst_port);
        let key = FlowKey::new(Transport::Udp, src, dst);
        let fid = match self.udp.lookup(&key) {
            Some(fid) => fid,
            None => {
                if self.udp.is_full()
                    && let Some((id, _)) = self.udp.least_recent()
                {
                    self.stats.flows_evicted += 1;
                    self.end_udp(id);
                }
                let r = &self.registry;
                // The server is the side on a known port (when what it sent reads as that
                // port's protocol), else the first datagram's destination.
                let src_is_client = !r.is_udp_service_port(src.1)
                    || r.is_udp_service_port(dst.1)
                    || !r.udp_port_speaks(src.1, dg.payload);
                let (c, s) = if src_is_client {
                    (src, dst)
                } else {
                    (dst, src)
                };
                let state = match r.choose_udp(s.1, dg.payload) {
                    Some(spec) => {
                        self.stats.sessions.add(spec.name, 1);
                        UdpState::Active(spec.name, (spec.new)(&self.limits.dissector))
                    }
                    None => UdpState::Ignored,
                };
                self.stats.udp_flows += 1;
                self.udp.insert(Flow {
                    key,
                    client: Endpoint::new(c.0, c.1),
                    server: Endpoint::new(s.0, s.1),
                    orientation: Orientation::Ports,
                    first_seen: pkt.ts,
                    last_seen: pkt.ts,
                    closed: false,
                    state,
                })
            }
        };
        self.conversation_datagram(fid, src, dg.payload, pkt, raw, true);
    }

    /// The first segment of a connection: a TCP MD5 signature on it (BGP's) is a finding.
    #[inline]
    fn signed_segment(
        &mut self,
        fid: FlowId,
        d: &Decoded<'_>,
        seg: &TcpSegment<'_>,
        pkt: Meta,
        raw: Option<&Packet<'_>>,
    ) {
        let Some(c) = crate::dissect::tcp_md5::credential(d.src, d.dst, seg, pkt.frame, pkt.ts)
        else {
            return;
        };
        let Some((client, server)) = self.flows.get(fid).map(|f| (f.client, f.server)) else {
            return;
        };
        self.scratch.push(c);
        let kept: Vec<CapturedPacket> = raw.map(CapturedPacket::from_packet).into_iter().collect();
        self.push_findings(client, server, vec![kept]);
    }

    /// A datagram of a protocol carried directly over IP (OSPF, VRRP, PPTP's GRE): a
    /// conversation of the two addresses (ports written as 0), its protocol chosen from
    /// the first datagram by IP protocol number; the first sender is its client.
    fn ip(&mut self, dg: &IpDatagram<'_>, pkt: Meta, raw: Option<&Packet<'_>>) {
        let proto = u16::from(dg.protocol);
        let key = FlowKey::new(Transport::Ip, (dg.src, proto), (dg.dst, proto));
        let fid = match self.udp.lookup(&key) {
            Some(fid) => fid,
            None => {
                if self.udp.is_full()
                    && let Some((id, _)) = self.udp.least_recent()
                {
                    self.stats.flows_evicted += 1;
                    self.end_udp(id);
                }
                let state = match self.registry.choose_ip(dg.protocol, dg.payload) {
                    Some(spec) => {
                        self.stats.sessions.add(spec.name, 1);
                        let mut dis = (spec.new)(&self.limits.dissector);
                        dis.addresses(dg.src, dg.dst);
                        UdpState::Active(spec.name, dis)
                    }
                    None => UdpState::Ignored,
                };
                self.udp.insert(Flow {
                    key,
                    client: Endpoint::new(dg.src, 0),
                    server: Endpoint::new(dg.dst, 0),
                    orientation: Orientation::Ports,
                    first_seen: pkt.ts,
                    last_seen: pkt.ts,
                    closed: false,
                    state,
                })
            }
        };
        self.conversation_datagram(fid, (dg.src, 0), dg.payload, pkt, raw, false);
    }

    /// A link-layer frame (see [`LinkFrame`]): a PPPoE session, an EAPOL link or an IS-IS
    /// router's PDUs to a group is a conversation of the two MAC addresses (EAPOL sent to
    /// a group address, as wired 802.1X does: of that address, its first sender and the
    /// next station that sends to it); a beacon's network name is remembered for the WPA
    /// handshakes of its BSSID.
    fn link(&mut self, f: &LinkFrame<'_>, pkt: Meta, raw: Option<&Packet<'_>>) {
        let (tag, payload) = match f.payload {
            LinkPayload::Ssid(ssid) => {
                if !self.ssids.iter().any(|(b, s)| *b == f.src && s == ssid) {
                    if self.ssids.len() >= MAX_SSIDS {
                        self.ssids.pop_front();
                    }
                    self.ssids.push_back((f.src, ssid.to_vec()));
                    self.name_eapol(f.src, ssid);
                }
                return;
            }
            LinkPayload::Pppoe { session, ppp } => (session, ppp),
            LinkPayload::Eapol(frame) => (0x888e, frame),
            LinkPayload::Isis(pdu) => (0xfefe, pdu),
        };
        // EAPOL to a group address: one conversation of the group (see above). IS-IS
        // routers each send to their group: a conversation of the router and the group.
        let group = f.dst[0] & 1 == 1 && matches!(f.payload, LinkPayload::Eapol(_));
        let (a, b) = if group {
            (f.dst, f.dst)
        } else {
            (f.src, f.dst)
        };
        let key = FlowKey::new(Transport::Link, (mac_ip(a), tag), (mac_ip(b), tag));
        let mut unnamed = false;
        let fid = match self.udp.lookup(&key) {
            Some(fid) => fid,
            None => {
                if self.udp.is_full()
                    && let Some((id, _)) = self.udp.least_recent()
                {
                    self.stats.flows_evicted += 1;
                    self.end_udp(id);
                }
                let state: (&'static str, Box<dyn DatagramDissector>) = match f.payload {
                    LinkPayload::Pppoe { session, .. } => {
                        ("pppoe", Box::new(crate::dissect::ppp::Pppoe::new(session)))
                    }
                    LinkPayload::Isis(_) => ("isis", Box::<crate::dissect::isis::Isis>::default()),
                    _ => {
                        let ssid = self
                            .ssids
                            .iter()
                            .rev()
                            .find(|(bssid, _)| *bssid == f.src || *bssid == f.dst)
                            .map(|(_, s)| s.clone());
                        unnamed = ssid.is_none();
                        let d = crate::dissect::eapol::Eapol::new(f.src, f.dst, ssid);
                        ("eapol", Box::new(d))
                    }
                };
                self.stats.sessions.add(state.0, 1);
                self.udp.insert(Flow {
                    key,
                    client: Endpoint::mac(f.src),
                    server: Endpoint::mac(f.dst),
                    orientation: Orientation::Ports,
                    first_seen: pkt.ts,
                    last_seen: pkt.ts,
                    closed: false,
                    state: UdpState::Active(state.0, state.1),
                })
            }
        };
        if unnamed {
            if self.unnamed_eapol.len() >= MAX_SSIDS {
                self.unnamed_eapol.pop_front();
            }
            self.unnamed_eapol.push_back((fid, [f.src, f.dst]));
        }
        if group
            && let Some(flow) = self.udp.get_mut(fid)
            && flow.server.mac == Some(f.dst)
            && flow.client.mac != Some(f.src)
        {
            // The other station talking to the group: the conversation's other side.
            flow.server = Endpoint::mac(f.src);
        }
        self.conversation_datagram(fid, (mac_ip(f.src), 0), payload, pkt, raw, false);
    }

    /// A frame named access point `bssid`'s network: the EAPOL conversations with it that
    /// began unnamed are told (their WPA findings wait for the name, see
    /// [`crate::dissect::eapol`]).
    fn name_eapol(&mut self, bssid: [u8; 6], ssid: &[u8]) {
        let mut i = 0;
        while i < self.unnamed_eapol.len() {
            let (fid, macs) = self.unnamed_eapol[i];
            if !macs.contains(&bssid) {
                i += 1;
                continue;
            }
            self.unnamed_eapol.remove(i);
            // The conversation may have ended and its slot gone to another.
            let Some(flow) = self.udp.get_mut(fid) else {
                continue;
            };
            let ours = [flow.client.mac, flow.server.mac]
                .iter()
                .all(|m| m.is_some_and(|m| macs.contains(&m)));
            let UdpState::Active("eapol", dis) = &mut flow.state else {
                continue;
            };
            if !ours {
                continue;
            }
            dis.network_named(bssid, ssid, &mut self.scratch);
            if !self.scratch.is_empty() {
                let (client, server) = (flow.client, flow.server);
                self.push_udp_findings(client, server);
            }
        }
    }

    /// A datagram of conversation `fid` from `src`: through its dissector (and the rules,
    /// for UDP), findings with this packet and the recent ones as evidence.
    #[inline(always)]
    fn conversation_datagram(
        &mut self,
        fid: FlowId,
        src: (IpAddr, u16),
        payload: &[u8],
        pkt: Meta,
        raw: Option<&Packet<'_>>,
        udp: bool,
    ) {
        self.udp.touch(fid, pkt.ts);
        let Some(flow) = self.udp.get_mut(fid) else {
            return;
        };
        let dir = flow.direction_from(src);
        let chunk = Chunk {
            data: payload,
            frame: pkt.frame,
            ts: pkt.ts,
        };
        let protocol = match &mut flow.state {
            UdpState::Active(name, dis) => {
                dis.datagram(dir, chunk, &mut self.scratch);
                Some(*name)
            }
            UdpState::Ignored => None,
        };
        let rules = self.registry.rules();
        if udp && !rules.is_empty() {
            StreamRules::datagram(
                rules,
                flow.server.port,
                protocol,
                dir,
                chunk,
                &mut self.scratch,
            );
        }
        if !self.scratch.is_empty() {
            let (client, server) = (flow.client, flow.server);
            // A datagram carries its credential whole: this packet is the evidence (and
            // the request a response completed, among the recent ones).
            let kept: Vec<CapturedPacket> =
                raw.map(CapturedPacket::from_packet).into_iter().collect();
            let recent = self.recent_udp.make_contiguous();
            let packets = self
                .scratch
                .iter()
                .map(|c| {
                    let mut p = evidence_of(recent, &c.frames);
                    p.extend(evidence_of(&kept, &c.frames));
                    p.sort_by_key(|p| p.frame);
                    p.dedup_by_key(|p| p.frame);
                    p
                })
                .collect();
            self.evidence.extend(kept);
            self.push_findings(client, server, packets);
        }
        if let Some(raw) = raw
            && raw.data.len() <= RECENT_UDP_PACKET
        {
            if self.recent_udp.len() >= RECENT_UDP {
                self.recent_udp.pop_front();
            }
            self.recent_udp.push_back(CapturedPacket::from_packet(raw));
        }
    }

    /// Ends conversation `id`: one of no known protocol is only dropped.
    fn end_udp(&mut self, id: FlowId) {
        if self
            .udp
            .get(id)
            .is_some_and(|f| matches!(f.state, UdpState::Ignored))
        {
            self.udp.discard(id);
        } else if let Some(mut flow) = self.udp.remove(id) {
            self.close_udp(&mut flow);
        }
    }

    fn close_udp(&mut self, flow: &mut Flow<UdpState>) {
        if let UdpState::Active(_, dis) = &mut flow.state {
            dis.close(&mut self.scratch);
        }
        flow.state = UdpState::Ignored;
        self.push_udp_findings(flow.client, flow.server);
    }

    /// Writes a UDP conversation's findings, each with the recent datagrams of its frames
    /// as evidence.
    fn push_udp_findings(&mut self, client: Endpoint, server: Endpoint) {
        let recent = self.recent_udp.make_contiguous();
        let packets = self
            .scratch
            .iter()
            .map(|c| evidence_of(recent, &c.frames))
            .collect();
        self.push_findings(client, server, packets);
    }

    /// Expires idle flows at most once per second of capture time (the check is made for
    /// most packets, the expiry about once a second: only the check is inlined).
    #[inline]
    fn expire_now_and_then(&mut self) {
        if self.now.secs_since(self.last_expiry) >= 1 {
            self.last_expiry = self.now;
            self.expire();
        }
    }

    #[inline(never)]
    fn expire(&mut self) {
        while let Some((id, f)) = self.udp.least_recent() {
            if self.now.secs_since(f.last_seen) <= self.limits.udp_timeout {
                break;
            }
            self.end_udp(id);
        }
        // Closed connections and open ones apart, each with its own timeout.
        while let Some((id, f)) = self.closed.least_recent() {
            if self.now.secs_since(f.last_seen) <= self.limits.closed_timeout {
                break;
            }
            self.closed.discard(id);
        }
        while let Some((id, f)) = self.flows.least_recent() {
            if self.now.secs_since(f.last_seen) <= self.limits.idle_timeout {
                break;
            }
            self.stats.flows_expired += 1;
            if let Some(mut flow) = self.flows.remove(id) {
                self.close(&mut flow);
            }
        }
    }

    /// Which side is the client when no handshake says so: the other side of a port where
    /// a protocol is expected, else the side with the higher port.
    fn guess_src_is_client(&self, src: (IpAddr, u16), dst: (IpAddr, u16)) -> bool {
        let r = &self.registry;
        match (r.is_service_port(src.1), r.is_service_port(dst.1)) {
            (false, true) => true,
            (true, false) => false,
            _ => src.1 >= dst.1,
        }
    }

    fn create(
        &mut self,
        key: FlowKey,
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
        seg: &TcpSegment<'_>,
        ts: Timestamp,
    ) -> FlowId {
        if self.flows.is_full()
            && let Some(mut old) = self.flows.pop_least_recent()
        {
            self.stats.flows_evicted += 1;
            self.close(&mut old);
        }
        let (src_is_client, orientation) = if seg.flags.syn {
            (!seg.flags.ack, Orientation::Handshake)
        } else {
            (self.guess_src_is_client(src, dst), Orientation::Ports)
        };
        let (c, s) = if src_is_client {
            (src, dst)
        } else {
            (dst, src)
        };
        self.stats.flows += 1;
        self.flows.insert(Flow {
            key,
            client: Endpoint::new(c.0, c.1),
            server: Endpoint::new(s.0, s.1),
            orientation,
            first_seen: ts,
            last_seen: ts,
            closed: false,
            state: TcpState {
                streams: [HalfStream::new(), HalfStream::new()],
                app: App::New {
                    fixed: orientation == Orientation::Handshake,
                },
                fin: [false; 2],
                inspected: [0; 2],
                found: false,
                app_memory: 0,
                evidence: Vec::new(),
                evidence_bytes: 0,
                rules: None,
                rule_findings: Vec::new(),
                dissector_secrets: Vec::new(),
                dissected: false,
                rules_want: [false; 2],
                app_touched: true,
            },
        })
    }

    /// A new SYN on an open 4-tuple that already carried data under another initial
    /// sequence number is a new connection (port reuse; on one that closed, any new SYN
    /// is).
    fn is_new_connection(f: &Flow<TcpState>, src: (IpAddr, u16), seq: u32) -> bool {
        let st = &f.state;
        let mine = &st.streams[f.direction_from(src).index()];
        let used = st.inspected.iter().any(|&n| n > 0)
            || st
                .streams
                .iter()
                .any(|s| s.delivered() > 0 || s.pending_bytes() > 0);
        used && mine.isn() != Some(seq)
    }

    fn tcp(&mut self, d: &Decoded<'_>, seg: &TcpSegment<'_>, pkt: Meta, raw: Option<&Packet<'_>>) {
        let src = (d.src, seg.src_port);
        let dst = (d.dst, seg.dst_port);
        let key = FlowKey::new(Transport::Tcp, src, dst);
        let mut id = self.flows.lookup(&key);
        if let Some(fid) = id
            && seg.flags.syn
            && !seg.flags.ack
            && self
                .flows
                .get(fid)
                .is_some_and(|f| Self::is_new_connection(f, src, seg.seq))
        {
            if let Some(mut old) = self.flows.remove(fid) {
                self.close(&mut old);
            }
            id = None;
        }
        let fid = match id {
            Some(fid) => fid,
            None => {
                if let Some(ended) = self.closed.lookup(&key) {
                    // A late packet of a connection that ended is ignored; a new SYN
                    // there is a new connection (port reuse).
                    if !seg.flags.syn || seg.flags.ack {
                        self.closed.touch(ended, pkt.ts);
                        return;
                    }
                    self.closed.discard(ended);
                }
                if !seg.flags.syn && seg.wire_len == 0 {
                    return;
                }
                let fid = self.create(key, src, dst, seg, pkt.ts);
                self.signed_segment(fid, d, seg, pkt, raw);
                fid
            }
        };
        self.flows.touch(fid, pkt.ts);
        let Some(flow) = self.flows.get_mut(fid) else {
            return;
        };
        let dir = flow.direction_from(src);
        let st = &mut flow.state;
        if let Some(raw) = raw
            && (st.found || !matches!(st.app, App::Ignored))
            && (!self.limits.lean_evidence
                || (!seg.payload.is_empty()
                    && (dir == Direction::ToServer || raw.data.len() <= LEAN_SERVER_PACKET)))
            && st.evidence_bytes + raw.data.len() <= self.limits.evidence_per_flow
        {
            if self.memory.evidence + raw.data.len() <= self.limits.max_evidence {
                self.memory.evidence += raw.data.len();
                st.evidence_bytes += raw.data.len();
                st.evidence.push(CapturedPacket::from_packet(raw));
            } else {
                self.stats.evidence_capped += 1;
            }
        }
        if seg.flags.syn {
            st.streams[dir.index()].syn(seg.seq);
        }
        if seg.flags.fin {
            st.fin[dir.index()] = true;
        }
        let mut reversed = false;
        if st.inspected_further() {
            if !seg.payload.is_empty()
                && !st.streams[dir.index()].passes_over(seg.seq, seg.wire_len)
                && d.tcp_checksum_ok() == Some(false)
            {
                self.stats.bad_tcp_checksums += 1;
            }
            let origin = Origin {
                frame: pkt.frame,
                ts: pkt.ts,
            };
            let before = st.streams[0].pending_bytes() + st.streams[1].pending_bytes();
            let mut env = DeliverEnv {
                registry: &self.registry,
                rule_set: self.registry.rules(),
                rule_out: &mut self.rule_scratch,
                config: &self.limits.dissector,
                server_port: flow.server.port,
                client_port: flow.client.port,
                out: &mut self.scratch,
                reversed: false,
                inspected: st.inspected,
                chosen: None,
                touched: false,
            };
            let stats = &mut self.stats.reassembly;
            let inspected_before = st.inspected;
            let TcpState {
                streams,
                app,
                rules,
                rules_want,
                app_touched,
                ..
            } = st;
            let [to_server, to_client] = streams;
            let (mine, other) = match dir {
                Direction::ToServer => (to_server, to_client),
                Direction::ToClient => (to_client, to_server),
            };
            let segment = Segment {
                seq: seg.seq,
                payload: seg.payload,
                wire_len: seg.wire_len,
                fin: seg.flags.fin,
                origin,
            };
            let cap = self.limits.max_flow_buffer;
            mine.segment(segment, cap, stats, &mut |dl| {
                deliver(app, rules, &mut env, dir, dl)
            });
            if seg.flags.ack {
                other.acknowledged(seg.ack, stats, &mut |dl| {
                    deliver(app, rules, &mut env, dir.opposite(), dl)
                });
            }
            if env.inspected != inspected_before {
                *rules_want = rules.as_ref().map_or([false; 2], |r| {
                    [
                        !r.direction_done(Direction::ToServer),
                        !r.direction_done(Direction::ToClient),
                    ]
                });
            }
            // Asked again only when something was delivered since (an answer does not
            // change otherwise: what it hands over is passed over already).
            let touched = *app_touched || env.touched;
            *app_touched = touched;
            if touched
                && !env.reversed
                && let App::Active(dis) = app
            {
                // Bytes the dissector only counts (message bodies) are passed over by
                // reassembly, unless the rules still look at that direction.
                for (d, stream) in [(dir, &mut *mine), (dir.opposite(), &mut *other)] {
                    if !rules_want[d.index()] {
                        let n = dis.skip(d);
                        if n > 0 {
                            stream.skip(n);
                        }
                    }
                }
                *app_touched = false;
            }
            env.touched = false;
            let after = mine.pending_bytes() + other.pending_bytes();
            let total = &mut self.memory.buffered;
            *total = (*total + after).saturating_sub(before);
            if *total > self.limits.max_total_buffer && after > 0 {
                self.stats.total_buffer_capped += 1;
                mine.flush(stats, &mut |dl| deliver(app, rules, &mut env, dir, dl));
                other.flush(stats, &mut |dl| {
                    deliver(app, rules, &mut env, dir.opposite(), dl)
                });
                *total = total.saturating_sub(after);
            }
            reversed = env.reversed;
            st.inspected = env.inspected;
            // Delivered by the flush above: asked again at the next packet.
            let flushed = env.touched;
            st.app_touched |= flushed;
            if let Some(name) = env.chosen {
                self.stats.sessions.add(name, 1);
            }
            if matches!(st.app, App::Active(_)) {
                st.dissected = true;
            }
            if !self.scratch.is_empty() {
                st.found = true;
                st.dissector_secrets
                    .extend(self.scratch.iter().map(secret_hash));
            }
            if !self.rule_scratch.is_empty() {
                if st.dissected {
                    // Held to the end of the flow, to be checked against the dissector.
                    st.rule_findings.append(&mut self.rule_scratch);
                } else {
                    st.found = true;
                    self.scratch.append(&mut self.rule_scratch);
                }
            }
            app_layer_limits(
                st,
                touched || flushed,
                &self.limits,
                &mut self.stats,
                &mut self.memory,
                &mut self.scratch,
            );
        }
        if reversed {
            std::mem::swap(&mut flow.client, &mut flow.server);
            flow.state.streams.swap(0, 1);
            flow.state.fin.swap(0, 1);
        }
        let ended = seg.flags.rst
            || (flow.state.fin[0]
                && flow.state.fin[1]
                && flow.state.streams.iter().all(|s| s.pending_bytes() == 0));
        self.emit_scratch(fid);
        if ended && let Some(mut flow) = self.flows.remove(fid) {
            self.close(&mut flow);
            // Remembered a while so late packets of this connection are ignored.
            if self.closed.is_full()
                && let Some((oldest, _)) = self.closed.least_recent()
            {
                self.closed.discard(oldest);
                self.stats.closed_forgotten += 1;
            }
            self.closed.insert(flow.with_state(()));
        }
    }

    /// Turns the credentials dissectors reported into findings of flow `fid`.
    fn emit_scratch(&mut self, fid: FlowId) {
        if self.scratch.is_empty() {
            return;
        }
        let Some(flow) = self.flows.get(fid) else {
            self.scratch.clear();
            return;
        };
        let (client, server) = (flow.client, flow.server);
        let packets: Vec<Vec<CapturedPacket>> = self
            .scratch
            .iter()
            .map(|c| evidence_of(&flow.state.evidence, &c.frames))
            .collect();
        self.push_findings(client, server, packets);
    }

    /// Findings of the credentials in `scratch`, each with its packets (when kept).
    fn push_findings(
        &mut self,
        client: Endpoint,
        server: Endpoint,
        packets: Vec<Vec<CapturedPacket>>,
    ) {
        let mut packets = packets.into_iter();
        for c in self.scratch.drain(..) {
            self.stats.findings += 1;
            let (client, server) = if c.sent_by_server {
                (server, client)
            } else {
                (client, server)
            };
            self.findings.push(Finding {
                credential: c,
                client,
                server,
                source: self.source.clone(),
                packets: packets.next().unwrap_or_default(),
            });
        }
    }

    /// Ends a flow: what reassembly still holds is delivered (holes as gaps, both
    /// directions merged in capture order), then the dissector reports what is pending.
    fn close(&mut self, flow: &mut Flow<TcpState>) {
        if flow.closed {
            return;
        }
        flow.closed = true;
        let st = &mut flow.state;
        if st.inspected_further() {
            let mut env = DeliverEnv {
                registry: &self.registry,
                rule_set: self.registry.rules(),
                rule_out: &mut self.rule_scratch,
                config: &self.limits.dissector,
                server_port: flow.server.port,
                client_port: flow.client.port,
                out: &mut self.scratch,
                reversed: false,
                inspected: st.inspected,
                chosen: None,
                touched: false,
            };
            // Each direction's remaining deliveries, merged by frame.
            let mut lists: [Vec<Flushed>; 2] = [Vec::new(), Vec::new()];
            for (s, list) in st.streams.iter_mut().zip(lists.iter_mut()) {
                s.flush(&mut self.stats.reassembly, &mut |dl| match dl {
                    Delivery::Data(b, origin) => list.push(Flushed {
                        data: Some(b.to_vec()),
                        gap: 0,
                        origin,
                    }),
                    Delivery::Gap(gap) => list.push(Flushed {
                        data: None,
                        gap,
                        origin: Origin {
                            frame: 0,
                            ts: Timestamp::ZERO,
                        },
                    }),
                });
            }
            let [a, b] = lists;
            let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
            loop {
                let pick_a = match (a.peek(), b.peek()) {
                    (None, None) => break,
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (Some(x), Some(y)) => {
                        x.data.is_none() || (y.data.is_some() && x.origin.frame <= y.origin.frame)
                    }
                };
                let (dir, item) = if pick_a {
                    (Direction::ToServer, a.next())
                } else {
                    (Direction::ToClient, b.next())
                };
                let Some(item) = item else { break };
                let dl = match &item.data {
                    Some(bytes) => Delivery::Data(bytes, item.origin),
                    None => Delivery::Gap(item.gap),
                };
                deliver(&mut st.app, &mut st.rules, &mut env, dir, dl);
            }
            // The directions whose sender closed them (as the flow's sides stand now).
            let ended = [Direction::ToServer, Direction::ToClient]
                .map(|d| st.fin[d.index()] && st.streams[d.index()].finished());
            let end = |dis: &mut dyn Dissector, reversed: bool, out: &mut Vec<Credential>| {
                for d in [Direction::ToServer, Direction::ToClient] {
                    if ended[d.index()] {
                        dis.end(if reversed { d.opposite() } else { d }, out);
                    }
                }
            };
            match &mut st.app {
                App::Detecting(det) => {
                    let verdict = det.decide(env.registry, env.server_port, env.client_port, true);
                    match verdict {
                        Verdict::Chosen { spec, reversed } => {
                            let spec = env.registry.spec(spec);
                            env.chosen = Some(spec.name);
                            start_rules(&mut st.rules, &mut env, Some(spec.name), det, reversed);
                            let mut dis = (spec.new)(env.config);
                            det.replay(&mut *dis, reversed, env.out);
                            end(&mut *dis, reversed, env.out);
                            dis.close(env.out);
                            env.reversed = reversed;
                            st.dissected = true;
                        }
                        _ => start_rules(&mut st.rules, &mut env, None, det, false),
                    }
                }
                App::Active(dis) => {
                    end(&mut **dis, false, env.out);
                    dis.close(env.out);
                }
                App::New { .. } | App::Ignored => {}
            }
            if let Some(r) = st.rules.as_mut() {
                r.close(env.rule_set, env.rule_out);
            }
            if env.reversed {
                std::mem::swap(&mut flow.client, &mut flow.server);
            }
            if let Some(name) = env.chosen {
                self.stats.sessions.add(name, 1);
            }
        }
        // Rule findings the dissector did not already report.
        let st = &mut flow.state;
        st.dissector_secrets
            .extend(self.scratch.iter().map(secret_hash));
        let held = std::mem::take(&mut st.rule_findings);
        for c in held.into_iter().chain(self.rule_scratch.drain(..)) {
            if !already_reported(&st.dissector_secrets, &c) {
                self.scratch.push(c);
            }
        }
        let (client, server) = (flow.client, flow.server);
        let packets: Vec<Vec<CapturedPacket>> = self
            .scratch
            .iter()
            .map(|c| evidence_of(&flow.state.evidence, &c.frames))
            .collect();
        if !self.scratch.is_empty() {
            flow.state.found = true;
        }
        self.push_findings(client, server, packets);
        drop_app(&mut flow.state, &mut self.memory, &mut self.stats);
        if flow.state.found && !flow.state.evidence.is_empty() {
            self.memory.evidence = self
                .memory
                .evidence
                .saturating_sub(flow.state.evidence_bytes);
            self.evidence.append(&mut flow.state.evidence);
            flow.state.evidence_bytes = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{Flags, Link, TcpConversation};

    /// The findings and counters of `packets` through one engine.
    fn scan(packets: &[crate::synth::SynthPacket], limits: Limits) -> (Vec<Finding>, Stats) {
        let registry = Arc::new(Registry::builtin());
        let mut engine = Engine::new(registry, limits, "test".into());
        let frames: Vec<Vec<u8>> = packets
            .iter()
            .map(|p| Link::Ethernet.frame(&p.ip))
            .collect();
        for (i, (p, data)) in packets.iter().zip(&frames).enumerate() {
            engine.packet(&Packet {
                frame: i as u64 + 1,
                ts: p.ts,
                linktype: Link::Ethernet.linktype(),
                data,
                orig_len: data.len() as u32,
            });
        }
        engine.finish();
        let found = engine.drain_findings().collect();
        (found, engine.stats())
    }

    /// A connection that ended leaves the open flows' table for a small entry of its own:
    /// its late packets are still ignored (a retransmitted password is not a new flow's
    /// login), a new SYN on the same 4-tuple is a new connection, and once
    /// `closed_timeout` has passed the 4-tuple is forgotten.
    #[test]
    fn an_ended_connection_is_remembered_apart_from_the_open_ones() {
        let client: std::net::SocketAddr = "10.0.0.7:40100".parse().unwrap();
        let server: std::net::SocketAddr = "10.0.0.8:21".parse().unwrap();
        let login = |c: &mut TcpConversation, pass: &[u8]| {
            c.handshake();
            c.server(b"220 ready\r\n");
            c.client(b"USER ann\r\n");
            c.server(b"331 password\r\n");
            c.client(pass);
            c.server(b"230 ok\r\n");
        };
        let t0 = Timestamp::new(1_700_000_000, 0);
        let mut first = TcpConversation::new(client, server).starting_at(t0);
        login(&mut first, b"PASS first\r\n");
        let (late_seq, late_ack) = (first.next_seq(true), first.next_seq(false));
        first.close();
        let after_close = first.packets().len();
        // 5 s later: a retransmission of data the connection never carried.
        first.wait(5);
        let data = Flags {
            ack: true,
            psh: true,
            ..Flags::default()
        };
        first.raw(true, late_seq, data, b"USER bob\r\nPASS late\r\n");
        first.raw(false, late_ack, data, b"230 ok\r\n");
        let mut again = TcpConversation::new(client, server)
            .isns(7_000_000, 9_000_000)
            .starting_at(Timestamp::new(t0.secs + 10, 0));
        login(&mut again, b"PASS second\r\n");
        again.close();
        let mut packets = first.into_packets();
        packets.extend(again.into_packets());
        let registry = Arc::new(Registry::builtin());
        let mut engine = FlowEngine::new(registry, Limits::default(), "test".into());
        let mut secrets = Vec::new();
        for (i, p) in packets.iter().enumerate() {
            let frame = Link::Ethernet.frame(&p.ip);
            let pkt = Packet {
                frame: i as u64 + 1,
                ts: p.ts,
                linktype: Link::Ethernet.linktype(),
                data: &frame,
                orig_len: frame.len() as u32,
            };
            let d = crate::decode::decode_stateless(&pkt);
            engine.decoded(
                d.get().unwrap(),
                Meta {
                    frame: pkt.frame,
                    ts: p.ts,
                },
                None,
            );
            if i + 1 == after_close {
                assert_eq!(
                    engine.flows(),
                    0,
                    "the ended connection is still an open flow"
                );
                assert_eq!(engine.core.closed.len(), 1);
            }
            secrets.extend(engine.drain_findings().map(|f| f.credential.secret));
        }
        engine.finish();
        secrets.extend(engine.drain_findings().map(|f| f.credential.secret));
        let secrets: Vec<_> = secrets.into_iter().flatten().collect();
        assert_eq!(secrets, vec![b"first".to_vec(), b"second".to_vec()]);
        // 31 s after the second connection ended, its 4-tuple is forgotten.
        assert_eq!(engine.core.closed.len(), 1);
        engine.advance(Timestamp::new(t0.secs + 50, 0));
        assert_eq!(engine.core.closed.len(), 0);
    }

    /// Ended connections are remembered up to a quarter as many as open flows; past that
    /// the oldest are forgotten, and counted.
    #[test]
    fn ended_connections_past_their_table_are_forgotten_and_counted() {
        let mut packets = Vec::new();
        for port in 0..40u16 {
            let mut c = TcpConversation::new(
                std::net::SocketAddr::from(([10, 0, 1, 1], 41000 + port)),
                "10.0.1.2:80".parse().unwrap(),
            );
            c.handshake();
            c.close();
            packets.extend(c.into_packets());
        }
        let limits = Limits {
            max_flows: 64,
            ..Limits::default()
        };
        let (_, stats) = scan(&packets, limits);
        assert_eq!(stats.flows, 40);
        assert_eq!(stats.flows_evicted, 0);
        assert_eq!(stats.closed_forgotten, 40 - 16);
    }

    /// A download on `client_port`: the handshake and the request, ready for the response.
    fn download(client_port: u16) -> TcpConversation {
        let mut c = TcpConversation::new(
            std::net::SocketAddr::from(([10, 0, 0, 1], client_port)),
            "10.0.0.2:80".parse().unwrap(),
        );
        c.handshake();
        c.client(b"GET /big HTTP/1.1\r\nHost: files\r\n\r\n");
        c
    }

    /// The server sends `len` bytes (of a body) in segments of at most 1500, or leaves
    /// them out of the capture (`lost`).
    fn server_bytes(c: &mut TcpConversation, len: usize, lost: bool) {
        if lost {
            let next = c.next_seq(false);
            c.set_seq(false, next.wrapping_add(len as u32));
            return;
        }
        for at in (0..len).step_by(1500) {
            c.server(&vec![b'x'; (len - at).min(1500)]);
        }
    }

    /// The body of a download is passed over, not inspected: the dissector is asked for
    /// the bytes it only counts when a packet delivered something to it (the response's
    /// header here), and not again for the packets of the body, which deliver nothing.
    /// Were it not asked after the header, the body would be delivered: the segment lost
    /// inside it would be a gap, and the flow would stop at `max_inspect`, before the
    /// login that follows on the connection.
    #[test]
    fn a_body_is_passed_over_though_its_packets_do_not_ask_the_dissector() {
        let mut c = download(40000);
        let body = 300_000;
        c.server(format!("HTTP/1.1 200 OK\r\nContent-Length: {body}\r\n\r\n").as_bytes());
        server_bytes(&mut c, 150_000, false);
        server_bytes(&mut c, 1500, true);
        server_bytes(&mut c, body - 151_500, false);
        // alice:s3cret
        c.client(b"GET /private HTTP/1.1\r\nHost: files\r\nAuthorization: Basic YWxpY2U6czNjcmV0\r\n\r\n");
        c.server(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        c.close();
        let limits = Limits {
            max_inspect: 64 * 1024,
            ..Limits::default()
        };
        let (found, stats) = scan(c.packets(), limits);
        assert_eq!(stats.inspect_capped, 0, "the body was inspected");
        assert_eq!(stats.reassembly.gaps, 0, "the hole in the body was a gap");
        assert_eq!(found.len(), 1, "{found:?}");
        let cred = &found[0].credential;
        assert_eq!(cred.username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(cred.secret.as_deref(), Some(&b"s3cret"[..]));
    }

    /// A response header that reassembly delivers by flushing its buffers (the header
    /// waited behind a lost segment, and out-of-order bytes hit their cap) is followed by
    /// the dissector being asked at the next packet — here a bare acknowledgement, which
    /// delivers nothing: the body is passed over from there, and the segment it then loses
    /// is no gap. Were the flush not counted as a delivery, the lost segment would be a
    /// second gap.
    #[test]
    fn a_header_delivered_by_a_flush_is_followed_by_the_question() {
        let mut c = download(40001);
        // Lost from the capture: an interim response.
        server_bytes(&mut c, b"HTTP/1.1 100 Continue\r\n\r\n".len(), true);
        let body = 300_000;
        let mut first = format!("HTTP/1.1 200 OK\r\nContent-Length: {body}\r\n\r\n").into_bytes();
        first.extend_from_slice(&[b'x'; 1400]);
        c.server(&first);
        // Lost too, right after.
        server_bytes(&mut c, 1500, true);
        server_bytes(&mut c, body - 2900, false);
        c.close();
        let limits = Limits {
            max_total_buffer: 1024,
            ..Limits::default()
        };
        let (_, stats) = scan(c.packets(), limits);
        assert!(stats.total_buffer_capped > 0, "no flush");
        assert_eq!(stats.reassembly.gaps, 1, "the lost body segment was a gap");
    }
}
