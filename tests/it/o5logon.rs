//! Oracle's O5LOGON key derivation for tests, written from the protocol (as
//! python-oracledb's thin driver implements the client side), independent of plainsight:
//! with a known password, the tests decrypt from what plainsight reports the password the
//! client sent — proof that a finding holds everything an offline guess needs.

use sha1::Digest;

use crate::proto_win::krb_crypto::aes_block;
use crate::support::unhex;

/// The verifier types (AUTH_VFR_DATA's flags).
pub const VERIFIER_11G: u32 = 0xb152;
pub const VERIFIER_12C: u32 = 0x4815;

/// What the server sent in AUTH phase one, as hex text.
pub struct Challenge<'a> {
    pub verifier: u32,
    pub salt: &'a str,
    pub csk_salt: &'a str,
    pub vgen_count: u32,
    pub sder_count: u32,
}

/// AES-CBC with a zero IV, no padding (whole blocks).
pub fn cbc(key: &[u8], data: &[u8], encrypt: bool) -> Vec<u8> {
    assert!(data.len().is_multiple_of(16), "whole blocks");
    let mut prev = [0u8; 16];
    let mut out = Vec::with_capacity(data.len());
    for chunk in data.chunks(16) {
        let mut block: [u8; 16] = chunk.try_into().expect("a block");
        if encrypt {
            for (b, p) in block.iter_mut().zip(prev) {
                *b ^= p;
            }
            aes_block(key, &mut block, true);
            prev = block;
        } else {
            let cipher = block;
            aes_block(key, &mut block, false);
            for (b, p) in block.iter_mut().zip(prev) {
                *b ^= p;
            }
            prev = cipher;
        }
        out.extend_from_slice(&block);
    }
    out
}

fn pbkdf2_sha512(password: &[u8], salt: &[u8], rounds: u32, len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, rounds, &mut out);
    out
}

/// The key the password's verifier gives (what encrypts both session key halves).
pub fn verifier_key(c: &Challenge<'_>, password: &[u8]) -> Vec<u8> {
    let salt = unhex(c.salt);
    if c.verifier == VERIFIER_12C {
        let speedy = [&salt[..], b"AUTH_PBKDF2_SPEEDY_KEY"].concat();
        let password_key = pbkdf2_sha512(password, &speedy, c.vgen_count, 64);
        let mut h = sha2::Sha512::new();
        h.update(&password_key);
        h.update(&salt);
        h.finalize()[..32].to_vec()
    } else {
        let mut h = sha1::Sha1::new();
        h.update(password);
        h.update(&salt);
        [&h.finalize()[..], &[0; 4]].concat()
    }
}

/// The session key both halves combine into (12c servers' PBKDF2 over the halves' hex).
pub fn session_key(
    c: &Challenge<'_>,
    password: &[u8],
    server_key: &str,
    client_key: &str,
) -> Vec<u8> {
    let key = verifier_key(c, password);
    let n = key.len();
    let server = cbc(&key, &unhex(server_key), false);
    let client = cbc(&key, &unhex(client_key), false);
    let combo: String = client[..n]
        .iter()
        .chain(&server[..n])
        .map(|b| format!("{b:02X}"))
        .collect();
    pbkdf2_sha512(combo.as_bytes(), &unhex(c.csk_salt), c.sder_count, n)
}

/// The password an AUTH_PASSWORD (or AUTH_NEWPASSWORD) holds, decrypted with the session
/// key a guess gives: its 16-byte random prefix and its padding removed. `None` when the
/// padding is not what a right guess gives.
pub fn decrypt_password(
    c: &Challenge<'_>,
    guess: &[u8],
    server_key: &str,
    client_key: &str,
    encrypted: &str,
) -> Option<Vec<u8>> {
    let key = session_key(c, guess, server_key, client_key);
    let plain = cbc(&key, &unhex(encrypted), false);
    let pad = usize::from(*plain.last()?);
    if !(1..=16).contains(&pad) || plain.len() < 16 + pad {
        return None;
    }
    plain[plain.len() - pad..]
        .iter()
        .all(|&b| usize::from(b) == pad)
        .then(|| plain[16..plain.len() - pad].to_vec())
}

fn upper_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// `n` bytes that stand for random ones, from `seed` (fixtures must not change).
fn pseudo_random(seed: u8, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| {
            (i as u8)
                .wrapping_mul(37)
                .wrapping_add(seed.wrapping_mul(101))
                ^ 0x5a
        })
        .collect()
}

/// PKCS#7 padding to whole blocks (always at least one byte).
fn padded(mut b: Vec<u8>) -> Vec<u8> {
    let n = 16 - b.len() % 16;
    b.extend(std::iter::repeat_n(n as u8, n));
    b
}

/// The values of a login where the account's password is `password` and the client
/// typed `typed`: the server's AUTH_SESSKEY, the client's AUTH_SESSKEY and AUTH_PASSWORD,
/// upper-case hex, as a 12c server (the halves combined by PBKDF2) and python-oracledb
/// make them: the server's half 32 bytes under a 12c verifier, 48 (40 and 8 bytes of
/// padding) under an 11g one; the client's 32 bytes.
pub fn exchange(
    c: &Challenge<'_>,
    password: &[u8],
    typed: &[u8],
    seed: u8,
) -> (String, String, String) {
    let server_half = if c.verifier == VERIFIER_12C {
        pseudo_random(seed, 32)
    } else {
        [pseudo_random(seed, 40), vec![8; 8]].concat()
    };
    let server_key = upper_hex(&cbc(&verifier_key(c, password), &server_half, true));
    let typed_key = verifier_key(c, typed);
    let client_half = pseudo_random(seed.wrapping_add(1), 32);
    let client_key = upper_hex(&cbc(&typed_key, &padded(client_half), true)[..32]);
    let session = session_key(c, typed, &server_key, &client_key);
    let plain = padded([pseudo_random(seed.wrapping_add(2), 16), typed.to_vec()].concat());
    (
        server_key,
        client_key,
        upper_hex(&cbc(&session, &plain, true)),
    )
}

/// The key an 11g server and its clients combine the halves into, as John the Ripper's
/// `o5logon` reads it: MD5 of bytes 16..32 of the halves XORed, then MD5 of 32..40.
fn legacy_session_key(server_half: &[u8], client_half: &[u8]) -> Vec<u8> {
    let x: Vec<u8> = server_half[16..40]
        .iter()
        .zip(&client_half[16..40])
        .map(|(a, b)| a ^ b)
        .collect();
    [
        md5::Md5::digest(&x[..16]).to_vec(),
        md5::Md5::digest(&x[16..]).to_vec(),
    ]
    .concat()
}

/// The values of an 11g login without the 12c key derivation (no AUTH_PBKDF2_CSK_SALT):
/// 48-byte halves, the server's with the 8 bytes of padding CVE-2012-3137 rests on.
pub fn legacy_exchange(salt: &str, password: &[u8], seed: u8) -> (String, String, String) {
    let c = Challenge {
        verifier: VERIFIER_11G,
        salt,
        csk_salt: "",
        vgen_count: 0,
        sder_count: 0,
    };
    let key = verifier_key(&c, password);
    let server_half = [pseudo_random(seed, 40), vec![8; 8]].concat();
    let client_half = pseudo_random(seed.wrapping_add(1), 48);
    let session = legacy_session_key(&server_half, &client_half);
    let plain = padded([pseudo_random(seed.wrapping_add(2), 16), password.to_vec()].concat());
    (
        upper_hex(&cbc(&key, &server_half, true)),
        upper_hex(&cbc(&key, &client_half, true)),
        upper_hex(&cbc(&session, &plain, true)),
    )
}

/// Whether `guess` cracks John's `$o5logon$` line, as John checks it: with the client's
/// values, the password they decrypt to; without, the server's half's padding.
pub fn john_cracks(line: &str, guess: &[u8]) -> bool {
    let fields: Vec<&str> = line
        .strip_prefix("$o5logon$")
        .expect("an o5logon line")
        .split('*')
        .collect();
    let c = Challenge {
        verifier: VERIFIER_11G,
        salt: fields[1],
        csk_salt: "",
        vgen_count: 0,
        sder_count: 0,
    };
    let key = verifier_key(&c, guess);
    let server_half = cbc(&key, &unhex(fields[0]), false);
    match fields[..] {
        [_, _] => server_half[40..] == [8; 8],
        [_, _, password, client] => {
            let client_half = cbc(&key, &unhex(client), false);
            let session = legacy_session_key(&server_half, &client_half);
            let plain = cbc(&session, &unhex(password), false);
            let pad = usize::from(plain[plain.len() - 1]);
            plain.len() == 16 + guess.len() + pad
                && plain[16..16 + guess.len()] == *guess
                && plain[16 + guess.len()..]
                    .iter()
                    .all(|&b| usize::from(b) == pad)
        }
        _ => panic!("two or four fields: {line}"),
    }
}

/// `plain` encrypted as AUTH_PASSWORD (or AUTH_NEWPASSWORD) is, with the session key of
/// a login with `password`: a 16-byte prefix, then padding.
pub fn encrypt_password(
    c: &Challenge<'_>,
    password: &[u8],
    server_key: &str,
    client_key: &str,
    plain: &[u8],
    seed: u8,
) -> String {
    let session = session_key(c, password, server_key, client_key);
    let plain = padded([pseudo_random(seed, 16), plain.to_vec()].concat());
    upper_hex(&cbc(&session, &plain, true))
}
