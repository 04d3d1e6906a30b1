//! Real message brokers: `tests/e2e/real-broker.sh` runs RabbitMQ (AMQP 0-9-1, and its
//! AMQP 1.0 and STOMP plugins) in a network namespace, and logs in from another with
//! amqp-publish (librabbitmq, PLAIN), Qpid Proton (AMQP 1.0 SASL PLAIN) and stomp.py
//! (CONNECT), each with the right password and a wrong one. plainsight must report every
//! password with the outcome the client saw, one thread or two. Needs root, tcpdump, ip,
//! rabbitmq-server, amqp-tools, python3-qpid-proton and python3-stomp
//! (`./scripts/setup-debian.sh --test`); otherwise the test says why and passes.

use crate::support::{real_e2e, rows, scan_threads};

// The same values as in tests/e2e/real-broker.sh.
const USER: &str = "mquser";
const PASS: &str = "Amqp-Pass-1";
const WRONG: &str = "Wrong-Pass-2";

#[test]
fn real_rabbitmq_amqp_and_stomp_logins() {
    let Some(run) = real_e2e(
        "real-broker",
        &[
            "tcpdump",
            "ip",
            "rabbitmq-server",
            "amqp-publish",
            "setpriv",
        ],
    ) else {
        return;
    };
    run.assert_truths(&[
        "1 SUCCESS",
        "2 FAILURE",
        "3 SUCCESS",
        "4 FAILURE",
        "5 SUCCESS",
        "6 FAILURE",
    ]);
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        let got = rows(&findings, "version");
        assert_eq!(
            got,
            vec![
                ("amqp", "PLAIN", USER, PASS, "success", 5672, "0-9-1"),
                ("amqp", "PLAIN", USER, WRONG, "failure", 5672, "0-9-1"),
                ("amqp", "SASL PLAIN", USER, PASS, "success", 5672, "1.0"),
                ("amqp", "SASL PLAIN", USER, WRONG, "failure", 5672, "1.0"),
                ("stomp", "CONNECT", USER, PASS, "success", 61613, ""),
                ("stomp", "CONNECT", USER, WRONG, "failure", 61613, ""),
            ],
            "{threads} threads: {findings:#?}"
        );
        // RabbitMQ's refusal text, as it sent it.
        assert!(
            findings[1]["details"]["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("ACCESS_REFUSED")),
            "{}",
            findings[1]
        );
    }
}
