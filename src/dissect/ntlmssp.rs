//! NTLMSSP (MS-NLMP): the NTLM messages that HTTP, LDAP, SMB, SMTP and Telnet carry.
//!
//! The server's CHALLENGE (type 2) gives the 8-byte challenge; the client's AUTHENTICATE
//! (type 3) gives user, domain, workstation and the responses. Together they make a
//! line hashcat cracks: NetNTLMv2 (mode 5600) `user::domain:challenge:NTProofStr:blob`,
//! NetNTLMv1 (mode 5500) `user::domain:LM:NT:challenge`. Without the challenge (not in
//! the capture) the user, domain and response are still reported.

use memchr::memmem;

use crate::finding::{Credential, Hashcat, Kind, hex};
use crate::timestamp::Timestamp;

const SIGNATURE: &[u8] = b"NTLMSSP\0";
const NEGOTIATE_UNICODE: u32 = 0x0000_0001;

/// One NTLMSSP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Negotiate,
    Challenge { challenge: [u8; 8] },
    Authenticate(Authenticate),
}

/// The fields of an AUTHENTICATE message, strings decoded to UTF-8.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authenticate {
    pub lm_response: Vec<u8>,
    pub nt_response: Vec<u8>,
    pub domain: Vec<u8>,
    pub user: Vec<u8>,
    pub workstation: Vec<u8>,
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// A (length, maxlength, offset) field's bytes, relative to the message start.
fn field(msg: &[u8], at: usize) -> Option<&[u8]> {
    let len = usize::from(u16_at(msg, at)?);
    let offset = u32_at(msg, at + 4)? as usize;
    msg.get(offset..offset.checked_add(len)?)
}

fn text(bytes: &[u8], unicode: bool) -> Vec<u8> {
    if unicode {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units).into_bytes()
    } else {
        bytes.to_vec()
    }
}

/// Parses the NTLMSSP message that starts `data` (the signature included).
pub fn parse(data: &[u8]) -> Option<Message> {
    if !data.starts_with(SIGNATURE) {
        return None;
    }
    match u32_at(data, 8)? {
        1 => Some(Message::Negotiate),
        2 => Some(Message::Challenge {
            challenge: data.get(24..32)?.try_into().ok()?,
        }),
        3 => {
            let flags = u32_at(data, 60).unwrap_or(NEGOTIATE_UNICODE);
            let unicode = flags & NEGOTIATE_UNICODE != 0;
            Some(Message::Authenticate(Authenticate {
                lm_response: field(data, 12)?.to_vec(),
                nt_response: field(data, 20)?.to_vec(),
                domain: text(field(data, 28)?, unicode),
                user: text(field(data, 36)?, unicode),
                workstation: text(field(data, 44)?, unicode),
            }))
        }
        _ => None,
    }
}

/// Finds and parses an NTLMSSP message anywhere in `data` (inside SPNEGO, GSS-API or
/// any other wrapper: offsets in NTLMSSP are relative to its own start).
pub fn find(data: &[u8]) -> Option<Message> {
    let start = memmem::find(data, SIGNATURE)?;
    parse(&data[start..])
}

impl Authenticate {
    /// Anonymous authentication (no user, no response) carries nothing to crack.
    pub fn is_anonymous(&self) -> bool {
        self.user.is_empty() && self.nt_response.len() <= 1
    }

    pub fn is_v2(&self) -> bool {
        self.nt_response.len() > 24
    }

    /// The finding: kind challenge-response, secret the NT response (hex), and the
    /// hashcat line when the server's challenge is known.
    pub fn credential(
        &self,
        protocol: &'static str,
        mechanism: &str,
        challenge: Option<[u8; 8]>,
        ts: Timestamp,
    ) -> Option<Credential> {
        if self.is_anonymous() {
            return None;
        }
        let v2 = self.is_v2();
        let mut c = Credential::new(
            protocol,
            format!(
                "{mechanism} ({})",
                if v2 { "NetNTLMv2" } else { "NetNTLMv1" }
            ),
            Kind::ChallengeResponse,
            ts,
        );
        c.username = Some(self.user.clone());
        c.domain = Some(self.domain.clone());
        c.secret = Some(hex(&self.nt_response).into_bytes());
        if !self.workstation.is_empty() {
            c.details.push((
                "workstation",
                String::from_utf8_lossy(&self.workstation).into_owned(),
            ));
        }
        let user = String::from_utf8_lossy(&self.user);
        let domain = String::from_utf8_lossy(&self.domain);
        match challenge {
            Some(ch) => {
                c.challenge = Some(hex(&ch).into_bytes());
                c.hashcat = Some(if v2 {
                    Hashcat {
                        mode: 5600,
                        hash: format!(
                            "{user}::{domain}:{}:{}:{}",
                            hex(&ch),
                            hex(&self.nt_response[..16]),
                            hex(&self.nt_response[16..])
                        ),
                        hex_salt: false,
                    }
                } else {
                    Hashcat {
                        mode: 5500,
                        hash: format!(
                            "{user}::{domain}:{}:{}:{}",
                            hex(&self.lm_response),
                            hex(&self.nt_response),
                            hex(&ch)
                        ),
                        hex_salt: false,
                    }
                });
            }
            None => {
                c.details
                    .push(("challenge", "not in the capture".to_string()));
                if !v2 {
                    c.details.push(("lm_response", hex(&self.lm_response)));
                }
            }
        }
        Some(c)
    }
}

/// Builds NTLMSSP messages, for tests and fixtures.
pub mod build {
    const UNICODE: u32 = 0x0000_0001;

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// A CHALLENGE message with `challenge`.
    pub fn challenge(challenge: [u8; 8]) -> Vec<u8> {
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend_from_slice(&2u32.to_le_bytes());
        m.extend_from_slice(&[0, 0, 0, 0, 48, 0, 0, 0]); // empty target name at 48
        m.extend_from_slice(&0x0282_8205u32.to_le_bytes());
        m.extend_from_slice(&challenge);
        m.extend_from_slice(&[0; 8]);
        m.extend_from_slice(&[0, 0, 0, 0, 48, 0, 0, 0]); // empty target info
        m
    }

    /// An AUTHENTICATE message (Unicode strings).
    pub fn authenticate(
        user: &str,
        domain: &str,
        workstation: &str,
        lm: &[u8],
        nt: &[u8],
    ) -> Vec<u8> {
        let fields: [Vec<u8>; 5] = [
            lm.to_vec(),
            nt.to_vec(),
            utf16(domain),
            utf16(user),
            utf16(workstation),
        ];
        let header = 64;
        let mut body = Vec::new();
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend_from_slice(&3u32.to_le_bytes());
        for f in &fields {
            let offset = header + body.len();
            m.extend_from_slice(&(f.len() as u16).to_le_bytes());
            m.extend_from_slice(&(f.len() as u16).to_le_bytes());
            m.extend_from_slice(&(offset as u32).to_le_bytes());
            body.extend_from_slice(f);
        }
        m.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]); // session key
        m.extend_from_slice(&UNICODE.to_le_bytes());
        m.extend_from_slice(&body);
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, KeyInit, Mac};
    use md4::{Digest, Md4};

    type HmacMd5 = Hmac<md5::Md5>;

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        let mut m = HmacMd5::new_from_slice(key).unwrap();
        for p in parts {
            m.update(p);
        }
        m.finalize().into_bytes().to_vec()
    }

    /// NTProofStr of MS-NLMP 3.3.2 for a password.
    fn nt_proof(
        password: &str,
        user: &str,
        domain: &str,
        challenge: &[u8],
        blob: &[u8],
    ) -> Vec<u8> {
        let nt_hash = Md4::digest(utf16(password));
        let ntowf = hmac_md5(&nt_hash, &[&utf16(&(user.to_uppercase() + domain))]);
        hmac_md5(&ntowf, &[challenge, blob])
    }

    #[test]
    fn netntlmv2_hashcat_line_verifies_against_the_password() {
        // A client computing NTLMv2 for password "Passw0rd!" as CORP\alice.
        let challenge = [1, 2, 3, 4, 5, 6, 7, 8];
        let blob: Vec<u8> = [
            &[1u8, 1, 0, 0, 0, 0, 0, 0][..],
            &[9; 8],
            &[7; 8],
            &[0; 4],
            &[0; 4],
        ]
        .concat();
        let proof = nt_proof("Passw0rd!", "alice", "CORP", &challenge, &blob);
        let nt = [proof.clone(), blob.clone()].concat();
        let msg = build::authenticate("alice", "CORP", "WS01", &[0; 24], &nt);
        let Some(Message::Authenticate(a)) = find(&[b"\x60\x48junk".as_slice(), &msg].concat())
        else {
            panic!("not parsed")
        };
        assert_eq!(a.user, b"alice");
        let c = a
            .credential("http", "NTLM", Some(challenge), Timestamp::ZERO)
            .unwrap();
        let h = c.hashcat.unwrap();
        assert_eq!(h.mode, 5600);
        let parts: Vec<&str> = h.hash.split(':').collect();
        assert_eq!(parts[..3], ["alice", "", "CORP"]);
        assert_eq!(parts[3], "0102030405060708");
        // Recompute from the reported fields: the line is right.
        let blob_back: Vec<u8> = (0..parts[5].len() / 2)
            .map(|i| u8::from_str_radix(&parts[5][2 * i..2 * i + 2], 16).unwrap())
            .collect();
        assert_eq!(
            hex(&nt_proof(
                "Passw0rd!",
                parts[0],
                parts[2],
                &challenge,
                &blob_back
            )),
            parts[4]
        );
        assert_eq!(c.domain.as_deref(), Some(&b"CORP"[..]));
        assert!(c.mechanism.contains("NetNTLMv2"));
    }

    #[test]
    fn hashcat_example_5600_parses_back() {
        // hashcat's example hash for mode 5600 (password "hashcat").
        let line = "admin::N46iSNekpT:08ca45b7d7ea58ee:88dcbe4446168966a153a0064958dac6:5c7830315c7830310000000000000b45c67103d07d7b95acd12ffa11230e0000000052920b85f78d013c31cdb3b92f5d765c783030";
        let p: Vec<&str> = line.split(':').collect();
        let unhex = |s: &str| -> Vec<u8> {
            (0..s.len() / 2)
                .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
                .collect()
        };
        let proof = nt_proof("hashcat", p[0], p[2], &unhex(p[3]), &unhex(p[5]));
        assert_eq!(hex(&proof), p[4]);
    }

    #[test]
    fn v1_without_challenge_still_reported() {
        let msg = build::authenticate("administrator", "example", "WS", &[0xaa; 24], &[0xbb; 24]);
        let Some(Message::Authenticate(a)) = parse(&msg) else {
            panic!()
        };
        let c = a.credential("http", "NTLM", None, Timestamp::ZERO).unwrap();
        assert!(c.hashcat.is_none());
        assert_eq!(c.secret.unwrap(), hex(&[0xbb; 24]).into_bytes());
        assert!(c.mechanism.contains("NetNTLMv1"));
        let c = a
            .credential("http", "NTLM", Some([1; 8]), Timestamp::ZERO)
            .unwrap();
        assert_eq!(c.hashcat.unwrap().mode, 5500);
    }

    #[test]
    fn challenge_and_garbage() {
        assert_eq!(
            parse(&build::challenge([9; 8])),
            Some(Message::Challenge { challenge: [9; 8] })
        );
        assert_eq!(parse(b"NTLMSSP\0\x03\0\0\0short"), None);
        assert_eq!(find(b"nothing here"), None);
        let anon = build::authenticate("", "", "", &[0], &[]);
        let Some(Message::Authenticate(a)) = parse(&anon) else {
            panic!()
        };
        assert!(
            a.credential("ldap", "NTLM", None, Timestamp::ZERO)
                .is_none()
        );
    }
}
