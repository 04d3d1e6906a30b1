//! The flow table: one entry per TCP connection (or UDP conversation), keyed by the
//! canonical 4-tuple, with least-recently-active eviction and idle expiry in O(1).

mod index;
pub mod reassembly;

use std::hash::BuildHasher;
use std::net::IpAddr;

use index::Index;

use crate::finding::Endpoint;
use crate::timestamp::Timestamp;

/// Which way bytes travel, relative to the side that opened the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Client to server.
    ToServer = 0,
    /// Server to client.
    ToClient = 1,
}

impl Direction {
    pub fn opposite(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Transport protocol of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    Tcp = 0,
    Udp = 1,
    /// An IP protocol without ports (OSPF, VRRP, GRE): the key's ports hold the protocol
    /// number.
    Ip = 4,
    /// A link-layer protocol between MAC addresses (PPPoE, EAPOL): the addresses as
    /// [`crate::finding::Endpoint::mac`] gives them, the ports a session ID or type.
    Link = 8,
}

/// The 4-tuple (plus transport), the same for both directions: the two endpoints in a
/// fixed order, addresses as 128-bit numbers (an IPv4 address in the low bits, told
/// apart from the IPv6 address with the same bits by a flag). The flow table compares and
/// hashes a key for every packet: plain integers rather than `IpAddr`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowKey {
    lo: u128,
    hi: u128,
    /// The lower endpoint's port in the high half, the other's in the low half.
    ports: u32,
    /// The transport (bits 0, 2 and 3) and whether the addresses are IPv6 (bit 1).
    kind: u8,
}

/// Hashed as two words (addresses folded into one, ports and kind into the other).
impl std::hash::Hash for FlowKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u128(self.lo ^ self.hi.rotate_left(64));
        state.write_u64((u64::from(self.ports) << 8) | u64::from(self.kind));
    }
}

impl FlowKey {
    pub fn new(transport: Transport, a: (IpAddr, u16), b: (IpAddr, u16)) -> FlowKey {
        fn bits(ip: IpAddr) -> (u128, u8) {
            match ip {
                IpAddr::V4(a) => (u128::from(u32::from(a)), 0),
                IpAddr::V6(a) => (u128::from(a), 2),
            }
        }
        let (a_bits, a_v6) = bits(a.0);
        let (b_bits, b_v6) = bits(b.0);
        let kind = transport as u8 | a_v6 | b_v6;
        if (a_bits, a.1) <= (b_bits, b.1) {
            FlowKey {
                lo: a_bits,
                hi: b_bits,
                ports: (u32::from(a.1) << 16) | u32::from(b.1),
                kind,
            }
        } else {
            FlowKey {
                lo: b_bits,
                hi: a_bits,
                ports: (u32::from(b.1) << 16) | u32::from(a.1),
                kind,
            }
        }
    }
}

/// How the client and server sides of a flow were decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orientation {
    /// From the SYN / SYN-ACK handshake: certain.
    Handshake,
    /// From the ports (a known service port, or the lower port): a guess that content may
    /// correct.
    Ports,
}

/// One connection.
#[derive(Debug)]
pub struct Flow<T> {
    pub key: FlowKey,
    pub client: Endpoint,
    pub server: Endpoint,
    pub orientation: Orientation,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// The connection ended (FIN both ways, RST): what it held has been delivered and its
    /// dissector told (the engine then remembers it apart, see `Core::closed`).
    pub closed: bool,
    /// Per-flow state of the layers above (reassembly, dissector).
    pub state: T,
}

impl<T> Flow<T> {
    /// The same flow with another state (an ended connection remembered without its
    /// reassembly and dissector).
    pub fn with_state<U>(self, state: U) -> Flow<U> {
        Flow {
            key: self.key,
            client: self.client,
            server: self.server,
            orientation: self.orientation,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            closed: self.closed,
            state,
        }
    }

    /// Direction of a packet sent from `src`.
    pub fn direction_from(&self, src: (IpAddr, u16)) -> Direction {
        if src == (self.client.ip, self.client.port) {
            Direction::ToServer
        } else {
            Direction::ToClient
        }
    }
}

/// Index of a flow in the table, valid until the flow is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowId(u32);

const NIL: u32 = u32::MAX;

/// A flow's neighbours in the activity order, kept apart from the (large) flows so the
/// list updates touch little memory.
#[derive(Clone, Copy, Debug)]
struct Links {
    prev: u32,
    next: u32,
}

impl Links {
    const NONE: Links = Links {
        prev: NIL,
        next: NIL,
    };
}

/// Flows keyed by 4-tuple, kept in order of last activity. A table holds flows of one
/// timeout: the engine keeps open connections, ended ones and UDP conversations in
/// tables of their own. (Ended connections once shared the open ones' order: one behind
/// an open flow whose idle timeout is longer outlived its own, by as long as other flows
/// happened to share its table — and workers that share flows out differently then ended
/// it at different times; found by fuzzing: a late retransmission was a login for two
/// threads and ignored by one.)
#[derive(Debug)]
pub struct FlowTable<T, S = foldhash::fast::RandomState> {
    index: Index,
    /// The index's hash, seeded per table (and seeded again when it clusters the keys).
    hasher: S,
    /// Flows inserted since the hash was last seeded.
    inserted_since_seed: usize,
    slots: Vec<Option<Flow<T>>>,
    links: Vec<Links>,
    free: Vec<u32>,
    /// Most recently active.
    head: u32,
    /// Least recently active.
    tail: u32,
    capacity: usize,
}

/// The hash a flow is filed under in the index: the table's hash of its key multiplied by
/// 2^64/φ, its top bytes brought down to the low ones the index takes its place from
/// (Fibonacci hashing: every bit of the hash moves them, and hashes in arithmetic
/// progression come out evenly spread). foldhash's fast hash ends with one folded
/// multiply by a seed shared by the whole process: for keys apart only in their ports,
/// its low bits step through an arithmetic progression whose stride is a slice of that
/// seed, and a stride with trailing zeros — one process in eight has three or more —
/// filed thousands of keys at a few homes when the index took those bits as they were (a
/// hundred thousand DNS conversations took 3 to 11 times their usual instructions in one
/// run of ten to thirty, nearly all in the index); a new per-table seed keeps the
/// stride.
#[inline(always)]
fn filed<S: BuildHasher>(hasher: &S, key: &FlowKey) -> u64 {
    hasher
        .hash_one(key)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .swap_bytes()
}

/// An insertion that probes this many entries of the index (half empty at most) means the
/// hash clusters the keys it holds after all (traffic crafted against it, or a seed as
/// unlucky as the mixing above): the table then takes a new seed and files its flows
/// again.
const LONG_PROBE: usize = 64;

impl<T> FlowTable<T> {
    /// A table holding at most `capacity` flows.
    pub fn new(capacity: usize) -> FlowTable<T> {
        FlowTable::with_hasher(capacity, foldhash::fast::RandomState::default())
    }
}

impl<T, S: BuildHasher + Default> FlowTable<T, S> {
    /// A table whose first hash is `hasher` (later ones are `S::default()`).
    pub fn with_hasher(capacity: usize, hasher: S) -> FlowTable<T, S> {
        FlowTable {
            index: Index::new(),
            hasher,
            inserted_since_seed: 0,
            slots: Vec::new(),
            links: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            capacity: capacity.clamp(1, NIL as usize - 1),
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.len() == 0
    }

    pub fn is_full(&self) -> bool {
        self.index.len() >= self.capacity
    }

    // Inlined where it is called: the UDP table is reached from three places (UDP,
    // IP protocols, link layers), and out of line it cost every DNS packet 50
    // instructions (BENCHMARKS.md, stop 24).
    #[inline(always)]
    pub fn lookup(&self, key: &FlowKey) -> Option<FlowId> {
        let slots = &self.slots;
        self.index
            .find(filed(&self.hasher, key), |i| {
                slots[i as usize].as_ref().is_some_and(|f| f.key == *key)
            })
            .map(FlowId)
    }

    pub fn get(&self, id: FlowId) -> Option<&Flow<T>> {
        self.slots.get(id.0 as usize)?.as_ref()
    }

    pub fn get_mut(&mut self, id: FlowId) -> Option<&mut Flow<T>> {
        self.slots.get_mut(id.0 as usize)?.as_mut()
    }

    fn unlink(&mut self, i: u32) {
        let Links { prev, next } = self.links[i as usize];
        if prev != NIL {
            self.links[prev as usize].next = next;
        } else {
            self.head = next;
        }
        if next != NIL {
            self.links[next as usize].prev = prev;
        } else {
            self.tail = prev;
        }
        self.links[i as usize] = Links::NONE;
    }

    fn link_front(&mut self, i: u32) {
        let old = self.head;
        self.links[i as usize] = Links {
            prev: NIL,
            next: old,
        };
        if old != NIL {
            self.links[old as usize].prev = i;
        } else {
            self.tail = i;
        }
        self.head = i;
    }

    /// Marks a flow as active at `now`. The activity order has a resolution of one
    /// second: a flow already moved to the front during this second of capture time stays
    /// where it is (most packets of a busy flow then cost no list update).
    // Inlined where it is called: see `lookup`.
    #[inline(always)]
    pub fn touch(&mut self, id: FlowId, now: Timestamp) {
        if let Some(f) = self.slots.get_mut(id.0 as usize).and_then(Option::as_mut) {
            let moved = now.secs > f.last_seen.secs;
            if now > f.last_seen {
                f.last_seen = now;
            }
            if moved && self.head != id.0 {
                self.unlink(id.0);
                self.link_front(id.0);
            }
        }
    }

    /// Inserts a new flow. The caller makes room first when the table is full
    /// ([`FlowTable::pop_least_recent`]).
    // Inlined where it is called: see `lookup`.
    #[inline(always)]
    pub fn insert(&mut self, flow: Flow<T>) -> FlowId {
        let key = flow.key;
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(flow);
                i
            }
            None => {
                self.slots.push(Some(flow));
                self.links.push(Links::NONE);
                (self.slots.len() - 1) as u32
            }
        };
        self.link_front(i);
        let probed = self.index.insert(filed(&self.hasher, &key), i);
        self.inserted_since_seed += 1;
        // Not again before as many flows were inserted as the table holds: filing them
        // again costs what their insertions did.
        if probed > LONG_PROBE && self.inserted_since_seed >= self.index.len() {
            self.seed_again();
        }
        FlowId(i)
    }

    /// Takes a new hash and files every flow again under it.
    #[cold]
    fn seed_again(&mut self) {
        self.hasher = S::default();
        self.inserted_since_seed = 0;
        let mut index = Index::new();
        for (i, f) in self.slots.iter().enumerate() {
            if let Some(f) = f {
                index.insert(filed(&self.hasher, &f.key), i as u32);
            }
        }
        self.index = index;
    }

    pub fn remove(&mut self, id: FlowId) -> Option<Flow<T>> {
        let flow = self.slots.get_mut(id.0 as usize)?.take()?;
        self.unfile(id.0, filed(&self.hasher, &flow.key));
        Some(flow)
    }

    /// Removes a flow that needs nothing done at its end, dropped where it is (not moved
    /// out for the caller: a conversation of no known protocol, a connection remembered
    /// after its end).
    pub fn discard(&mut self, id: FlowId) {
        let Some(slot) = self.slots.get_mut(id.0 as usize) else {
            return;
        };
        let Some(flow) = slot.as_ref() else {
            return;
        };
        let hash = filed(&self.hasher, &flow.key);
        *slot = None;
        self.unfile(id.0, hash);
    }

    /// Takes the emptied slot `i`, whose flow's key hashed to `hash`, out of the order and
    /// the index, and makes it free.
    fn unfile(&mut self, i: u32, hash: u64) {
        self.unlink(i);
        let filed = self.index.remove(hash, i);
        debug_assert!(filed, "a flow missing from the index");
        self.free.push(i);
    }

    /// The least recently active flow: the next to expire, and the one to make room with.
    pub fn least_recent(&self) -> Option<(FlowId, &Flow<T>)> {
        let f = self.slots.get(self.tail as usize)?.as_ref()?;
        Some((FlowId(self.tail), f))
    }

    /// Removes and returns the flow [`FlowTable::least_recent`] names.
    pub fn pop_least_recent(&mut self) -> Option<Flow<T>> {
        let (id, _) = self.least_recent()?;
        self.remove(id)
    }

    /// Removes every flow, least recently active first.
    pub fn drain(&mut self) -> impl Iterator<Item = Flow<T>> + '_ {
        std::iter::from_fn(move || self.pop_least_recent())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn key(port: u16) -> FlowKey {
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        FlowKey::new(Transport::Tcp, (a, port), (b, 21))
    }

    fn flow(port: u16, t: i64) -> Flow<u16> {
        let k = key(port);
        Flow {
            key: k,
            client: Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), port),
            server: Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 21),
            orientation: Orientation::Handshake,
            first_seen: Timestamp::new(t, 0),
            last_seen: Timestamp::new(t, 0),
            closed: false,
            state: port,
        }
    }

    /// A hash that files every key at the same home until it is replaced (a table's
    /// unlucky seed), then a good one.
    /// `Unlucky(true)` clusters; its default, a new seed, does not.
    #[derive(Debug, Default)]
    struct Unlucky(bool);

    struct UnluckyHasher(bool, foldhash::quality::FoldHasher<'static>);

    impl std::hash::Hasher for UnluckyHasher {
        fn write(&mut self, bytes: &[u8]) {
            self.1.write(bytes);
        }
        fn finish(&self) -> u64 {
            // Clustered: one hash for every key, which no mixing spreads.
            if self.0 { 0 } else { self.1.finish() }
        }
    }

    impl BuildHasher for Unlucky {
        type Hasher = UnluckyHasher;
        fn build_hasher(&self) -> UnluckyHasher {
            static STATE: std::sync::LazyLock<foldhash::quality::FixedState> =
                std::sync::LazyLock::new(|| foldhash::quality::FixedState::with_seed(7));
            UnluckyHasher(self.0, STATE.build_hasher())
        }
    }

    #[test]
    fn a_hash_that_clusters_the_keys_is_replaced() {
        let mut t: FlowTable<u16, Unlucky> = FlowTable::with_hasher(4096, Unlucky(true));
        for port in 0..LONG_PROBE as u16 + 1 {
            t.insert(flow(1000 + port, 1));
        }
        assert!(t.hasher.0, "no probe longer than {LONG_PROBE} yet");
        t.insert(flow(999, 1));
        assert!(
            !t.hasher.0,
            "a new seed after a probe over {LONG_PROBE} entries"
        );
        for port in 2000..3000 {
            t.insert(flow(port, 2));
        }
        // Every flow is found under the new hash, and removed from its index.
        for port in (999..1000 + LONG_PROBE as u16 + 1).chain(2000..3000) {
            let id = t.lookup(&key(port)).expect("filed again");
            assert_eq!(t.get(id).map(|f| f.state), Some(port));
        }
        for port in 2000..3000 {
            let id = t.lookup(&key(port)).expect("found");
            t.discard(id);
        }
        assert_eq!(t.len(), LONG_PROBE + 2);
        assert!(t.lookup(&key(2500)).is_none());
        assert_eq!(t.inserted_since_seed, 1000);
    }

    #[test]
    fn key_is_symmetric() {
        let a = (IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)), 1000);
        let b = (IpAddr::V4(Ipv4Addr::new(5, 6, 7, 8)), 21);
        assert_eq!(
            FlowKey::new(Transport::Tcp, a, b),
            FlowKey::new(Transport::Tcp, b, a)
        );
        assert_ne!(
            FlowKey::new(Transport::Tcp, a, b),
            FlowKey::new(Transport::Udp, a, b)
        );
        // The same bits in an IPv4 and an IPv6 address, the same ports: two flows.
        let a6 = (IpAddr::V6("::102:304".parse().unwrap()), 1000);
        let b6 = (IpAddr::V6("::506:708".parse().unwrap()), 21);
        assert_ne!(
            FlowKey::new(Transport::Tcp, a, b),
            FlowKey::new(Transport::Tcp, a6, b6)
        );
        // Ports count: swapping them is another flow.
        let (a2, b2) = ((a.0, 21), (b.0, 1000));
        assert_ne!(
            FlowKey::new(Transport::Tcp, a, b),
            FlowKey::new(Transport::Tcp, a2, b2)
        );
        assert_eq!(
            FlowKey::new(Transport::Tcp, a2, b2),
            FlowKey::new(Transport::Tcp, b2, a2)
        );
    }

    /// One order for every flow of a table, whatever its `closed` says (the engine keeps
    /// ended connections in a table of their own): the least recent is the one active
    /// longest ago, touching moves a flow to the front, removing takes it out.
    #[test]
    fn one_order_whatever_the_flows_say_of_themselves() {
        let mut t: FlowTable<u16> = FlowTable::new(10);
        // Flow `n` (its state `n`), last active at second `n - 1`.
        let mut add = |n: u16, closed| {
            let mut f = flow(n, i64::from(n) - 1);
            f.closed = closed;
            t.insert(f)
        };
        let (a, b, c, d) = (add(1, false), add(2, true), add(3, false), add(4, true));
        let state = |x: Option<(FlowId, &Flow<u16>)>| x.map(|(_, f)| f.state);
        assert_eq!(state(t.least_recent()), Some(1));
        t.touch(a, Timestamp::new(5, 0));
        assert_eq!(state(t.least_recent()), Some(2));
        t.touch(b, Timestamp::new(6, 0));
        assert_eq!(state(t.least_recent()), Some(3));
        assert_eq!(t.remove(d).map(|f| f.state), Some(4));
        assert_eq!(state(t.least_recent()), Some(3));
        assert_eq!(t.remove(c).map(|f| f.state), Some(3));
        assert_eq!(state(t.least_recent()), Some(1));
        assert_eq!(t.remove(b).map(|f| f.state), Some(2));
        assert_eq!(t.pop_least_recent().map(|f| f.state), Some(1));
        assert!(t.is_empty() && t.least_recent().is_none());
    }

    /// A flow discarded where it is leaves the index, the order and its slot as one
    /// removed does; its state is dropped once.
    #[test]
    fn a_discarded_flow_is_gone_from_the_index_the_order_and_its_slot() {
        let dropped = std::rc::Rc::new(());
        let mut t: FlowTable<std::rc::Rc<()>> = FlowTable::new(10);
        let with_state = |n: u16, at: i64| flow(n, at).with_state(dropped.clone());
        let (a, b) = (t.insert(with_state(1, 1)), t.insert(with_state(2, 2)));
        t.insert(with_state(3, 3));
        t.discard(a);
        t.discard(a);
        assert_eq!(std::rc::Rc::strong_count(&dropped), 3);
        assert_eq!((t.len(), t.lookup(&key(1))), (2, None));
        assert_eq!(t.least_recent().map(|(id, _)| id), Some(b));
        t.discard(b);
        assert_eq!(t.lookup(&key(2)), None);
        let d = t.insert(with_state(4, 4));
        assert!(d == a || d == b, "a discarded slot is reused");
        assert_eq!(t.lookup(&key(4)), Some(d));
        assert_eq!(t.lookup(&key(3)).map(|id| t.get(id).is_some()), Some(true));
        let order: Vec<u16> = t.drain().map(|f| f.client.port).collect();
        assert_eq!(order, vec![3, 4]);
        assert_eq!(std::rc::Rc::strong_count(&dropped), 1);
    }

    #[test]
    fn lru_order_and_reuse() {
        let mut t = FlowTable::new(10);
        let a = t.insert(flow(1, 1));
        let b = t.insert(flow(2, 2));
        let _c = t.insert(flow(3, 3));
        assert_eq!(t.least_recent().unwrap().1.state, 1);
        t.touch(a, Timestamp::new(4, 0));
        assert_eq!(t.least_recent().unwrap().1.state, 2);
        assert_eq!(t.remove(b).unwrap().state, 2);
        assert_eq!(t.pop_least_recent().unwrap().state, 3);
        assert_eq!(t.len(), 1);
        let d = t.insert(flow(4, 5));
        assert_eq!(t.lookup(&key(4)), Some(d));
        let order: Vec<u16> = t.drain().map(|f| f.state).collect();
        assert_eq!(order, vec![1, 4]);
        assert!(t.is_empty());
    }
}
