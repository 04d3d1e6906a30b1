//! Integration tests: the real binary against captures.

mod cli;
mod damage;
mod fixtures;
mod proto_http;
mod proto_ldap_snmp;
mod real_http;
mod real_ldap_snmp;
mod real_mail;
mod real_servers;
mod rules;
mod support;
mod third_party;
mod threads;
