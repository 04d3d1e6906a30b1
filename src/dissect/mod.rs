//! Dissectors: one module per application protocol. A dissector never sees packets, only
//! the ordered bytes of each direction of a flow (and the gaps in them), interleaved in
//! capture order, and reports the credentials it recognises.
//!
//! Protocol choice is by content AND port: every protocol has a probe, a pure function over
//! the first bytes of each direction, and a list of well-known ports (see [`detect`]).

pub mod detect;
pub mod ftp;
pub mod keystrokes;
pub mod lines;
pub mod pop3;
pub mod sasl;
pub mod telnet;

use crate::finding::Credential;
use crate::flow::Direction;
use crate::timestamp::Timestamp;

/// A run of ordered stream bytes and the packet that carried them.
#[derive(Clone, Copy, Debug)]
pub struct Chunk<'a> {
    pub data: &'a [u8],
    pub frame: u64,
    pub ts: Timestamp,
}

/// The per-connection state machine of one protocol.
pub trait Dissector: Send {
    /// Ordered bytes of one direction.
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>);

    /// `len` bytes of one direction are missing from the capture.
    fn gap(&mut self, dir: Direction, len: u64, out: &mut Vec<Credential>);

    /// The connection ended (or the capture did): report what is still pending, with the
    /// outcome it has so far.
    fn close(&mut self, out: &mut Vec<Credential>);

    /// Nothing more can be found on this connection (it switched to TLS, or the login
    /// completed); the flow can stop feeding bytes.
    fn done(&self) -> bool {
        false
    }

    /// Bytes the dissector holds (partial lines, prompts, pending exchanges), so the
    /// engine can bound memory over all flows.
    fn buffered(&self) -> usize;
}

/// A probe's opinion of the first bytes of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// This is the protocol.
    Yes,
    /// Not this protocol.
    No,
    /// Cannot tell yet.
    Maybe,
}

/// A protocol the scanner knows: its name, ports, probe and dissector.
#[derive(Clone, Copy)]
pub struct ProtocolSpec {
    /// The `protocol` of its findings.
    pub name: &'static str,
    /// Well-known TCP server ports.
    pub tcp_ports: &'static [u16],
    /// Looks at the first bytes sent to the server and to the client.
    pub probe: fn(to_server: &[u8], to_client: &[u8]) -> Probe,
    pub new: fn(&DissectorConfig) -> Box<dyn Dissector>,
}

/// Settings every dissector is built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DissectorConfig {
    /// Longest line a text protocol buffers; longer lines are skipped (and counted).
    pub max_line: usize,
}

impl Default for DissectorConfig {
    fn default() -> Self {
        DissectorConfig {
            max_line: lines::DEFAULT_MAX_LINE,
        }
    }
}

impl std::fmt::Debug for ProtocolSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProtocolSpec")
            .field("name", &self.name)
            .finish()
    }
}

/// Every built-in TCP protocol, in the order probes are tried.
pub fn builtin_tcp() -> Vec<ProtocolSpec> {
    vec![ftp::SPEC, pop3::SPEC, telnet::SPEC]
}
