//! Choosing a flow's protocol by content and port.
//!
//! Until a protocol is chosen, a flow's first bytes (up to [`PREFIX_LIMIT`] per direction)
//! are kept, interleaved as they arrived. Every candidate protocol's probe looks at them
//! after each new run of bytes:
//! 1. a probe that says Yes for a protocol whose well-known port the server uses wins;
//! 2. otherwise any Yes wins (content beats ports: FTP on 2121 is found by its banner);
//! 3. otherwise the port's protocol wins once both sides have spoken (or enough bytes
//!    arrived) and its probe has not said No;
//! 4. when the sides were guessed from ports, the probes also look at the flow the other
//!    way round, and a Yes there turns the flow around;
//! 5. when every probe said No the flow is of no interest and is no longer inspected.
//!
//! The chosen dissector is then replayed the kept bytes, so it misses nothing.

use std::collections::HashMap;

use super::{Chunk, DatagramSpec, Dissector, Probe, ProtocolSpec};
use crate::finding::Credential;
use crate::flow::Direction;
use crate::flow::reassembly::Origin;
use crate::rules::{KnownProtocols, RuleSet, RuleTransport};

/// Bytes kept per direction while the protocol is unknown.
pub const PREFIX_LIMIT: usize = 4096;
/// Bytes after which the port's protocol is chosen even if only one side spoke.
const PORT_CONTEXT: usize = 512;

/// Protocols (bits) by port: asked for every new flow and UDP conversation, with a fast
/// hash (the ports are the user's and the shipped maps', not the traffic's).
type PortMap = HashMap<u16, u64, foldhash::fast::FixedState>;

/// The known protocols and the ports they are expected on.
#[derive(Clone, Debug)]
pub struct Registry {
    specs: Vec<ProtocolSpec>,
    by_port: PortMap,
    /// The UDP protocols, those content alone can choose first.
    udp: Vec<DatagramSpec>,
    /// How many of them content alone can choose (the others are read on their ports).
    udp_by_content: usize,
    udp_by_port: PortMap,
    /// Data-driven detectors (the `rules/` folder and the user's).
    rules: RuleSet,
}

/// Unknown protocol name given to [`Registry::add_port`].
#[derive(Debug, thiserror::Error)]
#[error("no built-in dissector is named {0:?}")]
pub struct UnknownProtocol(pub String);

impl Registry {
    pub fn new(specs: Vec<ProtocolSpec>, mut udp: Vec<DatagramSpec>) -> Registry {
        assert!(specs.len() <= 64 && udp.len() <= 64, "at most 64 protocols");
        // Stable: probes run in the order given, content-chosen ones first.
        udp.sort_by_key(|s| !s.by_content);
        let udp_by_content = udp.iter().filter(|s| s.by_content).count();
        let mut by_port = PortMap::default();
        for (i, s) in specs.iter().enumerate() {
            for &p in s.tcp_ports {
                *by_port.entry(p).or_default() |= 1 << i;
            }
        }
        let mut udp_by_port = PortMap::default();
        for (i, s) in udp.iter().enumerate() {
            for &p in s.udp_ports {
                *udp_by_port.entry(p).or_default() |= 1 << i;
            }
        }
        Registry {
            specs,
            by_port,
            udp,
            udp_by_content,
            udp_by_port,
            rules: RuleSet::empty(),
        }
    }

    /// The names of the built-in dissectors, for validating port maps.
    pub fn known(&self) -> KnownProtocols {
        KnownProtocols {
            tcp: self.specs.iter().map(|s| s.name).collect(),
            udp: self.udp.iter().map(|s| s.name).collect(),
        }
    }

    /// Adds rules: their port maps now hint protocols, their detectors run on streams.
    pub fn set_rules(&mut self, rules: RuleSet) -> Result<(), UnknownProtocol> {
        for p in &rules.ports {
            for &port in &p.ports {
                match p.transport {
                    RuleTransport::Tcp => self.add_port(&p.protocol, port)?,
                    RuleTransport::Udp => self.add_udp_port(&p.protocol, port)?,
                }
            }
        }
        self.rules = rules;
        Ok(())
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The built-in dissectors and the shipped rules.
    pub fn with_shipped_rules() -> Result<Registry, crate::rules::RuleError> {
        let mut r = Registry::builtin();
        let rules = RuleSet::load(&[], true, &r.known())?;
        r.set_rules(rules).map_err(|e| crate::rules::RuleError {
            file: "rules".into(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })?;
        Ok(r)
    }

    /// The built-in protocols with their well-known ports.
    pub fn builtin() -> Registry {
        Registry::new(super::builtin_tcp(), super::builtin_udp())
    }

    /// Expects protocol `name` on TCP `port` as well (a user's port map).
    pub fn add_port(&mut self, name: &str, port: u16) -> Result<(), UnknownProtocol> {
        let i = self
            .specs
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| UnknownProtocol(name.to_string()))?;
        *self.by_port.entry(port).or_default() |= 1 << i;
        Ok(())
    }

    /// Expects UDP protocol `name` on UDP `port` as well.
    pub fn add_udp_port(&mut self, name: &str, port: u16) -> Result<(), UnknownProtocol> {
        let i = self
            .udp
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| UnknownProtocol(name.to_string()))?;
        *self.udp_by_port.entry(port).or_default() |= 1 << i;
        Ok(())
    }

    /// Whether some UDP protocol is expected on this port.
    pub fn is_udp_service_port(&self, port: u16) -> bool {
        self.udp_by_port.contains_key(&port)
    }

    /// Whether a datagram sent from service port `port` reads as a protocol known on that
    /// port (a probe that does not refuse it): a server answering there, rather than a
    /// client that happens to send from it (`bindresvport` picks reserved ports, 600-1023,
    /// for ONC RPC clients: 623 is IPMI's). A port only a rules file names is believed.
    pub fn udp_port_speaks(&self, port: u16, payload: &[u8]) -> bool {
        let hint = self.udp_by_port.get(&port).copied().unwrap_or(0);
        hint == 0
            || self
                .udp
                .iter()
                .enumerate()
                .any(|(i, s)| hint & (1 << i) != 0 && (s.probe)(payload) != Probe::No)
    }

    /// The protocol of a conversation carried directly over IP protocol `protocol`, from
    /// its first datagram: the first one of that protocol whose probe does not say No.
    pub fn choose_ip(&self, protocol: u8, payload: &[u8]) -> Option<&DatagramSpec> {
        self.udp
            .iter()
            .filter(|s| s.ip_protocols.contains(&protocol))
            .find(|s| (s.probe)(payload) != Probe::No)
    }

    /// Whether a built-in dissector reads IP protocol `protocol`.
    pub fn reads_ip_protocol(&self, protocol: u8) -> bool {
        self.udp.iter().any(|s| s.ip_protocols.contains(&protocol))
    }

    /// The UDP protocol of a conversation, from its first datagram: a Yes, or the port's
    /// protocol unless it says No.
    pub fn choose_udp(&self, server_port: u16, payload: &[u8]) -> Option<&DatagramSpec> {
        let hint = self.udp_by_port.get(&server_port).copied().unwrap_or(0);
        let mut hinted = None;
        for (i, s) in self.udp[..self.udp_by_content].iter().enumerate() {
            match (s.probe)(payload) {
                Probe::Yes => return Some(s),
                Probe::Maybe if hint & (1 << i) != 0 => {
                    hinted.get_or_insert(s);
                }
                _ => {}
            }
        }
        // Those read on their ports only, when the port names them (a million DNS
        // conversations would otherwise each pay for probes that cannot decide).
        let mut rest = hint.checked_shr(self.udp_by_content as u32).unwrap_or(0);
        while rest != 0 && hinted.is_none() {
            let s = &self.udp[self.udp_by_content + rest.trailing_zeros() as usize];
            if (s.probe)(payload) != Probe::No {
                hinted = Some(s);
            }
            rest &= rest - 1;
        }
        hinted
    }

    pub fn spec(&self, i: usize) -> &ProtocolSpec {
        &self.specs[i]
    }

    pub fn len(&self) -> usize {
        self.specs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Protocols expected on a server port.
    pub fn hinted(&self, port: u16) -> u64 {
        self.by_port.get(&port).copied().unwrap_or(0)
    }

    /// Whether some protocol is expected on this port.
    pub fn is_service_port(&self, port: u16) -> bool {
        self.by_port.contains_key(&port)
    }

    fn all(&self) -> u64 {
        if self.specs.len() == 64 {
            u64::MAX
        } else {
            (1u64 << self.specs.len()) - 1
        }
    }
}

#[derive(Debug)]
enum Replay {
    Data {
        dir: Direction,
        start: usize,
        end: usize,
        origin: Origin,
    },
    Gap {
        dir: Direction,
        len: u64,
    },
}

/// What detection concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not enough bytes to tell.
    Wait,
    /// Protocol `spec`; `reversed` when the flow's client and server must be swapped.
    Chosen { spec: usize, reversed: bool },
    /// No known protocol.
    Nothing,
}

/// The first bytes of a flow whose protocol is not known yet.
#[derive(Debug)]
pub struct Detector {
    buf: [Vec<u8>; 2],
    replay: Vec<Replay>,
    candidates: u64,
    /// The sides come from the handshake: do not consider turning the flow around.
    fixed: bool,
}

fn bits(mask: u64) -> impl Iterator<Item = usize> {
    (0..64).filter(move |i| mask & (1 << i) != 0)
}

impl Detector {
    pub fn new(registry: &Registry, fixed_orientation: bool) -> Detector {
        Detector {
            buf: [Vec::new(), Vec::new()],
            replay: Vec::new(),
            candidates: registry.all(),
            fixed: fixed_orientation,
        }
    }

    /// Keeps a run of bytes, as much as the direction's prefix has room for; returns how
    /// many bytes were kept.
    pub fn data(&mut self, dir: Direction, chunk: Chunk<'_>) -> usize {
        let buf = &mut self.buf[dir.index()];
        let room = PREFIX_LIMIT.saturating_sub(buf.len());
        let take = chunk.data.len().min(room);
        if take > 0 {
            let start = buf.len();
            buf.extend_from_slice(&chunk.data[..take]);
            self.replay.push(Replay::Data {
                dir,
                start,
                end: start + take,
                origin: Origin {
                    frame: chunk.frame,
                    ts: chunk.ts,
                },
            });
        }
        take
    }

    /// Bytes held.
    pub fn buffered(&self) -> usize {
        self.buf.iter().map(Vec::capacity).sum::<usize>()
            + self.replay.capacity() * std::mem::size_of::<Replay>()
    }

    pub fn gap(&mut self, dir: Direction, len: u64) {
        self.replay.push(Replay::Gap { dir, len });
    }

    /// Runs the probes over the bytes kept so far. With `force` (the flow ends, or the
    /// prefix is full) a still-possible port protocol is chosen rather than waiting.
    pub fn decide(
        &mut self,
        registry: &Registry,
        server_port: u16,
        client_port: u16,
        force: bool,
    ) -> Verdict {
        let [to_server, to_client] = &self.buf;
        let hint = registry.hinted(server_port);
        let mut alive = 0u64;
        let mut yes = None;
        let mut hinted_maybe = None;
        for i in bits(self.candidates) {
            match (registry.spec(i).probe)(to_server, to_client) {
                Probe::Yes => {
                    if hint & (1 << i) != 0 {
                        return Verdict::Chosen {
                            spec: i,
                            reversed: false,
                        };
                    }
                    yes.get_or_insert(i);
                    alive |= 1 << i;
                }
                Probe::Maybe => {
                    if hint & (1 << i) != 0 {
                        hinted_maybe.get_or_insert(i);
                    }
                    alive |= 1 << i;
                }
                Probe::No => {}
            }
        }
        if let Some(i) = yes {
            return Verdict::Chosen {
                spec: i,
                reversed: false,
            };
        }
        let context = (!to_server.is_empty() && !to_client.is_empty())
            || to_server.len() + to_client.len() >= PORT_CONTEXT;
        if let Some(i) = hinted_maybe
            && (context || force)
        {
            return Verdict::Chosen {
                spec: i,
                reversed: false,
            };
        }
        if !self.fixed {
            let rev_hint = registry.hinted(client_port);
            let mut rev_yes = None;
            for i in bits(self.candidates) {
                match (registry.spec(i).probe)(to_client, to_server) {
                    Probe::Yes => {
                        if rev_hint & (1 << i) != 0 || rev_yes.is_none() {
                            rev_yes = Some(i);
                        }
                        alive |= 1 << i;
                    }
                    Probe::Maybe => alive |= 1 << i,
                    Probe::No => {}
                }
            }
            if let Some(i) = rev_yes {
                return Verdict::Chosen {
                    spec: i,
                    reversed: true,
                };
            }
        }
        self.candidates = alive;
        let full = self.buf.iter().any(|b| b.len() >= PREFIX_LIMIT);
        if alive == 0 || force || full {
            return Verdict::Nothing;
        }
        Verdict::Wait
    }

    /// Hands the kept bytes, in their original order, to the chosen dissector.
    pub fn replay(&self, dissector: &mut dyn Dissector, reversed: bool, out: &mut Vec<Credential>) {
        self.for_each(reversed, |dir, item| match item {
            Ok(chunk) => dissector.data(dir, chunk, out),
            Err(len) => dissector.gap(dir, len, out),
        });
    }

    /// Every kept run of bytes (`Ok`) and gap (`Err(len)`), in order, with directions
    /// turned around when `reversed`.
    pub fn for_each(&self, reversed: bool, mut f: impl FnMut(Direction, Result<Chunk<'_>, u64>)) {
        for r in &self.replay {
            match *r {
                Replay::Data {
                    dir,
                    start,
                    end,
                    origin,
                } => {
                    let data = &self.buf[dir.index()][start..end];
                    let dir = if reversed { dir.opposite() } else { dir };
                    f(
                        dir,
                        Ok(Chunk {
                            data,
                            frame: origin.frame,
                            ts: origin.ts,
                        }),
                    );
                }
                Replay::Gap { dir, len } => {
                    f(if reversed { dir.opposite() } else { dir }, Err(len));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {

    /// An ONC RPC call sent from reserved port 623 (IPMI's) by a NIS client: the port does
    /// not make its sender the server; an RMCP answer from 623 does.
    #[test]
    fn a_client_on_a_service_port_is_not_its_server() {
        let r = Registry::builtin();
        // XID, CALL (0), RPC version 2, program 100004 (ypserv), version 2, procedure 3.
        let call = [
            0x4e, 0x15, 0x22, 0x01, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0x86, 0xa4, 0, 0, 0, 2, 0, 0, 0,
            3,
        ];
        assert!(r.is_udp_service_port(623));
        assert!(!r.udp_port_speaks(623, &call));
        // RMCP, version 6, a presence pong (ASF class).
        let rmcp = [0x06, 0x00, 0xff, 0x06, 0, 0, 0x11, 0xbe, 0x40, 0, 0, 0x10];
        assert!(r.udp_port_speaks(623, &rmcp));
        // A port no protocol claims is believed as before.
        assert!(r.udp_port_speaks(40_000, &call));
    }
    use super::*;
    use crate::dissect::{builtin_tcp, builtin_udp, hsrp, rip};

    #[test]
    fn port_only_datagram_protocols_are_chosen_on_their_ports_only() {
        let r = Registry::new(builtin_tcp(), builtin_udp());
        let hello = hsrp::build::hello_v1(1, b"cisco", [10, 0, 0, 1]);
        let update = rip::build::response(Some(b"key"), &[([10, 0, 0, 0], 1)]);
        assert_eq!(r.choose_udp(1985, &hello).map(|s| s.name), Some("hsrp"));
        assert_eq!(r.choose_udp(520, &update).map(|s| s.name), Some("rip"));
        // The same bytes elsewhere (a DNS port, a random one): not them.
        for port in [53, 40_000] {
            assert_eq!(r.choose_udp(port, &hello).map(|s| s.name), None);
            assert_eq!(r.choose_udp(port, &update).map(|s| s.name), None);
        }
        // Such a protocol's probe never decides alone, so skipping it off its ports
        // changes no choice.
        for s in builtin_udp().iter().filter(|s| !s.by_content) {
            for payload in [&hello[..], &update[..]] {
                assert_ne!((s.probe)(payload), Probe::Yes, "{}", s.name);
            }
        }
    }
}
