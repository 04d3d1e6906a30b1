//! Integration tests: the real binary against captures.

mod bench_smoke;
mod cli;
mod damage;
mod fixtures;
mod output;
mod proto_aaa;
mod proto_db;
mod proto_http;
mod proto_iot;
mod proto_ldap_snmp;
mod proto_win;
mod real_aaa;
mod real_db;
mod real_http;
mod real_iot;
mod real_ldap_snmp;
mod real_mail;
mod real_servers;
mod real_tacacs;
mod real_win;
mod real_xmpp;
mod rules;
mod support;
mod third_party;
mod threads;
