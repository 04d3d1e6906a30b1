//! The scanning engine: packets in, findings out. It decodes each packet, finds its flow,
//! reassembles TCP, chooses the protocol of each flow and feeds its dissector, and keeps
//! memory bounded with caps, eviction and idle expiry.

use std::sync::Arc;

use crate::capture::Packet;
use crate::decode::{self, Decoded, Skip, TcpSegment, Transport as L4};
use crate::dissect::detect::{Detector, Registry, Verdict};
use crate::dissect::{Chunk, Dissector};
use crate::finding::{Credential, Endpoint, Finding};
use crate::flow::reassembly::{Delivery, HalfStream, Origin, ReassemblyStats, Segment};
use crate::flow::{Direction, Flow, FlowId, FlowKey, FlowTable, Orientation, Transport};
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
    /// Bytes a dissector inspects per flow (both directions) without finding a login
    /// before the flow is no longer inspected.
    pub max_inspect: u64,
    /// Seconds (capture time) after which an idle open flow is expired.
    pub idle_timeout: u64,
    /// Seconds a closed flow is remembered, so late packets do not open a new one.
    pub closed_timeout: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_flows: 262_144,
            max_flow_buffer: 1 << 20,
            max_total_buffer: 128 << 20,
            max_inspect: 1 << 20,
            idle_timeout: 600,
            closed_timeout: 30,
        }
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
    pub fragments: u64,
    pub unsupported_linktype: u64,
    /// TCP segments inspected whose checksum is wrong (kept all the same).
    pub bad_tcp_checksums: u64,
    pub flows: u64,
    /// Flows evicted because the flow table was full.
    pub flows_evicted: u64,
    /// Open flows expired after being idle.
    pub flows_expired: u64,
    /// Flows whose inspection stopped at the inspection cap.
    pub inspect_capped: u64,
    /// Times a flow gave up on a hole because the total buffer cap was reached.
    pub total_buffer_capped: u64,
    pub reassembly: ReassemblyStats,
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
        self.fragments += o.fragments;
        self.unsupported_linktype += o.unsupported_linktype;
        self.bad_tcp_checksums += o.bad_tcp_checksums;
        self.flows += o.flows;
        self.flows_evicted += o.flows_evicted;
        self.flows_expired += o.flows_expired;
        self.inspect_capped += o.inspect_capped;
        self.total_buffer_capped += o.total_buffer_capped;
        add_reassembly(&mut self.reassembly, &o.reassembly);
        self.findings += o.findings;
    }
}

fn add_reassembly(a: &mut ReassemblyStats, b: &ReassemblyStats) {
    a.retransmitted += b.retransmitted;
    a.conflicts += b.conflicts;
    a.out_of_order += b.out_of_order;
    a.gaps += b.gaps;
    a.gap_bytes += b.gap_bytes;
    a.out_of_window += b.out_of_window;
}

/// What the application layer of a flow is doing.
enum App {
    /// Protocol not known yet.
    Detecting(Box<Detector>),
    Active(Box<dyn Dissector>),
    /// Nothing (more) to look at.
    Ignored,
}

/// Per-flow state above the flow table.
struct TcpState {
    /// Indexed by [`Direction`]: bytes to the server, bytes to the client.
    streams: [HalfStream; 2],
    app: App,
    fin: [bool; 2],
    inspected: u64,
    found: bool,
}

/// Where delivered bytes go, and what they need.
struct DeliverEnv<'a> {
    registry: &'a Registry,
    server_port: u16,
    client_port: u16,
    out: &'a mut Vec<Credential>,
    /// Detection decided the flow is the other way round.
    reversed: bool,
    inspected: u64,
}

fn deliver(app: &mut App, env: &mut DeliverEnv<'_>, dir: Direction, d: Delivery<'_>) {
    let dir = if env.reversed { dir.opposite() } else { dir };
    match app {
        App::Ignored => {}
        App::Active(dis) => match d {
            Delivery::Data(data, o) => {
                env.inspected += data.len() as u64;
                dis.data(
                    dir,
                    Chunk {
                        data,
                        frame: o.frame,
                        ts: o.ts,
                    },
                    env.out,
                );
            }
            Delivery::Gap(n) => dis.gap(dir, n, env.out),
        },
        App::Detecting(det) => {
            let mut rest: Option<(&[u8], Origin)> = None;
            match d {
                Delivery::Data(data, o) => {
                    env.inspected += data.len() as u64;
                    let kept = det.data(
                        dir,
                        Chunk {
                            data,
                            frame: o.frame,
                            ts: o.ts,
                        },
                    );
                    if kept < data.len() {
                        rest = Some((&data[kept..], o));
                    }
                }
                Delivery::Gap(n) => det.gap(dir, n),
            }
            match det.decide(
                env.registry,
                env.server_port,
                env.client_port,
                rest.is_some(),
            ) {
                Verdict::Wait => {}
                Verdict::Nothing => *app = App::Ignored,
                Verdict::Chosen { spec, reversed } => {
                    let mut dis = (env.registry.spec(spec).new)();
                    det.replay(&mut *dis, reversed, env.out);
                    if let Some((data, o)) = rest {
                        let dir = if reversed { dir.opposite() } else { dir };
                        dis.data(
                            dir,
                            Chunk {
                                data,
                                frame: o.frame,
                                ts: o.ts,
                            },
                            env.out,
                        );
                    }
                    env.reversed = reversed;
                    *app = App::Active(dis);
                }
            }
        }
    }
}

/// A delivery copied out of reassembly when a flow ends: bytes (or a gap of `.1` bytes)
/// and where they came from.
type Flushed = (Option<Vec<u8>>, u64, Origin);

/// The scanning engine for one capture source.
pub struct Engine {
    limits: Limits,
    registry: Arc<Registry>,
    flows: FlowTable<TcpState>,
    stats: Stats,
    source: Arc<str>,
    scratch: Vec<Credential>,
    findings: Vec<Finding>,
    now: Timestamp,
    last_expiry: Timestamp,
    /// Out-of-order bytes buffered over all flows.
    buffered: usize,
}

impl Engine {
    pub fn new(registry: Arc<Registry>, limits: Limits, source: Arc<str>) -> Engine {
        Engine {
            limits,
            registry,
            flows: FlowTable::new(limits.max_flows),
            stats: Stats::default(),
            source,
            scratch: Vec::new(),
            findings: Vec::new(),
            now: Timestamp::ZERO,
            last_expiry: Timestamp::ZERO,
            buffered: 0,
        }
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Findings completed since the last call.
    pub fn drain_findings(&mut self) -> std::vec::Drain<'_, Finding> {
        self.findings.drain(..)
    }

    /// Processes one captured packet.
    pub fn packet(&mut self, pkt: &Packet<'_>) {
        self.stats.packets += 1;
        self.stats.bytes += pkt.data.len() as u64;
        if pkt.ts > self.now {
            self.now = pkt.ts;
        }
        match decode::decode(pkt) {
            Ok(d) => match d.transport {
                L4::Tcp(seg) => {
                    self.stats.tcp_segments += 1;
                    self.tcp(&d, &seg, pkt);
                }
                L4::Udp(_) => self.stats.udp_datagrams += 1,
            },
            Err(Skip::NotTcpUdp) => self.stats.other_packets += 1,
            Err(Skip::Malformed) => self.stats.malformed += 1,
            Err(Skip::Fragment) => self.stats.fragments += 1,
            Err(Skip::UnsupportedLinkType) => self.stats.unsupported_linktype += 1,
        }
        if self.now.secs_since(self.last_expiry) >= 1 {
            self.last_expiry = self.now;
            self.expire();
        }
    }

    /// End of input: every flow is flushed through its dissector and closed.
    pub fn finish(&mut self) {
        while let Some(mut flow) = self.flows.pop_least_recent() {
            self.close(&mut flow);
        }
    }

    fn expire(&mut self) {
        while let Some((id, f)) = self.flows.least_recent() {
            let timeout = if f.closed {
                self.limits.closed_timeout
            } else {
                self.limits.idle_timeout
            };
            if self.now.secs_since(f.last_seen) <= timeout {
                break;
            }
            if !f.closed {
                self.stats.flows_expired += 1;
            }
            if let Some(mut flow) = self.flows.remove(id) {
                self.close(&mut flow);
            }
        }
    }

    /// Which side is the server when no handshake says so: a port where a protocol is
    /// expected, else the lower port.
    fn guess_client(&self, src: (std::net::IpAddr, u16), dst: (std::net::IpAddr, u16)) -> bool {
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
        src: (std::net::IpAddr, u16),
        dst: (std::net::IpAddr, u16),
        seg: &TcpSegment<'_>,
        ts: Timestamp,
    ) -> FlowId {
        if self.flows.is_full()
            && let Some(mut old) = self.flows.pop_least_recent()
        {
            if !old.closed {
                self.stats.flows_evicted += 1;
            }
            self.close(&mut old);
        }
        let (src_is_client, orientation) = if seg.flags.syn {
            (!seg.flags.ack, Orientation::Handshake)
        } else {
            (self.guess_client(src, dst), Orientation::Ports)
        };
        let (c, s) = if src_is_client {
            (src, dst)
        } else {
            (dst, src)
        };
        self.stats.flows += 1;
        self.flows.insert(Flow {
            key,
            client: Endpoint { ip: c.0, port: c.1 },
            server: Endpoint { ip: s.0, port: s.1 },
            orientation,
            first_seen: ts,
            last_seen: ts,
            closed: false,
            state: TcpState {
                streams: [HalfStream::new(), HalfStream::new()],
                app: App::Detecting(Box::new(Detector::new(
                    &self.registry,
                    orientation == Orientation::Handshake,
                ))),
                fin: [false; 2],
                inspected: 0,
                found: false,
            },
        })
    }

    fn tcp(&mut self, d: &Decoded<'_>, seg: &TcpSegment<'_>, pkt: &Packet<'_>) {
        let src = (d.src, seg.src_port);
        let dst = (d.dst, seg.dst_port);
        let key = FlowKey::new(Transport::Tcp, src, dst);
        let mut id = self.flows.lookup(&key);
        if let Some(fid) = id
            && seg.flags.syn
            && !seg.flags.ack
            && let Some(f) = self.flows.get(fid)
        {
            // A new SYN on a 4-tuple that closed, or that already carried data with
            // another initial sequence number, starts a new connection (port reuse).
            let st = &f.state;
            let mine = &st.streams[f.direction_from(src).index()];
            let used = st
                .streams
                .iter()
                .any(|s| s.delivered() > 0 || s.pending_bytes() > 0);
            if f.closed || (used && mine.isn() != Some(seg.seq)) {
                if let Some(mut old) = self.flows.remove(fid) {
                    self.close(&mut old);
                }
                id = None;
            }
        }
        let fid = match id {
            Some(fid) => fid,
            None => {
                if !seg.flags.syn && seg.wire_len == 0 {
                    return;
                }
                self.create(key, src, dst, seg, pkt.ts)
            }
        };
        self.flows.touch(fid, pkt.ts);
        let Some(flow) = self.flows.get_mut(fid) else {
            return;
        };
        if flow.closed {
            return;
        }
        let dir = flow.direction_from(src);
        let st = &mut flow.state;
        if seg.flags.syn {
            st.streams[dir.index()].syn(seg.seq);
        }
        if seg.flags.fin {
            st.fin[dir.index()] = true;
        }
        let mut reversed = false;
        if !matches!(st.app, App::Ignored) {
            if !seg.payload.is_empty() && d.tcp_checksum_ok() == Some(false) {
                self.stats.bad_tcp_checksums += 1;
            }
            let origin = Origin {
                frame: pkt.frame,
                ts: pkt.ts,
            };
            let before = st.streams[0].pending_bytes() + st.streams[1].pending_bytes();
            let mut env = DeliverEnv {
                registry: &self.registry,
                server_port: flow.server.port,
                client_port: flow.client.port,
                out: &mut self.scratch,
                reversed: false,
                inspected: 0,
            };
            let TcpState { streams, app, .. } = st;
            let [to_server, to_client] = streams;
            let (mine, other) = match dir {
                Direction::ToServer => (to_server, to_client),
                Direction::ToClient => (to_client, to_server),
            };
            mine.segment(
                Segment {
                    seq: seg.seq,
                    payload: seg.payload,
                    wire_len: seg.wire_len,
                    fin: seg.flags.fin,
                    origin,
                },
                self.limits.max_flow_buffer,
                &mut |dl| deliver(app, &mut env, dir, dl),
            );
            if seg.flags.ack {
                other.acknowledged(seg.ack, &mut |dl| {
                    deliver(app, &mut env, dir.opposite(), dl)
                });
            }
            let after = mine.pending_bytes() + other.pending_bytes();
            self.buffered = (self.buffered + after).saturating_sub(before);
            if self.buffered > self.limits.max_total_buffer {
                self.stats.total_buffer_capped += 1;
                let freed = after;
                mine.flush(&mut |dl| deliver(app, &mut env, dir, dl));
                other.flush(&mut |dl| deliver(app, &mut env, dir.opposite(), dl));
                self.buffered = self.buffered.saturating_sub(freed);
            }
            reversed = env.reversed;
            st.inspected += env.inspected;
            if !self.scratch.is_empty() {
                st.found = true;
            }
            match &mut st.app {
                App::Active(dis) if dis.done() => {
                    dis.close(&mut self.scratch);
                    st.app = App::Ignored;
                }
                App::Active(dis) if !st.found && st.inspected > self.limits.max_inspect => {
                    self.stats.inspect_capped += 1;
                    dis.close(&mut self.scratch);
                    st.app = App::Ignored;
                }
                _ => {}
            }
            if matches!(st.app, App::Ignored) {
                let pending = st.streams[0].pending_bytes() + st.streams[1].pending_bytes();
                self.buffered = self.buffered.saturating_sub(pending);
                add_reassembly(&mut self.stats.reassembly, &st.streams[0].stats);
                add_reassembly(&mut self.stats.reassembly, &st.streams[1].stats);
                st.streams = [HalfStream::new(), HalfStream::new()];
            }
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
            // Keep a closed entry so late packets of this connection are ignored.
            flow.closed = true;
            let fid = self.flows.insert(flow);
            let _ = fid;
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
        for c in self.scratch.drain(..) {
            self.stats.findings += 1;
            self.findings.push(Finding {
                credential: c,
                client,
                server,
                source: self.source.clone(),
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
        let pending = st.streams[0].pending_bytes() + st.streams[1].pending_bytes();
        self.buffered = self.buffered.saturating_sub(pending);
        let mut env = DeliverEnv {
            registry: &self.registry,
            server_port: flow.server.port,
            client_port: flow.client.port,
            out: &mut self.scratch,
            reversed: false,
            inspected: 0,
        };
        if !matches!(st.app, App::Ignored) {
            // Collect each direction's remaining deliveries, then merge them by frame.
            let mut lists: [Vec<Flushed>; 2] = [Vec::new(), Vec::new()];
            for (i, s) in st.streams.iter_mut().enumerate() {
                let list = &mut lists[i];
                s.flush(&mut |dl| match dl {
                    Delivery::Data(b, o) => list.push((Some(b.to_vec()), 0, o)),
                    Delivery::Gap(n) => list.push((
                        None,
                        n,
                        Origin {
                            frame: 0,
                            ts: Timestamp::ZERO,
                        },
                    )),
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
                        x.0.is_none() || (y.0.is_some() && x.2.frame <= y.2.frame)
                    }
                };
                let (dir, item) = if pick_a {
                    (Direction::ToServer, a.next())
                } else {
                    (Direction::ToClient, b.next())
                };
                let Some((data, gap, origin)) = item else {
                    break;
                };
                let dl = match &data {
                    Some(bytes) => Delivery::Data(bytes, origin),
                    None => Delivery::Gap(gap),
                };
                deliver(&mut st.app, &mut env, dir, dl);
            }
            match &mut st.app {
                App::Detecting(det) => {
                    if let Verdict::Chosen { spec, reversed } =
                        det.decide(env.registry, env.server_port, env.client_port, true)
                    {
                        let mut dis = (env.registry.spec(spec).new)();
                        det.replay(&mut *dis, reversed, env.out);
                        dis.close(env.out);
                        env.reversed = reversed;
                    }
                }
                App::Active(dis) => dis.close(env.out),
                App::Ignored => {}
            }
            st.app = App::Ignored;
        }
        if env.reversed {
            std::mem::swap(&mut flow.client, &mut flow.server);
        }
        add_reassembly(&mut self.stats.reassembly, &st.streams[0].stats);
        add_reassembly(&mut self.stats.reassembly, &st.streams[1].stats);
        st.streams = [HalfStream::new(), HalfStream::new()];
        let (client, server) = (flow.client, flow.server);
        for c in self.scratch.drain(..) {
            self.stats.findings += 1;
            self.findings.push(Finding {
                credential: c,
                client,
                server,
                source: self.source.clone(),
            });
        }
    }
}
