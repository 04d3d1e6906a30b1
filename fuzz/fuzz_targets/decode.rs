//! One packet of any supported link type through the decoder (fragments included).
#![no_main]

use libfuzzer_sys::fuzz_target;
use plainsight::capture::{LinkType, Packet};
use plainsight::decode::{DecodedAt, Decoder, DefragLimits, decode_stateless};
use plainsight::timestamp::Timestamp;

const LINKTYPES: [LinkType; 20] = [
    LinkType::ETHERNET,
    LinkType::RAW,
    LinkType::IPV4,
    LinkType::IPV6,
    LinkType::NULL,
    LinkType::LOOP,
    LinkType::LINUX_SLL,
    LinkType::LINUX_SLL2,
    LinkType(147),
    LinkType::PPP,
    LinkType::PPP_HDLC,
    LinkType::PPP_ETHER,
    LinkType::C_HDLC,
    LinkType::IEEE802_11,
    LinkType::PFLOG,
    LinkType::PRISM,
    LinkType::IEEE802_11_RADIOTAP,
    LinkType::AVS,
    LinkType::PPI,
    LinkType::NFLOG,
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let mut decoder = Decoder::new(DefragLimits::default());
    // Several packets from one input, so fragments can meet.
    for (i, piece) in rest.split(|&b| b == 0xa5).take(16).enumerate() {
        let pkt = Packet {
            frame: i as u64 + 1,
            ts: Timestamp::new(i as i64, 0),
            linktype: LINKTYPES[usize::from(first) % LINKTYPES.len()],
            data: piece,
            orig_len: piece.len() as u32 + u32::from(first & 0x0f),
        };
        if let Ok(d) = decoder.decode(&pkt) {
            let _ = d.tcp_checksum_ok();
            if let plainsight::decode::Transport::Tcp(t) = &d.transport {
                let _ = plainsight::dissect::tcp_md5::signature(d.src, d.dst, t.segment);
            }
        }
        // What one worker hands another: packed as offsets, the same packet back.
        // Neither TCP nor UDP: the datagram or link-layer frame other dissectors read.
        let _ = decode_stateless(&pkt).other(&pkt);
        if let Ok(d) = decode_stateless(&pkt).get()
            && let Some(at) = DecodedAt::new(d, pkt.data)
        {
            let back = at.over(pkt.data).expect("the bytes it was decoded from");
            assert_eq!(format!("{back:?}"), format!("{d:?}"));
        }
    }
});
