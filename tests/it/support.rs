//! Helpers: run the real binary, read its JSON Lines, compare with expectations.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_plainsight"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("fixtures").join(name)
}

/// An executable of that name on the PATH or in the system directories.
pub fn find_program(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

/// Whether the tests run as root (the real-server suites need it).
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// A string for the life of the test run (expectations hold `&'static str`).
pub fn leak(s: impl Into<String>) -> &'static str {
    Box::leak(s.into().into_boxed_str())
}

/// A finding with its client's (ephemeral) port set to 0, to compare with expectations.
pub fn without_client_port(f: &Value) -> Value {
    let mut f = f.clone();
    f["client"]["port"] = Value::from(0);
    f
}

/// Runs `plainsight` with `args`.
pub fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .output()
        .expect("run plainsight")
}

/// Scans `paths` with `--format jsonl --reveal` and returns the findings and exit code.
pub fn scan(paths: &[&Path]) -> (Vec<Value>, i32, String) {
    scan_with(&[], paths)
}

/// [`scan`] with more options.
pub fn scan_with(options: &[&str], paths: &[&Path]) -> (Vec<Value>, i32, String) {
    let mut cmd = Command::new(bin());
    cmd.args(["scan", "--format", "jsonl", "--reveal"]);
    cmd.args(options);
    cmd.args(paths);
    let out = cmd.output().expect("run plainsight");
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    let findings = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect();
    (
        findings,
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What a finding must say. `None` fields are not checked.
#[derive(Clone, Debug, Default)]
pub struct Expect {
    pub protocol: &'static str,
    pub mechanism: &'static str,
    pub kind: &'static str,
    pub client: &'static str,
    pub server: &'static str,
    pub username: Option<&'static str>,
    pub secret: &'static str,
    pub outcome: &'static str,
    pub anonymous: bool,
    /// A frame that must be among `frames`.
    pub frame: Option<u64>,
    pub challenge: Option<&'static str>,
    pub hashcat: Option<(u64, &'static str)>,
    pub secret_hex: Option<&'static str>,
    /// Session flags that must be `true` (the others must be absent).
    pub flags: &'static [&'static str],
    pub domain: Option<&'static str>,
}

/// Every flag a finding can carry (`"<flag>": true`).
const KNOWN_FLAGS: &[&str] = &["auth_offered_in_clear"];

fn endpoint(v: &Value) -> String {
    if let Some(mac) = v["mac"].as_str() {
        return mac.to_string();
    }
    let ip = v["ip"].as_str().unwrap_or_default();
    let port = v["port"].as_u64().unwrap_or_default();
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

impl Expect {
    /// Why `f` does not match, or `None` when it does.
    pub fn mismatch(&self, f: &Value) -> Option<String> {
        let mut why: Vec<String> = Vec::new();
        fn check(why: &mut Vec<String>, name: &str, got: String, want: String) {
            if got != want {
                why.push(format!("{name}: got {got:?}, want {want:?}"));
            }
        }
        let mut check = |name: &str, got: String, want: String| check(&mut why, name, got, want);
        check(
            "protocol",
            f["protocol"].as_str().unwrap_or("").into(),
            self.protocol.into(),
        );
        check(
            "mechanism",
            f["mechanism"].as_str().unwrap_or("").into(),
            self.mechanism.into(),
        );
        check(
            "kind",
            f["kind"].as_str().unwrap_or("").into(),
            self.kind.into(),
        );
        check("client", endpoint(&f["client"]), self.client.into());
        check("server", endpoint(&f["server"]), self.server.into());
        check(
            "username",
            format!("{:?}", f.get("username").and_then(Value::as_str)),
            format!("{:?}", self.username),
        );
        check(
            "secret",
            f["secret"].as_str().unwrap_or("<none>").into(),
            self.secret.into(),
        );
        check(
            "outcome",
            f["outcome"].as_str().unwrap_or("").into(),
            self.outcome.into(),
        );
        check(
            "anonymous",
            f.get("anonymous")
                .and_then(Value::as_bool)
                .unwrap_or(false)
                .to_string(),
            self.anonymous.to_string(),
        );
        if let Some(frame) = self.frame {
            let frames: Vec<u64> = f["frames"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            if !frames.contains(&frame) {
                check(
                    "frames",
                    format!("{frames:?}"),
                    format!("containing {frame}"),
                );
            }
        }
        if let Some(ch) = self.challenge {
            check(
                "challenge",
                f["challenge"].as_str().unwrap_or("").into(),
                ch.into(),
            );
        }
        if let Some((mode, hash)) = self.hashcat {
            check(
                "hashcat.mode",
                f["hashcat"]["mode"].to_string(),
                mode.to_string(),
            );
            check(
                "hashcat.hash",
                f["hashcat"]["hash"].as_str().unwrap_or("").into(),
                hash.into(),
            );
        }
        for flag in KNOWN_FLAGS {
            check(
                flag,
                f.get(*flag)
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                    .to_string(),
                self.flags.contains(flag).to_string(),
            );
        }
        if let Some(domain) = self.domain {
            check(
                "domain",
                f["domain"].as_str().unwrap_or("").into(),
                domain.into(),
            );
        }
        check(
            "secret_hex",
            format!("{:?}", f.get("secret_hex").and_then(Value::as_str)),
            format!("{:?}", self.secret_hex),
        );
        if why.is_empty() {
            None
        } else {
            Some(why.join("; "))
        }
    }
}

/// Every expectation matched by exactly one finding, and no finding left over.
pub fn assert_findings(what: &str, findings: &[Value], expected: &[Expect]) {
    let mut left: Vec<&Value> = findings.iter().collect();
    for e in expected {
        match left.iter().position(|f| e.mismatch(f).is_none()) {
            Some(i) => {
                left.remove(i);
            }
            None => {
                let closest: Vec<String> = left.iter().filter_map(|f| e.mismatch(f)).collect();
                panic!(
                    "{what}: no finding matches {e:?}\nmismatches: {closest:#?}\nall findings: {findings:#?}"
                );
            }
        }
    }
    assert!(left.is_empty(), "{what}: unexpected findings {left:#?}");
}

/// Runs the end-to-end script `tests/e2e/<name>.sh` with a capture path in a temporary
/// directory of its own, and panics with its output unless it succeeds: the directory
/// (for the caller to remove), the capture, and what the script printed.
pub fn run_e2e(name: &str) -> (PathBuf, PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("plainsight-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let pcap = dir.join(format!("{name}.pcap"));
    let script = format!("tests/e2e/{name}.sh");
    let out = Command::new("bash")
        .arg(repo().join(&script))
        .arg(&pcap)
        .output()
        .unwrap_or_else(|e| panic!("run {script}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, pcap, stdout)
}

/// What a real-server script left: its capture, the port it printed (`port <n>`) and its
/// `truth <n> <...>` lines, in order.
pub struct E2e {
    pub dir: PathBuf,
    pub pcap: PathBuf,
    pub stdout: String,
    /// The server port the script printed (`port N`), 0 when it prints none.
    pub port: u64,
    pub truths: Vec<String>,
}

impl E2e {
    /// Panics with the script's output unless it printed exactly these truths.
    pub fn assert_truths(&self, want: &[&str]) {
        assert_eq!(self.truths, want, "{}", self.stdout);
    }
}

/// Scans `pcap` (with the options `extra`) on one thread and on two: the thread count and
/// the findings of each run, which must have found something (exit code 1).
pub fn scan_threads(pcap: &Path, extra: &[&str]) -> Vec<(&'static str, Vec<Value>)> {
    ["1", "2"]
        .into_iter()
        .map(|threads| {
            let options = [&["--threads", threads][..], extra].concat();
            let (findings, code, stderr) = scan_with(&options, &[pcap]);
            assert_eq!(code, 1, "{threads} threads: {stderr}");
            (threads, findings)
        })
        .collect()
}

/// Runs `tests/e2e/<name>.sh` when the machine can (root, and every program of
/// `programs`); otherwise says why the test is skipped and gives `None`.
pub fn real_e2e(name: &str, programs: &[&str]) -> Option<E2e> {
    if !is_root() {
        eprintln!("{name}: SKIPPED: needs root (captures, namespaces)");
        return None;
    }
    let missing: Vec<&str> = programs
        .iter()
        .copied()
        .filter(|p| find_program(p).is_none())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "{name}: SKIPPED: missing {} (./scripts/setup-debian.sh --test)",
            missing.join(", ")
        );
        return None;
    }
    let (dir, pcap, stdout) = run_e2e(name);
    let port = stdout
        .lines()
        .find_map(|l| l.strip_prefix("port "))
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let truths = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("truth "))
        .map(str::to_string)
        .collect();
    Some(E2e {
        dir,
        pcap,
        stdout,
        port,
        truths,
    })
}

/// The `fields` tshark gives for the packets of `file` that match display filter
/// `filter`: one line a packet, the fields tab-separated.
pub fn tshark_fields(tshark: &Path, file: &Path, filter: &str, fields: &[&str]) -> Vec<String> {
    let mut cmd = Command::new(tshark);
    cmd.args(["-n", "-r"])
        .arg(file)
        .args(["-Y", filter, "-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// What the real-server tests compare of each finding, in order: protocol, mechanism, user
/// name, secret, outcome, the server's port and `details.<detail>` ("" where absent).
pub type Row<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, u64, &'a str);

/// The [`Row`]s of `findings`.
pub fn rows<'a>(findings: &'a [Value], detail: &str) -> Vec<Row<'a>> {
    findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("");
            (
                s("protocol"),
                s("mechanism"),
                s("username"),
                s("secret"),
                s("outcome"),
                f["server"]["port"].as_u64().unwrap_or(0),
                f["details"][detail].as_str().unwrap_or(""),
            )
        })
        .collect()
}

/// The bytes of a hex string (either case).
pub fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// HMAC-MD5 (RFC 2104) of the concatenated `parts` under `key`.
pub fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = <Hmac<md5::Md5>>::new_from_slice(key).expect("any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

/// RFC 2831's DIGEST-MD5 `response` recomputed from a finding's fields (user name, nonce in
/// `challenge`, `details` realm, cnonce, nc, qop, digest_uri and authzid when sent) and
/// `password`.
pub fn digest_md5_response(f: &Value, password: &str) -> String {
    use md5::{Digest, Md5};
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let d = |k: &str| s(&f["details"][k]);
    let (user, nonce) = (s(&f["username"]), s(&f["challenge"]));
    let md5 = |b: &[u8]| Md5::digest(b).to_vec();
    let authzid = f["details"]["authzid"]
        .as_str()
        .map_or(String::new(), |a| format!(":{a}"));
    let a1 = [
        md5(format!("{user}:{}:{password}", d("realm")).as_bytes()),
        format!(":{nonce}:{}{authzid}", d("cnonce")).into_bytes(),
    ]
    .concat();
    let a2 = format!("AUTHENTICATE:{}", d("digest_uri"));
    let kd = format!(
        "{}:{nonce}:{}:{}:{}:{}",
        hex(&md5(&a1)),
        d("nc"),
        d("cnonce"),
        d("qop"),
        hex(&md5(a2.as_bytes()))
    );
    hex(&md5(kd.as_bytes()))
}

/// A SCRAM exchange (RFC 5802) computed as a client and a server would: the four messages,
/// the `AuthMessage` the proof signs and the proof in base64 (what a finding reports).
pub struct Scram {
    pub first: Vec<u8>,
    pub server: Vec<u8>,
    pub last: Vec<u8>,
    pub verdict: Vec<u8>,
    pub auth_message: String,
    pub proof: String,
}

/// SCRAM's `ClientProof` and `ServerSignature` of `password` for `auth_message`, with
/// `hash` `"SHA-1"`, `"SHA-256"` or `"SHA-512"`: what a client and a server compute.
fn scram_keys(
    hash: &str,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    auth_message: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    use sha2::Digest;
    macro_rules! keys {
        ($d:ty) => {{
            let mut salted = vec![0u8; <$d as Digest>::output_size()];
            pbkdf2::pbkdf2_hmac::<$d>(password, salt, iterations, &mut salted);
            let hmac = |key: &[u8], data: &[u8]| {
                let mut m = Hmac::<$d>::new_from_slice(key).unwrap();
                m.update(data);
                m.finalize().into_bytes().to_vec()
            };
            let client_key = hmac(&salted, b"Client Key");
            let signature = hmac(&<$d>::digest(&client_key), auth_message);
            let server_signature = hmac(&hmac(&salted, b"Server Key"), auth_message);
            let proof: Vec<u8> = client_key
                .iter()
                .zip(&signature)
                .map(|(a, b)| a ^ b)
                .collect();
            (proof, server_signature)
        }};
    }
    match hash {
        "SHA-1" => keys!(sha1::Sha1),
        "SHA-256" => keys!(sha2::Sha256),
        "SHA-512" => keys!(sha2::Sha512),
        other => panic!("no SCRAM with {other}"),
    }
}

/// `hash` is `"SHA-1"`, `"SHA-256"` or `"SHA-512"`.
pub fn scram(
    hash: &str,
    user: &str,
    password: &str,
    nonces: (&str, &str),
    salt: &[u8],
    iterations: u32,
) -> Scram {
    use base64::Engine as _;
    let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
    let (client_nonce, server_nonce) = nonces;
    let bare = format!("n={user},r={client_nonce}");
    let server = format!(
        "r={client_nonce}{server_nonce},s={},i={iterations}",
        b64(salt)
    );
    let without = format!("c=biws,r={client_nonce}{server_nonce}");
    let auth_message = format!("{bare},{server},{without}");
    let (proof, server_signature) = scram_keys(
        hash,
        password.as_bytes(),
        salt,
        iterations,
        auth_message.as_bytes(),
    );
    Scram {
        first: format!("n,,{bare}").into_bytes(),
        server: server.into_bytes(),
        last: format!("{without},p={}", b64(&proof)).into_bytes(),
        verdict: format!("v={}", b64(&server_signature)).into_bytes(),
        auth_message,
        proof: b64(&proof),
    }
}

/// Whether `password` is the one behind a SCRAM finding: the client's proof recomputed
/// from the finding's `AuthMessage` (challenge), salt, iterations and hash, which must also
/// be the ones the server sent inside that `AuthMessage`.
pub fn scram_proves(f: &Value, password: &str) -> bool {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let auth = f["challenge"].as_str().expect("SCRAM challenge");
    let d = &f["details"];
    let (salt, iterations) = (
        d["salt"].as_str().unwrap(),
        d["iterations"].as_str().unwrap(),
    );
    assert!(
        auth.contains(&format!(",s={salt},i={iterations},")),
        "the details are not the AuthMessage's: {f:#}"
    );
    let salt = b64.decode(salt).expect("salt base64");
    let hash = d["hash"].as_str().unwrap_or_default();
    let (proof, _) = scram_keys(
        hash,
        password.as_bytes(),
        &salt,
        iterations.parse().unwrap(),
        auth.as_bytes(),
    );
    f["secret"].as_str() == Some(&b64.encode(proof))
}

/// MySQL's caching_sha2_password scramble (MySQL 8's default plugin):
/// SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce).
pub fn caching_sha2(password: &str, nonce: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let stage1 = Sha256::digest(password.as_bytes());
    let mask = Sha256::digest([&Sha256::digest(stage1)[..], nonce].concat());
    stage1.iter().zip(mask.iter()).map(|(a, b)| a ^ b).collect()
}

/// What `scripts/offline-crack.py` prints for `findings` (as a scan writes them, one JSON
/// line each) and the word list `words`: its standard output.
pub fn offline_crack<'a>(findings: impl IntoIterator<Item = &'a Value>, words: &[&str]) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static RUN: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "plainsight-crack-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let jsonl: String = findings.into_iter().map(|f| format!("{f}\n")).collect();
    std::fs::write(dir.join("findings.jsonl"), jsonl).expect("findings");
    std::fs::write(
        dir.join("words"),
        words.iter().map(|w| format!("{w}\n")).collect::<String>(),
    )
    .expect("words");
    let out = Command::new("/usr/bin/python3")
        .arg(repo().join("scripts/offline-crack.py"))
        .arg(dir.join("findings.jsonl"))
        .arg(dir.join("words"))
        .output()
        .expect("run scripts/offline-crack.py");
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether Debian's /usr/bin/python3 imports `module` (a real client a test drives); if
/// not, says the test is skipped for want of `package`.
pub fn python_has(module: &str, package: &str) -> bool {
    let found = Command::new("/usr/bin/python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipped: {package} is not installed (./scripts/setup-debian.sh --test)");
    }
    found
}
