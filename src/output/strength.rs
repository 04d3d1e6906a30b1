//! Password strength without revealing the password: zxcvbn's score (0-4) and the length,
//! so an audit can rank exposures even with secrets redacted.

use std::collections::HashMap;
use std::hash::BuildHasher;

use crate::finding::{Finding, Kind, display_bytes};

/// How guessable a cleartext secret is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Strength {
    /// zxcvbn's score: 0 (guessable in under 10^3 tries) to 4 (more than 10^10).
    pub score: u8,
    /// Characters (bytes when the secret is not UTF-8).
    pub length: usize,
}

impl Strength {
    /// zxcvbn's word for a score.
    pub fn word(self) -> &'static str {
        match self.score {
            0 => "very weak",
            1 => "weak",
            2 => "fair",
            3 => "strong",
            _ => "very strong",
        }
    }
}

/// Builds zxcvbn's dictionaries (about 14 ms, paid by the first finding otherwise) on a
/// helper thread while the scan starts, so that the first finding does not wait for them
/// (a finding that comes first waits for the helper to finish, as it would have built them
/// itself). One-time set-up only: every strength is still measured where findings are
/// written.
pub fn prepare() {
    let _ = std::thread::Builder::new()
        .name("zxcvbn-init".into())
        .spawn(|| zxcvbn::zxcvbn("plainsight", &[]).score());
}

/// Characters of a secret that zxcvbn scores.
const SCORED_CHARS: usize = 40;

/// The strength of `secret`; the user name counts against it (a password containing the
/// user name is weaker).
pub fn measure(secret: &[u8], user: Option<&[u8]>) -> Strength {
    let text = display_bytes(secret);
    let length = match std::str::from_utf8(secret) {
        Ok(s) => s.chars().count(),
        Err(_) => secret.len(),
    };
    let user_text = user.map(display_bytes);
    let inputs: Vec<&str> = user_text.iter().map(|u| u.as_ref()).collect();
    // zxcvbn's cost grows with the square of the length: the first 40 characters decide
    // (a longer password scores at least what its start does in practice).
    let scored: String = text.chars().take(SCORED_CHARS).collect();
    let score = u8::from(zxcvbn::zxcvbn(&scored, &inputs).score());
    Strength {
        score: score.min(4),
        length,
    }
}

/// The strength of a finding's secret: cleartext kinds only (a digest or a token says
/// nothing of a password's strength).
pub fn of(f: &Finding) -> Option<Strength> {
    let c = &f.credential;
    match (&c.secret, c.kind) {
        (Some(s), Kind::Cleartext) => Some(measure(s, c.username.as_deref())),
        _ => None,
    }
}

/// Most secrets remembered before the cache is reset.
const CACHE_MAX: usize = 1 << 16;

/// Strengths already measured (zxcvbn takes up to a millisecond on long passwords; the
/// same password comes back again and again).
#[derive(Default)]
pub struct Cache {
    known: HashMap<u64, Strength, foldhash::fast::RandomState>,
}

impl Cache {
    pub fn of(&mut self, f: &Finding) -> Option<Strength> {
        let c = &f.credential;
        let (Some(secret), Kind::Cleartext) = (&c.secret, c.kind) else {
            return None;
        };
        let key = foldhash::fast::FixedState::with_seed(0x57e).hash_one((secret, &c.username));
        if let Some(s) = self.known.get(&key) {
            return Some(*s);
        }
        if self.known.len() >= CACHE_MAX {
            self.known.clear();
        }
        let s = measure(secret, c.username.as_deref());
        self.known.insert(key, s);
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_and_strong() {
        assert_eq!(measure(b"password", None).score, 0);
        assert!(measure(b"correct horse battery staple zebra", None).score >= 3);
        assert_eq!(measure(b"", None).score, 0);
        assert_eq!(measure("pässwort".as_bytes(), None).length, 8);
        assert_eq!(measure(b"p\xe4ss", None).length, 4);
        // The user name is no secret.
        assert!(measure(b"jdoe1987", Some(b"jdoe1987")).score <= 1);
    }
}
