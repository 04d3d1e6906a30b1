//! plainsight: finds credentials that cross the network in cleartext.
//!
//! The pipeline, one module per stage:
//! [`capture`] (packet sources) -> [`decode`] (link, IP, TCP/UDP) -> [`flow`] (flow table,
//! TCP reassembly) -> [`dissect`] (protocol detection and dissectors) -> [`finding`]
//! (the one finding type) -> [`output`] (sinks). [`engine`] wires the stages together and
//! [`scan`] runs it over capture files.
// No unsafe code, but for the memory map of capture files and the cache prefetch of the
// next record (`capture::mapped`, where the measurements that justify them are written).
#![deny(unsafe_code)]

pub mod capture;
pub mod cli;
pub mod decode;
pub mod dissect;
pub mod engine;
pub mod finding;
pub mod flow;
pub mod output;
pub mod pipeline;
pub mod privileges;
pub mod rules;
pub mod scan;
pub mod synth;
pub mod timestamp;
