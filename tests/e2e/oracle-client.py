#!/usr/bin/python3
"""The client side of tests/e2e/real-oracle.sh: python-oracledb in thin mode (its own
pure-Python Oracle Net and O5LOGON, no Oracle client library) logging in to the server
at HOST, the steps below, one "truth <n> OK" or "truth <n> ERROR <code>" line each.

    oracle-client.py HOST

  1  1521   scott / SCOTT_PW (12c verifier), then ALTER USER alice IDENTIFIED BY
            "ALICE_PW", then close: OK when the login and the statement both succeed
  2  1521   scott / WRONG_PW                         refused: ORA-01017
  3  1521   legacy / LEGACY_PW (11g verifier)
  4         ... then ALTER USER system IDENTIFIED BY "SYSTEM_PW"   refused: ORA-01031
  5  15210  scott / SCOTT_PW (a port found by content)
  6  1521   scott / SCOTT_PW changing it at login to SCOTT_NEW_PW (AUTH_NEWPASSWORD)

The passwords must match those real-oracle.sh gives the server.
"""

import gc
import sys

import oracledb

SCOTT_PW = "Tiger-0racle-1"
WRONG_PW = "Wr0ng-Tiger"
LEGACY_PW = "Leg4cy-Pw-11"
ALICE_PW = "Al1ce-New-Pw"
SYSTEM_PW = "Sys-Pw-42"
SCOTT_NEW_PW = "Sc0tt-Changed-2"
SERVICE = "ORCLPDB1"


def code(e):
    """ORA-01017, DPY-4011 ...: the code python-oracledb reports."""
    err = e.args[0] if e.args else None
    return getattr(err, "full_code", None) or type(e).__name__


def truth(n, error=None):
    print(f"truth {n} OK" if error is None else f"truth {n} ERROR {error}", flush=True)


def connect(host, port, user, password, **kw):
    return oracledb.connect(user=user, password=password, dsn=f"{host}:{port}/{SERVICE}",
                            tcp_connect_timeout=10, **kw)


def step(n, host, port, user, password, sql=None, **kw):
    """Logs in, runs `sql` if given, closes; prints step n's truth line: OK when all of
    it succeeded, else the first error."""
    try:
        conn = connect(host, port, user, password, **kw)
    except oracledb.Error as e:
        truth(n, code(e))
        gc.collect()  # the failed connection's socket is closed now, not later
        return
    conn.call_timeout = 20000
    error = None
    with conn:
        if sql is not None:
            try:
                conn.cursor().execute(sql)
            except oracledb.Error as e:
                error = code(e)
    truth(n, error)


def main():
    host = sys.argv[1]
    step(1, host, 1521, "scott", SCOTT_PW, f'ALTER USER alice IDENTIFIED BY "{ALICE_PW}"')
    step(2, host, 1521, "scott", WRONG_PW)
    # Steps 3 and 4 share a session: the login is judged first, then the statement.
    try:
        conn = connect(host, 1521, "legacy", LEGACY_PW)
        truth(3)
        conn.call_timeout = 20000
        with conn:
            try:
                conn.cursor().execute(f'ALTER USER system IDENTIFIED BY "{SYSTEM_PW}"')
                truth(4)
            except oracledb.Error as e:
                truth(4, code(e))
    except oracledb.Error as e:
        truth(3, code(e))
        truth(4, "not-run")
    step(5, host, 15210, "scott", SCOTT_PW)
    step(6, host, 1521, "scott", SCOTT_PW, newpassword=SCOTT_NEW_PW)


if __name__ == "__main__":
    main()
