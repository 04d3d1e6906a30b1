//! Kerberos encryption for tests, written from the RFCs and independent of plainsight's
//! dissector: RC4-HMAC (RFC 4757) and AES-CTS-HMAC-SHA1-96 (RFC 3961, RFC 3962). Tests
//! use it to build exchanges for a known password, and to decrypt with that password
//! what plainsight reports: a cipher that decrypts (its checksum verifies) to the
//! expected plaintext proves the fields are the right ones.
//!
//! Shared by the integration tests (`tests/it`) and the unit tests of
//! `src/dissect/kerberos.rs` (through a `#[path]` module).

#![allow(dead_code)]

use aes::cipher::{Block, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use aes::{Aes128, Aes192, Aes256};
use hmac::{Hmac, Mac};
use md4::{Digest, Md4};
use rc4::{Rc4, StreamCipher};

type HmacMd5 = Hmac<md5::Md5>;
type HmacSha1 = Hmac<sha1::Sha1>;

/// Key usage numbers (RFC 4120 section 7.5.1).
pub const USAGE_PA_ENC_TIMESTAMP: u32 = 1;
pub const USAGE_TICKET: u32 = 2;
pub const USAGE_AS_REP_ENC_PART: u32 = 3;

fn hmac_md5(key: &[u8], data: &[u8]) -> [u8; 16] {
    let mut m = HmacMd5::new_from_slice(key).expect("any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    let mut m = HmacSha1::new_from_slice(key).expect("any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// The RC4-HMAC key of a password: MD4 of its UTF-16LE form (the NT hash).
pub fn nt_hash(password: &str) -> [u8; 16] {
    let utf16: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
    Md4::digest(&utf16).into()
}

/// RFC 4757 uses Microsoft's message types for some usages (the AS-REP enc-part is
/// encrypted with 8, as MIT's `arcfour_translate_usage` and hashcat do).
fn rc4_usage(usage: u32) -> u32 {
    match usage {
        3 => 8,
        9 => 8,
        23 => 13,
        u => u,
    }
}

fn rc4(key: &[u8], data: &mut [u8]) {
    let mut c = Rc4::new_from_slice(key).expect("16-byte key");
    c.apply_keystream(data);
}

/// RC4-HMAC encryption: checksum || RC4(confounder || plaintext).
pub fn rc4_hmac_encrypt(
    key: &[u8; 16],
    usage: u32,
    confounder: &[u8; 8],
    plaintext: &[u8],
) -> Vec<u8> {
    let k1 = hmac_md5(key, &rc4_usage(usage).to_le_bytes());
    let mut data = [&confounder[..], plaintext].concat();
    let checksum = hmac_md5(&k1, &data);
    let k3 = hmac_md5(&k1, &checksum);
    rc4(&k3, &mut data);
    [&checksum[..], &data].concat()
}

/// RC4-HMAC decryption: the plaintext (without its confounder) when the checksum
/// verifies.
pub fn rc4_hmac_decrypt(key: &[u8; 16], usage: u32, cipher: &[u8]) -> Option<Vec<u8>> {
    if cipher.len() < 24 {
        return None;
    }
    let (checksum, encrypted) = cipher.split_at(16);
    let k1 = hmac_md5(key, &rc4_usage(usage).to_le_bytes());
    let k3 = hmac_md5(&k1, checksum);
    let mut data = encrypted.to_vec();
    rc4(&k3, &mut data);
    (hmac_md5(&k1, &data) == checksum).then(|| data[8..].to_vec())
}

/// RC4-HMAC decryption without the checksum test (hashcat's 7500 kernel checks only that
/// the plaintext looks like a timestamp): the plaintext without its confounder.
pub fn rc4_hmac_decrypt_unchecked(key: &[u8; 16], usage: u32, cipher: &[u8]) -> Option<Vec<u8>> {
    if cipher.len() < 24 {
        return None;
    }
    let (checksum, encrypted) = cipher.split_at(16);
    let k1 = hmac_md5(key, &rc4_usage(usage).to_le_bytes());
    let k3 = hmac_md5(&k1, checksum);
    let mut data = encrypted.to_vec();
    rc4(&k3, &mut data);
    Some(data[8..].to_vec())
}

/// n-fold of RFC 3961 section 5.1 (MIT's algorithm): `input` folded to `out_len` bytes.
pub fn nfold(input: &[u8], out_len: usize) -> Vec<u8> {
    let in_len = input.len();
    let (mut a, mut b) = (out_len, in_len);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    let lcm = out_len * in_len / a;
    let mut out = vec![0u8; out_len];
    let mut byte: u32 = 0;
    for i in (0..lcm).rev() {
        let msbit = (((in_len << 3) - 1)
            + (((in_len << 3) + 13) * (i / in_len))
            + ((in_len - (i % in_len)) << 3))
            % (in_len << 3);
        let hi = u32::from(input[((in_len - 1) - (msbit >> 3)) % in_len]);
        let lo = u32::from(input[(in_len - (msbit >> 3)) % in_len]);
        byte += (((hi << 8) | lo) >> ((msbit & 7) + 1)) & 0xff;
        byte += u32::from(out[i % out_len]);
        out[i % out_len] = (byte & 0xff) as u8;
        byte >>= 8;
    }
    if byte != 0 {
        for i in (0..out_len).rev() {
            byte += u32::from(out[i]);
            out[i] = (byte & 0xff) as u8;
            byte >>= 8;
        }
    }
    out
}

/// One AES block, encrypted or decrypted, under a 16-, 24- or 32-byte key (also the
/// O5LOGON tests' cipher).
pub fn aes_block(key: &[u8], block: &mut [u8; 16], encrypt: bool) {
    fn run<C: BlockCipherEncrypt + BlockCipherDecrypt + KeyInit>(
        key: &[u8],
        b: &mut Block<C>,
        encrypt: bool,
    ) {
        let c = C::new_from_slice(key).expect("AES key");
        if encrypt {
            c.encrypt_block(b)
        } else {
            c.decrypt_block(b)
        }
    }
    let mut b = Block::<Aes128>::from(*block);
    match key.len() {
        16 => run::<Aes128>(key, &mut b, encrypt),
        24 => run::<Aes192>(key, &mut b, encrypt),
        32 => run::<Aes256>(key, &mut b, encrypt),
        n => panic!("no AES key of {n} bytes"),
    }
    block.copy_from_slice(&b);
}

/// DK(key, constant) of RFC 3961 for AES (random-to-key is the identity).
pub fn derive(key: &[u8], constant: &[u8]) -> Vec<u8> {
    let mut block: [u8; 16] = nfold(constant, 16).try_into().expect("16 bytes");
    let mut out = Vec::new();
    while out.len() < key.len() {
        aes_block(key, &mut block, true);
        out.extend_from_slice(&block);
    }
    out.truncate(key.len());
    out
}

/// The AES key of a password and salt (RFC 3962 section 4), `len` 16 or 32 bytes.
pub fn aes_string_to_key(password: &str, salt: &[u8], iterations: u32, len: usize) -> Vec<u8> {
    let mut tkey = vec![0u8; len];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password.as_bytes(), salt, iterations, &mut tkey);
    derive(&tkey, b"kerberos")
}

fn usage_constant(usage: u32, kind: u8) -> Vec<u8> {
    [&usage.to_be_bytes()[..], &[kind]].concat()
}

fn xor16(a: &mut [u8; 16], b: &[u8]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

/// AES-CTS-HMAC-SHA1-96 encryption: CBC with ciphertext stealing (the last two blocks
/// swapped), zero IV, of confounder || plaintext, then 12 bytes of HMAC-SHA1.
pub fn aes_encrypt(key: &[u8], usage: u32, confounder: &[u8; 16], plaintext: &[u8]) -> Vec<u8> {
    let ke = derive(key, &usage_constant(usage, 0xaa));
    let ki = derive(key, &usage_constant(usage, 0x55));
    let data = [&confounder[..], plaintext].concat();
    let mut blocks: Vec<[u8; 16]> = Vec::new();
    let mut prev = [0u8; 16];
    for chunk in data.chunks(16) {
        let mut b = [0u8; 16];
        b[..chunk.len()].copy_from_slice(chunk);
        xor16(&mut b, &prev);
        aes_block(&ke, &mut b, true);
        prev = b;
        blocks.push(b);
    }
    let n = blocks.len();
    let last_len = data.len() - 16 * (n - 1);
    let mut out = Vec::new();
    if n == 1 {
        out.extend_from_slice(&blocks[0]);
    } else {
        for b in &blocks[..n - 2] {
            out.extend_from_slice(b);
        }
        out.extend_from_slice(&blocks[n - 1]);
        out.extend_from_slice(&blocks[n - 2][..last_len]);
    }
    out.extend_from_slice(&hmac_sha1(&ki, &data)[..12]);
    out
}

/// AES-CTS-HMAC-SHA1-96 decryption: the plaintext (without its confounder) when the
/// HMAC verifies.
pub fn aes_decrypt(key: &[u8], usage: u32, cipher: &[u8]) -> Option<Vec<u8>> {
    if cipher.len() < 16 + 12 {
        return None;
    }
    let ke = derive(key, &usage_constant(usage, 0xaa));
    let ki = derive(key, &usage_constant(usage, 0x55));
    let (c, mac) = cipher.split_at(cipher.len() - 12);
    let n = c.len().div_ceil(16);
    let mut data = Vec::new();
    if n == 1 {
        let mut b: [u8; 16] = c.try_into().ok()?;
        aes_block(&ke, &mut b, false);
        data.extend_from_slice(&b);
    } else {
        let mut prev = [0u8; 16];
        for chunk in c[..16 * (n - 2)].chunks(16) {
            let mut b: [u8; 16] = chunk.try_into().ok()?;
            aes_block(&ke, &mut b, false);
            xor16(&mut b, &prev);
            data.extend_from_slice(&b);
            prev.copy_from_slice(chunk);
        }
        let x: [u8; 16] = c[16 * (n - 2)..16 * (n - 1)].try_into().ok()?;
        let y = &c[16 * (n - 1)..];
        let d = y.len();
        let mut dx = x;
        aes_block(&ke, &mut dx, false);
        // The second-to-last encrypted block: its first d bytes were sent, the rest is
        // what decrypting the last block left behind the zero padding.
        let mut e_prev = dx;
        e_prev[..d].copy_from_slice(y);
        let mut last = dx;
        xor16(&mut last, &e_prev);
        let mut p_prev = e_prev;
        aes_block(&ke, &mut p_prev, false);
        xor16(&mut p_prev, &prev);
        data.extend_from_slice(&p_prev);
        data.extend_from_slice(&last[..d]);
    }
    (hmac_sha1(&ki, &data)[..12] == *mac).then(|| data[16..].to_vec())
}

#[test]
fn rfc3961_nfold_vectors() {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    assert_eq!(hex(&nfold(b"012345", 8)), "be072631276b1955");
    assert_eq!(hex(&nfold(b"password", 7)), "78a07b6caf85fa");
    assert_eq!(
        hex(&nfold(b"kerberos", 16)),
        "6b65726265726f737b9b5b2b93132b93"
    );
}

#[test]
fn rfc3962_string_to_key_vectors() {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    // RFC 3962 appendix B: "password", "ATHENA.MIT.EDUraeburn", 1 iteration.
    assert_eq!(
        hex(&aes_string_to_key(
            "password",
            b"ATHENA.MIT.EDUraeburn",
            1,
            16
        )),
        "42263c6e89f4fc28b8df68ee09799f15"
    );
    assert_eq!(
        hex(&aes_string_to_key(
            "password",
            b"ATHENA.MIT.EDUraeburn",
            1,
            32
        )),
        "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161"
    );
}

#[test]
fn encryption_round_trips() {
    let key = nt_hash("pw");
    let c = rc4_hmac_encrypt(&key, 1, &[7; 8], b"hello kerberos");
    assert_eq!(
        rc4_hmac_decrypt(&key, 1, &c).as_deref(),
        Some(&b"hello kerberos"[..])
    );
    assert_eq!(rc4_hmac_decrypt(&nt_hash("other"), 1, &c), None);
    for len in [16, 32] {
        let key = aes_string_to_key("pw", b"EXAMPLE.COMuser", 4096, len);
        for n in [0, 1, 15, 16, 17, 28, 32, 40] {
            let p: Vec<u8> = (0..n as u8).collect();
            let c = aes_encrypt(&key, 1, &[9; 16], &p);
            assert_eq!(c.len(), 16 + n + 12);
            assert_eq!(aes_decrypt(&key, 1, &c), Some(p.clone()), "{len} {n}");
            assert_eq!(aes_decrypt(&key, 2, &c), None);
        }
    }
}
