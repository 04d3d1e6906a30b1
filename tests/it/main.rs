//! Integration tests: the real binary against captures.

mod cli;
mod damage;
mod fixtures;
mod support;
mod third_party;
