#!/usr/bin/python3
"""Calls procedures over TDS RPC requests with a real driver, for tests/e2e/real-mssql.sh:

    tds-rpc-client.py pymssql|pytds HOST PORT USER PASSWORD

pymssql (FreeTDS's db-lib) calls sp_setapprole by name (dbrpcinit, positional
parameters); pytds runs `EXEC sp_addlogin %s, %s` with parameters (sp_executesql, its
values as @P1 and @P2) and calls sp_addapprole by name with named parameters. Prints one
line per call: "ok" or "msg <number>" (the server's error)."""
import sys

kind, host, port, user, password = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]


def report(call):
    try:
        call()
        print("ok", flush=True)
    except Exception as e:  # the driver's own error types
        number = getattr(e, "number", None)
        if number is None and e.args and isinstance(e.args[0], tuple):
            number = e.args[0][0]
        print("msg", number if number is not None else repr(e), flush=True)


if kind == "pymssql":
    import pymssql
    conn = pymssql.connect(server=host, port=port, user=user, password=password, tds_version="7.3", login_timeout=20)
    cur = conn.cursor()
    report(lambda: cur.callproc("sp_setapprole", ("Payroll", "Payr0ll-Rpc!")))
else:
    import pytds
    conn = pytds.connect(dsn=host, port=port, user=user, password=password, login_timeout=20, autocommit=True)
    cur = conn.cursor()
    report(lambda: cur.execute("EXEC sp_addlogin %s, %s", ("bob", "B0b-Rpc-2026")))
    report(lambda: cur.callproc("sp_addapprole", {"@rolename": "Audit", "@password": "Aud1t-Rpc-9"}))
conn.close()
