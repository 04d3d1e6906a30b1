//! Any UDP dissector on fuzzed datagrams. The input starts with the protocol's name and a
//! NUL (an unknown name picks a dissector by its first byte), then records as in a
//! conversation (see `conversation`; no gaps), one datagram each. New dissectors are
//! covered as soon as they are in `builtin_udp()`; the link-layer ones the engine makes
//! itself (`pppoe`, `eapol`, `isis`) by name.
#![no_main]

mod conversation;

use libfuzzer_sys::fuzz_target;
use plainsight::dissect::eapol::Eapol;
use plainsight::dissect::isis::Isis;
use plainsight::dissect::ppp::Pppoe;
use plainsight::dissect::{DatagramDissector, DissectorConfig, builtin_udp};

fuzz_target!(|data: &[u8]| {
    let specs = builtin_udp();
    let Some(nul) = data.iter().position(|&b| b == 0) else {
        return;
    };
    let (name, rest) = (&data[..nul], &data[nul + 1..]);
    let (label, mut d): (&str, Box<dyn DatagramDissector>) = match name {
        b"pppoe" => ("pppoe", Box::new(Pppoe::new(7))),
        b"isis" => ("isis", Box::<Isis>::default()),
        b"eapol" => (
            "eapol",
            Box::new(Eapol::new([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2], Some(b"net".to_vec()))),
        ),
        _ => {
            let spec = specs
                .iter()
                .find(|s| s.name.as_bytes() == name)
                .unwrap_or(&specs[usize::from(name.first().copied().unwrap_or(0)) % specs.len()]);
            let _ = (spec.probe)(rest);
            (spec.name, (spec.new)(&DissectorConfig::default()))
        }
    };
    let mut out = Vec::new();
    let frames = conversation::replay(rest, false, |record| {
        if let conversation::Record::Data(dir, chunk) = record {
            d.datagram(dir, chunk, &mut out);
        }
        assert!(
            d.buffered() < 1 << 20,
            "{}: {} bytes held",
            label,
            d.buffered()
        );
    });
    d.close(&mut out);
    conversation::check_frames(&out, frames);
});
