//! Real MQTT, IRC and SOCKS5 servers and clients: `tests/e2e/real-iot.sh` runs mosquitto
//! (a mosquitto_passwd password file), ngircd (a server password, an operator, a channel
//! with a key) and microsocks (one user, an HTTP responder behind it) on 127.0.0.1, logs
//! in with mosquitto_pub (MQTT 3.1, 3.1.1 and 5, right and wrong passwords), sic (an IRC
//! client: PASS, then JOIN with a wrong and the right key, OPER with a wrong and the right
//! password; PASS wrong on a second connection) and curl through the SOCKS5 proxy (right
//! and wrong password), then Paho (python3-paho-mqtt) over mosquitto's websockets listener
//! (MQTT inside WebSocket frames, right and wrong password), and captures lo with tcpdump.
//! plainsight must report each
//! credential exactly once, with the right user, secret and outcome.
//!
//! The expected findings are written from what the script does (its header lists the same
//! exchanges), not from plainsight's output; only the servers' ports (free ports the script
//! picked) come from the run, and the clients' ephemeral ports are normalised to 0.
//!
//! Needs root and the packages of `./scripts/setup-debian.sh --test` (mosquitto,
//! mosquitto-clients, ngircd, sic, microsocks, socat, curl, tcpdump); otherwise the test
//! says why on standard error and passes.

use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use crate::support::{
    Expect, assert_findings, find_program, is_root, leak, repo, scan, without_client_port,
};

// The same values as in tests/e2e/real-iot.sh.
const MQTT_USER: &str = "sensor";
const MQTT_PASS: &str = "Mqtt!Pass1";
const MQTT_WRONG: &str = "mqtt-Wr0ng";
const IRC_NICK: &str = "ircuser";
const IRC_PASS: &str = "Serv3r!pw";
const IRC_WRONG: &str = "serv3r-Wr0ng";
const OPER_PASS: &str = "0per!pw";
const OPER_WRONG: &str = "oper-Wr0ng";
const CHAN_KEY: &str = "ChanKey1";
const KEY_WRONG: &str = "key-Wr0ng";
const SOCKS_USER: &str = "paul";
const SOCKS_PASS: &str = "S0cks!pw";
const SOCKS_WRONG: &str = "socks-Wr0ng";

const REQUIRED: &[&str] = &[
    "bash",
    "tcpdump",
    "mosquitto",
    "mosquitto_passwd",
    "mosquitto_pub",
    "ngircd",
    "sic",
    "microsocks",
    "socat",
    "curl",
    "ss",
];

fn expected(mqtt: u16, irc: u16, socks: u16, ws: u16) -> Vec<Expect> {
    let client = "127.0.0.1:0";
    let mqtt = Expect {
        protocol: "mqtt",
        mechanism: "CONNECT",
        kind: "cleartext",
        client,
        server: leak(format!("127.0.0.1:{mqtt}")),
        username: Some(MQTT_USER),
        ..Expect::default()
    };
    let irc = |mechanism: &'static str, user: &'static str| Expect {
        protocol: "irc",
        mechanism,
        kind: "cleartext",
        client,
        server: leak(format!("127.0.0.1:{irc}")),
        username: Some(user),
        ..Expect::default()
    };
    let socks = Expect {
        protocol: "socks",
        mechanism: "SOCKS5 username/password",
        kind: "cleartext",
        client,
        server: leak(format!("127.0.0.1:{socks}")),
        username: Some(SOCKS_USER),
        ..Expect::default()
    };
    let mut want = Vec::new();
    // 1-6: mosquitto_pub -V mqttv31, mqttv311, mqttv5; right then wrong password.
    for _ in 0..3 {
        want.push(Expect {
            secret: MQTT_PASS,
            outcome: "success",
            ..mqtt.clone()
        });
        want.push(Expect {
            secret: MQTT_WRONG,
            outcome: "failure",
            ..mqtt.clone()
        });
    }
    want.extend([
        // 7: sic with the server password: welcomed.
        Expect {
            secret: IRC_PASS,
            outcome: "success",
            ..irc("PASS", IRC_NICK)
        },
        // JOIN #locked with a wrong key: 475; with the right key: joined (a JOIN does not
        // prove a key).
        Expect {
            secret: KEY_WRONG,
            outcome: "failure",
            ..irc("JOIN channel key", IRC_NICK)
        },
        Expect {
            secret: CHAN_KEY,
            outcome: "unknown",
            ..irc("JOIN channel key", IRC_NICK)
        },
        // OPER with a wrong password: 464; with the right one: 381.
        Expect {
            secret: OPER_WRONG,
            outcome: "failure",
            ..irc("OPER", "admin")
        },
        Expect {
            secret: OPER_PASS,
            outcome: "success",
            ..irc("OPER", "admin")
        },
        // 8: sic with a wrong server password: ERROR "Bad password".
        Expect {
            secret: IRC_WRONG,
            outcome: "failure",
            ..irc("PASS", leak(format!("{IRC_NICK}2")))
        },
        // 9, 10: curl through microsocks, right then wrong password.
        Expect {
            secret: SOCKS_PASS,
            outcome: "success",
            ..socks.clone()
        },
        Expect {
            secret: SOCKS_WRONG,
            outcome: "failure",
            ..socks
        },
        // 11, 12: Paho over mosquitto's websockets listener, right then wrong password.
        Expect {
            secret: MQTT_PASS,
            outcome: "success",
            server: leak(format!("127.0.0.1:{ws}")),
            ..mqtt.clone()
        },
        Expect {
            secret: MQTT_WRONG,
            outcome: "failure",
            server: leak(format!("127.0.0.1:{ws}")),
            ..mqtt
        },
    ]);
    want
}

#[test]
fn real_mqtt_irc_socks_every_credential_reported_once() {
    if !is_root() {
        eprintln!("real_iot: SKIPPED: needs root (tcpdump on lo, daemons)");
        return;
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|p| find_program(p).is_none())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "real_iot: SKIPPED: missing {} (install with ./scripts/setup-debian.sh --test)",
            missing.join(", ")
        );
        return;
    }

    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("plainsight-real-iot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let pcap = dir.join("real-iot.pcap");
    let out = Command::new(find_program("bash").expect("bash"))
        .arg(repo().join("tests/e2e/real-iot.sh"))
        .arg(&pcap)
        .output()
        .expect("run tests/e2e/real-iot.sh");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        out.status.success(),
        "real-iot.sh failed ({}):\n{stdout}\n{stderr}",
        out.status
    );

    // "ports mqtt=<port> irc=<port> socks=<port> http=<port>"
    let ports = stdout
        .lines()
        .find_map(|l| l.strip_prefix("ports "))
        .unwrap_or_else(|| panic!("no ports line from the script: {stdout}"));
    let port = |name: &str| -> u16 {
        ports
            .split(' ')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} port in {ports:?}"))
    };
    let (mqtt, irc, socks, http) = (port("mqtt"), port("irc"), port("socks"), port("http"));

    eprintln!("real_iot: capture {}", pcap.display());
    let (findings, code, scan_stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "plainsight exit status\n{scan_stderr}");
    for f in &findings {
        assert_eq!(f["client"]["ip"], "127.0.0.1", "{f:#}");
        assert_ne!(f["client"]["port"], f["server"]["port"], "{f:#}");
    }
    let normalised: Vec<Value> = findings.iter().map(without_client_port).collect();
    let want = expected(mqtt, irc, socks, port("ws"));
    assert_findings("real mqtt/irc/socks", &normalised, &want);

    // In time order, the exchanges happened as the script ran them.
    let mut sorted: Vec<&Value> = findings.iter().collect();
    sorted.sort_by_key(|f| f["timestamp"].as_str().unwrap_or("").to_string());
    for (i, (f, e)) in sorted.iter().zip(&want).enumerate() {
        if let Some(why) = e.mismatch(&without_client_port(f)) {
            panic!(
                "finding #{} in time order is not the expected one: {why}\n{f:#}",
                i + 1
            );
        }
    }
    // MQTT versions and client ids; the SOCKS request's destination.
    let versions: Vec<&str> = sorted
        .iter()
        .filter(|f| f["protocol"] == "mqtt")
        .filter_map(|f| f["details"]["version"].as_str())
        .collect();
    assert_eq!(
        versions,
        [
            "3.1", "3.1", "3.1.1", "3.1.1", "5.0", "5.0", "3.1.1", "3.1.1"
        ]
    );
    let carried: Vec<&str> = sorted
        .iter()
        .filter(|f| f["protocol"] == "mqtt")
        .map(|f| f["details"]["transport"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(carried, ["", "", "", "", "", "", "websocket", "websocket"]);
    let accepted = sorted
        .iter()
        .find(|f| f["protocol"] == "socks" && f["outcome"] == "success")
        .expect("the accepted SOCKS login");
    assert_eq!(
        accepted["details"]["destination"],
        format!("127.0.0.1:{http}")
    );

    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "real_iot: {} findings as expected, {:.1}s in all",
        findings.len(),
        started.elapsed().as_secs_f64()
    );
}
