//! A whole capture file through the whole pipeline: reader, decoder, flows, dissectors.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use plainsight::capture::{FileSource, Next, PacketSource};
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
    // The one-thread runner's way in, `poll`, reads the same packets and errors.
    let mut polled = FileSource::new(std::io::Cursor::new(data.to_vec())).ok();
    let mut n = 0;
    loop {
        let read = src.next_packet();
        if let Some(p) = &mut polled {
            let same = match (&read, p.poll()) {
                (Ok(Some(a)), Ok(Next::Packet(b))) => format!("{a:?}") == format!("{b:?}"),
                (Ok(None), Ok(Next::End)) => true,
                (Err(a), Err(b)) => a.to_string() == b.to_string(),
                _ => false,
            };
            assert!(same, "poll and next_packet disagree at packet {n}");
        }
        let Ok(Some(pkt)) = read else { break };
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
