//! FreeTDS's tsql, a real TDS 7.4 client: `tests/e2e/real-mssql.sh` logs in against a
//! peer that answers as Microsoft SQL Server does (`tests/e2e/mssql-peer.py`: Debian ships
//! no SQL Server) and sends one SQL batch per connection. On 1433 both sides say
//! `ENCRYPT_OFF`: tsql runs a real TLS handshake inside PRELOGIN packets and sends its
//! LOGIN7 in TLS, then the rest in the clear — as against a SQL Server that does not force
//! encryption. On 14330 (found by content) nothing is encrypted. plainsight must report
//! no login on 1433 (encrypted) but every password the batches set after it — `ALTER
//! LOGIN ... WITH PASSWORD ... OLD_PASSWORD` refused (Msg 15151 on its line), `CREATE
//! LOGIN` and `sp_addlinkedsrvlogin` accepted — and on 14330 the LOGIN7s (accepted, and
//! refused with 18456) and an `sp_password` refused on the batch's second line, with the
//! outcome tsql saw; then RPC requests from real Python drivers on 14330 — pymssql
//! (FreeTDS's db-lib) calling `sp_setapprole` by name, pytds running `EXEC sp_addlogin`
//! with parameters (`sp_executesql`, refused with 15025) and calling `sp_addapprole` by
//! name — each password with the outcome the driver saw; one thread or two. Needs root,
//! tcpdump, ip, python3 (with python3-tds and python3-pymssql), openssl and tsql
//! (freetds-bin: `./scripts/setup-debian.sh --test`); otherwise the test says why and
//! passes.

use crate::support::{real_e2e, rows, scan_threads};

// The same values as in tests/e2e/real-mssql.sh.
const USER: &str = "sqladmin";
const PASS: &str = "Sql-Admin-2026!";
const WRONG: &str = "Wr0ng-Sql";
const DENIED: &str =
    "15151 Cannot alter the login 'sa', because it does not exist or you do not have permission.";

#[test]
fn real_tsql_batches_after_an_encrypted_login() {
    let Some(run) = real_e2e(
        "real-mssql",
        &["tcpdump", "ip", "python3", "tsql", "openssl"],
    ) else {
        return;
    };
    run.assert_truths(&[
        "1 msg 15151",
        "2 ok",
        "3 ok",
        "4 msg 15151",
        "5 login-failed",
        "6 ok",
        "7 msg 15025",
        "8 ok",
    ]);
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        assert_eq!(
            rows(&findings, "diagnostic"),
            vec![
                (
                    "mssql",
                    "ALTER LOGIN ... OLD_PASSWORD",
                    "sa",
                    "Sa-Old-Pw1",
                    "failure",
                    1433,
                    DENIED
                ),
                (
                    "mssql",
                    "ALTER LOGIN ... WITH PASSWORD",
                    "sa",
                    "Sa-New-Pw1",
                    "failure",
                    1433,
                    DENIED
                ),
                (
                    "mssql",
                    "CREATE LOGIN ... WITH PASSWORD",
                    "app",
                    "App-Pw-2026",
                    "success",
                    1433,
                    ""
                ),
                (
                    "mssql",
                    "sp_addlinkedsrvlogin",
                    "link",
                    "Link-Pw-2026",
                    "success",
                    1433,
                    ""
                ),
                ("mssql", "LOGIN7", USER, PASS, "success", 14330, ""),
                (
                    "mssql",
                    "sp_password",
                    "sa",
                    "Sa-Pw-2026",
                    "failure",
                    14330,
                    DENIED
                ),
                (
                    "mssql",
                    "LOGIN7",
                    USER,
                    WRONG,
                    "failure",
                    14330,
                    "18456 Login failed for user 'sqladmin'."
                ),
                ("mssql", "LOGIN7", USER, PASS, "success", 14330, ""),
                (
                    "mssql",
                    "sp_setapprole",
                    "Payroll",
                    "Payr0ll-Rpc!",
                    "success",
                    14330,
                    ""
                ),
                ("mssql", "LOGIN7", USER, PASS, "success", 14330, ""),
                (
                    "mssql",
                    "sp_addlogin",
                    "bob",
                    "B0b-Rpc-2026",
                    "failure",
                    14330,
                    "15025 The server principal 'bob' already exists."
                ),
                (
                    "mssql",
                    "sp_addapprole",
                    "Audit",
                    "Aud1t-Rpc-9",
                    "success",
                    14330,
                    ""
                ),
            ],
            "{threads} threads: {findings:#?}"
        );
        let linked = &findings[3];
        assert_eq!(linked["details"]["host"], "REMOTE", "{linked}");
        let rpc: Vec<&str> = findings[8..]
            .iter()
            .filter_map(|f| f["details"]["rpc"].as_str())
            .collect();
        assert_eq!(rpc, ["sp_setapprole", "sp_executesql", "sp_addapprole"]);
    }
}
