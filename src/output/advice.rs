//! What each protocol exposed and what to use instead: two sentences for the classroom
//! view, keyed by protocol, with a generic fallback for protocols not listed (a user
//! rule's label, a dissector added later).

use crate::finding::Kind;

/// The lesson of one protocol.
pub struct Advice {
    pub protocol: &'static str,
    /// The protocol's name as people write it.
    pub name: &'static str,
    /// What a cleartext login exposed.
    pub cleartext: &'static str,
    /// What a challenge-response login exposed (when the protocol has one).
    pub challenge: Option<&'static str>,
    /// What to use instead.
    pub instead: &'static str,
}

const CRACK: &str = "it did not send the password itself, but a challenge and a response computed from it: anyone who recorded them can try passwords offline, as fast as their hardware allows, without the server ever noticing";

/// One entry per protocol plainsight reports, and those being added.
pub const TABLE: &[Advice] = &[
    Advice {
        protocol: "ftp",
        name: "FTP",
        cleartext: "it sent the user name and the password as plain-text USER and PASS commands, readable by anyone who can see the traffic (and the files that followed too)",
        challenge: None,
        instead: "SFTP (file transfer over SSH), or FTPS (FTP over TLS) with the server refusing any login before AUTH TLS",
    },
    Advice {
        protocol: "telnet",
        name: "Telnet",
        cleartext: "it sent every keystroke as it was typed, the password included, and everything the session showed afterwards, with nothing encrypted",
        challenge: None,
        instead: "SSH, with keys rather than passwords where possible",
    },
    Advice {
        protocol: "rlogin",
        name: "rlogin",
        cleartext: "it sent the user names in the connection's first bytes and the password keystroke by keystroke, with nothing encrypted (and trusted .rhosts files, worse still)",
        challenge: None,
        instead: "SSH, with keys rather than passwords or host trust",
    },
    Advice {
        protocol: "rexec",
        name: "rexec",
        cleartext: "it sent the user name and the password as they are in the connection's first bytes, with the command to run after them, and the command's output came back unencrypted",
        challenge: None,
        instead: "SSH, with keys rather than passwords (ssh user@host command runs one command the same way)",
    },
    Advice {
        protocol: "memcached",
        name: "memcached",
        cleartext: "it sent the cache's user name and password in the clear (SASL PLAIN in the binary protocol is the two of them as they are, and the text protocol's login is a set whose value is user and password)",
        challenge: Some(CRACK),
        instead: "memcached's TLS (-Z) with client certificates, or the cache kept on a private network or a Unix socket that only its applications reach",
    },
    Advice {
        protocol: "nis",
        name: "NIS",
        cleartext: "yppasswd sent the old password in clear to change it",
        challenge: Some(
            "every lookup of an account (each login on a NIS client) carried the account's password hash in clear, and anyone on the network may ask ypserv for it: the hashes can be cracked offline",
        ),
        instead: "LDAP over TLS with SSSD (the hashes never leave the directory) or Kerberos; passwords changed through kpasswd or a web page over HTTPS",
    },
    Advice {
        protocol: "smpp",
        name: "SMPP",
        cleartext: "the SMS account's system_id and password crossed the wire in the bind, as every SMPP session opens",
        challenge: None,
        instead: "SMPP over TLS (port 3550 or a TLS tunnel such as stunnel) or a VPN to the SMSC, with a password per account and an IP allow-list at the SMSC",
    },
    Advice {
        protocol: "http2",
        name: "HTTP/2 in cleartext",
        cleartext: "the password or token crossed the wire: HTTP/2's header compression is an encoding, not encryption, and a gRPC call's metadata travels the same way",
        challenge: Some(CRACK),
        instead: "TLS (h2, gRPC with TLS credentials or a mesh with mutual TLS), and short-lived tokens rather than passwords or long-lived keys",
    },
    Advice {
        protocol: "ike",
        name: "IKE (IPsec VPN)",
        cleartext: "the VPN's pre-shared key crossed the wire",
        challenge: Some(
            "aggressive mode sends the responder's hash of its pre-shared key with every value that went into it in clear: anyone who names a valid group or identity gets one (ike-scan -A), and the key is then tried offline at millions of guesses a second",
        ),
        instead: "IKEv2 (its authentication is encrypted) or main mode, with certificates or long random pre-shared keys; never aggressive mode with a pre-shared key",
    },
    Advice {
        protocol: "ntp",
        name: "NTP",
        cleartext: "the time service's key crossed the wire",
        challenge: Some(
            "the key was not sent, but every packet carries an MD5 or SHA-1 of the key and the packet: one captured request is enough to try keys offline, and keys typed as words fall quickly",
        ),
        instead: "NTS (RFC 8915, chrony's and ntpsec's nts option) or, where keys must stay, long random keys (chronyc keygen, ntpkeygen) of the AES-CMAC type",
    },
    Advice {
        protocol: "zookeeper",
        name: "ZooKeeper",
        cleartext: "it sent the digest identity's user name and password as they are in an auth packet (addauth digest), and every digest ACL it set or read carried the password's unsalted SHA-1, which a dictionary reverses",
        challenge: Some(CRACK),
        instead: "SASL with Kerberos (GSSAPI) or mutual TLS client certificates (the x509 scheme) on ZooKeeper's secure client port, ACLs on those identities rather than digest ones",
    },
    Advice {
        protocol: "poppass",
        name: "poppass (Eudora password change)",
        cleartext: "it sent the mailbox's old password and the new one chosen to replace it as plain text lines, so whoever recorded the change knows the password before and after it",
        challenge: None,
        instead: "a password change page served over HTTPS, or the mail server's own password change over TLS; poppassd kept to localhost behind such a page",
    },
    Advice {
        protocol: "pop3",
        name: "POP3",
        cleartext: "it sent the mailbox password in the clear (USER/PASS as text; AUTH PLAIN and LOGIN are only base64, an encoding anyone can undo)",
        challenge: Some(CRACK),
        instead: "POP3S on port 995 (or STLS before logging in), with the server refusing plain-text logins without TLS",
    },
    Advice {
        protocol: "imap",
        name: "IMAP",
        cleartext: "it sent the mailbox password in the clear (LOGIN as text; AUTHENTICATE PLAIN and LOGIN are only base64, an encoding anyone can undo)",
        challenge: Some(CRACK),
        instead: "IMAPS on port 993 (or STARTTLS before logging in), with LOGINDISABLED advertised until TLS is up",
    },
    Advice {
        protocol: "smtp",
        name: "SMTP",
        cleartext: "it sent the mail account's password with AUTH PLAIN or LOGIN, which are only base64, an encoding anyone can undo",
        challenge: Some(CRACK),
        instead: "submission over implicit TLS on port 465 (or STARTTLS required before AUTH on 587)",
    },
    Advice {
        protocol: "http",
        name: "HTTP",
        cleartext: "it sent the credential in the request itself (a Basic header is only base64, a form or a URL is plain text), readable by anyone on the path and by every proxy in between",
        challenge: Some(CRACK),
        instead: "HTTPS everywhere (TLS, with HSTS so browsers never fall back to plain HTTP)",
    },
    Advice {
        protocol: "rtsp",
        name: "RTSP",
        cleartext: "the camera or media server took the password in a Basic header, only base64, with every request of the stream",
        challenge: Some(CRACK),
        instead: "RTSPS (RTSP over TLS, port 322) or streams kept on a management network, with a strong password per camera rather than the factory one",
    },
    Advice {
        protocol: "ldap",
        name: "LDAP",
        cleartext: "a simple bind sent the DN and the password as they are (BER is a way of writing bytes down, not encryption), and directory passwords usually open every other system too",
        challenge: Some(CRACK),
        instead: "LDAPS on port 636 (or StartTLS before binding), with the directory requiring TLS for simple binds (or SASL with Kerberos)",
    },
    Advice {
        protocol: "snmp",
        name: "SNMP",
        cleartext: "the community string is a password sent in clear with every request, and it often grants write access to the device's configuration",
        challenge: Some(
            "SNMPv3 did not send the pass phrase, but every authenticated message carries an HMAC of itself under a key made from it: anyone who captured one message can try pass phrases offline (hashcat), as fast as their hardware allows",
        ),
        instead: "SNMPv3 with authPriv, SHA-2 authentication, AES and long random pass phrases (offline guessing is the attack left), reachable only from the management network",
    },
    Advice {
        protocol: "cassandra",
        name: "Cassandra",
        cleartext: "the driver's AUTH_RESPONSE carried the user name and password as a SASL PLAIN token, readable by anyone who can see the traffic, and every query and row after it too",
        challenge: None,
        instead: "client-to-node encryption (client_encryption_options enabled, optional: false) so that logins and queries only cross TLS",
    },
    Advice {
        protocol: "mongodb",
        name: "MongoDB",
        cleartext: "the driver sent the user name and password itself (SASL PLAIN, for LDAP users), readable by anyone who can see the traffic, and every query and document after it too",
        challenge: Some(
            "the old MONGODB-CR login sent a nonce and an MD5 of it with the password's MD5: anyone who recorded them can try passwords offline at MD5 speed",
        ),
        instead: "MongoDB with TLS required (net.tls.mode requireTLS) and SCRAM-SHA-256 or X.509 authentication",
    },
    Advice {
        protocol: "redis",
        name: "Redis",
        cleartext: "AUTH sent the password (and the ACL user name) as a plain command, and every command and value after it is readable too",
        challenge: None,
        instead: "Redis with TLS (tls-port) and ACL users, never exposed beyond the hosts that need it",
    },
    Advice {
        protocol: "postgresql",
        name: "PostgreSQL",
        cleartext: "the password message carried the password in clear (password authentication), or an MD5 digest that is as good as the password for logging in and cracks offline",
        challenge: Some(CRACK),
        instead: "hostssl entries with scram-sha-256 authentication (sslmode=verify-full on the clients)",
    },
    Advice {
        protocol: "mysql",
        name: "MySQL",
        cleartext: "the login sent the password, or a hash exchange recorded in full, without TLS to protect it",
        challenge: Some(CRACK),
        instead: "TLS required for every account (require_secure_transport=ON) with caching_sha2_password",
    },
    Advice {
        protocol: "mssql",
        name: "Microsoft SQL Server (TDS)",
        cleartext: "the login packet carried the password only scrambled by a fixed byte swap and XOR, which anyone can undo",
        challenge: Some(CRACK),
        instead: "forced encryption on the server (TLS for every connection, Encrypt=Strict on the clients), or Windows (Kerberos) authentication",
    },
    Advice {
        protocol: "sybase",
        name: "Sybase / SAP ASE (TDS 5.0)",
        cleartext: "the login record carried the user name and the password as plain text, in fixed fields any capture shows at a glance",
        challenge: None,
        instead: "TLS for every connection (an ssl listener, `net password encryption reqd` on the server) so that neither the login nor the queries cross the network readable",
    },
    Advice {
        protocol: "drda",
        name: "Db2 / Apache Derby (DRDA)",
        cleartext: "the security check carried the user name and the password as plain text (security mechanism USRIDPWD, the IBM JDBC driver's default), and the SQL after it is readable too",
        challenge: None,
        instead: "TLS for every connection (Db2's SSL port, `sslConnection=true` on the clients; Derby's `sslMode`), or at least an encrypting security mechanism (`securityMechanism=13`, ENCRYPTED_USER_PASSWORD_AND_DATA) while TLS is put in place",
    },
    Advice {
        protocol: "oracle",
        name: "Oracle Database (TNS)",
        cleartext: "a statement after the login carried a password as plain text (IDENTIFIED BY), readable by anyone on the path like the rest of the session",
        challenge: Some(
            "the O5LOGON login did not send the password itself, but the session key halves and the encrypted password a guess is tested against: anyone who recorded them can try passwords offline, without the server ever noticing (and an 11g verifier without the 12c key derivation falls to CVE-2012-3137 from the server's half alone)",
        ),
        instead: "Native Network Encryption or TLS required on the server (SQLNET.ENCRYPTION_SERVER=REQUIRED, or a TCPS listener), 12c verifiers only (SQLNET.ALLOWED_LOGON_VERSION_SERVER=12a) and long random passwords",
    },
    Advice {
        protocol: "bolt",
        name: "Neo4j / Memgraph (Bolt)",
        cleartext: "the login (HELLO or LOGON, scheme basic) carried the user name and the password as plain text, and the Cypher after it is readable too, passwords set by ALTER USER included",
        challenge: None,
        instead: "TLS for Bolt (server.bolt.tls_level=REQUIRED, bolt+s:// or neo4j+s:// on the clients) so that neither the login nor the queries cross the network readable",
    },
    Advice {
        protocol: "mqtt",
        name: "MQTT",
        cleartext: "CONNECT carried the user name and the password in clear, and every message after it is readable too",
        challenge: None,
        instead: "MQTT over TLS on port 8883, with client certificates where devices allow",
    },
    Advice {
        protocol: "irc",
        name: "IRC",
        cleartext: "the server or services password (PASS, NickServ IDENTIFY, SASL PLAIN) crossed the network in clear",
        challenge: None,
        instead: "IRC over TLS (port 6697) with SASL, or a client certificate (SASL EXTERNAL)",
    },
    Advice {
        protocol: "nntp",
        name: "NNTP",
        cleartext: "AUTHINFO USER and PASS sent the news account's password as plain text",
        challenge: None,
        instead: "NNTPS on port 563 (or STARTTLS before AUTHINFO)",
    },
    Advice {
        protocol: "socks",
        name: "SOCKS",
        cleartext: "SOCKS5 user/password authentication (RFC 1929) sent both in clear to the proxy",
        challenge: None,
        instead: "an SSH tunnel or a proxy reached over TLS or a VPN",
    },
    Advice {
        protocol: "vnc",
        name: "VNC",
        cleartext: "the password crossed the network in a form anyone can read back",
        challenge: Some(
            "VNC authentication is a DES challenge-response with at most 8 characters of password: a recorded exchange cracks offline in minutes",
        ),
        instead: "VNC only through an SSH tunnel or a VPN, or VeNCrypt with TLS and real user accounts",
    },
    Advice {
        protocol: "xmpp",
        name: "XMPP",
        cleartext: "the chat login (SASL PLAIN is only base64, legacy iq:auth the password itself) crossed the network readable, and the whole conversation after it too",
        challenge: Some(CRACK),
        instead: "XMPP with STARTTLS required on every client connection (c2s_require_encryption) and SCRAM-SHA-1 or better",
    },
    Advice {
        protocol: "tacacs",
        name: "TACACS+",
        cleartext: "the device login crossed the network readable: the session was sent unencrypted, or with a shared key known here",
        challenge: Some(
            "TACACS+ hides its bodies with MD5 and the shared key only: whoever cracks the key from one recorded reply reads every administrator login between these hosts",
        ),
        instead: "TACACS+ over TLS 1.3 where the devices support it, or at least a long random key per device and the management network kept apart",
    },
    Advice {
        protocol: "ospf",
        name: "OSPF",
        cleartext: "every router put the segment's key in clear in the header of every packet it sent: whoever has it can become a neighbour and inject routes",
        challenge: Some(
            "the key was not sent, but every packet carries a digest of itself under the key: one captured hello is enough to try keys offline, and a cracked key lets anyone inject routes",
        ),
        instead: "OSPF HMAC-SHA-256 authentication (RFC 5709) with a long random key per link, rotated, or OSPF over IPsec",
    },
    Advice {
        protocol: "hsrp",
        name: "HSRP",
        cleartext: "every router of the group sent its key in clear in every hello, every few seconds (Cisco's well-known default key if none was set): whoever has it can claim the segment's gateway address",
        challenge: Some(
            "the key was not sent, but every hello carries an MD5 digest of itself under the key: one captured hello is enough to try keys offline, and a cracked key lets anyone take the gateway over",
        ),
        instead: "MD5 authentication with a long random key (a key chain, rotated), and filtering of UDP 1985 from hosts; better, first-hop redundancy on a segment only routers reach",
    },
    Advice {
        protocol: "rip",
        name: "RIP",
        cleartext: "every router sent the key in clear with every routing update: whoever has it can inject routes",
        challenge: Some(
            "the key was not sent, but every update carries a digest of itself under the key: one captured update is enough to try keys offline",
        ),
        instead: "a routing protocol with strong authentication (OSPF or BGP with long random keys), or RIP with HMAC-SHA (RFC 4822) and long random keys",
    },
    Advice {
        protocol: "bgp",
        name: "BGP",
        cleartext: "the session's key crossed the wire",
        challenge: Some(
            "the key was not sent, but every segment of the session carries an MD5 signature under it (RFC 2385): one captured SYN is enough to try keys offline, and a cracked key lets anyone reset or hijack the session",
        ),
        instead: "TCP-AO (RFC 5925) with long random keys, or BGP over IPsec; at the least a long random TCP MD5 key per peer, rotated",
    },
    Advice {
        protocol: "isis",
        name: "IS-IS",
        cleartext: "the router sent the password in clear in its hellos (the interface's) or its link-state PDUs (the area's or the domain's), again and again: whoever has it can form adjacencies and inject routes",
        challenge: Some(
            "the key was not sent, but every signed PDU carries an HMAC of itself under it: one captured PDU is enough to try keys offline, and a cracked key lets anyone inject routes",
        ),
        instead: "HMAC-SHA-256 authentication (RFC 5310) with long random keys, on every interface and level; never cleartext passwords",
    },
    Advice {
        protocol: "eigrp",
        name: "EIGRP",
        cleartext: "the routers' key crossed the wire",
        challenge: Some(
            "the key was not sent, but every packet carries an MD5 digest or HMAC-SHA-256 of itself under it: one captured hello is enough to try keys offline, and a cracked key lets anyone form adjacencies and inject routes",
        ),
        instead: "HMAC-SHA-256 authentication (named mode) with long random keys rotated through the key chain, and EIGRP only on interfaces that need it (passive elsewhere)",
    },
    Advice {
        protocol: "bfd",
        name: "BFD",
        cleartext: "every control packet carried the session's password in clear, several times a second: whoever has it can send Down and tear down the routing sessions BFD watches",
        challenge: Some(
            "the key was not sent, but every control packet carries a keyed MD5 or SHA-1 digest of itself under it: one captured packet is enough to try keys offline",
        ),
        instead: "meticulous keyed SHA-1 with long random keys, BFD sessions only on links the routers own, and TTL security (GTSM: single-hop BFD requires TTL 255)",
    },
    Advice {
        protocol: "vrrp",
        name: "VRRP",
        cleartext: "the master sent the virtual router's password in clear in every advertisement, every second: whoever has it can claim the gateway's addresses",
        challenge: None,
        instead: "VRRPv3 on a segment only trusted hosts reach (authentication was removed from the protocol as useless), with filtering of protocol 112 at the edge",
    },
    Advice {
        protocol: "l2tp",
        name: "L2TP",
        cleartext: "the tunnel carried its users' PPP logins without encryption (PAP's password as it is), since nothing but IPsec protects L2TP",
        challenge: Some(
            "the tunnel's peers proved their shared secret with MD5 challenges and answers, and PPP's CHAP logins inside did the same with each user's password: anyone who recorded them can try secrets offline",
        ),
        instead: "L2TP only inside IPsec (L2TP/IPsec with certificates), or a VPN built on TLS or IPsec alone (IKEv2, OpenVPN, WireGuard)",
    },
    Advice {
        protocol: "pptp",
        name: "PPTP",
        cleartext: "PAP sent the VPN user's password in clear inside the tunnel, before any encryption",
        challenge: Some(
            "MS-CHAPv2 sent a challenge and response that reduce to a single DES key: the account's password (or its NT hash) falls to a dictionary or to a complete DES search, and with it the whole VPN session",
        ),
        instead: "a VPN built on TLS or IPsec with certificates (IKEv2, OpenVPN, WireGuard); retire PPTP",
    },
    Advice {
        protocol: "pppoe",
        name: "PPPoE",
        cleartext: "PAP sent the subscriber's password in clear on the access network",
        challenge: Some(CRACK),
        instead: "CHAP at the least, better IPoE with per-port authentication, and an access network whose ports cannot see each other's traffic",
    },
    Advice {
        protocol: "eapol",
        name: "802.1X",
        cleartext: "the EAP method sent the password in clear",
        challenge: Some(
            "EAP-MD5 and LEAP send a challenge and response outside any tunnel: anyone on the port or the air can crack the password offline (LEAP: as fast as MS-CHAP)",
        ),
        instead: "EAP-TLS with certificates, or PEAP/EAP-TTLS with the server's certificate checked",
    },
    Advice {
        protocol: "wpa",
        name: "WPA-PSK",
        cleartext: "the network's passphrase crossed the air",
        challenge: Some(
            "every station that joins shows a handshake (and many access points a PMKID) computed from the network's passphrase: one capture is enough to try passphrases offline, and the passphrase opens the whole network and its recorded traffic",
        ),
        instead: "WPA3-SAE (which resists offline guessing), or WPA2/WPA3-Enterprise with EAP-TLS; otherwise a long random passphrase",
    },
    Advice {
        protocol: "radius",
        name: "RADIUS",
        cleartext: "User-Password is only hidden with MD5 and the shared secret: whoever knows or cracks the shared secret reads every password",
        challenge: Some(CRACK),
        instead: "RADIUS over TLS (RadSec) and EAP methods inside TLS (EAP-TLS, PEAP, EAP-TTLS)",
    },
    Advice {
        protocol: "sip",
        name: "SIP",
        cleartext: "the SIP credential crossed the network in clear, with the calls it sets up",
        challenge: Some(
            "SIP Digest sends a response computed from the password: a recorded exchange cracks offline, and the calls themselves are unencrypted too",
        ),
        instead: "SIP over TLS (SIPS, port 5061) with SRTP for the media",
    },
    Advice {
        protocol: "smb",
        name: "SMB",
        cleartext: "the session setup carried the password in a form anyone can read back",
        challenge: Some(
            "NTLM sends a response computed from the password: a recorded exchange cracks offline, and NTLM can be relayed to other servers as it happens",
        ),
        instead: "Kerberos authentication with SMB signing required and SMB 3 encryption, NTLMv1 and LM disabled",
    },
    Advice {
        protocol: "kerberos",
        name: "Kerberos",
        cleartext: "the exchange carried key material in a form anyone can read back",
        challenge: Some(
            "the pre-authentication timestamp or ticket is encrypted with a key derived from the password: a recorded one cracks offline (AS-REP roasting, Kerberoasting)",
        ),
        instead: "AES-only encryption types, FAST armoring, and long random passwords (managed service accounts) for service accounts",
    },
];

/// The entry of `protocol`, if there is one.
pub fn lookup(protocol: &str) -> Option<&'static Advice> {
    TABLE.iter().find(|a| a.protocol == protocol)
}

/// What a SCRAM exchange exposed, whatever carried it.
const SCRAM_EXPOSED: &str = "SCRAM kept the password off the wire, but the salt, the iteration count and the client's proof crossed it in the clear: anyone who recorded them can try passwords offline (scripts/offline-crack.py), slowed only by the iterations, so a weak or reused password still falls";
/// What an LDAP password change, reset or new entry exposed.
const LDAP_WRITE_EXPOSED: &str = "a password change, reset or new account wrote the password to the directory over a connection anyone on the path can read: the new password (and the old one a change proves) is exposed before it is ever used";
const LDAP_WRITE_HASH_EXPOSED: &str = "the entry was written with its password hash, which anyone who recorded it can crack offline, as fast as their hardware allows";
const SCRAM_INSTEAD: &str = "the same SCRAM login inside TLS (with channel binding: the -PLUS mechanisms), and a long random password";

/// The two sentences for a finding of `mechanism`: what was exposed, and what to use
/// instead.
pub fn sentences(protocol: &str, mechanism: &str, kind: Kind) -> (String, String) {
    let generic_name = protocol.to_uppercase();
    if mechanism.contains("SCRAM-SHA-") {
        let name = lookup(protocol).map_or(generic_name.as_str(), |a| a.name);
        return (
            format!("What {name} exposed: {SCRAM_EXPOSED}."),
            format!("Use instead: {SCRAM_INSTEAD}."),
        );
    }
    let ldap_write = protocol == "ldap"
        && ["password modify", "modify ", "add "]
            .iter()
            .any(|p| mechanism.starts_with(p));
    if ldap_write && let Some(a) = lookup(protocol) {
        let exposed = match kind {
            Kind::ChallengeResponse => LDAP_WRITE_HASH_EXPOSED,
            _ => LDAP_WRITE_EXPOSED,
        };
        return (
            format!("What {} exposed: {exposed}.", a.name),
            format!("Use instead: {}.", a.instead),
        );
    }
    let (name, exposed, instead) = match lookup(protocol) {
        Some(a) => {
            let exposed = match kind {
                Kind::ChallengeResponse => a.challenge.unwrap_or(CRACK),
                Kind::Token => {
                    "it sent a bearer token or key that works for whoever holds it, until it expires or is revoked"
                }
                Kind::Cleartext => a.cleartext,
            };
            (a.name, exposed, a.instead)
        }
        None => {
            let exposed = match kind {
                Kind::ChallengeResponse => CRACK,
                Kind::Token => {
                    "it sent a bearer token or key that works for whoever holds it, until it expires or is revoked"
                }
                Kind::Cleartext => {
                    "it sent this credential unencrypted, readable by anyone who can see the traffic"
                }
            };
            (
                generic_name.as_str(),
                exposed,
                "the protocol's TLS form (or a tunnel: SSH, a VPN), and a new secret, since this one must be taken as known",
            )
        }
    };
    (
        format!("What {name} exposed: {exposed}."),
        format!("Use instead: {instead}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_in_the_schema_has_advice() {
        for p in "ftp telnet pop3 imap smtp http ldap snmp redis postgresql mysql mssql sybase drda oracle bolt mongodb cassandra mqtt irc nntp socks rlogin vnc sip smb kerberos radius tacacs xmpp".split(' ') {
            assert!(lookup(p).is_some(), "{p}");
        }
    }

    #[test]
    fn ldap_password_writes_get_their_own_lesson() {
        let (a, _) = sentences("ldap", "password modify (new password)", Kind::Cleartext);
        assert!(a.contains("password change, reset or new account"), "{a}");
        let (a, _) = sentences("ldap", "add userPassword", Kind::ChallengeResponse);
        assert!(a.contains("password hash"), "{a}");
        let (a, _) = sentences("ldap", "simple bind", Kind::Cleartext);
        assert!(a.contains("simple bind sent"), "{a}");
    }

    #[test]
    fn unknown_protocols_get_generic_advice() {
        let (a, b) = sentences("acme", "LOGIN", Kind::Cleartext);
        assert!(a.starts_with("What ACME exposed:"), "{a}");
        assert!(b.starts_with("Use instead:"), "{b}");
    }

    #[test]
    fn scram_gets_its_own_lesson_whatever_carries_it() {
        let (a, b) = sentences("postgresql", "SASL SCRAM-SHA-256", Kind::ChallengeResponse);
        assert!(a.starts_with("What PostgreSQL exposed: SCRAM kept"), "{a}");
        assert!(b.contains("-PLUS"), "{b}");
        let (a, _) = sentences("imap", "AUTHENTICATE SCRAM-SHA-1", Kind::ChallengeResponse);
        assert!(a.starts_with("What IMAP exposed: SCRAM kept"), "{a}");
        let (a, _) = sentences("postgresql", "md5", Kind::ChallengeResponse);
        assert!(!a.contains("SCRAM"), "{a}");
    }
}
