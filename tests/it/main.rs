//! Integration tests: the real binary against captures.

mod cli;
mod damage;
mod fixtures;
mod real_servers;
mod support;
mod third_party;
