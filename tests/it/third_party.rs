//! Real captures from other projects (`../shared/fixtures/third-party/`, not in this
//! repository): every credential their MANIFEST.toml lists for the protocols plainsight
//! covers must be found with its exact fields, and nothing else may be reported. Skipped
//! (with a message) when the folder is absent.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::{repo, scan};

/// Protocols whose captures are checked (the manifest's `protocol` of a capture), and whose
/// expected findings are (`ldap-ntlm`: LDAP with an NTLM mechanism).
const COVERED: &[&str] = &[
    "ftp",
    "pop3",
    "telnet",
    "imap",
    "smtp",
    "ldap",
    "ldap-ntlm",
    "snmp",
    "http",
    "http-ntlm",
    "redis",
    "postgresql",
    "mysql",
    "radius",
    "sip",
    "smb",
    "kerberos",
    "mqtt",
    "irc",
    "socks5",
    "vnc",
];

/// Manifest entries that disagree with their own capture, corrected to what the capture
/// shows: (path, client port, TOML keys to replace, the evidence, read with tshark).
const ENTRY_ERRATA: &[(&str, i64, &str, &str)] = &[
    (
        "irc/arkime-irc-vlan-port80.pcap",
        59604,
        "frame = 8\nauth_result = \"success\"",
        "frame 4 carries CAP REQ, PASS is frame 8; 001 RPL_WELCOME (frame 12) answers the \
         registration",
    ),
    (
        "irc/zeek-irc-pass-oper.pcap",
        52624,
        "auth_result = \"success\"",
        "after 433 the client registers as tim_ with the same PASS; 001 RPL_WELCOME in \
         frame 76",
    ),
];

/// The SNMPv3 sample lists the users CredSLayer printed (user names only, outcome
/// unknown): every one of their messages is authenticated (msgFlags 0x07 or 0x05, a 12-byte
/// msgAuthenticationParameters), so plainsight reports the HMAC to crack, and the agent
/// answered each with the same msgID (an encrypted reply or a get-response).
const SNMPV3: &str = "snmp/credslayer-snmpv3-usernames-loopback.pcap";
const SNMPV3_ERRATA: &[(i64, &str)] = &[
    (
        50399,
        "frame 4: the agent's encrypted reply to msgID 821490645",
    ),
    (
        50401,
        "frame 40: the agent's encrypted reply to msgID 1700667682",
    ),
    (50403, "frame 76: the agent's encrypted reply"),
    (50405, "frame 112: the agent's encrypted reply"),
];

/// Logins a capture holds that its manifest does not list, read with tshark:
/// (path, the entry in the manifest's format, the evidence).
const ENTRY_ADDENDA: &[(&str, &str, &str)] = &[
    (
        SNMPV3,
        "protocol = \"snmp\"\nclient_ip = \"127.0.0.1\"\nclient_port = 50400\nserver_ip = \"127.0.0.1\"\nserver_port = 161\nusername = \"pippo\"\nkind = \"challenge-response\"\nauth_result = \"success\"\nframe = 21\nauth_params = \"eb092e1f0fe5e69ed1c6f41e\"",
        "a second session of pippo, authNoPriv; get-response in frame 22",
    ),
    (
        SNMPV3,
        "protocol = \"snmp\"\nclient_ip = \"127.0.0.1\"\nclient_port = 50402\nserver_ip = \"127.0.0.1\"\nserver_port = 161\nusername = \"pippo2\"\nkind = \"challenge-response\"\nauth_result = \"success\"\nframe = 57\nauth_params = \"566138965a7e390b971ab8ed\"",
        "authNoPriv; get-response in frame 58",
    ),
    (
        SNMPV3,
        "protocol = \"snmp\"\nclient_ip = \"127.0.0.1\"\nclient_port = 50404\nserver_ip = \"127.0.0.1\"\nserver_port = 161\nusername = \"pippo3\"\nkind = \"challenge-response\"\nauth_result = \"success\"\nframe = 93\nauth_params = \"a8bd35c02a1665199c547d50\"",
        "authNoPriv; get-response in frame 94",
    ),
    (
        SNMPV3,
        "protocol = \"snmp\"\nclient_ip = \"127.0.0.1\"\nclient_port = 50406\nserver_ip = \"127.0.0.1\"\nserver_port = 161\nusername = \"pippo4\"\nkind = \"challenge-response\"\nauth_result = \"success\"\nframe = 129\nauth_params = \"69a4730b063b84ee2a888fec\"",
        "authNoPriv; get-response in frame 130",
    ),
];

/// Entry `e` of capture `path`, with its erratum applied.
fn corrected(path: &str, e: &toml::Value) -> toml::Value {
    let mut e = e.clone();
    for (p, port, fix, _evidence) in ENTRY_ERRATA {
        let port_matches = e.get("client_port").and_then(toml::Value::as_integer) == Some(*port);
        if *p == path
            && port_matches
            && let (Some(t), Ok(fix)) = (e.as_table_mut(), toml::from_str::<toml::Table>(fix))
        {
            t.extend(fix);
        }
    }
    if path == SNMPV3
        && let Some(port) = e.get("client_port").and_then(toml::Value::as_integer)
        && SNMPV3_ERRATA.iter().any(|(p, _evidence)| *p == port)
        && let Some(t) = e.as_table_mut()
    {
        t.insert("kind".into(), "challenge-response".into());
        t.insert("auth_result".into(), "success".into());
        t.remove("optional");
    }
    e
}

fn third_party() -> Option<PathBuf> {
    let dir = repo().join("../shared/fixtures/third-party");
    dir.join("MANIFEST.toml").is_file().then_some(dir)
}

fn s<'a>(v: &'a toml::Value, k: &str) -> &'a str {
    v.get(k).and_then(toml::Value::as_str).unwrap_or("")
}

fn endpoint(v: &Value) -> (String, u64) {
    (
        v["ip"].as_str().unwrap_or_default().to_string(),
        v["port"].as_u64().unwrap_or_default(),
    )
}

/// Manifest entries whose `auth_result` the capture contradicts, keyed by the entry's
/// frame and response: the server's final reply is in the capture (tshark `sip.Status-Line`
/// of the response with the request's Call-ID and CSeq).
const AUTH_RESULT_ERRATA: &[(i64, &str, &str)] = &[
    // sip/zeek-sip-digest-udp.pcap lists "unknown" for every Digest.
    (3, "bd79fecae600a2eb79d37ec73214830b", "failure"), // frame 5: 403 Wrong password
    (8, "cc2d4573ee9399f34c1c7f3bf5144103", "failure"), // frame 9: 401, stale=false
    (12, "29cd776112a709cb9cbe978baff5e478", "failure"), // frame 13: 401, stale=false
    (16, "79a0543188495d288c9ebbe0c881abdc", "success"), // frame 18: 200 OK
    (42, "8258d3744c08b75f7af46cd0f1762510", "failure"), // frame 43: 403 (Proxy-Authorization)
    (47, "d973fd6f5ae1ac5accaff93cd603c1b5", "failure"), // frame 48: 401, stale=false
    (51, "e733a545cf353a92820b48c90153e59d", "failure"), // frame 52: 401, stale=false
    (55, "0df96eb528bb630a16fd0252618cf3cb", "success"), // frame 57: 200 OK
    (63, "9e65b34f9156b9f55d83ac1bcd84ba57", "failure"), // frame 64: 401, stale=false
    (65, "0b7990bb21d5572d6571e97b98c6d70f", "failure"), // frame 67: 403 (Proxy-Authorization)
    (79, "92f9402a5ee6660935cb1254a04a523a", "success"), // frame 81: 200 OK
];

/// A PAP User-Password (hex) decoded with the shared secret, computed here (RFC 2865
/// section 5.2: each 16 bytes XOR MD5(secret + the previous hidden block, the Request
/// Authenticator first)), without its NUL padding.
fn pap_reveal(hidden_hex: &str, authenticator_hex: &str, key: &[u8]) -> Option<Vec<u8>> {
    use md5::Digest;
    let unhex = |h: &str| -> Option<Vec<u8>> {
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
            .collect()
    };
    let hidden = unhex(hidden_hex)?;
    let mut prev = unhex(authenticator_hex)?;
    let mut out = Vec::new();
    for block in hidden.chunks(16) {
        let pad = md5::Md5::new()
            .chain_update(key)
            .chain_update(&prev)
            .finalize();
        out.extend(block.iter().zip(pad.iter()).map(|(c, p)| c ^ p));
        prev = block.to_vec();
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    Some(out)
}

/// Whether finding `f` is the manifest's entry `e`.
fn matches(e: &toml::Value, f: &Value) -> Result<(), String> {
    let mut why = Vec::new();
    // "http-ntlm" and the like: the protocol, with an NTLM mechanism.
    let (protocol, ntlm) = match s(e, "protocol").strip_suffix("-ntlm") {
        Some(p) => (p, true),
        None => (s(e, "protocol"), false),
    };
    // "socks5": plainsight's protocol is "socks", the version is in the mechanism.
    let (protocol, socks5) = match protocol {
        "socks5" => ("socks", true),
        p => (p, false),
    };
    if socks5 && !f["mechanism"].as_str().unwrap_or("").starts_with("SOCKS5") {
        why.push(format!("mechanism {} is not SOCKS5", f["mechanism"]));
    }
    // An IRC channel key is a cleartext secret given with JOIN.
    if s(e, "kind") == "channel-key" && !f["mechanism"].as_str().unwrap_or("").contains("JOIN") {
        why.push(format!("mechanism {} is not a JOIN key", f["mechanism"]));
    }
    if f["protocol"] != protocol {
        why.push(format!("protocol {} != {protocol}", f["protocol"]));
    }
    if ntlm && !f["mechanism"].as_str().unwrap_or("").contains("NTLM") {
        why.push(format!("mechanism {} is not NTLM", f["mechanism"]));
    }
    let port = |k: &str| e.get(k).and_then(toml::Value::as_integer).unwrap_or(-1) as u64;
    if endpoint(&f["client"]) != (s(e, "client_ip").to_string(), port("client_port")) {
        why.push(format!("client {:?}", endpoint(&f["client"])));
    }
    if endpoint(&f["server"]) != (s(e, "server_ip").to_string(), port("server_port")) {
        why.push(format!("server {:?}", endpoint(&f["server"])));
    }
    let user = s(e, "username");
    let got_user = f.get("username").and_then(Value::as_str).unwrap_or("");
    if got_user != user {
        why.push(format!("username {got_user:?} != {user:?}"));
    }
    // The secret: the password, the community or token, or the response of a
    // challenge-response (the NT response for NTLM); some entries only give a hash.
    let secret = match s(e, "kind") {
        "plaintext" => Some(s(e, "password")),
        // A token sent as a password (IRC `PASS oauth:...`) is given as the password.
        "token" if e.get("secret").is_none() => Some(s(e, "password")),
        "challenge-response" => ["response", "nt_response", "auth_params"]
            .iter()
            .find_map(|k| e.get(*k).and_then(toml::Value::as_str)),
        // RADIUS PAP: the User-Password as hidden with the shared secret.
        "obfuscated" => e.get("user_password_enc").and_then(toml::Value::as_str),
        _ => Some(s(e, "secret")),
    };
    let got_secret = f.get("secret").and_then(Value::as_str).unwrap_or("");
    if let Some(secret) = secret
        && got_secret != secret
    {
        why.push(format!("secret {got_secret:?} != {secret:?}"));
    }
    // SNMPv3 entries give the authoritative engine ID.
    if let Some(engine) = e.get("engine_id").and_then(toml::Value::as_str)
        && f["details"]["engine_id"] != engine
    {
        why.push(format!(
            "engine_id {} != {engine}",
            f["details"]["engine_id"]
        ));
    }
    // MySQL entries give the response as `response_hex` (the finding's secret);
    // PostgreSQL md5 entries give the PasswordMessage as sent ("md5" + 32 hex digits, the
    // finding's secret) as `hash`, and the StartupMessage's database.
    if let Some(r) = e.get("response_hex").and_then(toml::Value::as_str)
        && got_secret != r
    {
        why.push(format!("secret {got_secret:?} != response_hex {r:?}"));
    }
    if s(e, "hash_format").starts_with("PostgreSQL md5") && got_secret != s(e, "hash") {
        why.push(format!("secret {got_secret:?} != hash {:?}", s(e, "hash")));
    }
    // SCRAM entries give the exchange's three messages: the proof is the secret, and
    // client-first-bare, server-first and client-final-without-proof are the challenge.
    if let (Some(first), Some(server), Some(last)) = (
        e.get("client_first").and_then(toml::Value::as_str),
        e.get("server_first").and_then(toml::Value::as_str),
        e.get("client_final").and_then(toml::Value::as_str),
    ) {
        let bare = first.splitn(3, ',').nth(2).unwrap_or_default();
        let (without, proof) = last.rsplit_once(",p=").unwrap_or_default();
        if got_secret != proof {
            why.push(format!("secret {got_secret:?} != proof {proof:?}"));
        }
        let auth = format!("{bare},{server},{without}");
        if f["challenge"] != auth.as_str() {
            why.push(format!(
                "challenge {} != AuthMessage {auth:?}",
                f["challenge"]
            ));
        }
    }
    if s(e, "protocol") == "postgresql"
        && let Some(db) = e.get("database").and_then(toml::Value::as_str)
        && f["details"]["database"] != db
    {
        why.push(format!("database {} != {db}", f["details"]["database"]));
    }
    // Kerberos entries give the EncryptedData `cipher` (the finding's secret), its etype,
    // the realm (the finding's domain), the mechanism and, for a service ticket, the SPN.
    if let Some(cipher) = e.get("cipher").and_then(toml::Value::as_str) {
        if let Some(m) = e.get("mechanism").and_then(toml::Value::as_str)
            && f["mechanism"] != m
        {
            why.push(format!("mechanism {} != {m}", f["mechanism"]));
        }
        if got_secret != cipher {
            why.push(format!("secret {got_secret:?} != cipher {cipher:?}"));
        }
        if let Some(etype) = e.get("etype").and_then(toml::Value::as_integer)
            && f["details"]["etype"].as_str() != Some(etype.to_string().as_str())
        {
            why.push(format!("etype {} != {etype}", f["details"]["etype"]));
        }
        if let Some(realm) = e.get("realm").and_then(toml::Value::as_str)
            && f["domain"] != realm
        {
            why.push(format!("domain {} != realm {realm}", f["domain"]));
        }
        if let Some(spn) = e.get("spn").and_then(toml::Value::as_str)
            && f["details"]["spn"] != spn
        {
            why.push(format!("spn {} != {spn}", f["details"]["spn"]));
        }
    }
    if s(e, "hash_format").starts_with("hashcat")
        && f["hashcat"]["hash"].as_str() != e.get("hash").and_then(toml::Value::as_str)
    {
        why.push(format!("hashcat {} != {}", f["hashcat"], s(e, "hash")));
    }
    if let Some(domain) = e.get("domain").and_then(toml::Value::as_str)
        && f["domain"] != domain
    {
        why.push(format!("domain {} != {domain}", f["domain"]));
    }
    let want_kind = match s(e, "kind") {
        "plaintext" => "cleartext",
        "community" => "cleartext",
        "channel-key" => "cleartext",
        // Hidden with a key the capture does not hold (RADIUS PAP): a challenge (the
        // Request Authenticator) and a response to crack or decode offline.
        "obfuscated" => "challenge-response",
        other => other,
    };
    if f["kind"] != want_kind {
        why.push(format!("kind {} != {want_kind}", f["kind"]));
    }
    let want_outcome = AUTH_RESULT_ERRATA
        .iter()
        .find(|(frame, response, _)| {
            e.get("frame").and_then(toml::Value::as_integer) == Some(*frame)
                && s(e, "response") == *response
        })
        .map_or(s(e, "auth_result"), |(_, _, outcome)| outcome);
    if f["outcome"] != want_outcome {
        why.push(format!("outcome {} != {want_outcome}", f["outcome"]));
    }
    // RADIUS PAP: the Request Authenticator, and the password the shared secret reveals.
    if let Some(a) = e.get("authenticator").and_then(toml::Value::as_str)
        && f["challenge"] != a
    {
        why.push(format!("challenge {} != authenticator {a}", f["challenge"]));
    }
    if let (Some(key), Some(password)) = (
        e.get("known_secret").and_then(toml::Value::as_str),
        e.get("known_password").and_then(toml::Value::as_str),
    ) && s(e, "kind") == "obfuscated"
    {
        let shown = pap_reveal(
            got_secret,
            f["challenge"].as_str().unwrap_or(""),
            key.as_bytes(),
        );
        if shown.as_deref() != Some(password.as_bytes()) {
            why.push(format!(
                "secret does not reveal {password:?} with shared secret {key:?}"
            ));
        }
    }
    if let Some(ch) = e.get("challenge").and_then(toml::Value::as_str)
        && f["challenge"] != ch
    {
        why.push(format!("challenge {} != {ch}", f["challenge"]));
    }
    if let Some(frame) = e.get("frame").and_then(toml::Value::as_integer) {
        let frames = f["frames"].as_array().cloned().unwrap_or_default();
        if !frames.iter().any(|x| x.as_i64() == Some(frame)) {
            why.push(format!("frames {frames:?} lack {frame}"));
        }
    }
    if why.is_empty() {
        Ok(())
    } else {
        Err(why.join("; "))
    }
}

#[test]
fn third_party_captures_give_their_expected_findings() {
    let Some(dir) = third_party() else {
        eprintln!("skipped: ../shared/fixtures/third-party is not here");
        return;
    };
    let text = std::fs::read_to_string(dir.join("MANIFEST.toml")).expect("manifest");
    let manifest: toml::Value = toml::from_str(&text).expect("manifest parses");
    let captures = manifest["capture"].as_array().expect("captures");
    let mut checked = 0;
    let mut failures = Vec::new();
    for cap in captures {
        let path = s(cap, "path");
        let negative = path.starts_with("negative/");
        if !negative && !COVERED.contains(&s(cap, "protocol")) {
            continue;
        }
        checked += 1;
        let (findings, _code, stderr) = scan(&[&dir.join(path)]);
        let mut expected = cap["expected"].as_array().cloned().unwrap_or_default();
        for (p, entry, _evidence) in ENTRY_ADDENDA {
            if *p == path {
                expected.push(toml::Value::Table(toml::from_str(entry).expect("addendum")));
            }
        }
        let mut left: Vec<&Value> = findings.iter().collect();
        for e in &expected {
            let e = &corrected(path, e);
            let optional = e
                .get("optional")
                .and_then(toml::Value::as_bool)
                .unwrap_or(false);
            if !COVERED.contains(&s(e, "protocol")) {
                continue; // e.g. telnet-ntlm, another issue's work
            }
            match left.iter().position(|f| matches(e, f).is_ok()) {
                Some(i) => {
                    left.remove(i);
                }
                None if optional => eprintln!("{path}: optional entry not found: {e}"),
                None => {
                    let why: Vec<String> =
                        left.iter().filter_map(|f| matches(e, f).err()).collect();
                    failures.push(format!(
                        "{path}: missing {e}\n  closest: {why:?}\n  stderr: {stderr}"
                    ));
                }
            }
        }
        for f in left {
            failures.push(format!("{path}: unexpected finding {f}"));
        }
    }
    assert!(checked >= 20, "only {checked} captures checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
