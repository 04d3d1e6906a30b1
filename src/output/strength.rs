//! Password strength without revealing the password: zxcvbn's score (0-4) and the length,
//! so an audit can rank exposures even with secrets redacted.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{LazyLock, Mutex};

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
    if PREPARED
        .compare_exchange(UNPREPARED, BUILDING, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    let started = std::thread::Builder::new()
        .name("zxcvbn-init".into())
        .spawn(|| {
            zxcvbn::zxcvbn("plainsight", &[]).score();
            PREPARED.store(READY, Ordering::Release);
        });
    if started.is_err() {
        // The first measure builds them.
        PREPARED.store(UNPREPARED, Ordering::Release);
    }
}

/// Where [`prepare`] is: not called (or its thread refused), building, done.
static PREPARED: AtomicU8 = AtomicU8::new(UNPREPARED);
const UNPREPARED: u8 = 0;
const BUILDING: u8 = 1;
const READY: u8 = 2;

/// Whether a strength is measured without waiting for [`prepare`]'s helper: false while it
/// builds the dictionaries. A worker with nothing else to do measures strengths ahead only
/// then: one that waited for the dictionaries could not take the packets that came
/// meanwhile, and the other workers would wait for it in turn.
pub fn prepared() -> bool {
    PREPARED.load(Ordering::Acquire) != BUILDING
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
    subject(f).map(|(_, secret, user)| measure(secret, user))
}

/// Most secrets remembered before the cache is reset.
const CACHE_MAX: usize = 1 << 16;

/// Strengths already measured (zxcvbn takes up to a millisecond on long passwords; the
/// same password comes back again and again).
#[derive(Default)]
pub struct Cache {
    known: HashMap<u64, Strength, foldhash::fast::RandomState>,
}

/// A secret's key in the cache, the secret, the user name.
type Subject<'a> = (u64, &'a [u8], Option<&'a [u8]>);

/// What a finding's strength is measured on, and its key in the cache; `None` for the
/// kinds that have no strength.
fn subject(f: &Finding) -> Option<Subject<'_>> {
    let c = &f.credential;
    let (Some(secret), Kind::Cleartext) = (&c.secret, c.kind) else {
        return None;
    };
    let key = foldhash::fast::FixedState::with_seed(0x57e).hash_one((secret, &c.username));
    Some((key, secret, c.username.as_deref()))
}

/// Strengths measured ahead by the scan's workers while they waited for one another
/// ([`Ahead::measure`]), by key; the sink's [`Cache`] takes them instead of measuring again.
static MEASURED_AHEAD: LazyLock<Mutex<HashMap<u64, Strength>>> = LazyLock::new(Default::default);

/// A strength measured ahead, if one was, taken out of the store (the cache keeps it).
fn take_ahead(key: u64) -> Option<Strength> {
    MEASURED_AHEAD.lock().ok()?.remove(&key)
}

/// Longest secret or user name measured ahead (longer ones are measured by the output).
pub const AHEAD_BYTES: usize = 256;

/// A finding's secret whose strength a worker may measure ahead, when it would otherwise
/// wait (the findings of a file are written at the end of its scan, where their strengths
/// would be measured after all the packets).
pub struct Ahead {
    key: u64,
    secret: Vec<u8>,
    user: Option<Vec<u8>>,
}

impl Ahead {
    /// The secret of `f` to measure, for the kinds that have a strength (and a secret and
    /// user name of at most [`AHEAD_BYTES`] each: the queue holds copies of them).
    pub fn of(f: &Finding) -> Option<Ahead> {
        let (key, secret, user) = subject(f)?;
        if secret.len() > AHEAD_BYTES || user.is_some_and(|u| u.len() > AHEAD_BYTES) {
            return None;
        }
        Some(Ahead {
            key,
            secret: secret.to_vec(),
            user: user.map(<[u8]>::to_vec),
        })
    }

    /// Measures the strength, unless it is known, for the sink to take.
    pub fn measure(self) {
        let known = |key| MEASURED_AHEAD.lock().is_ok_and(|m| m.contains_key(&key));
        if known(self.key) {
            return;
        }
        let s = measure(&self.secret, self.user.as_deref());
        if let Ok(mut known) = MEASURED_AHEAD.lock()
            && known.len() < CACHE_MAX
        {
            known.insert(self.key, s);
        }
    }
}

impl Cache {
    /// Measures the strengths of `findings` not known yet on `threads` threads at once
    /// (the findings of a file are written together at the end of its scan: with several
    /// threads, their strengths need not be measured one after the other there).
    pub fn measure_all(&mut self, findings: &[Finding], threads: usize) {
        let mut todo: Vec<Subject<'_>> = findings
            .iter()
            .filter_map(subject)
            .filter(|(key, ..)| !self.known.contains_key(key))
            .collect();
        if self.known.len() + todo.len() > CACHE_MAX {
            self.known.clear();
        }
        todo.retain(|&(key, ..)| match take_ahead(key) {
            Some(s) => {
                self.known.insert(key, s);
                false
            }
            None => true,
        });
        todo.sort_unstable_by_key(|t| t.0);
        todo.dedup_by_key(|t| t.0);
        if threads <= 1 || todo.len() < 2 {
            return;
        }
        let per = todo.len().div_ceil(threads);
        let measured: Vec<Vec<(u64, Strength)>> = std::thread::scope(|scope| {
            // A part whose thread the operating system refuses is measured as each of its
            // findings is written ([`Cache::of`]).
            let handles: Vec<_> = todo
                .chunks(per)
                .filter_map(|part| {
                    crate::pipeline::start_thread(scope, "plainsight-strength", move || {
                        part.iter()
                            .map(|&(key, secret, user)| (key, measure(secret, user)))
                            .collect::<Vec<_>>()
                    })
                    .ok()
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        self.known.extend(measured.into_iter().flatten());
    }

    pub fn of(&mut self, f: &Finding) -> Option<Strength> {
        let (key, secret, user) = subject(f)?;
        if let Some(s) = self.known.get(&key) {
            return Some(*s);
        }
        if self.known.len() >= CACHE_MAX {
            self.known.clear();
        }
        let s = take_ahead(key).unwrap_or_else(|| measure(secret, user));
        self.known.insert(key, s);
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Credential, Endpoint};
    use crate::timestamp::Timestamp;

    #[test]
    fn prepared_once_the_helper_has_built_the_dictionaries() {
        prepare();
        let start = std::time::Instant::now();
        while !prepared() {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(60),
                "the helper never said it was done"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // A second call starts nothing and leaves it prepared.
        prepare();
        assert!(prepared());
        assert_eq!(measure(b"correcthorsebatterystaple", None).score, 4);
    }

    fn finding(user: &str, secret: &str, kind: Kind) -> Finding {
        let mut c = Credential::new("ftp", "USER/PASS", kind, Timestamp::ZERO);
        c.username = Some(user.as_bytes().to_vec());
        c.secret = Some(secret.as_bytes().to_vec());
        let end = Endpoint::new("10.0.0.1".parse().unwrap(), 21);
        Finding {
            credential: c,
            client: end,
            server: end,
            source: "-".into(),
            packets: Vec::new(),
        }
    }

    #[test]
    fn strengths_measured_ahead_are_taken_not_measured_again() {
        // The store is the process's: secrets no other test uses.
        let ahead = finding("ahead-user", "measured-ahead-7Qx!", Kind::Cleartext);
        let planted = finding("ahead-user", "planted-ahead-9Zk?", Kind::Cleartext);
        let other = finding("ahead-user", "not-ahead-3Wm#", Kind::Cleartext);
        assert!(Ahead::of(&finding("u", "deadbeef", Kind::Token)).is_none());
        let long = "x".repeat(AHEAD_BYTES + 1);
        assert!(Ahead::of(&finding("u", &long, Kind::Cleartext)).is_none());
        assert!(Ahead::of(&finding(&long, "pw", Kind::Cleartext)).is_none());
        assert!(Ahead::of(&finding("u", &long[1..], Kind::Cleartext)).is_some());
        Ahead::of(&ahead).unwrap().measure();
        let key = |f: &Finding| subject(f).unwrap().0;
        // A value no measurement gives shows that the cache takes what is stored.
        let fake = Strength {
            score: 0,
            length: 999,
        };
        MEASURED_AHEAD.lock().unwrap().insert(key(&planted), fake);
        let mut cache = Cache::default();
        assert_eq!(cache.of(&planted), Some(fake));
        assert!(!MEASURED_AHEAD.lock().unwrap().contains_key(&key(&planted)));
        assert!(MEASURED_AHEAD.lock().unwrap().contains_key(&key(&ahead)));
        cache.measure_all(&[ahead.clone(), other.clone()], 2);
        assert!(!MEASURED_AHEAD.lock().unwrap().contains_key(&key(&ahead)));
        assert_eq!(
            cache.of(&ahead),
            Some(measure(b"measured-ahead-7Qx!", Some(b"ahead-user")))
        );
        assert_eq!(
            cache.of(&other),
            Some(measure(b"not-ahead-3Wm#", Some(b"ahead-user")))
        );
        assert_eq!(cache.known.len(), 3);
    }

    #[test]
    fn measured_together_on_threads_as_one_by_one() {
        let mut findings = Vec::new();
        for i in 0..40 {
            let secret = [
                "password",
                "Tr0ub4dor&3",
                "correct horse battery",
                "jdoe1987",
            ][i % 4];
            let user = ["jdoe1987", "alice", "bob"][i % 3];
            findings.push(finding(
                user,
                &format!("{secret}{}", i % 7),
                Kind::Cleartext,
            ));
        }
        findings.push(finding("x", "deadbeef", Kind::Token));
        let mut together = Cache::default();
        together.measure_all(&findings, 3);
        let distinct = findings.iter().filter_map(subject).map(|s| s.0);
        let distinct: std::collections::HashSet<u64> = distinct.collect();
        assert_eq!(together.known.len(), distinct.len());
        let mut one_by_one = Cache::default();
        for f in &findings {
            assert_eq!(together.of(f), one_by_one.of(f));
        }
        assert_eq!(together.known.len(), distinct.len());
        assert_eq!(together.of(&findings[40]), None);
    }

    /// A part whose thread is refused is left to be measured as its findings are written:
    /// no panic, the same strengths.
    #[test]
    fn a_refused_thread_leaves_its_part_to_the_writer() {
        let findings: Vec<Finding> = (0..9)
            .map(|i| finding("carol", &format!("refused-part-{i}"), Kind::Cleartext))
            .collect();
        let mut cache = Cache::default();
        crate::pipeline::refuse::after(1);
        cache.measure_all(&findings, 3);
        // The second of three parts (three secrets) was not measured together.
        assert_eq!(cache.known.len(), 6);
        let mut one_by_one = Cache::default();
        for f in &findings {
            assert_eq!(cache.of(f), one_by_one.of(f));
        }
        assert_eq!(cache.known.len(), 9);
    }

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
