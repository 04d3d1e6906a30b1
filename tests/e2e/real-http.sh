#!/bin/bash
# End-to-end HTTP traffic for plainsight: a real web server, a real client, a real capture.
#
#   tests/e2e/real-http.sh OUT.pcap
#
# Must run as root. Creates one network namespace and uses only its loopback interface
# (127.0.0.1): nothing outside the namespace is touched or reached. In it, lighttpd
# serves, from a configuration written to a temporary directory:
#
#   port 80    /basic/  (mod_auth, Basic) and /digest/ (mod_auth, Digest MD5, qop=auth),
#              users from a plain password file;
#   port 8081  /cgi-bin/login.sh, a CGI form login: 302 to /welcome.html for the right
#              password, 403 otherwise (a port no protocol is expected on: HTTP is found
#              by its content); /cgi-bin/onvif.py, a SOAP 1.2 service (an ONVIF device's
#              GetSystemDateAndTime) checking WS-Security UsernameTokens, digest or text:
#              200 and the answer for the right password; otherwise 401 (digest) or, as
#              many ONVIF devices do, 400 and a SOAP fault ter:NotAuthorized (text);
#   port 443   the same as port 80 over TLS (a self-signed certificate made here with
#              openssl);
#
# and tcpdump captures the loopback interface. curl then makes, one connection after
# another, in this order:
#
#   1 Basic             $HTTP_USER / $PASS    GET :80/basic/          -> 200 (success)
#   2 Basic             $HTTP_USER / $WRONG   GET :80/basic/          -> 401 (failure)
#   3 POST form         $HTTP_USER / $PASS    POST :8081/cgi-bin/login.sh -> 302 (success)
#   4 POST form         $HTTP_USER / $WRONG   POST :8081/cgi-bin/login.sh -> 403 (failure)
#   5 Digest (--digest) $HTTP_USER / $PASS    GET :80/digest/ (401, then 200: success)
#   6 Basic over TLS    $HTTP_USER / $PASS    GET https://:443/basic/ -> 200, no finding
#   7 POST JSON         $HTTP_USER / $PASS    POST :8081/cgi-bin/api-login.sh
#                       {"user": .., "password": ..} -> 200 (success)
#   8 POST JSON         $HTTP_USER / $WRONG   the same -> 401 (failure)
#   9 download, then Basic on the same connection (curl --next): GET :80/big.bin (4 MB of
#                       random bytes, no login), then $DL_USER / $DL_PASS GET :80/basic/
#                       -> 200 (success); the body is passed over, not inspected, so the
#                       login after it is still seen (the inspection cap is 1 MiB; a
#                       user of its own, as the same login again would be a repeat)
#  10 UsernameToken PasswordDigest $HTTP_USER / $PASS   python-zeep (the SOAP client
#                       library, from a WSDL) calling GetSystemDateAndTime -> 200
#  11 UsernameToken PasswordDigest $HTTP_USER / $WRONG  the same -> 401
#  12 UsernameToken PasswordText   $HTTP_USER / $PASS   the same -> 200
#  13 UsernameToken PasswordText   $HTTP_USER / $WRONG  the same -> 400, NotAuthorized
#
# For each it prints "truth <n> <status>" on standard output (the status curl saw; for 9,
# that of the login and how many new connections it took, which must be 0), and
# for 5 "truth digest <value>": the Authorization header curl sent (from curl -v), from
# which the test recomputes the response. Everything the script started is stopped and
# the namespace and the temporary directory are removed on any exit (E2E_KEEP=1 keeps the
# directory for debugging).
set -euo pipefail

HTTP_USER='alice'
PASS='Corr3ct-Horse!9'
WRONG='http-Wr0ng'
DL_USER='bob'
DL_PASS='Aft3r-4MB!dl'
REALM='plainsight e2e'

OUT=${1:?usage: real-http.sh OUT.pcap}

export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump lighttpd curl openssl ss python3; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
for m in mod_auth mod_authn_file mod_cgi mod_openssl; do
    [ -f "/usr/lib/lighttpd/$m.so" ] || die "missing lighttpd module $m (lighttpd-mod-openssl?)"
done

NS=plainsight-http-$$
TMP=$(mktemp -d /tmp/plainsight-e2e-http.XXXXXX)
chmod 755 "$TMP"
PIDS=()

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/lighttpd.out "$TMP"/error.log "$TMP"/tcpdump.err "$TMP"/curl.err; do
            [ -s "$f" ] && { echo "--- ${f#"$TMP"/}" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    if ip netns pids "$NS" >/dev/null 2>&1; then
        for pid in $(ip netns pids "$NS"); do kill "$pid" 2>/dev/null; done
        sleep 0.2
        for pid in $(ip netns pids "$NS"); do kill -KILL "$pid" 2>/dev/null; done
    fi
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    ip netns del "$NS" 2>/dev/null
    if [ "${E2E_KEEP:-0}" = 1 ]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { ip netns exec "$NS" "$@"; }

wait_listen() {
    local i
    for i in $(seq 100); do
        if in_ns ss -Hltn "sport = :$1" | grep -q .; then return 0; fi
        sleep 0.05
    done
    die "nothing listens on port $1 (see $TMP/error.log)"
}

# ---- network: a namespace with only its loopback ------------------------------------
ip netns add "$NS"
in_ns ip link set lo up

# ---- lighttpd -----------------------------------------------------------------------
mkdir -p "$TMP/www/basic" "$TMP/www/digest" "$TMP/www/cgi-bin"
echo "<html>basic area</html>" > "$TMP/www/basic/index.html"
echo "<html>digest area</html>" > "$TMP/www/digest/index.html"
echo "<html>welcome</html>" > "$TMP/www/welcome.html"
head -c 4000000 /dev/urandom > "$TMP/www/big.bin"
# The form's password as curl --data-urlencode sends it ("!" is %21).
PASS_FORM=$(printf '%s' "$PASS" | sed 's/!/%21/g')
cat > "$TMP/www/cgi-bin/login.sh" <<EOF
#!/bin/sh
body=\$(head -c "\${CONTENT_LENGTH:-0}")
case "&\$body&" in
    *"&username=$HTTP_USER&password=$PASS_FORM&"*)
        printf 'Status: 302 Found\r\nLocation: /welcome.html\r\nContent-Length: 0\r\n\r\n' ;;
    *)
        printf 'Status: 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nwrong password\n' ;;
esac
EOF
# A JSON API login (single-page applications, REST): 200 for the right password, 401
# otherwise.
cat > "$TMP/www/cgi-bin/api-login.sh" <<EOF
#!/bin/sh
body=\$(head -c "\${CONTENT_LENGTH:-0}")
case "\$body" in
    *'"user": "$HTTP_USER", "password": "$PASS"'*)
        printf 'Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{"token": "t"}\n' ;;
    *)
        printf 'Status: 401 Unauthorized\r\nContent-Type: application/json\r\n\r\n{"error": "bad"}\n' ;;
esac
EOF
# A SOAP service as an ONVIF device answers GetSystemDateAndTime, behind WS-Security.
cat > "$TMP/www/cgi-bin/onvif.py" <<EOF
import base64, hashlib, os, sys
import xml.etree.ElementTree as ET
WSSE = "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}"
WSU = "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd}"
body = sys.stdin.buffer.read(int(os.environ.get("CONTENT_LENGTH") or 0))
ok = False
digest = False
token = ET.fromstring(body).find(".//" + WSSE + "UsernameToken")
if token is not None:
    user = token.findtext(WSSE + "Username")
    pw = token.find(WSSE + "Password")
    if user == "$HTTP_USER" and pw is not None:
        digest = (pw.get("Type") or "").endswith("#PasswordDigest")
        if digest:
            nonce = base64.b64decode(token.findtext(WSSE + "Nonce"))
            created = token.findtext(WSU + "Created").encode()
            want = hashlib.sha1(nonce + created + b"$PASS").digest()
            ok = base64.b64decode(pw.text) == want
        else:
            ok = pw.text == "$PASS"
env = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Body>%s</s:Body></s:Envelope>'
if ok:
    answer = env % '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>2026-11-27T10:00:00Z</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>'
    sys.stdout.write("Status: 200 OK\r\nContent-Type: application/soap+xml\r\n\r\n" + answer)
else:
    fault = '<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:ter="http://www.onvif.org/ver10/error">ter:NotAuthorized</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">Sender not Authorized</s:Text></s:Reason></s:Fault>'
    status = "401 Unauthorized" if digest else "400 Bad Request"
    sys.stdout.write("Status: " + status + "\r\nContent-Type: application/soap+xml\r\n\r\n" + (env % fault))
EOF
cat > "$TMP/device.wsdl" <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tds="http://www.onvif.org/ver10/device/wsdl"
    targetNamespace="http://www.onvif.org/ver10/device/wsdl">
  <wsdl:types>
    <xs:schema targetNamespace="http://www.onvif.org/ver10/device/wsdl" elementFormDefault="qualified">
      <xs:element name="GetSystemDateAndTime"><xs:complexType><xs:sequence/></xs:complexType></xs:element>
      <xs:element name="GetSystemDateAndTimeResponse"><xs:complexType><xs:sequence>
        <xs:element name="SystemDateAndTime" type="xs:string"/>
      </xs:sequence></xs:complexType></xs:element>
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="GetSystemDateAndTimeRequest"><wsdl:part name="parameters" element="tds:GetSystemDateAndTime"/></wsdl:message>
  <wsdl:message name="GetSystemDateAndTimeResponse"><wsdl:part name="parameters" element="tds:GetSystemDateAndTimeResponse"/></wsdl:message>
  <wsdl:portType name="Device">
    <wsdl:operation name="GetSystemDateAndTime">
      <wsdl:input message="tds:GetSystemDateAndTimeRequest"/>
      <wsdl:output message="tds:GetSystemDateAndTimeResponse"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="DeviceBinding" type="tds:Device">
    <soap12:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="GetSystemDateAndTime">
      <soap12:operation soapAction="http://www.onvif.org/ver10/device/wsdl/GetSystemDateAndTime"/>
      <wsdl:input><soap12:body use="literal"/></wsdl:input>
      <wsdl:output><soap12:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="DeviceService">
    <wsdl:port name="DevicePort" binding="tds:DeviceBinding">
      <soap12:address location="http://127.0.0.1:8081/cgi-bin/onvif.py"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
EOF
printf '%s\n' "$HTTP_USER:$PASS" "$DL_USER:$DL_PASS" > "$TMP/users"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 || die "openssl failed"
cat > "$TMP/lighttpd.conf" <<EOF
server.document-root = "$TMP/www"
server.bind = "127.0.0.1"
server.port = 80
server.errorlog = "$TMP/error.log"
server.modules = ( "mod_auth", "mod_authn_file", "mod_cgi", "mod_openssl" )
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html" )
auth.backend = "plain"
auth.backend.plain.userfile = "$TMP/users"
auth.require = (
    "/basic/" => ( "method" => "basic", "realm" => "$REALM", "require" => "valid-user" ),
    "/digest/" => ( "method" => "digest", "realm" => "$REALM", "require" => "valid-user",
                    "algorithm" => "MD5" ),
)
cgi.assign = ( ".sh" => "/bin/sh", ".py" => "$(command -v python3)" )
\$SERVER["socket"] == "127.0.0.1:8081" { }
\$SERVER["socket"] == "127.0.0.1:443" {
    ssl.engine = "enable"
    ssl.pemfile = "$TMP/cert.pem"
    ssl.privkey = "$TMP/key.pem"
}
EOF
lighttpd -tt -f "$TMP/lighttpd.conf" >"$TMP/lighttpd.out" 2>&1 || die "bad lighttpd configuration"
ip netns exec "$NS" lighttpd -D -f "$TMP/lighttpd.conf" >>"$TMP/lighttpd.out" 2>&1 &
PIDS+=($!)
wait_listen 80
wait_listen 8081
wait_listen 443

# ---- capture ------------------------------------------------------------------------
# -Z root: tcpdump would otherwise open the file as user tcpdump, who cannot write here.
# --immediate-mode: packets are handed over at once, none lost when tcpdump stops.
# -B: a 64 MiB buffer, for the burst of request 9's download.
ip netns exec "$NS" tcpdump -i lo "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    tcp >"$TMP/tcpdump.out" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
for _ in $(seq 100); do
    grep -q "listening on" "$TMP/tcpdump.err" 2>/dev/null && break
    sleep 0.05
done
grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start: $(cat "$TMP/tcpdump.err")"

# ---- clients ------------------------------------------------------------------------
# Runs curl in the namespace and prints "truth <n> <status>".
request() {
    local n=$1 status
    shift
    status=$(in_ns curl -sS -o /dev/null -w '%{http_code}' --max-time 20 "$@" 2>>"$TMP/curl.err") ||
        die "curl $n failed: $(cat "$TMP/curl.err")"
    echo "truth $n $status"
}

request 1 -u "$HTTP_USER:$PASS" http://127.0.0.1/basic/
request 2 -u "$HTTP_USER:$WRONG" http://127.0.0.1/basic/
request 3 --data-urlencode "username=$HTTP_USER" --data-urlencode "password=$PASS" \
    http://127.0.0.1:8081/cgi-bin/login.sh
request 4 --data-urlencode "username=$HTTP_USER" --data-urlencode "password=$WRONG" \
    http://127.0.0.1:8081/cgi-bin/login.sh
request 5 -v --digest -u "$HTTP_USER:$PASS" http://127.0.0.1/digest/
sed -n 's/^> Authorization: Digest \(.*\)$/truth digest \1/p' "$TMP/curl.err" | tr -d '\r'
request 6 -k -u "$HTTP_USER:$PASS" https://127.0.0.1/basic/
request 7 -H 'Content-Type: application/json' \
    --data-raw "{\"user\": \"$HTTP_USER\", \"password\": \"$PASS\"}" \
    http://127.0.0.1:8081/cgi-bin/api-login.sh
request 8 -H 'Content-Type: application/json' \
    --data-raw "{\"user\": \"$HTTP_USER\", \"password\": \"$WRONG\"}" \
    http://127.0.0.1:8081/cgi-bin/api-login.sh
# The download at 40 MB/s (0.1 s), so that tcpdump keeps up on any machine.
status=$(in_ns curl -sS --max-time 20 --limit-rate 40M -o /dev/null http://127.0.0.1/big.bin \
    --next -o /dev/null -w '%{http_code} %{num_connects}' -u "$DL_USER:$DL_PASS" \
    http://127.0.0.1/basic/ 2>>"$TMP/curl.err") || die "curl 9 failed: $(cat "$TMP/curl.err")"
echo "truth 9 $status"
# python-zeep with WS-Security, from the WSDL (Debian's python3; the status zeep saw).
soap() { # n password digest(1|0)
    local status
    status=$(in_ns /usr/bin/python3 - "$TMP/device.wsdl" "$HTTP_USER" "$2" "$3" 2>>"$TMP/zeep.err" <<'PY'
import sys
import zeep
from zeep.wsse.username import UsernameToken
wsdl, user, password, digest = sys.argv[1:5]
client = zeep.Client(wsdl, wsse=UsernameToken(user, password, use_digest=digest == "1"))
# The HTTP status of the call, whatever zeep makes of the answer (a SOAP fault).
statuses = []
client.transport.session.hooks["response"].append(lambda r, *a, **k: statuses.append(r.status_code))
try:
    client.service.GetSystemDateAndTime()
except (zeep.exceptions.TransportError, zeep.exceptions.Fault):
    pass
print(statuses[-1] if statuses else "none")
PY
) || die "zeep $1 failed: $(cat "$TMP/zeep.err")"
    echo "truth $1 $status"
}
soap 10 "$PASS" 1
soap 11 "$WRONG" 1
soap 12 "$PASS" 0
soap 13 "$WRONG" 0

# ---- stop the capture ---------------------------------------------------------------
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
stats=$(tr '\n' ' ' < "$TMP/tcpdump.err")
log "tcpdump: ${stats#*listening on lo*bytes }"
# (On loopback the filter counts each packet twice, once per direction of the device: the
# kernel's drop count is what tells a complete capture.)
dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$TMP/tcpdump.err")
[ "$dropped" = 0 ] || die "incomplete capture: ${dropped:-?} packets dropped by the kernel"
cp "$TMP/capture.pcap" "$OUT"
