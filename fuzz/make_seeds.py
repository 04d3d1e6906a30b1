#!/usr/bin/env python3
"""Writes the small seed corpora of the fuzz targets, from the project's own fixtures.

Run from the fuzz/ directory: python3 make_seeds.py
"""
import os
import struct

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def packets(path):
    """(linktype, frame bytes) of a classic little-endian pcap."""
    d = open(path, "rb").read()
    magic = d[:4]
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return []
    linktype = struct.unpack("<I", d[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(d):
        _, _, caplen, _ = struct.unpack("<IIII", d[off:off + 16])
        out.append((linktype, d[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return out


def write(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data)


for name in ["telnet-linemode.pcap", "pop3-sasl.pcap", "ip-fragments.pcap", "multi-link.pcapng", "ftp-reordered.pcap"]:
    write("capture", name, open(os.path.join(FIX, name), "rb").read())

# decode: first byte picks the link type (index into the target's table), 0xa5 separates packets.
link_index = {1: 0, 101: 1, 0: 4, 113: 6, 276: 7, 127: 16}
for name in ["ftp-ipv6.pcap", "vlan-qinq.pcap", "linux-sll.pcap", "null-loopback.pcap", "ip-fragments.pcap",
             "routing-auth.pcap", "pptp-logins.pcap", "pppoe-eapol.pcap", "wpa-handshake.pcap", "isis-auth.pcap"]:
    ps = packets(os.path.join(FIX, name))
    if not ps:
        continue
    lt = link_index.get(ps[0][0], 0)
    frames = [p for _, p in ps if b"\xa5" not in p][:6]
    write("decode", name, bytes([lt]) + b"\xa5".join(frames))


def conversation(records):
    """The dissector targets' format: control byte (direction bit 0, length << 1), bytes."""
    out = b""
    for to_client, data in records:
        while data:
            piece, data = data[:127], data[127:]
            out += bytes([(len(piece) << 1) | (1 if to_client else 0)]) + piece
    return out


S, C = True, False
write("dissect_ftp", "login", conversation([
    (S, b"220 hi\r\n"), (C, b"USER bob\r\n"), (S, b"331 pw\r\n"), (C, b"PASS secret\r\n"),
    (S, b"530 no\r\n"), (C, b"USER anonymous\r\nPASS x@y\r\n"), (S, b"331 ok\r\n230-a\r\n230 in\r\n"),
    (C, b"AUTH TLS\r\n"), (S, b"234 go\r\n")]))
write("dissect_pop3", "login", conversation([
    (S, b"+OK ready <1.2@host>\r\n"), (C, b"CAPA\r\n"), (S, b"+OK\r\nSASL PLAIN\r\n.\r\n"),
    (C, b"USER bob\r\n"), (S, b"+OK\r\n"), (C, b"PASS pw\r\n"), (S, b"-ERR no\r\n"),
    (C, b"APOP bob c4c9334bac560ecc979e58001b3e22fb\r\n"), (S, b"-ERR\r\n"),
    (C, b"AUTH PLAIN AGJvYgBwdw==\r\n"), (S, b"-ERR\r\n"), (C, b"AUTH LOGIN\r\n"),
    (S, b"+ VXNlcm5hbWU6\r\n"), (C, b"Ym9i\r\n"), (S, b"+ UGFzc3dvcmQ6\r\n"), (C, b"cHc=\r\n"),
    (S, b"+OK\r\n")]))
write("dissect_telnet", "login", conversation([
    (S, b"\xff\xfd\x18\xff\xfb\x01login: "), (C, b"\xff\xfb\x18r"), (C, b"o"), (C, b"o"), (C, b"t\r\0"),
    (S, b"\r\nPassword: "), (C, b"to\x7fo"), (C, b"r\r\n"), (S, b"\r\nLogin incorrect\r\nlogin: "),
    (C, b"\xff\xfa\x27\x00\x00USER\x01bob\xff\xf0"), (S, b"Password: "), (C, b"pw\r\n"),
    (S, b"\r\nLast login: x\r\n$ "), (C, b"passwd\r\n"), (S, b"New password: "), (C, b"n3w\r\n"),
    (S, b"passwd: updated successfully\r\n$ ")]))

# reassembly: isn byte, then records (kind, 3-byte offset + 0x800000, length/4, cut).
def rec(kind, off, length4, cut=0):
    o = off + 0x800000
    return bytes([kind, (o >> 16) & 0xff, (o >> 8) & 0xff, o & 0xff, length4, cut])

write("reassembly", "in-order", bytes([0]) + rec(0, 0, 4) + rec(0, 16, 4) + rec(2, 40, 0) + rec(3, 0, 0))
write("reassembly", "reordered", bytes([2]) + rec(0, 32, 8) + rec(0, 0, 4) + rec(0, 16, 4, 3) + rec(0, 8, 6) + rec(2, 80, 0))
write("reassembly", "wrap-fin", bytes([254]) + rec(0x40, 0, 10) + rec(0x80, 8, 2))

# defrag: records of id, offset (8-byte units, 2 bytes), length, flags (bit 0 more, bit 1 garbage).
write("defrag", "three", bytes([1, 0, 2, 24, 1, 1, 0, 0, 16, 1, 1, 0, 5, 8, 0]))
write("defrag", "overlap", bytes([2, 0, 0, 40, 1, 2, 0, 2, 40, 3, 2, 0, 4, 16, 0]))

# dissect_tcp / dissect_udp: the protocol's name, a NUL, then the conversation records.
def named(name, records):
    return name.encode() + b"\0" + conversation(records)


# SMPP: Kannel's bind_transmitter and drive_smpp's answer (tests/e2e/real-smpp.sh), then a
# refused bind_transceiver, a generic_nack and an outbind.
write("dissect_tcp", "smpp", named("smpp", [
    (C, bytes.fromhex("0000002b00000002000000000000000173686f706e6f7469667900536d732d70773900564d410034000000")),
    (S, bytes.fromhex("0000001180000002000000000000000100")),
    (C, bytes.fromhex("0000001f0000000900000000000000026964007077000000340101")),
    (S, bytes.fromhex("00000011800000090000000e0000000200")),
    (C, bytes.fromhex("0000001e0000000b000000000000000373797300707700")),
]))

# DRDA: Derby 10.14's ij logging in to its network server (UTF-8 agreed), then calling
# SYSCS_SET_DATABASE_PROPERTY (accepted) and SYSCS_CREATE_USER (refused, SQLSTATE 4251K),
# as tests/e2e/real-drda.sh captures them.
write("dissect_tcp", "drda-derby", named("drda", [
    (C, bytes.fromhex(
        "0067d0410001006110410010115e84859982a8849583948189950009116dc4859982a8001e115ac4d5c3f1f0f1f4f061"
        "f1f04bf1f44bf24bf04060404d6f6f6f5d001814041403000724070007240f0007144000071c0804b8000e1147d8c4c5"
        "d9c2e861d1e5d40026d00100020020106d000611a2000300162110a385a2a38482404040404040404040404040")),
    (S, bytes.fromhex(
        "0085d0420001007f1443001d115ed585a3a6969992e28599a58599c39695a39996934094818995001814041403000724"
        "070007240f0007144000071c0804b800101147c1978183888540c4859982a80018116dd585a3a6969992e28599a58599"
        "c39695a3999693001e115ac3e2e2f1f0f1f4f061f1f04bf1f44bf24bf04060404d6f6f6f5d0010d0020002000a14ac00"
        "0611a20003")),
    (C, bytes.fromhex(
        "003cd04100010036106e000611a2000300162110746573746462202020202020202020202020000911a0616c69636500"
        "0d11a153656372657431323300a8d001000200a22001001621107465737464622020202020202020202020200006210f"
        "2407000c112e444e433130313430003c210437c4d5c3f1f0f1f4f0d1e5d4404040404040404040404040404040848599"
        "82a8849583948189954040404040404040404040404040404000000d002f51544453514c41534300172135d5c6f0f0f0"
        "f0f0f12ec5f3c5f601a221631ec2001600350006119c04b80006119d04b00006119e04b8")),
    (S, bytes.fromhex(
        "0015d0420001000f1219000611490000000511a4000039d052000200332201000611490000000c112e43535331303134"
        "30000d002f51544453514c415343001000350006119c04b80006119e04b80018d00200020012c0000005c001020009c0"
        "02414c494345")),
    (C, bytes.fromhex(
        "004ed05100010048200d004421137465737464622020202020202020202020204e554c4c494420202020202020202020"
        "20205359534c48303030202020202020202020205359534c564c30310001001ad053000100142450000000000a574954"
        "4820484f4c4420ff005cd043000100562414000000004c43414c4c2053595343535f5554494c2e53595343535f534554"
        "5f44415441424153455f50524f5045525459282764657262792e757365722e6361726f6c272c20274361726f6c2d7077"
        "312729ff0074d0010002006e200b004421137465737464622020202020202020202020204e554c4c4944202020202020"
        "2020202020205359534c48303030202020202020202020205359534c564c3031000100052105f10008211400007fff00"
        "062141ffff00062140ffff00052142040008215600000040")),
    (S, bytes.fromhex(
        "0047d0430001004124080000000000202020202043535331303134300000000000000000000000000000000000000000"
        "00000000002020202020202020202020000000000000ff0047d003000200412408000000000020202020204353533130"
        "313430000000000000000000ffffffffffffffff00000000000000002020202020202020202020000000000000ff")),
    (C, bytes.fromhex(
        "004ed05100010048200d004421137465737464622020202020202020202020204e554c4c494420202020202020202020"
        "20205359534c48303030202020202020202020205359534c564c30310001001ad053000100142450000000000a574954"
        "4820484f4c4420ff0045d0430001003f2414000000003543414c4c2053595343535f5554494c2e53595343535f435245"
        "4154455f55534552282764617665272c2027446176652d7077322729ff0074d0010002006e200b004421137465737464"
        "622020202020202020202020204e554c4c49442020202020202020202020205359534c48303030202020202020202020"
        "205359534c564c3031000100052105f10008211400007fff00062141ffff00062140ffff000521420400082156000000"
        "40")),
    (S, bytes.fromhex(
        "0047d0430001004124080000000000202020202043535331303134300000000000000000000000000000000000000000"
        "00000000002020202020202020202020000000000000ff004cd00300020046240800ffffb1df343235314b4353533130"
        "31343000000000000000000000000000000000000000000000000000202020202020202020202000000005343235314b"
        "0000ff")),
]))

# HTTP/2 in cleartext: grpcio's two calls to /demo.Vault/Get (the right bearer token, then a
# forged one) and the server's answers, as tests/e2e/real-http2.sh captured them.
H2_GRPC = [
    (C, bytes.fromhex(
        "505249202a20485454502f322e300d0a0d0a534d0d0a0d0a000024040000000000000200000000000300"
        "0000000004003fffff0005003fffff000600002000fe0300000001000004080000000000003f0000")),
    (S, bytes.fromhex(
        "0000180400000000000004003fffff0005003fffff000600002000fe0300000001000004080000000000"
        "003f0000")),
    (C, bytes.fromhex(
        "00000004010000000000010201040000000140053a706174680f2f64656d6f2e5661756c742f47657440"
        "0a3a617574686f726974791031302e3233372e302e313a35303035318386400c636f6e74656e742d7479"
        "7065106170706c69636174696f6e2f677270634002746508747261696c6572734014677270632d616363"
        "6570742d656e636f64696e67176964656e746974792c206465666c6174652c20677a6970400c67727063"
        "2d74696d656f757403313053400a757365722d6167656e7430677270632d707974686f6e2f312e35312e"
        "3120677270632d632f32392e302e3020286c696e75783b2063687474703229000d617574686f72697a61"
        "74696f6e1342656172657220746f6b2d3366396137633231000004080000000001000000050000070001"
        "000000010000000002080100000408000000000000000005")),
    (S, bytes.fromhex(
        "000000040100000000000004080000000000000000070000080600000000000000000000000000")),
    (C, bytes.fromhex(
        "0000080601000000000000000000000000")),
    (S, bytes.fromhex(
        "00004e01040000000188400c636f6e74656e742d74797065106170706c69636174696f6e2f6772706340"
        "14677270632d6163636570742d656e636f64696e67176964656e746974792c206465666c6174652c2067"
        "7a6970000011000000000001000000000c7365637265742076616c756500000f010500000001400b6772"
        "70632d7374617475730130")),
    (C, bytes.fromhex(
        "0000080600000000000000000000000000")),
    (S, bytes.fromhex(
        "0000080601000000000000000000000000")),
    (S, bytes.fromhex(
        "0000180400000000000004003fffff0005003fffff000600002000fe0300000001000004080000000000"
        "003f0000")),
    (C, bytes.fromhex(
        "505249202a20485454502f322e300d0a0d0a534d0d0a0d0a000024040000000000000200000000000300"
        "0000000004003fffff0005003fffff000600002000fe0300000001000000040100000000000100010400"
        "00000140053a706174680f2f64656d6f2e5661756c742f476574400a3a617574686f726974791031302e"
        "3233372e302e313a35303035318386400c636f6e74656e742d74797065106170706c69636174696f6e2f"
        "677270634002746508747261696c6572734014677270632d6163636570742d656e636f64696e67176964"
        "656e746974792c206465666c6174652c20677a6970400c677270632d74696d656f757403313053400a75"
        "7365722d6167656e7430677270632d707974686f6e2f312e35312e3120677270632d632f32392e302e30"
        "20286c696e75783b2063687474703229000d617574686f72697a6174696f6e1142656172657220746f6b"
        "2d666f726765640000040800000000010000000500000700010000000100000000020801000004080000"
        "000000003f0005")),
    (S, bytes.fromhex(
        "000000040100000000000004080000000000000000070000080600000000000000000000000000")),
    (C, bytes.fromhex(
        "0000080601000000000000000000000000")),
    (S, bytes.fromhex(
        "00004801050000000188400c636f6e74656e742d74797065106170706c69636174696f6e2f6772706300"
        "0b677270632d737461747573023136000c677270632d6d6573736167650962616420746f6b656e")),
]
write("dissect_tcp", "http2-grpc", named("http2", H2_GRPC))


write("dissect_tcp", "imap", named("imap", [
    (S, b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n"), (C, b"a1 LOGIN bob {6}\r\n"),
    (S, b"+ go\r\n"), (C, b"s3cr3t\r\n"), (S, b"a1 NO [AUTHENTICATIONFAILED] no\r\n"),
    (C, b"a2 AUTHENTICATE PLAIN\r\n"), (S, b"+ \r\n"), (C, b"AGJvYgBwdw==\r\n"), (S, b"a2 OK\r\n")]))
# SCRAM-SHA-1 (RFC 5802's example) in IMAP: SASL-IR, the server-first, the client-final,
# the server-final and the client's empty answer.
write("dissect_tcp", "imap-scram", named("imap", [
    (S, b"* OK [CAPABILITY IMAP4rev1 AUTH=SCRAM-SHA-1 SASL-IR] ready\r\n"),
    (C, b"a1 AUTHENTICATE SCRAM-SHA-1 biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM\r\n"),
    (S, b"+ cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng==\r\n"),
    (C, b"Yz1iaXdzLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdMM3JmY05IWUpZMVpWdldWczdqLHA9djBYOHYzQnoyVDBDSkdiSlF5RjBYK0hJNFRzPQ==\r\n"),
    (S, b"+ dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9\r\n"), (C, b"\r\n"),
    (S, b"a1 OK Logged in\r\n")]))
write("dissect_tcp", "smtp", named("smtp", [
    (S, b"220 mx ESMTP\r\n"), (C, b"EHLO c\r\n"), (S, b"250-mx\r\n250 AUTH PLAIN LOGIN CRAM-MD5\r\n"),
    (C, b"AUTH LOGIN Ym9i\r\n"), (S, b"334 UGFzc3dvcmQ6\r\n"), (C, b"cHc=\r\n"), (S, b"535 no\r\n"),
    (C, b"AUTH CRAM-MD5\r\n"), (S, b"334 PDEyMzRAbXg+\r\n"),
    (C, b"Ym9iIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"), (S, b"235 ok\r\n"),
    (C, b"DATA\r\n"), (S, b"354 go\r\n"), (C, b"AUTH PLAIN x\r\n.\r\n"), (S, b"250 ok\r\n")]))
write("dissect_tcp", "http", named("http", [
    (C, b"GET /a HTTP/1.1\r\nHost: h\r\nAuthorization: Basic Ym9iOnB3\r\n\r\n"),
    (S, b"HTTP/1.1 401 No\r\nWWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\r\nContent-Length: 0\r\n\r\n"),
    (C, b"POST /login HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n9\r\nuser=bob&\r\n7\r\npass=pw\r\n0\r\n\r\n"),
    (S, b"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n")]))
JSON_BODY = b'{"user":"admin","auth":{"password":"x1"},"variables":{"email":"a@b","password":7}}'
write("dissect_tcp", "http-json-login", named("http", [
    (C, b"POST /api/login HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        % len(JSON_BODY) + JSON_BODY),
    (S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")]))
# TACACS+ without encryption (the flag set): a PAP login, then an ASCII one with prompts.
def tac(seq, body, ver=0xc0):
    return bytes([ver, 1, seq, 1]) + bytes.fromhex("5fde8e68") + len(body).to_bytes(4, "big") + body
def tac_start(t, user, data):
    return bytes([1, 1, t, 1, len(user), 4, 9, len(data)]) + user + b"tty0" + b"192.0.2.9" + data
def tac_reply(status, msg=b""):
    return bytes([status, 0]) + len(msg).to_bytes(2, "big") + bytes(2) + msg
def tac_cont(msg):
    return len(msg).to_bytes(2, "big") + bytes(2) + b"\0" + msg
write("dissect_tcp", "tacacs-unencrypted", named("tacacs", [
    (C, tac(1, tac_start(2, b"netadmin", b"En4ble!"), 0xc1)), (S, tac(2, tac_reply(1), 0xc1)),
    (C, tac(1, tac_start(1, b"", b""))), (S, tac(2, tac_reply(4, b"Username: "))),
    (C, tac(3, tac_cont(b"alice"))), (S, tac(4, tac_reply(5, b"Password: "))),
    (C, tac(5, tac_cont(b"pw"))), (S, tac(6, tac_reply(2)))]))
write("dissect_tcp", "xmpp-sasl-iq", named("xmpp", [
    (C, b"<?xml version='1.0'?><stream:stream to='example.org' xmlns='jabber:client' "
        b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"),
    (S, b"<stream:stream id='c2s_1' xmlns='jabber:client'><stream:features><mechanisms "
        b"xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>"
        b"</stream:features>"),
    (C, b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAB3cm9uZw==</auth>"),
    (S, b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>"),
    (C, b"<iq type='set' id='a2'><query xmlns='jabber:iq:auth'><username>bill</username>"
        b"<password>p&amp;w</password></query></iq>"),
    (S, b"<iq type='result' id='a2'/>")]))
write("dissect_tcp", "ldap", named("ldap", [
    (C, bytes.fromhex("301502010160100201030403626f628006736563726574") ),
    (S, bytes.fromhex("300c02010161070a010004000400"))]))
write("dissect_tcp", "rsync", named("rsync", [
    (S, b"@RSYNCD: 32.0 sha512 md5\n"), (C, b"@RSYNCD: 32.0 sha512 md5\nmod\n"),
    (S, b"@RSYNCD: AUTHREQD Y2hhbGxlbmdl\n"), (C, b"alice " + b"A" * 86 + b"\n"),
    (S, b"@RSYNCD: OK\n")]))
write("dissect_tcp", "svn", named("svn", [
    (S, b"( success ( 2 2 ( ) ( edit-pipeline ) ) ) "), (C, b"( 2 ( edit-pipeline ) 10:svn://h/r ) "),
    (S, b"( success ( ( CRAM-MD5 PLAIN ) 4:Repo ) ) "), (C, b"( CRAM-MD5 ( ) ) "),
    (S, b"( step ( 11:<1.2@host> ) ) "), (C, b"38:alice 87ae782c4d178a678afa84eafbbd857f "),
    (S, b"( failure ( 4:nope ) ) "), (C, b"( PLAIN ( 20:AGFsaWNlAFN2bi1wdzE= ) ) "),
    (S, b"( success ( ) ) ")]))
write("dissect_tcp", "rexec", named("rexec", [
    (C, b"1023\0alice\0s3cret\0ls -l\0"), (S, b"\x01Login incorrect.\n")]))
write("dissect_tcp", "poppass", named("poppass", [
    (S, b"200 poppassd v1.8.5 hello, who are you?\r\n"), (C, b"user alice\r\n"),
    (S, b"200 Your password please.\r\n"), (C, b"pass old pw\r\n"),
    (S, b"200 Your new password please.\r\n"), (C, b"newpass n3w\r\n"), (S, b"500 Bad.\r\n")]))
def mc(magic, op, key, value, status=0):
    return bytes([magic, op]) + struct.pack(">HBBHIIQ", len(key), 0, 0, status, len(key) + len(value), 0, 0) + key + value
write("dissect_tcp", "memcached-sasl", named("memcached", [
    (C, mc(0x80, 0x20, b"", b"")), (S, mc(0x81, 0x20, b"", b"CRAM-MD5 PLAIN")),
    (C, mc(0x80, 0x21, b"CRAM-MD5", b"")), (S, mc(0x81, 0x21, b"", b"<1.2@vm>", 0x21)),
    (C, mc(0x80, 0x22, b"CRAM-MD5", b"mc 0123456789abcdef0123456789abcdef")),
    (S, mc(0x81, 0x22, b"", b"Auth failure.", 0x20)),
    (C, mc(0x80, 0x21, b"PLAIN", b"\0mc\0pw")), (S, mc(0x81, 0x21, b"", b"Authenticated"))]))
write("dissect_tcp", "memcached-text", named("memcached", [
    (C, b"get k\r\n"), (S, b"CLIENT_ERROR unauthenticated\r\n"),
    (C, b"set auth 0 0 9\r\nasc wrong\r\n"), (S, b"CLIENT_ERROR authentication failure\r\n"),
    (C, b"set auth 0 0 10\r\nasc right!\r\n"), (S, b"STORED\r\n")]))
def zk_buf(b):
    return struct.pack(">i", len(b)) + b
def zk(body):
    return struct.pack(">I", len(body)) + body
ZK_CONNECT = zk(b"\0" * 12 + struct.pack(">i", 30000) + b"\0" * 8 + zk_buf(b"\0" * 16) + b"\0")
ZK_ACCEPT = zk(b"\0" * 4 + struct.pack(">i", 30000) + b"\1" * 8 + zk_buf(b"\7" * 16) + b"\0")
def zk_reply(xid, err, body=b""):
    return zk(struct.pack(">iqi", xid, 1, err) + body)
write("dissect_tcp", "zookeeper", named("zookeeper", [
    (C, ZK_CONNECT), (S, ZK_ACCEPT),
    (C, zk(struct.pack(">iii", -4, 100, 0) + zk_buf(b"digest") + zk_buf(b"alice:pw"))),
    (S, zk_reply(-4, 0)),
    (C, zk(struct.pack(">ii", 1, 102) + zk_buf(b""))),
    (S, zk_reply(1, 0, zk_buf(b'realm="zk-sasl-md5",nonce="abc",charset=utf-8,algorithm=md5-sess'))),
    (C, zk(struct.pack(">ii", 2, 102) + zk_buf(b'username="bob",realm="zk-sasl-md5",nonce="abc",cnonce="x",'
        b'nc=00000001,qop=auth,digest-uri="zookeeper/zk-sasl-md5",response=0123456789abcdef0123456789abcdef'))),
    (S, zk_reply(2, -115, struct.pack(">i", -1))),
    (C, zk(struct.pack(">ii", 3, 1) + zk_buf(b"/n") + zk_buf(b"v") + struct.pack(">ii", 1, 31)
        + zk_buf(b"digest") + zk_buf(b"u:mmRnm3Q742LDeHiWvW5mAKUPIhY=") + struct.pack(">i", 0))),
    (C, zk(struct.pack(">ii", 4, 6) + zk_buf(b"/n"))),
    (S, zk_reply(4, 0, struct.pack(">ii", 1, 1) + zk_buf(b"digest") + zk_buf(b"c:AAAAAAAAAAAAAAAAAAAAAAAAAAA=")))]))
SOAP = (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header><wsse:Security>'
        b'<wsse:UsernameToken><wsse:Username>admin</wsse:Username><wsse:Password Type="x#PasswordDigest">'
        b'tuOSpGlFlIXsozq4HFNeeGeFLEI=</wsse:Password><wsse:Nonce>LKqI6G/AikKCQrN0zqZFlg==</wsse:Nonce>'
        b'<wsu:Created>2010-09-16T07:50:45Z</wsu:Created></wsse:UsernameToken></wsse:Security>'
        b'</s:Header><s:Body/></s:Envelope>')
write("dissect_tcp", "http-soap-wsse", named("http", [
    (C, b"POST /onvif/device_service HTTP/1.1\r\nContent-Type: application/soap+xml\r\n"
        b"Content-Length: %d\r\n\r\n" % len(SOAP) + SOAP),
    (S, b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")]))
write("dissect_tcp", "rtsp", named("rtsp", [
    (C, b"DESCRIBE rtsp://cam/live RTSP/1.0\r\nCSeq: 2\r\n\r\n"),
    (S, b"RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm=\"c\", nonce=\"n1\"\r\n\r\n"),
    (C, b"DESCRIBE rtsp://cam/live RTSP/1.0\r\nCSeq: 3\r\nAuthorization: Digest username=\"admin\", "
        b"realm=\"c\", nonce=\"n1\", uri=\"rtsp://cam/live\", response=\"0123456789abcdef0123456789abcdef\"\r\n\r\n"),
    (S, b"RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Length: 4\r\n\r\nv=0\n$\x00\x00\x04abcd"),
    (C, b"PLAY rtsp://cam/live RTSP/1.0\r\nCSeq: 4\r\nAuthorization: Basic YWRtaW46MTIzNDU=\r\n\r\n"),
    (S, b"RTSP/1.0 200 OK\r\nCSeq: 4\r\n\r\n$\x01\x00\x02zz")]))
write("dissect_tcp", "managesieve", named("managesieve", [
    (S, b'"IMPLEMENTATION" "Dovecot"\r\n"SASL" "PLAIN LOGIN"\r\nOK\r\n'),
    (C, b'AUTHENTICATE "PLAIN" "AGFsaWNlAHdyb25n"\r\n'), (S, b'NO "failed"\r\n'),
    (C, b'AUTHENTICATE "LOGIN"\r\n'), (S, b'"VXNlcm5hbWU6"\r\n'), (C, b'{4+}\r\nYm9i\r\n'),
    (S, b'{12}\r\nUGFzc3dvcmQ6\r\n'), (C, b'"c2VjcmV0"\r\n'), (S, b'OK\r\n')]))
RAKP1 = bytes([6, 0, 0xff, 7, 6, 0x12]) + bytes(8) + struct.pack("<H", 33) + bytes([7, 0, 0, 0, 2, 0, 0, 0]) + b"\x11" * 16 + bytes([0x14, 0, 0, 5]) + b"admin"
RAKP2 = bytes([6, 0, 0xff, 7, 6, 0x13]) + bytes(8) + struct.pack("<H", 60) + bytes([7, 0, 0, 0, 0xa4, 0xa3, 0xa2, 0xa0]) + b"\x22" * 16 + b"\xa1" * 16 + b"\x33" * 20
RAKP4 = bytes([6, 0, 0xff, 7, 6, 0x15]) + bytes(8) + struct.pack("<H", 20) + bytes([7, 0, 0, 0, 0xa4, 0xa3, 0xa2, 0xa0]) + b"\x5a" * 12
write("dissect_udp", "ipmi-rakp", b"ipmi\0" + conversation([(C, RAKP1), (S, RAKP2), (S, RAKP4)]))
write("dissect_udp", "snmp", b"snmp\0" + conversation([
    (C, bytes.fromhex("302602010104067075626c6963a01902044d0c5ad0020100020100300b300906052b060102010500")),
    (S, bytes.fromhex("302602010104067075626c6963a21902044d0c5ad0020100020100300b300906052b060102010500"))]))
# SNMPv3 USM: the authenticated get-next of john-samples' SNMPv3 capture, and a reply.
USM_GET = bytes.fromhex(
    "3072020103301102041c2cd26c020300ffe3040105020103042b3029040b80001f880300000000000002014902"
    "012904046a6f686e040cbaeea1064ab1109d40102a780400302d040b80001f88030000000000000400a11c0204"
    "16a1e2aa020100020100300e300c06082b060102010101000500")
USM_REPLY = USM_GET[:len(USM_GET) - 0x1e] + b"\xa2" + USM_GET[len(USM_GET) - 0x1e + 1:]
NTP_REQ = bytes.fromhex("23000620" + "00" * 36 + "931db8a8a2ffe67f" + "00000001" + "6927b12139920c6b1713fb28c4d0df7d")
NTP_NAK = bytes([0x24]) + bytes(47) + bytes(4)
NTP_EF = bytes([0x23]) + bytes(47) + bytes.fromhex("01040010") + bytes(12) + bytes.fromhex("00000002") + bytes(20)
# IKEv1 aggressive mode: ike-scan's request and strongSwan's answer, then an initiator's
# encrypted refusal (captured by tests/e2e/real-ike.sh's first version).
IKE_REQ = bytes.fromhex(
    "2c08d4c4492bf76b00000000000000000110040000000000000001850400003c000000010000000100000030"
    "0101000100000028010100008001000780020002800300018004000e800e0080800b0001000c000400007080"
    "0a000104e74d50d6c103ef6e629c064b09f2291dea7592d3a3cc7f9e17653cafbba5c06cdf01501ef4a82a28"
    "92571ae04efdb794a0df534ca909dcc8a3fa6c46aa52f5d70f8b983ef078a0e86f886226793e388448f7e0e8"
    "7fcef92abf7f2007dcae96e3cdf2d662b0f1d6ba5a15625ed58dc6c6319f749c997e1b327e12aecaaceb9b1d"
    "091532d820a3f22a18343dc425b93a3402201edb896e2e08a981386772746138801ca6f3c06748132abe4d01"
    "e80b25c0dfa55b84364f60c6198b2366771ec7720e798a6ad9c80a9e494e243f30ca4c5772fb0f1308e5db28"
    "87607af8bf314105b3cd71efe548e670983c6d7ce8732d04fc8e6a338296852c60d657e8f52fb73a05000018"
    "ae87f6f2b985f74479edcc5058be1ad023e74ee700000011021101f467726f75702d736861")
IKE_ANSWER = bytes.fromhex(
    "2c08d4c4492bf76bc6a88d9589a1243d0110040000000000000001cc0400003800000001000000010000002c"
    "01010001000000240101000080010007800e0080800200028004000e80030001800b0001800c70800a000104"
    "2423c0226dbf4b85467038faf6e6bd2664322cf01c9bba717c955c0c856ffcdec84f9324f68de8873e8ed2e0"
    "52df5788bce21e32304c56f638c5673a4e0ead3c422d4a9ad7e679ef2225211db41b373ea7db6492ff56a0ac"
    "281eb48c2fd11efef0d288bc8c6fb6d0cdd9ca06ccdfcc6a067b5808a1b469a4c60e9c7121b28f0be328e073"
    "0fe6bfc452983de836f613fc9f9874e51411119be49fef04df38339ecd0501b281f4f5c16a5592a1e0e9f2c9"
    "df3159cb8baee0c15ec71d9207f93e05904bbc3878ee9985ecc767de678a38b50df6a2ec6b94b993b793f273"
    "3cde2194adb14de079166d96a843e3d1aab8e2994360bf49cf93f618207e3f5b77ee921505000024f758060f"
    "64e0172de8a047ca80d2c0f16891be35072d778979b573bb519334c60d0000180200000076706e2e6578616d"
    "706c652e746573740d00000c09002689dfd6b71208000014afcad71368a1f1c96b8696fc7757010000000018"
    "aa6d87acfb97a04b67ddfe590b45ed18bef44cca")
IKE_REFUSAL = bytes.fromhex(
    "219e97960a2b0e26071175a205a1981e081005010cff45730000005caa9828bfebaf3f119fdd964b6644bbdd"
    "0730db5c01eaa2e0e629d42d326caf14413be6fc67d78a3023f4c5b3764b13f02677258684722da5bb53bdc3"
    "26ca1a35")
write("dissect_udp", "ike", b"ike\0" + conversation([(C, IKE_REQ), (S, IKE_ANSWER), (C, IKE_REFUSAL), (C, b"\0\0\0\0" + IKE_REQ)]))
write("dissect_udp", "ntp", b"ntp\0" + conversation([(C, NTP_REQ), (S, NTP_NAK), (C, NTP_EF)]))
NIS_CALL = bytes.fromhex("6b0737130000000000000002000186a40000000200000003000000000000000000000000000000000000"
    "000f706c61696e73696768742e74657374000000000d7061737377642e62796e616d65000000000000066e6973626f620000")
NIS_REPLY = bytes.fromhex("6b07371300000001000000000000000000000000000000000000000100000020"
    "6e6973626f623a2431246e6973626f6230312433592e4c6934383a313730323a")
write("dissect_udp", "nis", b"nis\0" + conversation([(C, NIS_CALL), (S, NIS_REPLY)]))
write("dissect_udp", "snmpv3-usm-get-response", b"snmp\0" + conversation([(C, USM_GET), (S, USM_REPLY)]))
write("rules", "api-key", bytes([0x1f, 0x90]) + conversation([
    (C, b"GET /v1/items?api_key=AKIAIOSFODNN7EXAMPLE&token=abcdef0123456789 HTTP/1.1\r\n"
        b"X-Api-Key: 0123456789abcdef0123\r\n\r\n"),
    (S, b"HTTP/1.1 200 OK\r\n\r\n")]))
write("rules", "unknown-password", bytes([0x27, 0x0f]) + conversation([
    (C, b"login user=alice password=hunter2\r\n"), (S, b"OK\r\n")]))


# Seeds for every dissector from the project's fixtures: the payloads of each fixture's
# TCP segments (or UDP datagrams) in capture order, as dissect_tcp / dissect_udp records
# named after the protocol.
def payloads(path):
    """(transport, from_client, payload) of an Ethernet capture's TCP/UDP packets."""
    out, client = [], None
    for linktype, f in packets(path):
        if linktype != 1 or len(f) < 14:
            continue
        et, off = struct.unpack(">H", f[12:14])[0], 14
        while et in (0x8100, 0x88A8) and len(f) >= off + 4:
            et, off = struct.unpack(">H", f[off + 2:off + 4])[0], off + 4
        if et == 0x0800 and len(f) >= off + 20:
            ihl, proto = (f[off] & 15) * 4, f[off + 9]
            total = struct.unpack(">H", f[off + 2:off + 4])[0]
            src, dst, l4 = f[off + 12:off + 16], f[off + 16:off + 20], f[off + ihl:off + total]
        elif et == 0x86DD and len(f) >= off + 40:
            proto, plen = f[off + 6], struct.unpack(">H", f[off + 4:off + 6])[0]
            src, dst, l4 = f[off + 8:off + 24], f[off + 24:off + 40], f[off + 40:off + 40 + plen]
        else:
            continue
        if proto == 6 and len(l4) >= 20:
            sp, dp = struct.unpack(">HH", l4[:4])
            flags, data = l4[13], l4[(l4[12] >> 4) * 4:]
            if client is None and flags & 0x12 == 0x02:
                client = (src, sp)
            if client is None:
                client = (src, sp) if sp > dp else (dst, dp)
            if data:
                out.append(("tcp", (src, sp) == client, data))
        elif proto == 17 and len(l4) >= 8:
            sp, dp = struct.unpack(">HH", l4[:4])
            if client is None:
                client = (src, sp) if sp > dp else (dst, dp)
            out.append(("udp", (src, sp) == client, l4[8:]))
    return out


PREFIXES = {
    "ftp": "ftp", "pop3": "pop3", "imap": "imap", "smtp": "smtp", "mail": "smtp",
    "telnet": "telnet", "http": "http", "ldap": "ldap", "snmp": "snmp", "redis": "redis",
    "postgresql": "postgresql", "mysql": "mysql", "mssql": "mssql", "mqtt": "mqtt",
    "irc": "irc", "nntp": "nntp", "socks": "socks", "rlogin": "rlogin", "vnc": "vnc",
    "radius": "radius", "sip": "sip", "smb1": "smb", "smb2": "smb", "kerberos": "kerberos",
    "l2tp": "l2tp", "kafka": "kafka", "mongodb": "mongodb", "cassandra": "cassandra",
    "sybase": "sybase", "eigrp-bfd": "bfd", "websocket": "http", "drda": "drda",
    "oracle": "oracle", "bolt": "bolt",
}
for name in sorted(os.listdir(FIX)):
    if not name.endswith(".pcap"):
        continue
    proto = next((p for k, p in PREFIXES.items() if name.startswith(k)), None)
    if proto is None:
        continue
    ps = payloads(os.path.join(FIX, name))
    for transport in ("tcp", "udp"):
        records = [(not c, d) for t, c, d in ps if t == transport]
        if not records:
            continue
        if transport == "tcp":
            data = named(proto, records)
        else:
            data = proto.encode() + b"\0" + b"".join(
                bytes([(min(len(d), 127) << 1) | (1 if s else 0)]) + d[:127] for s, d in records)
        if len(data) < 64 * 1024:
            write("dissect_" + transport, name.rsplit(".", 1)[0], data)


# Protocols without ports and link-layer ones: OSPF, VRRP, PPTP's GRE by IP protocol;
# PPPoE sessions and EAPOL frames (wired, and in radiotap 802.11) by their frames.
def other_payloads(path):
    """(dissector, from_first_sender, payload) of the fixture's non-TCP/UDP packets."""
    out, first = [], None
    for linktype, f in packets(path):
        if linktype == 1 and len(f) >= 14:
            et, src = struct.unpack(">H", f[12:14])[0], f[6:12]
            body = f[14:]
            if et == 0x0800 and len(body) >= 20:
                proto = body[9]
                name = {89: "ospf", 112: "vrrp", 47: "pptp", 88: "eigrp"}.get(proto)
                if name:
                    src = body[12:16]
                    first = first or src
                    out.append((name, src == first, body[(body[0] & 15) * 4:]))
            elif et == 0x8864 and len(body) >= 6:
                first = first or src
                out.append(("pppoe", src == first, body[6:]))
            elif et == 0x888E:
                first = first or src
                out.append(("eapol", src == first, body))
            elif et <= 1500 and body[:4] == b"\xfe\xfe\x03\x83":
                first = first or src
                out.append(("isis", src == first, body[3:3 + et - 3]))
        elif linktype == 127 and len(f) >= 4:
            frame = f[struct.unpack("<H", f[2:4])[0]:]
            if len(frame) > 32 and frame[0] & 0x0C == 0x08 and frame[24:32] == b"\xaa\xaa\x03\x00\x00\x00\x88\x8e":
                src = frame[10:16]
                first = first or src
                out.append(("eapol", src == first, frame[32:]))
    return out


for name in ("routing-auth.pcap", "eigrp-bfd-auth.pcap", "pptp-logins.pcap", "pppoe-eapol.pcap", "wpa-handshake.pcap", "isis-auth.pcap"):
    by = {}
    for proto, c, d in other_payloads(os.path.join(FIX, name)):
        by.setdefault(proto, []).append((not c, d))
    for proto, records in sorted(by.items()):
        data = proto.encode() + b"\0" + b"".join(
            bytes([(min(len(d), 127) << 1) | (1 if s else 0)]) + d[:127] for s, d in records)
        write("dissect_udp", name.rsplit(".", 1)[0] + "-" + proto, data)
