//! IEEE 802.1X EAPOL (Ethernet type 0x888E), wired or in 802.11 data frames: the EAP
//! logins of port-based access control, and the WPA/WPA2 4-way handshake of a Wi-Fi
//! network with a pre-shared key.
//!
//! - EAP packets go through the PPP layer's EAP reading ([`super::ppp`]): `EAP-MD5`
//!   (hashcat 4800, the identity as user name) and Cisco `LEAP` (hashcat 5500); the
//!   outcome from EAP Success or Failure. Protocol `eapol`.
//! - EAPOL-Key frames: message 1 of the handshake (from the access point: its nonce) and
//!   message 2 (from the station: its nonce and a MIC computed with a key derived from
//!   the network's passphrase) give hashcat 22000's `WPA*02` line — MIC, the two MAC
//!   addresses, the network name (from a beacon, probe response or association request
//!   seen before), the
//!   access point's nonce and message 2 with its MIC zeroed — which cracks to the
//!   passphrase of the whole network. A PMKID in message 1's key data gives the `WPA*01`
//!   line (no station needed). Protocol `wpa`, mechanism `4-way handshake` or `PMKID`;
//!   the station is the client, the access point the server; message 3 (the access point
//!   accepted the MIC) makes the outcome a success. The network's name salts the
//!   passphrase: a handshake seen before any frame named it waits for the name (the next
//!   beacon, handed over by the engine through [`DatagramDissector::network_named`]);
//!   when the capture never names it, the finding comes at the conversation's end
//!   without `details.ssid` and without a hashcat line (it cannot be cracked).

use super::ppp::{Authentication, EAP, message};
use super::{Chunk, DatagramDissector};
use crate::finding::{Credential, Hashcat, Kind, Outcome, hex, mac_string};
use crate::flow::Direction;

/// EAPOL packet types.
const EAP_PACKET: u8 = 0;
const KEY: u8 = 3;

/// An EAPOL-Key frame's fields (IEEE 802.11-2020 12.7.2).
#[derive(Debug, PartialEq, Eq)]
pub struct Key<'a> {
    /// Key Information.
    pub info: u16,
    pub replay: u64,
    pub nonce: &'a [u8],
    pub mic: &'a [u8],
    pub data: &'a [u8],
}

impl Key<'_> {
    fn ack(&self) -> bool {
        self.info & 0x0080 != 0
    }
    fn has_mic(&self) -> bool {
        self.info & 0x0100 != 0
    }
    fn secure(&self) -> bool {
        self.info & 0x0200 != 0
    }
    fn pairwise(&self) -> bool {
        self.info & 0x0008 != 0
    }
    /// The descriptor version: 1 HMAC-MD5 (WPA), 2 HMAC-SHA1 (WPA2), 3 AES-CMAC.
    fn version(&self) -> u16 {
        self.info & 0x0007
    }
}

/// An EAPOL frame: its type and body (cut to its length field).
pub fn parse(frame: &[u8]) -> Option<(u8, &[u8])> {
    let h = frame.get(..4)?;
    if !(1..=3).contains(&h[0]) {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
    Some((h[1], frame.get(4..4 + len)?))
}

/// The fields of an EAPOL-Key body (RSN descriptor 2 or WPA's 254).
pub fn key(body: &[u8]) -> Option<Key<'_>> {
    if !matches!(body.first(), Some(2 | 254)) || body.len() < 95 {
        return None;
    }
    let data_len = usize::from(u16::from_be_bytes([body[93], body[94]]));
    Some(Key {
        info: u16::from_be_bytes([body[1], body[2]]),
        replay: u64::from_be_bytes(body[5..13].try_into().ok()?),
        nonce: &body[13..45],
        mic: &body[77..93],
        data: body.get(95..95 + data_len).unwrap_or(&body[95..]),
    })
}

/// The PMKID of an RSN PMKID key data element (`dd 14 00 0f ac 04`) in message 1's key
/// data.
fn pmkid(data: &[u8]) -> Option<&[u8]> {
    let mut rest = data;
    while rest.len() >= 2 {
        let (id, len) = (rest[0], usize::from(rest[1]));
        let element = rest.get(2..2 + len)?;
        if id == 0xdd && len == 20 && element[..4] == [0x00, 0x0f, 0xac, 0x04] {
            let p = &element[4..];
            return (p.iter().any(|&b| b != 0)).then_some(p);
        }
        rest = &rest[2 + len..];
    }
    None
}

/// Message 2, waiting for the access point's nonce (from message 1 or 3).
#[derive(Debug)]
struct Message2 {
    replay: u64,
    mic: Vec<u8>,
    /// The EAPOL frame, its MIC zeroed.
    eapol: Vec<u8>,
    version: u16,
    dir: Direction,
    frame: u64,
}

/// Message 1, waiting for message 2.
#[derive(Debug)]
struct Anonce {
    replay: u64,
    nonce: Vec<u8>,
    dir: Direction,
    frame: u64,
}

/// One link's EAPOL frames: between an access point (or switch) and a station.
#[derive(Debug)]
pub struct Eapol {
    /// The MAC addresses of the sides the conversation calls client and server.
    macs: [[u8; 6]; 2],
    ssid: Option<Vec<u8>>,
    auth: Authentication,
    anonce: Option<Anonce>,
    /// A handshake's credential waiting for message 3, and the replay counter it needs.
    pending: Option<(u64, Direction, Credential)>,
    /// Message 2 seen without message 1.
    orphan: Option<Message2>,
    /// WPA credentials made before any frame named the network: their hashcat lines wait
    /// for its name (see [`DatagramDissector::network_named`]), or go without one at the
    /// end.
    unnamed: Vec<Credential>,
}

/// Stands for the network name's hex in a hashcat line made before the name was known.
const SSID_LATER: &str = "?";

impl Eapol {
    /// A conversation whose first frame went from `first_src` to `first_dst`, of the
    /// network named `ssid` when the capture named it.
    pub fn new(first_src: [u8; 6], first_dst: [u8; 6], ssid: Option<Vec<u8>>) -> Eapol {
        Eapol {
            macs: [first_src, first_dst],
            ssid,
            auth: Authentication::default(),
            anonce: None,
            pending: None,
            orphan: None,
            unnamed: Vec::new(),
        }
    }

    /// The network name's hex for a hashcat line (a stand-in until it is known).
    fn ssid_hex(&self) -> String {
        self.ssid
            .as_deref()
            .map_or_else(|| SSID_LATER.to_string(), hex)
    }

    /// The MAC address of the side `dir` comes from.
    fn mac_of(&self, dir: Direction) -> [u8; 6] {
        match dir {
            Direction::ToServer => self.macs[0],
            Direction::ToClient => self.macs[1],
        }
    }

    fn wpa(
        &self,
        mechanism: &'static str,
        chunk: &Chunk<'_>,
        ap: [u8; 6],
        sta: [u8; 6],
    ) -> Credential {
        let mut c = Credential::new("wpa", mechanism, Kind::ChallengeResponse, chunk.ts);
        if let Some(ssid) = &self.ssid {
            c.details
                .push(("ssid", String::from_utf8_lossy(ssid).into_owned()));
        }
        c.details.push(("bssid", mac_string(&ap)));
        c.details.push(("station", mac_string(&sta)));
        c
    }

    /// The credential of a handshake: message 2 and the access point's nonce (from
    /// message 1, at `nonce_frame`, or 3), `pair` as hashcat's message pair.
    fn handshake(
        &self,
        chunk: &Chunk<'_>,
        m2: &Message2,
        anonce: &[u8],
        nonce_frame: u64,
        pair: &str,
    ) -> Credential {
        let (ap, sta) = (self.mac_of(m2.dir.opposite()), self.mac_of(m2.dir));
        let mut c = self.wpa("4-way handshake", chunk, ap, sta);
        c.secret = Some(hex(&m2.mic).into_bytes());
        c.challenge = Some(hex(anonce).into_bytes());
        c.details.push(("key_version", m2.version.to_string()));
        c.sent_by_server = m2.dir == Direction::ToClient;
        c.add_frames([nonce_frame, m2.frame]);
        c.hashcat = Some(Hashcat {
            mode: 22000,
            hash: format!(
                "WPA*02*{}*{}*{}*{}*{}*{}*{pair}",
                hex(&m2.mic),
                hex(&ap),
                hex(&sta),
                self.ssid_hex(),
                hex(anonce),
                hex(&m2.eapol)
            ),
            hex_salt: false,
        });
        c
    }

    fn key_frame(
        &mut self,
        dir: Direction,
        frame: &[u8],
        body: &[u8],
        chunk: &Chunk<'_>,
        out: &mut Vec<Credential>,
    ) {
        let Some(k) = key(body) else {
            return;
        };
        if !k.pairwise() {
            return;
        }
        match (k.ack(), k.has_mic(), k.secure()) {
            // Message 1: the access point's nonce (and maybe a PMKID).
            (true, false, _) => {
                if let Some(p) = pmkid(k.data) {
                    let (ap, sta) = (self.mac_of(dir), self.mac_of(dir.opposite()));
                    let mut c = self.wpa("PMKID", chunk, ap, sta);
                    c.secret = Some(hex(p).into_bytes());
                    c.sent_by_server = dir == Direction::ToServer;
                    // The same for every message 1 between the two (a retransmission,
                    // a reconnection): reported once.
                    c.repeats = true;
                    c.add_frames([chunk.frame]);
                    c.hashcat = Some(Hashcat {
                        mode: 22000,
                        hash: format!(
                            "WPA*01*{}*{}*{}*{}***",
                            hex(p),
                            hex(&ap),
                            hex(&sta),
                            self.ssid_hex()
                        ),
                        hex_salt: false,
                    });
                    out.push(c);
                }
                self.anonce = Some(Anonce {
                    replay: k.replay,
                    nonce: k.nonce.to_vec(),
                    dir,
                    frame: chunk.frame,
                });
            }
            // Message 2: the station's nonce and MIC.
            (false, true, false) if k.nonce.iter().any(|&b| b != 0) => {
                // The EAPOL frame as sent, its MIC zeroed: header (4) and body.
                let mut eapol = frame[..4 + body.len()].to_vec();
                eapol[4 + 77..4 + 93].fill(0);
                let m2 = Message2 {
                    replay: k.replay,
                    mic: k.mic.to_vec(),
                    eapol,
                    version: k.version(),
                    dir,
                    frame: chunk.frame,
                };
                let Some(a) = self
                    .anonce
                    .take_if(|a| a.dir != dir && a.replay == k.replay)
                else {
                    // Message 1 missed: message 3 carries the same nonce.
                    self.orphan = Some(m2);
                    return;
                };
                let mut c = self.handshake(chunk, &m2, &a.nonce, a.frame, "00");
                if let Some((_, _, previous)) = self.pending.take() {
                    out.push(previous);
                }
                c.timestamp = chunk.ts;
                self.pending = Some((k.replay + 1, a.dir, c));
            }
            // Message 3: the access point verified the MIC.
            (true, true, _) => {
                if let Some((_, _, mut c)) = self
                    .pending
                    .take_if(|(replay, from, _)| *replay == k.replay && *from == dir)
                {
                    c.outcome = Outcome::Success;
                    c.add_frames([chunk.frame]);
                    out.push(c);
                } else if let Some(m2) = self
                    .orphan
                    .take_if(|m2| m2.replay + 1 == k.replay && m2.dir != dir)
                {
                    // Messages 2 and 3 (hashcat's message pair 2).
                    let mut c = self.handshake(chunk, &m2, k.nonce, chunk.frame, "02");
                    c.outcome = Outcome::Success;
                    out.push(c);
                }
            }
            _ => {}
        }
    }
}

impl Eapol {
    /// WPA credentials made (from `from` on) while the network's name is unknown wait
    /// for it; past the cap they go out now, without a hashcat line.
    fn hold_unnamed(&mut self, out: &mut Vec<Credential>, from: usize) {
        if self.ssid.is_some() {
            return;
        }
        let mut i = from;
        while i < out.len() {
            if out[i].protocol != "wpa" {
                i += 1;
            } else if self.unnamed.len() < MAX_UNNAMED {
                self.unnamed.push(out.remove(i));
            } else {
                out[i].hashcat = None;
                i += 1;
            }
        }
    }

    /// A held credential, with the network's name when it came (or without a hashcat
    /// line: it cannot be cracked without the name).
    fn named(mut c: Credential, ssid: Option<&[u8]>) -> Credential {
        match ssid {
            Some(ssid) => {
                c.details
                    .insert(0, ("ssid", String::from_utf8_lossy(ssid).into_owned()));
                if let Some(h) = c.hashcat.as_mut() {
                    h.hash = h.hash.replacen(SSID_LATER, &hex(ssid), 1);
                }
            }
            None => c.hashcat = None,
        }
        c
    }
}

/// WPA credentials held for a network name, at most (more go out without one).
const MAX_UNNAMED: usize = 16;

impl DatagramDissector for Eapol {
    fn datagram(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let from = out.len();
        self.datagram_in(dir, chunk, out);
        self.hold_unnamed(out, from);
    }

    fn network_named(&mut self, bssid: [u8; 6], ssid: &[u8], out: &mut Vec<Credential>) {
        if self.ssid.is_some() || !self.macs.contains(&bssid) {
            return;
        }
        self.ssid = Some(ssid.to_vec());
        for c in std::mem::take(&mut self.unnamed) {
            out.push(Eapol::named(c, Some(ssid)));
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        let from = out.len();
        self.auth.close(out);
        if let Some((_, _, c)) = self.pending.take() {
            out.push(c);
        }
        self.hold_unnamed(out, from);
        for c in std::mem::take(&mut self.unnamed) {
            out.push(Eapol::named(c, None));
        }
    }
}

impl Eapol {
    fn datagram_in(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some((kind, body)) = parse(chunk.data) else {
            return;
        };
        match kind {
            EAP_PACKET => {
                let Some(m) = message(EAP, body) else {
                    return;
                };
                let new = |mechanism: &'static str, kind: Kind| {
                    Credential::new("eapol", mechanism, kind, chunk.ts)
                };
                self.auth.message(dir, m, &chunk, &new, out);
            }
            KEY => self.key_frame(dir, chunk.data, body, &chunk, out),
            _ => {}
        }
    }
}

/// EAPOL frames, for tests and fixtures.
pub mod build {
    /// An EAPOL frame of `kind` (0 EAP, 3 Key) around `body`.
    pub fn eapol(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![2, kind];
        v.extend((body.len() as u16).to_be_bytes());
        v.extend(body);
        v
    }

    /// An RSN EAPOL-Key body: key information `info`, replay counter, nonce, MIC, key
    /// data.
    pub fn key_body(
        info: u16,
        replay: u64,
        nonce: &[u8; 32],
        mic: &[u8; 16],
        data: &[u8],
    ) -> Vec<u8> {
        let mut v = vec![2];
        v.extend(info.to_be_bytes());
        v.extend(16u16.to_be_bytes());
        v.extend(replay.to_be_bytes());
        v.extend(nonce);
        v.extend([0; 16 + 8 + 8]);
        v.extend(mic);
        v.extend((data.len() as u16).to_be_bytes());
        v.extend(data);
        v
    }

    /// Key information of messages 1 to 4 of a WPA2 (HMAC-SHA1) handshake.
    pub const M1: u16 = 0x008a;
    pub const M2: u16 = 0x010a;
    pub const M3: u16 = 0x13ca;
    pub const M4: u16 = 0x030a;
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::timestamp::Timestamp;
    use hmac::{Hmac, KeyInit, Mac};

    const AP: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
    const STA: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

    fn hmac_sha1(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        let mut m = Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
        for p in parts {
            m.update(p);
        }
        m.finalize().into_bytes().to_vec()
    }

    /// The MIC a station computes over message 2 (`eapol`, MIC zeroed) with `passphrase`:
    /// PMK by PBKDF2, PTK by the 802.11 PRF, the KCK's HMAC-SHA1.
    pub(crate) fn mic(
        passphrase: &[u8],
        ssid: &[u8],
        anonce: &[u8],
        snonce: &[u8],
        eapol: &[u8],
    ) -> [u8; 16] {
        let mut pmk = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha1::Sha1>(passphrase, ssid, 4096, &mut pmk);
        let mut data = Vec::new();
        data.extend(AP.min(STA));
        data.extend(AP.max(STA));
        data.extend(anonce.min(snonce));
        data.extend(anonce.max(snonce));
        let ptk = hmac_sha1(&pmk, &[b"Pairwise key expansion", &[0], &data, &[0]]);
        let mic = hmac_sha1(&ptk[..16], &[eapol]);
        mic[..16].try_into().unwrap()
    }

    fn run(frames: &[(Direction, Vec<u8>)], ssid: Option<&[u8]>) -> Vec<Credential> {
        let mut d = Eapol::new(AP, STA, ssid.map(<[u8]>::to_vec));
        let mut out = Vec::new();
        for (i, (dir, f)) in frames.iter().enumerate() {
            let chunk = Chunk {
                data: f,
                frame: i as u64 + 1,
                ts: Timestamp::new(5, 0),
            };
            d.datagram(*dir, chunk, &mut out);
        }
        d.close(&mut out);
        out
    }

    #[test]
    fn wpa2_handshake_line_verifies_with_the_passphrase() {
        let anonce = [0x11u8; 32];
        let snonce = [0x22u8; 32];
        let m1 = eapol(KEY, &key_body(M1, 1, &anonce, &[0; 16], &[]));
        let unsigned = eapol(KEY, &key_body(M2, 1, &snonce, &[0; 16], &[0x30, 0x14]));
        let m = mic(b"correct horse", b"HomeNet", &anonce, &snonce, &unsigned);
        let m2 = eapol(KEY, &key_body(M2, 1, &snonce, &m, &[0x30, 0x14]));
        let m3 = eapol(KEY, &key_body(M3, 2, &anonce, &[0x33; 16], &[]));
        use Direction::{ToClient as FromSta, ToServer as FromAp};
        let out = run(
            &[(FromAp, m1), (FromSta, m2.clone()), (FromAp, m3.clone())],
            Some(b"HomeNet"),
        );
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(
            (c.protocol.as_ref(), c.mechanism.as_ref()),
            ("wpa", "4-way handshake")
        );
        assert_eq!(c.outcome, Outcome::Success);
        assert!(
            c.sent_by_server,
            "message 2 came from the conversation's second side"
        );
        assert_eq!(c.frames, [1, 2, 3]);
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 22000);
        let f: Vec<&str> = h.hash.split('*').collect();
        assert_eq!(f[..3], ["WPA", "02", hex(&m).as_str()]);
        assert_eq!(
            f[3..7],
            [hex(&AP), hex(&STA), hex(b"HomeNet"), hex(&anonce)]
        );
        assert_eq!(f[7], hex(&unsigned));
        // The line's parts recompute the MIC with the passphrase, not with another.
        let eapol_bytes: Vec<u8> = (0..f[7].len() / 2)
            .map(|i| u8::from_str_radix(&f[7][2 * i..2 * i + 2], 16).unwrap())
            .collect();
        assert_eq!(
            hex(&mic(
                b"correct horse",
                b"HomeNet",
                &anonce,
                &snonce,
                &eapol_bytes
            )),
            f[2]
        );
        assert_ne!(
            hex(&mic(
                b"wrong horse",
                b"HomeNet",
                &anonce,
                &snonce,
                &eapol_bytes
            )),
            f[2]
        );
        assert!(c.details.contains(&("ssid", "HomeNet".to_string())));

        // Message 1 missed: messages 2 and 3 give the same line, message pair 2.
        let out = run(&[(FromSta, m2), (FromAp, m3)], Some(b"HomeNet"));
        assert_eq!(out.len(), 1, "{out:?}");
        let line = &out[0].hashcat.as_ref().unwrap().hash;
        assert_eq!(line[..line.len() - 2], h.hash[..h.hash.len() - 2]);
        assert!(line.ends_with("*02"), "{line}");
        assert_eq!(out[0].outcome, Outcome::Success);
        assert!(
            out[0].sent_by_server,
            "the station is the harness's second side"
        );
    }

    #[test]
    fn pmkid_without_station_and_no_line_without_a_network_name() {
        let mut data = vec![0xdd, 0x14, 0x00, 0x0f, 0xac, 0x04];
        data.extend([0x5a; 16]);
        let m1 = eapol(KEY, &key_body(M1, 1, &[1; 32], &[0; 16], &data));
        let line = format!(
            "WPA*01*{}*{}*{}*{}***",
            "5a".repeat(16),
            hex(&AP),
            hex(&STA),
            hex(b"Cafe")
        );
        let out = run(&[(Direction::ToServer, m1.clone())], Some(b"Cafe"));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "PMKID");
        assert!(
            out[0].repeats,
            "every message 1 of the pair carries the same PMKID"
        );
        assert_eq!(out[0].hashcat.as_ref().unwrap().hash, line);
        let out = run(&[(Direction::ToServer, m1.clone())], None);
        assert!(out[0].hashcat.is_none());
        assert!(out[0].details.iter().all(|(k, _)| *k != "ssid"));
        // The network named after the PMKID was seen (a beacon just after the handshake):
        // the finding waits for the name and gets its line; another access point's name
        // does not count.
        let mut d = Eapol::new(AP, STA, None);
        let mut out = Vec::new();
        let chunk = Chunk {
            data: &m1,
            frame: 1,
            ts: Timestamp::new(5, 0),
        };
        d.datagram(Direction::ToServer, chunk, &mut out);
        assert!(out.is_empty(), "held for the name: {out:?}");
        d.network_named([9; 6], b"Other", &mut out);
        assert!(out.is_empty());
        d.network_named(AP, b"Cafe", &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].hashcat.as_ref().unwrap().hash, line);
        assert_eq!(out[0].details[0], ("ssid", "Cafe".to_string()));
        d.close(&mut out);
        assert_eq!(out.len(), 1, "nothing more at the end");
        // Held at most MAX_UNNAMED: the next goes out at once without a line, and the
        // held ones at the end, without lines too (the name never came).
        let mut d = Eapol::new(AP, STA, None);
        let mut out = Vec::new();
        for frame in 0..=MAX_UNNAMED as u64 {
            let chunk = Chunk {
                data: &m1,
                frame,
                ts: Timestamp::new(5, 0),
            };
            d.datagram(Direction::ToServer, chunk, &mut out);
        }
        assert_eq!(out.len(), 1, "{out:?}");
        d.close(&mut out);
        assert_eq!(out.len(), MAX_UNNAMED + 1);
        assert!(out.iter().all(|c| c.hashcat.is_none()));
        // A message 2 without its message 1, or of another replay counter: nothing.
        let m2 = eapol(KEY, &key_body(M2, 9, &[2; 32], &[3; 16], &[]));
        assert!(run(&[(Direction::ToClient, m2)], Some(b"x")).is_empty());
    }

    #[test]
    fn eap_md5_and_leap_over_eapol() {
        let challenge = [
            1u8, 2, 3, 4, 5, 6, 7, 8, 9, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
        ];
        let mut req = vec![1, 1, 0, 22, 4, 16];
        req.extend(challenge);
        let mut resp = vec![2, 1, 0, 22, 4, 16];
        resp.extend([0xaf; 16]);
        let out = run(
            &[
                (
                    Direction::ToServer,
                    eapol(EAP_PACKET, &[2, 0, 0, 9, 1, b'j', b'o', b'h', b'n']),
                ),
                (Direction::ToClient, eapol(EAP_PACKET, &req)),
                (Direction::ToServer, eapol(EAP_PACKET, &resp)),
                (Direction::ToClient, eapol(EAP_PACKET, &[4, 1, 0, 4])),
            ],
            None,
        );
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(
            (out[0].protocol.as_ref(), out[0].mechanism.as_ref()),
            ("eapol", "EAP-MD5")
        );
        assert_eq!(out[0].username.as_deref(), Some(&b"john"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);

        let mut leap_req = vec![1, 7, 0, 0, 17, 1, 0, 8];
        leap_req.extend([0x42; 8]);
        leap_req.extend(b"ap");
        let n = leap_req.len() as u16;
        leap_req[2..4].copy_from_slice(&n.to_be_bytes());
        let mut leap_resp = vec![2, 7, 0, 0, 17, 1, 0, 24];
        leap_resp.extend([0x99; 24]);
        leap_resp.extend(b"jane");
        let n = leap_resp.len() as u16;
        leap_resp[2..4].copy_from_slice(&n.to_be_bytes());
        let out = run(
            &[
                (Direction::ToClient, eapol(EAP_PACKET, &leap_req)),
                (Direction::ToServer, eapol(EAP_PACKET, &leap_resp)),
                (Direction::ToClient, eapol(EAP_PACKET, &[3, 7, 0, 4])),
            ],
            None,
        );
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].mechanism, "LEAP");
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(
            out[0].hashcat.as_ref().unwrap().hash,
            format!("jane::::{}:{}", "99".repeat(24), "42".repeat(8))
        );
    }

    #[test]
    fn cut_and_junk_frames_give_nothing() {
        let m1 = eapol(
            KEY,
            &key_body(M1, 1, &[1; 32], &[0; 16], &[0xdd, 0x14, 0, 0x0f, 0xac, 4]),
        );
        for n in 0..m1.len() {
            let _ = run(&[(Direction::ToServer, m1[..n].to_vec())], Some(b"x"));
        }
        assert_eq!(parse(&[9, 0, 0, 0]), None);
        assert_eq!(pmkid(&[0xdd, 0x30]), None);
    }
}
