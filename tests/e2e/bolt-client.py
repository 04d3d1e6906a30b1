#!/usr/bin/python3
"""The client side of tests/e2e/real-bolt.sh: the real Neo4j Python driver (neo4j on PyPI).

    bolt-client.py HOST

Runs each step below with its own driver (bolt:// URIs: a direct connection, no routing)
and prints "truth <n> OK", or "truth <n> ERROR <Neo4j status code>" as the driver raised it
(or the exception's class when it carries no code). The driver's own debug log (what it
sends and receives, credentials masked) goes to stderr.

    1  7687   neo4j / NEO4J_PW, ALTER USER alice SET PASSWORD '...' (a literal)   OK
    2  7687   neo4j / WRONG                                   Neo.ClientError.Security.Unauthorized
    3  7687   neo4j / NEO4J_PW, CREATE USER bob SET PASSWORD $pw (a parameter)    OK
    4  7687   reader / READER_PW, ALTER CURRENT USER SET PASSWORD FROM ... TO ...
                                                              Neo.ClientError.Security.Forbidden
    5  17687  neo4j / NEO4J_PW, verify_connectivity (Bolt 4.4: credentials in HELLO)  OK
"""

import logging
import sys

import neo4j
from neo4j import GraphDatabase

NEO4J_PW = "N30-Graph-Pw1"
READER_PW = "Read3r-Pw-2"
WRONG = "Wr0ng-Graph-Pw"
ALICE_PW = "Al1ce-Graph-9"
BOB_PW = "B0b-Param-Pw3"
READER_NEW_PW = "Read3r-New-4"

STEPS = [
    (7687, "neo4j", NEO4J_PW,
     "ALTER USER alice SET PASSWORD '%s' CHANGE NOT REQUIRED" % ALICE_PW, None),
    (7687, "neo4j", WRONG, None, None),
    (7687, "neo4j", NEO4J_PW, "CREATE USER bob SET PASSWORD $pw CHANGE REQUIRED", {"pw": BOB_PW}),
    (7687, "reader", READER_PW,
     "ALTER CURRENT USER SET PASSWORD FROM '%s' TO '%s'" % (READER_PW, READER_NEW_PW), None),
    (17687, "neo4j", NEO4J_PW, None, None),
]


def step(host, port, user, password, query, parameters):
    """Connects and logs in (then runs query, if any); the outcome as a truth word."""
    driver = GraphDatabase.driver("bolt://%s:%d" % (host, port), auth=(user, password),
                                  connection_timeout=10, connection_acquisition_timeout=20)
    try:
        if query is None:
            driver.verify_connectivity()
        else:
            with driver.session() as session:
                session.run(query, parameters).consume()
        return "OK"
    except neo4j.exceptions.Neo4jError as exc:
        return "ERROR %s" % exc.code
    except neo4j.exceptions.DriverError as exc:
        return "ERROR %s" % type(exc).__name__
    finally:
        driver.close()


def main():
    host = sys.argv[1]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logging.getLogger("neo4j").addHandler(handler)
    logging.getLogger("neo4j").setLevel(logging.DEBUG)
    for n, (port, user, password, query, parameters) in enumerate(STEPS, 1):
        print("step %d: %s on %d" % (n, user, port), file=sys.stderr, flush=True)
        print("truth %d %s" % (n, step(host, port, user, password, query, parameters)),
              flush=True)


if __name__ == "__main__":
    main()
