//! Differential: a classic pcap or pcapng file read in small chunks by two workers gives
//! exactly what one reader gives (findings with their frames, packet counters, the error
//! that ended it).
#![no_main]

use std::fs::File;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use plainsight::capture::{ChunkedFile, FileSource};
use plainsight::dissect::detect::Registry;
use plainsight::engine::Limits;
use plainsight::finding::Finding;
use plainsight::pipeline::{self, Output};

#[derive(Default)]
struct Collect(Vec<String>);

impl Output for Collect {
    fn finding(&mut self, f: Finding) -> bool {
        self.0
            .push(format!("{:?} {:?} {:?}", f.credential, f.client, f.server));
        true
    }
}

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("plainsight-fuzz-chunked-{}", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let Ok(file) = File::open(&path) else { return };
    let Some(chunked) = ChunkedFile::with_sizes(&file, 4096, 8192) else {
        return;
    };
    if chunked.is_empty() {
        return;
    }
    let limits = Limits {
        max_flows: 64,
        ..Limits::default()
    };
    let registry = Arc::new(Registry::builtin());
    let Ok(mut one) = FileSource::open(File::open(&path).unwrap()) else {
        return;
    };
    let mut a = Collect::default();
    let ra = pipeline::run(
        &mut one,
        1,
        registry.clone(),
        limits,
        Arc::from("f"),
        &mut a,
    );
    let mut b = Collect::default();
    let rb = pipeline::run_chunked(&chunked, 2, registry, limits, Arc::from("f"), &mut b)
        .expect("two worker threads start");
    a.0.sort();
    b.0.sort();
    assert_eq!(
        ra.error.map(|e| e.to_string()),
        rb.error.map(|e| e.to_string())
    );
    assert_eq!(ra.stats.packets, rb.stats.packets);
    assert_eq!(ra.stats.bytes, rb.stats.bytes);
    assert_eq!(a.0, b.0);
});
