//! A whole capture file through the whole pipeline: reader, decoder, flows, dissectors.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use plainsight::capture::FileSource;
use plainsight::dissect::detect::Registry;
use plainsight::engine::{Engine, Limits};

fuzz_target!(|data: &[u8]| {
    let Ok(mut src) = FileSource::new(std::io::Cursor::new(data.to_vec())) else {
        return;
    };
    let limits = Limits {
        max_flows: 64,
        ..Limits::default()
    };
    let mut engine = Engine::new(Arc::new(Registry::builtin()), limits, Arc::from("fuzz"));
    let mut n = 0;
    while let Ok(Some(pkt)) = src.next_packet() {
        engine.packet(&pkt);
        engine.drain_findings().for_each(drop);
        n += 1;
        if n > 10_000 {
            break;
        }
    }
    engine.finish();
    engine.drain_findings().for_each(drop);
});
