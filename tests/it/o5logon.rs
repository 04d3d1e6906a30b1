//! Oracle's O5LOGON key derivation for tests, written from the protocol (as
//! python-oracledb's thin driver implements the client side), independent of plainsight:
//! with a known password, the tests decrypt from what plainsight reports the password the
//! client sent — proof that a finding holds everything an offline guess needs.

use aes::cipher::{Block, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use aes::{Aes192, Aes256};
use sha1::Digest;

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

fn aes_block(key: &[u8], block: &mut [u8; 16], encrypt: bool) {
    let mut b = Block::<Aes256>::from(*block);
    match key.len() {
        24 => {
            let c = Aes192::new_from_slice(key).expect("AES-192 key");
            if encrypt {
                c.encrypt_block(&mut b)
            } else {
                c.decrypt_block(&mut b)
            }
        }
        32 => {
            let c = Aes256::new_from_slice(key).expect("AES-256 key");
            if encrypt {
                c.encrypt_block(&mut b)
            } else {
                c.decrypt_block(&mut b)
            }
        }
        n => panic!("no AES key of {n} bytes"),
    }
    block.copy_from_slice(&b);
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
