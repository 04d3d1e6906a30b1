//! Passwords in SQL statements: what an administrator's `CREATE USER`, `ALTER ROLE` or
//! `SET PASSWORD` sends to a database server in the clear once logged in. Pure functions
//! over a statement text; the PostgreSQL and MySQL dissectors give them the text of the
//! client's queries and judge each password by the server's answer.
//!
//! - PostgreSQL (`CREATE ROLE` / `CREATE USER`, `ALTER ROLE` / `ALTER USER` ... `[WITH]
//!   [ENCRYPTED] PASSWORD '...'`, as `psql`'s `\password` and every administration tool
//!   send them): the literal is the password, or a verifier the client computed —
//!   `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (hashcat 28600) or
//!   `md5` + MD5(password + user name) (hashcat 12, `<hash>:<user>`): then kind
//!   `challenge-response`, crackable offline.
//! - MySQL and MariaDB (`CREATE USER`, `ALTER USER`, `GRANT` ... `IDENTIFIED [WITH plugin]
//!   BY '...'`, `... IDENTIFIED BY PASSWORD '*...'` / `IDENTIFIED WITH plugin AS '...'` /
//!   MariaDB's `IDENTIFIED VIA plugin USING PASSWORD('...')`, `SET PASSWORD [FOR user] =
//!   '...' | PASSWORD('...')`): the password, or a `*`-prefixed `mysql_native_password`
//!   hash (hashcat 300); `ALTER USER ... REPLACE '...'` gives the current password too.
//! - Other servers' passwords: MySQL's `CHANGE MASTER TO` / `CHANGE REPLICATION SOURCE TO
//!   ... MASTER_PASSWORD|SOURCE_PASSWORD = '...'`, `START REPLICA ... PASSWORD = '...'`,
//!   `CREATE|ALTER SERVER ... OPTIONS (PASSWORD '...')`; PostgreSQL's `CREATE|ALTER USER
//!   MAPPING ... OPTIONS (password '...')` and libpq connection strings with a password
//!   (`key=value` or `postgresql://user:password@host`) in any literal (`CREATE
//!   SUBSCRIPTION ... CONNECTION`, `dblink_connect`).
//!
//! - Microsoft SQL Server's T-SQL (`CREATE LOGIN` / `ALTER LOGIN` ... `WITH PASSWORD =
//!   '...' [HASHED] [, OLD_PASSWORD = '...']`, contained databases' `CREATE|ALTER USER ...
//!   WITH PASSWORD`, `CREATE|ALTER APPLICATION ROLE ... WITH PASSWORD`, `CREATE|ALTER
//!   CREDENTIAL ... WITH IDENTITY = '...', SECRET = '...'`, and the system procedures
//!   `sp_addlogin`, `sp_password`, `sp_addapprole`, `sp_approlepassword`,
//!   `sp_setapprole`, `sp_addlinkedsrvlogin` with positional or `@name =` arguments): the
//!   password, or a `HASHED` value (`0x0200` + salt + SHA-512: hashcat 1731; `0x0100` +
//!   salt + SHA-1: 132, with the upper-case hash too: 131). T-SQL needs no semicolons
//!   between statements, so each password gets the line it starts on: the server's errors
//!   name the line they come from.
//! - Apache Cassandra's CQL (`CREATE|ALTER ROLE ... WITH PASSWORD = '...'`, `CREATE|ALTER
//!   USER ... WITH PASSWORD '...'`, `$$...$$` strings, `//` comments): the password, or a
//!   `HASHED PASSWORD` (bcrypt, hashcat 3200).
//!
//! - Db2 and Apache Derby: Derby's user procedures (`CALL SYSCS_UTIL.SYSCS_CREATE_USER(
//!   'user', '...')`, `SYSCS_RESET_PASSWORD`, `SYSCS_MODIFY_PASSWORD` for the session's own,
//!   and `SYSCS_SET_DATABASE_PROPERTY('derby.user.NAME', '...')`, which defines a BUILTIN
//!   user), Db2 federation's `CREATE|ALTER USER MAPPING ... OPTIONS (REMOTE_AUTHID '...',
//!   [SET|ADD] REMOTE_PASSWORD '...')` and `CREATE|ALTER SERVER ... AUTHORIZATION "..."
//!   PASSWORD "..."`, and `SET ENCRYPTION PASSWORD = '...'` (the session's key for
//!   `ENCRYPT()`).
//!
//! Statements run from a string are read too: PL/SQL's and Db2's `EXECUTE IMMEDIATE
//! '...'`, PL/pgSQL's `EXECUTE '...'` inside a `DO` block, T-SQL's `EXEC('...')` and `EXEC
//! sp_executesql N'...'`, MySQL's `PREPARE name FROM '...'`.
//!
//! The text is read by a small lexer (string literals with `''` and, for MySQL and
//! PostgreSQL's `E'...'`, backslash escapes; `"..."` strings in MySQL, identifiers in
//! PostgreSQL; `` `...` `` identifiers; `$tag$...$tag$` strings; T-SQL's `N'...'` strings
//! and `[...]` identifiers; `--`, `#` and `/* */` comments) and cut into statements at semicolons, so a password in a comment or inside
//! another literal is not taken for one.

use crate::finding::{Credential, Hashcat, Kind};
use crate::timestamp::Timestamp;

/// Which server's SQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Postgresql,
    Mysql,
    /// Microsoft SQL Server.
    Tsql,
    /// Apache Cassandra's CQL.
    Cql,
    /// IBM Db2 and Apache Derby (over DRDA).
    Db2,
    /// Oracle Database (over TNS).
    Oracle,
    /// Neo4j's Cypher (over Bolt).
    Cypher,
}

/// A password a statement sets (or, for `REPLACE`, proves).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementPassword {
    /// Which statement of the text (0-based, in the order they run; T-SQL: of those
    /// ended by semicolons).
    pub statement: usize,
    /// The line of the text the statement starts on (1-based).
    pub line: u32,
    /// The account: a role name, or a MySQL account's user part; `None` for the session's
    /// own (`SET PASSWORD = ...`, `ALTER USER CURRENT_USER`).
    pub user: Option<Vec<u8>>,
    /// A MySQL account's host part.
    pub host: Option<Vec<u8>>,
    /// The statement form, e.g. `ALTER ROLE ... PASSWORD`, `CREATE USER ... IDENTIFIED BY`.
    pub mechanism: String,
    pub kind: Kind,
    /// The password, or the hash, as the literal holds it.
    pub secret: Vec<u8>,
    /// For a hash: what it is (`SCRAM-SHA-256`, `md5`, `mysql_native_password`...).
    pub scheme: Option<String>,
    pub hashcat: Option<Hashcat>,
    /// The password is the value bound to this parameter (Cypher's `$name`), not in the
    /// text: `secret` is then empty, for the caller to fill.
    pub parameter: Option<Vec<u8>>,
}

impl StatementPassword {
    /// Its finding for `protocol`: the account, else the session's user; the host and
    /// scheme, then the session's database, in `details`.
    pub fn credential(
        self,
        protocol: &'static str,
        session_user: Option<&[u8]>,
        database: Option<&[u8]>,
        frames: &[u64],
        ts: Timestamp,
    ) -> Credential {
        let mut c = Credential::new(protocol, self.mechanism, self.kind, ts);
        c.username = self.user.or_else(|| session_user.map(<[u8]>::to_vec));
        c.secret = Some(self.secret);
        c.hashcat = self.hashcat;
        if let Some(host) = self.host {
            c.details
                .push(("host", String::from_utf8_lossy(&host).into_owned()));
        }
        if let Some(scheme) = self.scheme {
            c.details.push(("scheme", scheme));
        }
        if let Some(db) = database {
            c.details
                .push(("database", String::from_utf8_lossy(db).into_owned()));
        }
        c.add_frames(frames.iter().copied());
        c
    }
}

/// Longest statement text read.
const MAX_TEXT: usize = 64 << 10;
/// Most tokens kept of one statement.
const MAX_TOKENS: usize = 512;

/// Whether `text` may hold a password statement (a quick test before lexing).
pub fn may_set_password(text: &[u8], dialect: Dialect) -> bool {
    let text = &text[..text.len().min(MAX_TEXT)];
    let words: &[&[u8]] = match dialect {
        Dialect::Tsql => &[b"password", b"sp_", b"secret"],
        Dialect::Db2 => &[b"password", b"create_user", b"derby.user"],
        Dialect::Oracle => &[b"identified"],
        Dialect::Cypher => &[b"password", b"createuser"],
        _ => &[b"password", b"identified"],
    };
    words
        .iter()
        .any(|w| text.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w)))
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token<'a> {
    /// A keyword, unquoted identifier or number.
    Word(&'a [u8]),
    /// A quoted identifier.
    Name(Vec<u8>),
    /// A string literal, unescaped.
    Str(Vec<u8>),
    Punct(u8),
}

impl Token<'_> {
    fn is(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(keyword.as_bytes()))
    }

    /// An identifier or a string: what names an account.
    fn name(&self) -> Option<Vec<u8>> {
        match self {
            Token::Word(w) => Some(w.to_vec()),
            Token::Name(n) | Token::Str(n) => Some(n.clone()),
            Token::Punct(_) => None,
        }
    }

    fn string(&self) -> Option<&[u8]> {
        match self {
            Token::Str(s) => Some(s),
            _ => None,
        }
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// A quoted run from `at` (the opening quote): its unescaped bytes and where it ends.
/// `''` (the quote doubled) is always an escape; `backslash` escapes too.
fn quoted(text: &[u8], at: usize, backslash: bool) -> (Vec<u8>, usize) {
    let q = text[at];
    let mut out = Vec::new();
    let mut i = at + 1;
    while i < text.len() {
        let b = text[i];
        if backslash && b == b'\\' && i + 1 < text.len() {
            out.push(match text[i + 1] {
                b'n' => b'\n',
                b't' => b'\t',
                b'r' => b'\r',
                b'0' => 0,
                b'Z' => 0x1a,
                other => other,
            });
            i += 2;
        } else if b == q {
            if text.get(i + 1) == Some(&q) {
                out.push(q);
                i += 2;
            } else {
                return (out, i + 1);
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    (out, text.len())
}

/// The statements of `text` as tokens.
fn statements(text: &[u8], dialect: Dialect) -> Vec<Vec<Token<'_>>> {
    lex(text, dialect).0
}

/// The statements of `text` as tokens, and where each token starts.
#[allow(clippy::type_complexity)]
fn lex(text: &[u8], dialect: Dialect) -> (Vec<Vec<Token<'_>>>, Vec<Vec<usize>>) {
    let text = &text[..text.len().min(MAX_TEXT)];
    let mysql = dialect == Dialect::Mysql;
    // Cypher's strings are MySQL's: '...' and "...", with backslash escapes.
    let quotes = mysql || dialect == Dialect::Cypher;
    let tsql = dialect == Dialect::Tsql;
    // None has `E'...'` nor `$tag$` strings (`$` is an identifier's letter; in Cypher it
    // starts a parameter's name: `$pw` is one word).
    let db2 = matches!(dialect, Dialect::Db2 | Dialect::Oracle | Dialect::Cypher);
    let mut all = vec![Vec::new()];
    let mut starts = vec![Vec::new()];
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        let next = text.get(i + 1).copied();
        let start = i;
        let token = if b.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if (b == b'-' && next == Some(b'-'))
            || (mysql && b == b'#')
            || (matches!(dialect, Dialect::Cql | Dialect::Cypher)
                && b == b'/'
                && next == Some(b'/'))
        {
            i = memchr::memchr(b'\n', &text[i..]).map_or(text.len(), |n| i + n + 1);
            continue;
        } else if b == b'/' && next == Some(b'*') {
            i = memchr::memmem::find(&text[i + 2..], b"*/").map_or(text.len(), |n| i + n + 4);
            continue;
        } else if b == b';' {
            // Empty statements (`;;`) are not statements: the server answers none.
            i += 1;
            if all.last().is_some_and(|s| !s.is_empty()) {
                all.push(Vec::new());
                starts.push(Vec::new());
            }
            continue;
        } else if tsql && (b == b'N' || b == b'n') && next == Some(b'\'') {
            let (s, end) = quoted(text, i + 1, false);
            i = end;
            Token::Str(s)
        } else if tsql && b == b'[' {
            // [identifier], `]]` inside it.
            let mut s = Vec::new();
            i += 1;
            while i < text.len() {
                if text[i] == b']' {
                    if text.get(i + 1) == Some(&b']') {
                        s.push(b']');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                s.push(text[i]);
                i += 1;
            }
            Token::Name(s)
        } else if b == b'\'' || (quotes && b == b'"') {
            let (s, end) = quoted(text, i, quotes);
            i = end;
            Token::Str(s)
        } else if (b == b'E' || b == b'e') && next == Some(b'\'') && !mysql && !tsql && !db2 {
            let (s, end) = quoted(text, i + 1, true);
            i = end;
            Token::Str(s)
        } else if b == b'"' || b == b'`' {
            let (s, end) = quoted(text, i, false);
            i = end;
            Token::Name(s)
        } else if b == b'$' && !mysql && !tsql && !db2 {
            // $tag$ ... $tag$ (the tag may be empty).
            let tag_end = text[i + 1..]
                .iter()
                .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_'))
                .map(|n| i + 1 + n);
            match tag_end.filter(|&e| text[e] == b'$') {
                Some(e) => {
                    let tag = &text[i..=e];
                    let body = e + 1;
                    let close = memchr::memmem::find(&text[body..], tag);
                    let end = close.map_or(text.len(), |n| body + n);
                    let s = text[body..end].to_vec();
                    i = close.map_or(text.len(), |_| end + tag.len());
                    Token::Str(s)
                }
                None => {
                    i += 1;
                    Token::Punct(b'$')
                }
            }
        } else if is_word_byte(b) {
            let start = i;
            while i < text.len() && is_word_byte(text[i]) {
                i += 1;
            }
            Token::Word(&text[start..i])
        } else {
            i += 1;
            Token::Punct(b)
        };
        let current = all.last_mut().expect("one statement at least");
        if current.len() < MAX_TOKENS {
            current.push(token);
            starts.last_mut().expect("beside the tokens").push(start);
        }
    }
    // A trailing semicolon ends the last statement; it does not start one.
    if all.len() > 1 && all.last().is_some_and(Vec::is_empty) {
        all.pop();
        starts.pop();
    }
    (all, starts)
}

/// How many statements `text` holds (each answered on its own).
pub fn statement_count(text: &[u8], dialect: Dialect) -> usize {
    statements(text, dialect).len()
}

/// The passwords the statements of `text` set.
pub fn passwords(text: &[u8], dialect: Dialect) -> Vec<StatementPassword> {
    passwords_within(text, dialect, 0)
}

/// Nesting of dynamic SQL read (a DO block's EXECUTE of a string is two).
const MAX_DYNAMIC: u8 = 3;

/// The string literals a statement runs as SQL of its own: PL/SQL's and Db2's `EXECUTE
/// IMMEDIATE '...'`, PL/pgSQL's `EXECUTE '...'` and PostgreSQL's `DO '...'` (the block's
/// body), T-SQL's `EXEC('...')` and `EXEC sp_executesql N'...'`, MySQL's `PREPARE name
/// FROM '...'`. Only there is a literal read as a statement: a string stored or selected
/// is data.
fn dynamic_sql(t: &[Token<'_>], dialect: Dialect) -> Vec<(usize, Vec<u8>)> {
    let word = |i: usize, w: &str| t.get(i).is_some_and(|x| x.is(w));
    let string = |i: usize| t.get(i).and_then(Token::string).map(<[u8]>::to_vec);
    let mut out = Vec::new();
    for i in 0..t.len() {
        let found = match dialect {
            Dialect::Oracle | Dialect::Db2 if word(i, "EXECUTE") && word(i + 1, "IMMEDIATE") => {
                string(i + 2)
            }
            Dialect::Postgresql if word(i, "EXECUTE") => string(i + 1),
            Dialect::Postgresql if word(i, "DO") => {
                // DO [LANGUAGE name] 'body'.
                if word(i + 1, "LANGUAGE") {
                    string(i + 3)
                } else {
                    string(i + 1)
                }
            }
            Dialect::Tsql if word(i, "EXEC") || word(i, "EXECUTE") => {
                // EXEC('...') or EXEC sp_executesql N'...'.
                let opens = t.get(i + 1) == Some(&Token::Punct(b'('));
                if opens || word(i + 1, "sp_executesql") {
                    string(i + 2)
                } else {
                    None
                }
            }
            Dialect::Mysql if word(i, "PREPARE") && word(i + 2, "FROM") => string(i + 3),
            _ => None,
        };
        out.extend(found.filter(|s| !s.is_empty()).map(|s| (i, s)));
    }
    out
}

fn passwords_within(text: &[u8], dialect: Dialect, depth: u8) -> Vec<StatementPassword> {
    if !may_set_password(text, dialect) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let (all, starts) = lex(text, dialect);
    for (n, (tokens, starts)) in all.iter().zip(&starts).enumerate() {
        let before = out.len();
        match dialect {
            Dialect::Postgresql => {
                if !postgresql_remote(n, tokens, &mut out) {
                    postgresql(n, tokens, &mut out);
                }
            }
            Dialect::Mysql => {
                if !mysql_remote(n, tokens, &mut out) {
                    mysql(n, tokens, &mut out);
                }
            }
            Dialect::Tsql => tsql(n, tokens, starts, text, &mut out),
            Dialect::Cql => cql(n, tokens, &mut out),
            Dialect::Db2 => db2(n, tokens, &mut out),
            Dialect::Oracle => oracle(n, tokens, &mut out),
            Dialect::Cypher => cypher(n, tokens, &mut out),
        }
        let line = line_of(text, starts.first().copied().unwrap_or(0));
        if dialect != Dialect::Tsql {
            for p in &mut out[before..] {
                p.line = line;
            }
        }
        if depth < MAX_DYNAMIC {
            for (at, inner) in dynamic_sql(tokens, dialect) {
                // T-SQL names the line of the EXEC; the others, their statement's.
                let line = match dialect {
                    Dialect::Tsql => line_of(text, starts.get(at).copied().unwrap_or(0)),
                    _ => line,
                };
                for mut p in passwords_within(&inner, dialect, depth + 1) {
                    p.statement = n;
                    p.line = line;
                    out.push(p);
                }
            }
        }
    }
    out
}

/// The 1-based line of byte `at` of `text`.
fn line_of(text: &[u8], at: usize) -> u32 {
    let at = at.min(text.len());
    1 + memchr::memchr_iter(b'\n', &text[..at]).count() as u32
}

fn upper(t: &Token<'_>) -> String {
    match t {
        Token::Word(w) => String::from_utf8_lossy(w).to_ascii_uppercase(),
        _ => String::new(),
    }
}

/// `CREATE|ALTER ROLE|USER|GROUP name ... PASSWORD '...'`.
fn postgresql(n: usize, t: &[Token<'_>], out: &mut Vec<StatementPassword>) {
    let (Some(verb), Some(noun), Some(name)) = (t.first(), t.get(1), t.get(2)) else {
        return;
    };
    if !(verb.is("CREATE") || verb.is("ALTER"))
        || !(noun.is("ROLE") || noun.is("USER") || noun.is("GROUP"))
    {
        return;
    }
    let user = if name.is("CURRENT_USER") || name.is("SESSION_USER") || name.is("CURRENT_ROLE") {
        None
    } else {
        name.name()
    };
    let Some(at) = t
        .iter()
        .skip(3)
        .position(|x| x.is("PASSWORD"))
        .map(|p| p + 3)
    else {
        return;
    };
    let Some(literal) = t.get(at + 1).and_then(Token::string) else {
        return; // PASSWORD NULL
    };
    let mechanism = format!("{} {} ... PASSWORD", upper(verb), upper(noun));
    let mut p = found(n, user, None, mechanism, literal);
    if let Some(rest) = literal.strip_prefix(b"SCRAM-SHA-256$") {
        if rest.contains(&b':') && rest.contains(&b'$') {
            hashed(&mut p, "SCRAM-SHA-256", 28600, literal.to_vec());
        }
    } else if let Some(hex) = literal.strip_prefix(b"md5")
        && hex.len() == 32
        && hex.iter().all(u8::is_ascii_hexdigit)
    {
        let line = p.user.as_ref().map(|u| {
            let mut l = hex.to_ascii_lowercase();
            l.push(b':');
            l.extend_from_slice(u);
            l
        });
        match line {
            Some(l) => hashed(&mut p, "md5", 12, l),
            None => {
                p.kind = Kind::ChallengeResponse;
                p.scheme = Some("md5".to_string());
            }
        }
    }
    if !p.secret.is_empty() {
        out.push(p);
    }
}

fn found(
    statement: usize,
    user: Option<Vec<u8>>,
    host: Option<Vec<u8>>,
    mechanism: String,
    literal: &[u8],
) -> StatementPassword {
    StatementPassword {
        statement,
        line: 0,
        user,
        host,
        mechanism,
        kind: Kind::Cleartext,
        secret: literal.to_vec(),
        scheme: None,
        hashcat: None,
        parameter: None,
    }
}

/// Marks `p` a hash of `scheme`, with a hashcat line of `mode` when the line is text.
fn hashed(p: &mut StatementPassword, scheme: &str, mode: u32, line: Vec<u8>) {
    p.kind = Kind::ChallengeResponse;
    p.scheme = Some(scheme.to_string());
    p.hashcat = String::from_utf8(line).ok().map(|hash| Hashcat {
        mode,
        hash,
        hex_salt: false,
    });
}

/// A `mysql_native_password` hash (`*` and 40 hex digits) as hashcat 300 reads it.
fn native_hash(p: &mut StatementPassword) {
    if p.secret.len() == 41
        && p.secret[0] == b'*'
        && p.secret[1..].iter().all(u8::is_ascii_hexdigit)
    {
        let line = p.secret[1..].to_ascii_lowercase();
        hashed(p, "mysql_native_password", 300, line);
    } else {
        p.kind = Kind::ChallengeResponse;
        p.scheme = Some("authentication string".to_string());
    }
}

/// A MySQL account before `at`: `user`, `'user'@'host'`, `user@host`.
fn account(t: &[Token<'_>], at: usize) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let before = |k: usize| at.checked_sub(k).and_then(|i| t.get(i));
    match (before(3), before(2), before(1)) {
        (Some(u), Some(Token::Punct(b'@')), Some(h)) => (u.name(), h.name()),
        (_, _, Some(u)) if u.is("CURRENT_USER") || u.is("USER") => (None, None),
        (_, _, Some(u)) => (u.name(), None),
        _ => (None, None),
    }
}

/// MySQL: every `IDENTIFIED ...` clause, and `SET PASSWORD`.
fn mysql(n: usize, t: &[Token<'_>], out: &mut Vec<StatementPassword>) {
    let Some(verb) = t.first() else {
        return;
    };
    if verb.is("SET") && t.get(1).is_some_and(|x| x.is("PASSWORD")) {
        let (user, host) = match t.iter().position(|x| *x == Token::Punct(b'=')) {
            Some(eq) if t.get(2).is_some_and(|x| x.is("FOR")) => account(t, eq),
            _ => (None, None),
        };
        let Some(eq) = t.iter().position(|x| *x == Token::Punct(b'=')) else {
            return;
        };
        let (literal, function) = match (t.get(eq + 1), t.get(eq + 2), t.get(eq + 3)) {
            (Some(Token::Str(s)), _, _) => (s, false),
            (Some(f), Some(Token::Punct(b'(')), Some(Token::Str(s)))
                if f.is("PASSWORD") || f.is("OLD_PASSWORD") =>
            {
                (s, true)
            }
            _ => return,
        };
        let mut p = found(n, user, host, "SET PASSWORD".to_string(), literal);
        // A bare '*...' string is a hash (servers before 5.7.6 wanted one there).
        if !function && p.secret.first() == Some(&b'*') && p.secret.len() == 41 {
            native_hash(&mut p);
        }
        if !p.secret.is_empty() {
            out.push(p);
        }
        return;
    }
    let form = if verb.is("CREATE") || verb.is("ALTER") {
        format!("{} USER ... IDENTIFIED", upper(verb))
    } else if verb.is("GRANT") {
        "GRANT ... IDENTIFIED".to_string()
    } else {
        return;
    };
    for at in (0..t.len()).filter(|&i| t[i].is("IDENTIFIED")) {
        let (user, host) = account(t, at);
        let word = |k: usize, w: &str| t.get(at + k).is_some_and(|x| x.is(w));
        let string = |k: usize| t.get(at + k).and_then(Token::string);
        // IDENTIFIED [WITH|VIA plugin] then BY / AS / USING.
        let mut k = 1;
        let mut plugin = None;
        if word(1, "WITH") || word(1, "VIA") {
            plugin = t.get(at + 2).and_then(Token::name);
            k = 3;
        }
        let (literal, hash) = if word(k, "BY") && word(k + 1, "PASSWORD") {
            (string(k + 2), true)
        } else if word(k, "BY") {
            (string(k + 1), false)
        } else if (word(k, "USING") || word(k, "AS"))
            && word(k + 1, "PASSWORD")
            && t.get(at + k + 2) == Some(&Token::Punct(b'('))
        {
            (string(k + 3), false)
        } else if word(k, "AS") || word(k, "USING") {
            (string(k + 1), true)
        } else {
            (None, false)
        };
        let Some(literal) = literal.filter(|l| !l.is_empty()) else {
            continue;
        };
        let mut p = found(n, user.clone(), host.clone(), form.clone(), literal);
        if hash {
            native_hash(&mut p);
            if let (Some(plugin), None) = (&plugin, &p.hashcat) {
                p.scheme = Some(String::from_utf8_lossy(plugin).into_owned());
            }
        }
        out.push(p);
        // ALTER USER ... IDENTIFIED BY 'new' REPLACE 'current'.
        if let Some(r) = (at + k..t.len().min(at + k + 4)).find(|&i| t[i].is("REPLACE"))
            && let Some(current) = t.get(r + 1).and_then(Token::string)
            && !current.is_empty()
        {
            let mechanism = format!("{form} ... REPLACE");
            out.push(found(n, user, host, mechanism, current));
        }
    }
}

/// `KEY = 'value'` pairs (or `KEY 'value'` when `equals` is false) among `t`, keys upper-cased.
fn option_pairs(t: &[Token<'_>], equals: bool) -> Vec<(String, Vec<u8>)> {
    let step = if equals { 2 } else { 1 };
    let mut out = Vec::new();
    for i in 0..t.len() {
        let Token::Word(_) = &t[i] else {
            continue;
        };
        if equals && t.get(i + 1) != Some(&Token::Punct(b'=')) {
            continue;
        }
        if let Some(Token::Str(v)) = t.get(i + step) {
            out.push((upper(&t[i]), v.clone()));
        }
        if out.len() >= 32 {
            break;
        }
    }
    out
}

fn pair<'p>(pairs: &'p [(String, Vec<u8>)], keys: &[&str]) -> Option<&'p [u8]> {
    pairs
        .iter()
        .find(|(k, _)| keys.contains(&k.as_str()))
        .map(|(_, v)| v.as_slice())
}

/// MySQL and MariaDB replication and federation: `CHANGE MASTER TO` / `CHANGE REPLICATION
/// SOURCE TO ... _PASSWORD = '...'`, `START SLAVE|REPLICA ... PASSWORD = '...'`, `CREATE|
/// ALTER SERVER ... OPTIONS (... PASSWORD '...')`: the password another server is reached
/// with. Whether the statement was one of them.
fn mysql_remote(n: usize, t: &[Token<'_>], out: &mut Vec<StatementPassword>) -> bool {
    let word = |i: usize, w: &str| t.get(i).is_some_and(|x| x.is(w));
    let (mechanism, pairs, user_keys, password_keys, host_keys): (
        &str,
        _,
        &[&str],
        &[&str],
        &[&str],
    ) = if word(0, "CHANGE") && (word(1, "MASTER") || word(1, "REPLICATION")) {
        let source = word(1, "REPLICATION");
        (
            if source {
                "CHANGE REPLICATION SOURCE TO ... SOURCE_PASSWORD"
            } else {
                "CHANGE MASTER TO ... MASTER_PASSWORD"
            },
            option_pairs(t, true),
            &["MASTER_USER", "SOURCE_USER"],
            &["MASTER_PASSWORD", "SOURCE_PASSWORD"],
            &["MASTER_HOST", "SOURCE_HOST"],
        )
    } else if word(0, "START") && (word(1, "SLAVE") || word(1, "REPLICA")) {
        (
            "START REPLICA ... PASSWORD",
            option_pairs(t, true),
            &["USER"],
            &["PASSWORD"],
            &[],
        )
    } else if (word(0, "CREATE") || word(0, "ALTER")) && word(1, "SERVER") {
        (
            if word(0, "CREATE") {
                "CREATE SERVER ... PASSWORD"
            } else {
                "ALTER SERVER ... PASSWORD"
            },
            option_pairs(t, false),
            &["USER"],
            &["PASSWORD"],
            &["HOST", "SOCKET"],
        )
    } else {
        return false;
    };
    if let Some(password) = pair(&pairs, password_keys).filter(|p| !p.is_empty()) {
        let user = pair(&pairs, user_keys).map(<[u8]>::to_vec);
        let host = pair(&pairs, host_keys).map(<[u8]>::to_vec);
        out.push(found(n, user, host, mechanism.to_string(), password));
    }
    true
}

/// libpq's connection keywords a conninfo string may hold.
const CONNINFO_KEYS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "sslmode",
    "application_name",
    "connect_timeout",
    "options",
    "target_session_attrs",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "channel_binding",
    "gssencmode",
    "client_encoding",
    "service",
    "keepalives",
    "fallback_application_name",
    "requiressl",
    "sslcompression",
];

/// Another server's login: user (when named), password, host (when named).
type Remote = (Option<Vec<u8>>, Vec<u8>, Option<Vec<u8>>);

/// A libpq connection string (`key=value ...`, values optionally single-quoted with
/// backslash escapes, or a `postgresql://user:password@host/db` URI): its user, password
/// and host, when it has a password and names where to connect.
fn conninfo(s: &[u8]) -> Option<Remote> {
    let s = std::str::from_utf8(s).ok()?.trim();
    if let Some(rest) = s
        .strip_prefix("postgresql://")
        .or_else(|| s.strip_prefix("postgres://"))
    {
        let (auth, after) = rest.split_once('@')?;
        let (user, password) = auth.split_once(':')?;
        let host = after.split(['/', '?', ':']).next().unwrap_or_default();
        if password.is_empty() {
            return None;
        }
        return Some((
            (!user.is_empty()).then(|| user.as_bytes().to_vec()),
            password.as_bytes().to_vec(),
            (!host.is_empty()).then(|| host.as_bytes().to_vec()),
        ));
    }
    let mut pairs: Vec<(&str, Vec<u8>)> = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        let key = &s[start..i];
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b.get(i) != Some(&b'=') || !CONNINFO_KEYS.contains(&key) {
            return None;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = Vec::new();
        if b.get(i) == Some(&b'\'') {
            i += 1;
            while i < b.len() && b[i] != b'\'' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                }
                value.push(b[i]);
                i += 1;
            }
            i += 1;
        } else {
            let start = i;
            while i < b.len() && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            value.extend_from_slice(&b[start..i]);
        }
        pairs.push((key, value));
    }
    let get = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
    let password = get("password").filter(|p| !p.is_empty())?;
    let host = get("host").or_else(|| get("hostaddr"));
    if host.is_none() && get("dbname").is_none() && get("port").is_none() {
        return None;
    }
    Some((get("user"), password, host))
}

/// PostgreSQL: `CREATE|ALTER USER MAPPING ... SERVER s OPTIONS (... password '...')` (a
/// foreign server's login, `postgres_fdw`), and connection strings with a password in any
/// literal (`CREATE SUBSCRIPTION ... CONNECTION '...'`, `dblink_connect('...')`). Whether
/// the statement was a user mapping.
fn postgresql_remote(n: usize, t: &[Token<'_>], out: &mut Vec<StatementPassword>) -> bool {
    let word = |i: usize, w: &str| t.get(i).is_some_and(|x| x.is(w));
    if (word(0, "CREATE") || word(0, "ALTER")) && word(1, "USER") && word(2, "MAPPING") {
        let pairs = option_pairs(t, false);
        if let Some(password) = pair(&pairs, &["PASSWORD"]).filter(|p| !p.is_empty()) {
            let server = t
                .iter()
                .position(|x| x.is("SERVER"))
                .and_then(|i| t.get(i + 1))
                .and_then(Token::name);
            let user = pair(&pairs, &["USER"]).map(<[u8]>::to_vec);
            let mechanism = format!("{} USER MAPPING ... password", upper(&t[0]));
            out.push(found(n, user, server, mechanism, password));
        }
        return true;
    }
    let subscription = (word(0, "CREATE") || word(0, "ALTER")) && word(1, "SUBSCRIPTION");
    for token in t {
        let Token::Str(s) = token else {
            continue;
        };
        if let Some((user, password, host)) = conninfo(s) {
            let mechanism = if subscription {
                format!("{} SUBSCRIPTION ... CONNECTION", upper(&t[0]))
            } else {
                "connection string".to_string()
            };
            out.push(found(n, user, host, mechanism, &password));
        }
    }
    false
}

/// Db2 and Derby: Derby's user procedures, federation's user mappings and servers, `SET
/// ENCRYPTION PASSWORD` (see the module's notes).
fn db2(n: usize, t: &[Token<'_>], out: &mut Vec<StatementPassword>) {
    let word = |i: usize, w: &str| t.get(i).is_some_and(|x| x.is(w));
    if word(0, "CALL") {
        let Some(open) = t.iter().position(|x| *x == Token::Punct(b'(')) else {
            return;
        };
        let procedure = t[..open]
            .iter()
            .rev()
            .find_map(|x| match x {
                Token::Word(_) => Some(upper(x)),
                Token::Name(n) => Some(String::from_utf8_lossy(n).to_ascii_uppercase()),
                _ => None,
            })
            .unwrap_or_default();
        // Literal arguments only (a `?` is bound apart, in the request's data).
        let args: Vec<Option<&[u8]>> = t[open + 1..]
            .split(|x| matches!(x, Token::Punct(b',' | b')')))
            .take(4)
            .map(|a| match a {
                [Token::Str(s)] => Some(s.as_slice()),
                _ => None,
            })
            .collect();
        let arg = |i: usize| args.get(i).copied().flatten();
        let (user, password) = match procedure.as_str() {
            "SYSCS_CREATE_USER" | "SYSCS_RESET_PASSWORD" => (arg(0).map(<[u8]>::to_vec), arg(1)),
            "SYSCS_MODIFY_PASSWORD" => (None, arg(0)),
            "SYSCS_SET_DATABASE_PROPERTY" => match arg(0) {
                Some(key) if key.len() > 11 && key[..11].eq_ignore_ascii_case(b"derby.user.") => {
                    (Some(key[11..].to_vec()), arg(1))
                }
                _ => return,
            },
            _ => return,
        };
        if let Some(password) = password.filter(|p| !p.is_empty()) {
            let mechanism = if procedure == "SYSCS_SET_DATABASE_PROPERTY" {
                "SYSCS_SET_DATABASE_PROPERTY derby.user".to_string()
            } else {
                procedure
            };
            out.push(found(n, user, None, mechanism, password));
        }
        return;
    }
    if word(0, "SET") && word(1, "ENCRYPTION") && word(2, "PASSWORD") {
        let value = match t.get(3) {
            Some(Token::Punct(b'=')) => t.get(4),
            other => other,
        };
        if let Some(password) = value.and_then(Token::string).filter(|p| !p.is_empty()) {
            let mechanism = "SET ENCRYPTION PASSWORD".to_string();
            out.push(found(n, None, None, mechanism, password));
        }
        return;
    }
    if !(word(0, "CREATE") || word(0, "ALTER")) {
        return;
    }
    let after = |w: &str| {
        t.iter()
            .position(|x| x.is(w))
            .and_then(|i| t.get(i + 1))
            .and_then(Token::name)
    };
    if word(1, "USER") && word(2, "MAPPING") {
        let pairs = option_pairs(t, false);
        if let Some(password) = pair(&pairs, &["REMOTE_PASSWORD"]).filter(|p| !p.is_empty()) {
            let user = pair(&pairs, &["REMOTE_AUTHID"])
                .map(<[u8]>::to_vec)
                .or_else(|| after("FOR").filter(|u| !u.eq_ignore_ascii_case(b"USER")));
            let mechanism = format!("{} USER MAPPING ... REMOTE_PASSWORD", upper(&t[0]));
            out.push(found(n, user, after("SERVER"), mechanism, password));
        }
    } else if word(1, "SERVER") {
        let Some(k) = t.iter().position(|x| x.is("PASSWORD")) else {
            return;
        };
        let password = match t.get(k + 1) {
            Some(Token::Name(p) | Token::Str(p)) if !p.is_empty() => p.clone(),
            _ => return,
        };
        let server = t.get(2).and_then(Token::name);
        let mechanism = format!("{} SERVER ... AUTHORIZATION ... PASSWORD", upper(&t[0]));
        out.push(found(
            n,
            after("AUTHORIZATION"),
            server,
            mechanism,
            &password,
        ));
    }
}

/// Oracle: `CREATE|ALTER USER name IDENTIFIED BY password [REPLACE old]`, `CREATE|ALTER
/// ROLE name IDENTIFIED BY password`, `SET ROLE name IDENTIFIED BY password`, `GRANT ...
/// TO name IDENTIFIED BY password`, `CREATE [SHARED] [PUBLIC] DATABASE LINK name CONNECT
/// TO user IDENTIFIED BY password` (another database's login; the link in `host`).
/// A password is an identifier, unquoted or in double quotes. `IDENTIFIED BY VALUES
/// '...'` gives the account's verifiers: `S:` (SHA-1 of the password and a salt, hashcat
/// 112) and `T:` (PBKDF2-SHA512 based, hashcat 12300).
fn oracle(n: usize, t: &[Token<'_>], out: &mut Vec<StatementPassword>) {
    let word = |i: usize, w: &str| t.get(i).is_some_and(|x| x.is(w));
    let Some(verb) = t.first() else {
        return;
    };
    let verb_name = upper(verb);
    let link = (0..t.len().min(6)).find(|&i| word(i, "LINK") && i > 0 && word(i - 1, "DATABASE"));
    for at in (0..t.len()).filter(|&i| t[i].is("IDENTIFIED") && word(i + 1, "BY")) {
        let before = at
            .checked_sub(1)
            .and_then(|i| t.get(i))
            .and_then(Token::name);
        let (form, user, host) = if let Some(l) = link {
            let user = if at >= 2 && word(at - 2, "TO") {
                before
            } else {
                None
            };
            let host = dotted_name(t, l + 1);
            let form = format!("{verb_name} DATABASE LINK ... IDENTIFIED BY");
            (form, user, host)
        } else if (verb.is("CREATE") || verb.is("ALTER")) && (word(1, "USER") || word(1, "ROLE")) {
            let form = format!("{verb_name} {} ... IDENTIFIED BY", upper(&t[1]));
            (form, t.get(2).and_then(Token::name), None)
        } else if verb.is("SET") && word(1, "ROLE") {
            ("SET ROLE ... IDENTIFIED BY".to_string(), before, None)
        } else if verb.is("GRANT") {
            ("GRANT ... IDENTIFIED BY".to_string(), before, None)
        } else {
            continue;
        };
        if word(at + 2, "VALUES") {
            if let Some(values) = t.get(at + 3).and_then(Token::string) {
                oracle_verifiers(n, user, &form, values, out);
            }
            continue;
        }
        let password = match t.get(at + 2) {
            Some(Token::Word(w)) => w.to_vec(),
            Some(Token::Name(p) | Token::Str(p)) => p.clone(),
            _ => continue,
        };
        if password.is_empty() {
            continue;
        }
        out.push(found(n, user.clone(), host, form.clone(), &password));
        // ALTER USER ... IDENTIFIED BY new REPLACE current: the current one proves itself.
        if word(at + 3, "REPLACE") {
            let current = match t.get(at + 4) {
                Some(Token::Word(w)) => w.to_vec(),
                Some(Token::Name(p) | Token::Str(p)) => p.clone(),
                _ => continue,
            };
            if !current.is_empty() {
                out.push(found(
                    n,
                    user,
                    None,
                    format!("{form} ... REPLACE"),
                    &current,
                ));
            }
        }
    }
}

/// A name at `at`, with the parts after it joined by dots (`sales.example.com`).
fn dotted_name(t: &[Token<'_>], at: usize) -> Option<Vec<u8>> {
    let mut name = t.get(at).and_then(Token::name)?;
    let mut i = at + 1;
    while t.get(i) == Some(&Token::Punct(b'.')) {
        let Some(part) = t.get(i + 1).and_then(Token::name) else {
            break;
        };
        name.push(b'.');
        name.extend_from_slice(&part);
        i += 2;
    }
    Some(name)
}

/// The verifiers of `IDENTIFIED BY VALUES '...'` (`S:<40 hex SHA-1><20 hex salt>`,
/// `T:<128 hex><32 hex salt>`, separated by `;`; an old DES hash alone is 16 hex digits).
fn oracle_verifiers(
    n: usize,
    user: Option<Vec<u8>>,
    form: &str,
    values: &[u8],
    out: &mut Vec<StatementPassword>,
) {
    let hex = |s: &[u8]| s.iter().all(u8::is_ascii_hexdigit);
    let mechanism = format!("{form} VALUES");
    let mut any = false;
    for part in values.split(|&b| b == b';') {
        let (scheme, mode, hash, salt) = match part {
            [b'S', b':', rest @ ..] if rest.len() == 60 && hex(rest) => {
                ("Oracle S: (SHA-1)", 112, &rest[..40], &rest[40..])
            }
            [b'T', b':', rest @ ..] if rest.len() == 160 && hex(rest) => (
                "Oracle T: (PBKDF2-SHA512)",
                12300,
                &rest[..128],
                &rest[128..],
            ),
            _ => continue,
        };
        any = true;
        let mut p = found(n, user.clone(), None, mechanism.clone(), part);
        let line = if mode == 112 {
            [hash, b":", salt].concat()
        } else {
            [hash, salt].concat()
        };
        hashed(&mut p, scheme, mode, line);
        out.push(p);
    }
    if !any && !values.is_empty() {
        let mut p = found(n, user, None, mechanism, values);
        p.kind = Kind::ChallengeResponse;
        p.scheme = Some("password verifier".to_string());
        out.push(p);
    }
}

/// Cypher (Neo4j 4 and 5): `CREATE [OR REPLACE] USER name [IF NOT EXISTS] SET [PLAINTEXT |
/// ENCRYPTED] PASSWORD <p>`, `ALTER USER name [IF EXISTS] SET [PLAINTEXT | ENCRYPTED]
/// PASSWORD <p>`, `ALTER CURRENT USER SET PASSWORD FROM <old> TO <new>`, and the older
/// procedures `dbms.security.createUser('name', <p>, ...)`,
/// `dbms.security.changeUserPassword('name', <p>, ...)`, `dbms.changePassword(<p>)`,
/// `dbms.security.changePassword(<p>)`. `<p>` is a string or a parameter (`$name`, the old
/// `{name}`): then `parameter` names it, for the caller to look up. An `ENCRYPTED`
/// password is Neo4j's stored hash (`1,<SHA-256>,<salt>` or `1,<SHA-256>,<salt>,<n>`).
fn cypher(n: usize, t: &[Token<'_>], out: &mut Vec<StatementPassword>) {
    let word = |i: usize, w: &str| t.get(i).is_some_and(|x| x.is(w));
    // A string, or a parameter: what stands at `i`, and the index after it.
    let value = |i: usize| -> Option<(Vec<u8>, Option<Vec<u8>>, usize)> {
        match (t.get(i), t.get(i + 1), t.get(i + 2)) {
            (Some(Token::Str(s)), _, _) => Some((s.clone(), None, i + 1)),
            (Some(Token::Word(w)), _, _) if w.len() > 1 && w[0] == b'$' => {
                Some((Vec::new(), Some(w[1..].to_vec()), i + 1))
            }
            (Some(Token::Punct(b'{')), Some(name), Some(Token::Punct(b'}'))) => {
                let name = name.name()?;
                Some((Vec::new(), Some(name), i + 3))
            }
            _ => None,
        }
    };
    let push = |out: &mut Vec<StatementPassword>,
                user: Option<Vec<u8>>,
                mechanism: String,
                (literal, parameter, _): (Vec<u8>, Option<Vec<u8>>, usize),
                encrypted: bool| {
        if literal.is_empty() && parameter.is_none() {
            return;
        }
        let mut p = found(n, user, None, mechanism, &literal);
        p.parameter = parameter;
        if encrypted {
            p.kind = Kind::ChallengeResponse;
            p.scheme = Some("Neo4j encrypted password".to_string());
        }
        out.push(p);
    };
    if word(0, "CALL") {
        let Some(open) = t.iter().position(|x| *x == Token::Punct(b'(')) else {
            return;
        };
        let procedure: String = t[1..open]
            .iter()
            .map(|x| match x {
                Token::Word(w) => String::from_utf8_lossy(w).to_ascii_lowercase(),
                Token::Punct(b'.') => ".".to_string(),
                _ => String::new(),
            })
            .collect();
        let args: Vec<&[Token<'_>]> = t[open + 1..]
            .split(|x| matches!(x, Token::Punct(b',' | b')')))
            .take(3)
            .collect();
        let arg = |i: usize| {
            args.get(i)
                .and_then(|a| (a.len() <= 3).then_some(*a))
                .and_then(|a| {
                    let (l, p, _) = match a {
                        [Token::Str(s)] => (s.clone(), None, 0),
                        [Token::Word(w)] if w.len() > 1 && w[0] == b'$' => {
                            (Vec::new(), Some(w[1..].to_vec()), 0)
                        }
                        [Token::Punct(b'{'), name, Token::Punct(b'}')] => {
                            (Vec::new(), Some(name.name()?), 0)
                        }
                        _ => return None,
                    };
                    Some((l, p, 0))
                })
        };
        let user = || arg(0).map(|(l, _, _)| l).filter(|u| !u.is_empty());
        let (name, user, password) = match procedure.as_str() {
            "dbms.security.createuser" => ("dbms.security.createUser", user(), arg(1)),
            "dbms.security.changeuserpassword" => {
                ("dbms.security.changeUserPassword", user(), arg(1))
            }
            "dbms.changepassword" => ("dbms.changePassword", None, arg(0)),
            "dbms.security.changepassword" => ("dbms.security.changePassword", None, arg(0)),
            _ => return,
        };
        if let Some(password) = password {
            push(out, user, format!("CALL {name}"), password, false);
        }
        return;
    }
    let verb = if word(0, "CREATE") {
        "CREATE"
    } else if word(0, "ALTER") {
        "ALTER"
    } else {
        return;
    };
    let mut at = 1;
    if word(1, "OR") && word(2, "REPLACE") {
        at = 3;
    }
    if word(at, "CURRENT") && word(at + 1, "USER") {
        // ALTER CURRENT USER SET PASSWORD FROM old TO new.
        let Some(from) = (at + 2..t.len()).find(|&i| word(i, "FROM")) else {
            return;
        };
        let Some(old) = value(from + 1) else {
            return;
        };
        let after_old = old.2;
        push(
            out,
            None,
            "ALTER CURRENT USER SET PASSWORD FROM".to_string(),
            old,
            false,
        );
        if word(after_old, "TO")
            && let Some(new) = value(after_old + 1)
        {
            push(
                out,
                None,
                "ALTER CURRENT USER SET PASSWORD ... TO".to_string(),
                new,
                false,
            );
        }
        return;
    }
    if !word(at, "USER") {
        return;
    }
    let user = t.get(at + 1).and_then(Token::name);
    let Some(k) = (at + 2..t.len()).find(|&i| {
        word(i, "PASSWORD")
            && i > 0
            && (word(i - 1, "SET") || word(i - 1, "PLAINTEXT") || word(i - 1, "ENCRYPTED"))
    }) else {
        return;
    };
    let encrypted = word(k - 1, "ENCRYPTED");
    if let Some(v) = value(k + 1) {
        push(
            out,
            user,
            format!("{verb} USER ... SET PASSWORD"),
            v,
            encrypted,
        );
    }
}

/// CQL: `CREATE|ALTER ROLE|USER [IF [NOT] EXISTS] name WITH ... [HASHED] PASSWORD [=]
/// '...'` (a `HASHED PASSWORD` is the role's bcrypt hash, hashcat 3200).
fn cql(n: usize, t: &[Token<'_>], out: &mut Vec<StatementPassword>) {
    let (Some(verb), Some(noun)) = (t.first(), t.get(1)) else {
        return;
    };
    if !(verb.is("CREATE") || verb.is("ALTER")) || !(noun.is("ROLE") || noun.is("USER")) {
        return;
    }
    let mut at = 2;
    while t
        .get(at)
        .is_some_and(|x| x.is("IF") || x.is("NOT") || x.is("EXISTS"))
    {
        at += 1;
    }
    let user = t.get(at).and_then(Token::name);
    let Some(k) = (at + 1..t.len()).find(|&i| t[i].is("PASSWORD")) else {
        return;
    };
    let hashed = k > 0 && t[k - 1].is("HASHED");
    let value = match t.get(k + 1) {
        Some(Token::Punct(b'=')) => t.get(k + 2),
        other => other,
    };
    let Some(literal) = value.and_then(Token::string).filter(|l| !l.is_empty()) else {
        return;
    };
    let form = if hashed {
        "HASHED PASSWORD"
    } else {
        "PASSWORD"
    };
    let mechanism = format!("{} {} ... {form}", upper(verb), upper(noun));
    let mut p = found(n, user, None, mechanism, literal);
    if hashed {
        if literal.starts_with(b"$2") {
            hashed_line(&mut p, "bcrypt", 3200);
        } else {
            p.kind = Kind::ChallengeResponse;
            p.scheme = Some("hashed password".to_string());
        }
    }
    out.push(p);
}

/// Marks `p` a hash of `scheme` whose secret is hashcat's line for `mode`.
fn hashed_line(p: &mut StatementPassword, scheme: &str, mode: u32) {
    let line = p.secret.clone();
    hashed(p, scheme, mode, line);
}

/// Words that begin a T-SQL statement: where a clause being read ends when no semicolon
/// does.
const TSQL_STATEMENTS: &[&str] = &[
    "ALTER", "BEGIN", "CREATE", "DECLARE", "DELETE", "DENY", "DROP", "END", "EXEC", "EXECUTE",
    "GRANT", "IF", "INSERT", "PRINT", "RETURN", "REVOKE", "SELECT", "SET", "UPDATE", "USE",
    "WHILE",
];

/// The system procedures that take passwords: their name, and the positions (0-based) and
/// `@` names of the account, the password and the old password; `host` is a linked
/// server's name.
struct Procedure {
    name: &'static str,
    account: Option<(usize, &'static str)>,
    password: (usize, &'static str),
    old: Option<(usize, &'static str)>,
    host: Option<(usize, &'static str)>,
}

const TSQL_PROCEDURES: &[Procedure] = &[
    Procedure {
        name: "sp_addlogin",
        account: Some((0, "@loginame")),
        password: (1, "@passwd"),
        old: None,
        host: None,
    },
    Procedure {
        name: "sp_password",
        account: Some((2, "@loginame")),
        password: (1, "@new"),
        old: Some((0, "@old")),
        host: None,
    },
    Procedure {
        name: "sp_addapprole",
        account: Some((0, "@rolename")),
        password: (1, "@password"),
        old: None,
        host: None,
    },
    Procedure {
        name: "sp_approlepassword",
        account: Some((0, "@rolename")),
        password: (1, "@newpwd"),
        old: None,
        host: None,
    },
    Procedure {
        name: "sp_setapprole",
        account: Some((0, "@rolename")),
        password: (1, "@password"),
        old: None,
        host: None,
    },
    Procedure {
        name: "sp_addlinkedsrvlogin",
        account: Some((3, "@rmtuser")),
        password: (4, "@rmtpassword"),
        old: None,
        host: Some((0, "@rmtsrvname")),
    },
];

/// A procedure's argument: its `@` name when given, and its value (`None`: `NULL`,
/// `DEFAULT`, or an expression).
type Argument<'a> = (Option<&'a [u8]>, Option<Vec<u8>>);

/// A `HASHED` password value as hashcat reads it: `0x0200` + salt + SHA-512 (SQL Server
/// 2012 and later, mode 1731), `0x0100` + salt + SHA-1 (2005, 132), the same with the
/// upper-case password's SHA-1 after it (2000, 131).
fn mssql_hash(p: &mut StatementPassword) {
    let v = p.secret.to_ascii_lowercase();
    let hexdigits = v.len() > 2 && v[2..].iter().all(u8::is_ascii_hexdigit);
    let (scheme, mode) = match (v.get(..6), v.len()) {
        (Some(b"0x0200"), 142) if hexdigits => ("SQL Server 2012+", 1731),
        (Some(b"0x0100"), 54) if hexdigits => ("SQL Server 2005", 132),
        (Some(b"0x0100"), 94) if hexdigits => ("SQL Server 2000", 131),
        _ => {
            p.kind = Kind::ChallengeResponse;
            p.scheme = Some("SQL Server password hash".to_string());
            return;
        }
    };
    hashed(p, scheme, mode, v);
}

/// T-SQL: `CREATE|ALTER LOGIN|USER|APPLICATION ROLE ... WITH PASSWORD = ...`, `CREATE|ALTER
/// CREDENTIAL ... IDENTITY = ..., SECRET = ...`, and the password procedures, wherever a
/// statement starts among the tokens (T-SQL needs no semicolons).
fn tsql(
    n: usize,
    t: &[Token<'_>],
    starts: &[usize],
    text: &[u8],
    out: &mut Vec<StatementPassword>,
) {
    let starts_statement = |x: &Token<'_>| TSQL_STATEMENTS.iter().any(|w| x.is(w));
    // The clause from `from` up to the next statement's first word.
    let clause_end = |from: usize| {
        (from..t.len())
            .find(|&i| starts_statement(&t[i]))
            .unwrap_or(t.len())
    };
    let line = |i: usize| line_of(text, starts.get(i).copied().unwrap_or(0));
    let mut i = 0;
    while i < t.len() {
        let verb = &t[i];
        // CREATE|ALTER LOGIN|USER|APPLICATION ROLE|CREDENTIAL name ...
        if verb.is("CREATE") || verb.is("ALTER") {
            let (noun, name_at) = match (t.get(i + 1), t.get(i + 2)) {
                (Some(a), Some(r)) if a.is("APPLICATION") && r.is("ROLE") => {
                    ("APPLICATION ROLE", i + 3)
                }
                (Some(x), _) if x.is("LOGIN") => ("LOGIN", i + 2),
                (Some(x), _) if x.is("USER") => ("USER", i + 2),
                (Some(x), _) if x.is("CREDENTIAL") => ("CREDENTIAL", i + 2),
                _ => {
                    i += 1;
                    continue;
                }
            };
            let end = clause_end(name_at + 1);
            let name = t.get(name_at).and_then(Token::name);
            let verb = upper(verb);
            // `KEY = value` pairs of the clause.
            let value = |key: &str| {
                (name_at + 1..end.saturating_sub(2)).find_map(|k| {
                    (t[k].is(key) && t[k + 1] == Token::Punct(b'=')).then(|| (k, &t[k + 2]))
                })
            };
            if noun == "CREDENTIAL" {
                if let Some((_, Token::Str(secret))) = value("SECRET")
                    && !secret.is_empty()
                {
                    let identity =
                        value("IDENTITY").and_then(|(_, v)| v.string().map(<[u8]>::to_vec));
                    let mut p = found(
                        n,
                        identity,
                        None,
                        format!("{verb} CREDENTIAL ... SECRET"),
                        secret,
                    );
                    p.line = line(i);
                    p.host = name;
                    out.push(p);
                }
            } else {
                for (key, form) in [
                    ("PASSWORD", "WITH PASSWORD"),
                    ("OLD_PASSWORD", "OLD_PASSWORD"),
                ] {
                    let Some((k, v)) = value(key) else {
                        continue;
                    };
                    let (literal, hex) = match v {
                        Token::Str(s) => (s.clone(), false),
                        Token::Word(w) if w.len() > 2 && w[..2].eq_ignore_ascii_case(b"0x") => {
                            (w.to_vec(), true)
                        }
                        _ => continue,
                    };
                    if literal.is_empty() {
                        continue;
                    }
                    let mut p = found(
                        n,
                        name.clone(),
                        None,
                        format!("{verb} {noun} ... {form}"),
                        &literal,
                    );
                    p.line = line(i);
                    if hex || (key == "PASSWORD" && t.get(k + 3).is_some_and(|x| x.is("HASHED"))) {
                        mssql_hash(&mut p);
                    }
                    out.push(p);
                }
            }
            i = end.max(i + 1);
            continue;
        }
        // [EXEC[UTE]] [db.][schema.]sp_... arguments
        let call_at = if verb.is("EXEC") || verb.is("EXECUTE") {
            Some(i + 1)
        } else if i == 0 {
            Some(0)
        } else {
            None
        };
        let Some(mut at) = call_at else {
            i += 1;
            continue;
        };
        // The procedure's name is the last of a dotted name (`master..sp_addlogin`).
        while t.get(at + 1) == Some(&Token::Punct(b'.')) {
            at += 1;
            while t.get(at) == Some(&Token::Punct(b'.')) {
                at += 1;
            }
        }
        let Some(proc) = t.get(at).and_then(Token::name).and_then(|name| {
            TSQL_PROCEDURES
                .iter()
                .find(|p| p.name.as_bytes().eq_ignore_ascii_case(&name))
        }) else {
            i += 1;
            continue;
        };
        let end = clause_end(at + 1);
        // The arguments: `value` or `@name = value`, separated by commas.
        let mut args: Vec<Argument<'_>> = Vec::new();
        let mut k = at + 1;
        while k < end {
            let mut named = None;
            if t[k] == Token::Punct(b'@')
                && let (Some(Token::Word(w)), Some(Token::Punct(b'='))) =
                    (t.get(k + 1), t.get(k + 2))
            {
                named = Some(*w);
                k += 3;
            }
            let value = match t.get(k) {
                Some(Token::Str(s)) => Some(s.clone()),
                Some(Token::Word(w))
                    if !w.eq_ignore_ascii_case(b"NULL") && !w.eq_ignore_ascii_case(b"DEFAULT") =>
                {
                    Some(w.to_vec())
                }
                _ => None,
            };
            args.push((named, value));
            while k < end && t[k] != Token::Punct(b',') {
                k += 1;
            }
            k += 1;
            if args.len() > 8 {
                break;
            }
        }
        let arg = |(pos, name): (usize, &str)| -> Option<Vec<u8>> {
            let by_name = args.iter().find_map(|(n, v)| {
                n.filter(|n| n.eq_ignore_ascii_case(&name.as_bytes()[1..]))
                    .map(|_| v.clone())
            });
            match by_name {
                Some(v) => v,
                None => args
                    .get(pos)
                    .filter(|(n, _)| n.is_none())
                    .and_then(|(_, v)| v.clone()),
            }
        };
        let account = proc.account.and_then(arg);
        let host = proc.host.and_then(arg);
        if let Some(password) = arg(proc.password).filter(|p| !p.is_empty()) {
            let mut p = found(
                n,
                account.clone(),
                host.clone(),
                proc.name.to_string(),
                &password,
            );
            p.line = line(i);
            out.push(p);
        }
        if let Some(old) = proc.old.and_then(arg).filter(|p| !p.is_empty()) {
            let mut p = found(
                n,
                account,
                host,
                format!("{} (old password)", proc.name),
                &old,
            );
            p.line = line(i);
            out.push(p);
        }
        i = end.max(i + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Row = (usize, Option<String>, String, Kind, String);

    fn rows(text: &str, d: Dialect) -> Vec<Row> {
        passwords(text.as_bytes(), d)
            .into_iter()
            .map(|p| {
                (
                    p.statement,
                    p.user.map(|u| String::from_utf8_lossy(&u).into_owned()),
                    p.mechanism,
                    p.kind,
                    String::from_utf8_lossy(&p.secret).into_owned(),
                )
            })
            .collect()
    }

    fn row(n: usize, user: Option<&str>, m: &str, kind: Kind, secret: &str) -> Row {
        (
            n,
            user.map(String::from),
            m.to_string(),
            kind,
            secret.to_string(),
        )
    }

    use Dialect::{Cql, Mysql, Postgresql as Pg, Tsql};

    #[test]
    fn passwords_of_other_servers() {
        assert_eq!(
            rows(
                "CHANGE MASTER TO MASTER_HOST='10.0.0.9', MASTER_USER='repl', MASTER_PASSWORD='Repl-Pw1', MASTER_PORT=3306;\
                 CHANGE REPLICATION SOURCE TO SOURCE_USER = 'r2', SOURCE_PASSWORD = 'Src-Pw2';\
                 START REPLICA USER='r3' PASSWORD='Start-Pw3';\
                 CREATE SERVER fed FOREIGN DATA WRAPPER mysql OPTIONS (USER 'remote', HOST '10.0.0.8', PASSWORD 'Fed-Pw4')",
                Mysql
            ),
            vec![
                row(
                    0,
                    Some("repl"),
                    "CHANGE MASTER TO ... MASTER_PASSWORD",
                    Clear,
                    "Repl-Pw1"
                ),
                row(
                    1,
                    Some("r2"),
                    "CHANGE REPLICATION SOURCE TO ... SOURCE_PASSWORD",
                    Clear,
                    "Src-Pw2"
                ),
                row(
                    2,
                    Some("r3"),
                    "START REPLICA ... PASSWORD",
                    Clear,
                    "Start-Pw3"
                ),
                row(
                    3,
                    Some("remote"),
                    "CREATE SERVER ... PASSWORD",
                    Clear,
                    "Fed-Pw4"
                ),
            ]
        );
        let got = passwords(
            b"CHANGE MASTER TO MASTER_HOST='10.0.0.9', MASTER_PASSWORD='x'",
            Mysql,
        );
        assert_eq!(got[0].host.as_deref(), Some(&b"10.0.0.9"[..]));
        assert_eq!(
            rows(
                "CREATE USER MAPPING FOR CURRENT_USER SERVER fdw1 OPTIONS (user 'remote_app', password 'Fdw-Pw5');\
                 ALTER USER MAPPING FOR bob SERVER fdw1 OPTIONS (SET password 'Fdw-Pw6');\
                 CREATE SUBSCRIPTION s CONNECTION 'host=10.0.0.9 port=5432 user=rep password=''Sub Pw7'' dbname=app' PUBLICATION p WITH (connect = false);\
                 SELECT dblink_connect('c', 'postgresql://link:Link-Pw8@db.example.org/app');\
                 INSERT INTO notes VALUES ('password=not-a-conninfo')",
                Pg
            ),
            vec![
                row(
                    0,
                    Some("remote_app"),
                    "CREATE USER MAPPING ... password",
                    Clear,
                    "Fdw-Pw5"
                ),
                row(1, None, "ALTER USER MAPPING ... password", Clear, "Fdw-Pw6"),
                row(
                    2,
                    Some("rep"),
                    "CREATE SUBSCRIPTION ... CONNECTION",
                    Clear,
                    "Sub Pw7"
                ),
                row(3, Some("link"), "connection string", Clear, "Link-Pw8"),
            ]
        );
        let got = passwords(
            b"CREATE USER MAPPING FOR CURRENT_USER SERVER fdw1 OPTIONS (password 'x')",
            Pg,
        );
        assert_eq!(got[0].host.as_deref(), Some(&b"fdw1"[..]));
    }

    #[test]
    fn db2_and_derby_statements() {
        use Dialect::Db2;
        let text = "CALL SYSCS_UTIL.SYSCS_SET_DATABASE_PROPERTY('derby.user.carol', 'Carol-pw1');\n\
                    call syscs_util.syscs_create_user('dave', 'Dave''s-pw');\n\
                    CALL SYSCS_UTIL.SYSCS_RESET_PASSWORD('erin', 'Erin-pw');\n\
                    CALL SYSCS_UTIL.SYSCS_MODIFY_PASSWORD('Mine-pw');\n\
                    CALL SYSCS_UTIL.SYSCS_CREATE_USER(?, ?);\n\
                    CALL SYSCS_UTIL.SYSCS_SET_DATABASE_PROPERTY('derby.connection.requireAuthentication', 'true');\n\
                    -- CALL SYSCS_UTIL.SYSCS_MODIFY_PASSWORD('commented');\n\
                    SET ENCRYPTION PASSWORD = 'Enc-pw' WITH HINT 'pet';\n\
                    CREATE USER MAPPING FOR db2inst1 SERVER remote1 OPTIONS (REMOTE_AUTHID 'ruser', REMOTE_PASSWORD 'R-pw');\n\
                    ALTER USER MAPPING FOR bob SERVER remote1 OPTIONS (SET REMOTE_PASSWORD 'New-R-pw');\n\
                    CREATE SERVER remote2 TYPE DB2/UDB VERSION 11.5 WRAPPER DRDA AUTHORIZATION \"fedadm\" PASSWORD \"Fed-pw\" OPTIONS (DBNAME 'SAMPLE');\n\
                    SELECT 'CALL SYSCS_UTIL.SYSCS_MODIFY_PASSWORD(''x'')' FROM SYSIBM.SYSDUMMY1";
        assert_eq!(
            rows(text, Db2),
            vec![
                row(
                    0,
                    Some("carol"),
                    "SYSCS_SET_DATABASE_PROPERTY derby.user",
                    Clear,
                    "Carol-pw1"
                ),
                row(1, Some("dave"), "SYSCS_CREATE_USER", Clear, "Dave's-pw"),
                row(2, Some("erin"), "SYSCS_RESET_PASSWORD", Clear, "Erin-pw"),
                row(3, None, "SYSCS_MODIFY_PASSWORD", Clear, "Mine-pw"),
                row(6, None, "SET ENCRYPTION PASSWORD", Clear, "Enc-pw"),
                row(
                    7,
                    Some("ruser"),
                    "CREATE USER MAPPING ... REMOTE_PASSWORD",
                    Clear,
                    "R-pw"
                ),
                row(
                    8,
                    Some("bob"),
                    "ALTER USER MAPPING ... REMOTE_PASSWORD",
                    Clear,
                    "New-R-pw"
                ),
                row(
                    9,
                    Some("fedadm"),
                    "CREATE SERVER ... AUTHORIZATION ... PASSWORD",
                    Clear,
                    "Fed-pw"
                ),
            ]
        );
        let got = passwords(text.as_bytes(), Db2);
        assert_eq!(got[5].host.as_deref(), Some(&b"remote1"[..]));
        assert_eq!(got[7].host.as_deref(), Some(&b"remote2"[..]));
        assert_eq!(got[4].line, 8);
        // `$` and `E'` are not PostgreSQL's strings in Db2.
        assert_eq!(
            rows("CALL SYSCS_UTIL.SYSCS_MODIFY_PASSWORD('a$b$c')", Db2),
            vec![row(0, None, "SYSCS_MODIFY_PASSWORD", Clear, "a$b$c")]
        );
        assert!(rows("SELECT * FROM T WHERE PASSWORD = 'x'", Db2).is_empty());
    }

    #[test]
    fn oracle_statements() {
        use Dialect::Oracle;
        let s_hash = "S:8F2D65FB5547B71C8DA3760F10960428CD307B1C6271691FC55C1F56554A";
        let t_hash = format!(
            "T:{}{}",
            "A".repeat(128),
            "0123456789ABCDEF0123456789ABCDEF"
        );
        let text = format!(
            "CREATE USER app IDENTIFIED BY \"App#Pw-1\" DEFAULT TABLESPACE users;\n\
             alter user scott identified by Tiger2 replace Tiger1;\n\
             -- ALTER USER decoy IDENTIFIED BY not_this\n\
             ALTER USER ext IDENTIFIED EXTERNALLY;\n\
             CREATE ROLE admin_role IDENTIFIED BY \"R0le-pw\";\n\
             SET ROLE admin_role IDENTIFIED BY \"R0le-pw\";\n\
             GRANT CONNECT TO legacy IDENTIFIED BY Leg$acy;\n\
             CREATE PUBLIC DATABASE LINK sales.example CONNECT TO remote_u IDENTIFIED BY \"Link-pw\" USING 'SALESDB';\n\
             ALTER USER hashed IDENTIFIED BY VALUES '{s_hash};{t_hash}';\n\
             SELECT 'ALTER USER x IDENTIFIED BY y' FROM dual"
        );
        assert_eq!(
            rows(&text, Oracle),
            vec![
                row(
                    0,
                    Some("app"),
                    "CREATE USER ... IDENTIFIED BY",
                    Clear,
                    "App#Pw-1"
                ),
                row(
                    1,
                    Some("scott"),
                    "ALTER USER ... IDENTIFIED BY",
                    Clear,
                    "Tiger2"
                ),
                row(
                    1,
                    Some("scott"),
                    "ALTER USER ... IDENTIFIED BY ... REPLACE",
                    Clear,
                    "Tiger1"
                ),
                row(
                    3,
                    Some("admin_role"),
                    "CREATE ROLE ... IDENTIFIED BY",
                    Clear,
                    "R0le-pw"
                ),
                row(
                    4,
                    Some("admin_role"),
                    "SET ROLE ... IDENTIFIED BY",
                    Clear,
                    "R0le-pw"
                ),
                row(
                    5,
                    Some("legacy"),
                    "GRANT ... IDENTIFIED BY",
                    Clear,
                    "Leg$acy"
                ),
                row(
                    6,
                    Some("remote_u"),
                    "CREATE DATABASE LINK ... IDENTIFIED BY",
                    Clear,
                    "Link-pw"
                ),
                row(
                    7,
                    Some("hashed"),
                    "ALTER USER ... IDENTIFIED BY VALUES",
                    Kind::ChallengeResponse,
                    s_hash
                ),
                row(
                    7,
                    Some("hashed"),
                    "ALTER USER ... IDENTIFIED BY VALUES",
                    Kind::ChallengeResponse,
                    &t_hash
                ),
            ]
        );
        let got = passwords(text.as_bytes(), Oracle);
        assert_eq!(got[6].host.as_deref(), Some(&b"sales.example"[..]));
        let s = got[7].hashcat.as_ref().expect("hashcat 112");
        assert_eq!(
            (s.mode, s.hash.as_str()),
            (
                112,
                "8F2D65FB5547B71C8DA3760F10960428CD307B1C:6271691FC55C1F56554A"
            )
        );
        let t = got[8].hashcat.as_ref().expect("hashcat 12300");
        assert_eq!((t.mode, t.hash.len()), (12300, 160));
        assert!(rows("SELECT password FROM dba_users", Oracle).is_empty());
        assert!(rows("ALTER USER bob IDENTIFIED BY", Oracle).is_empty());
    }

    #[test]
    fn cypher_users() {
        use Dialect::Cypher;
        let text = "CREATE USER alice SET PASSWORD 'Al1ce-Graph' CHANGE NOT REQUIRED;\n\
                    create or replace user `bob` if not exists set plaintext password \"B0b\\\"s-pw\" change required;\n\
                    // ALTER USER decoy SET PASSWORD 'not-this'\n\
                    ALTER USER carol SET PASSWORD $pw SET STATUS ACTIVE;\n\
                    ALTER CURRENT USER SET PASSWORD FROM 'old-One' TO $new;\n\
                    CREATE USER dave SET ENCRYPTED PASSWORD '1,6d57a5e0b3317055454e455f96c98c750c77fb371f3f0634a1b8ff2a55c5b825,190ae47c661e0c2d1b2e5f1a2b3c4d5e';\n\
                    CALL dbms.security.createUser('erin', 'Er1n-Proc', false);\n\
                    CALL dbms.changePassword({p});\n\
                    MATCH (n) WHERE n.password = 'x' RETURN n";
        let got = passwords(text.as_bytes(), Cypher);
        let summary: Vec<_> = got
            .iter()
            .map(|p| {
                (
                    p.statement,
                    p.user
                        .as_deref()
                        .map(|u| String::from_utf8_lossy(u).into_owned()),
                    p.mechanism.as_str(),
                    p.kind,
                    String::from_utf8_lossy(&p.secret).into_owned(),
                    p.parameter
                        .as_deref()
                        .map(|u| String::from_utf8_lossy(u).into_owned()),
                )
            })
            .collect();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            summary,
            vec![
                (0, s("alice"), "CREATE USER ... SET PASSWORD", Clear, "Al1ce-Graph".into(), None),
                (1, s("bob"), "CREATE USER ... SET PASSWORD", Clear, "B0b\"s-pw".into(), None),
                (2, s("carol"), "ALTER USER ... SET PASSWORD", Clear, String::new(), s("pw")),
                (3, None, "ALTER CURRENT USER SET PASSWORD FROM", Clear, "old-One".into(), None),
                (3, None, "ALTER CURRENT USER SET PASSWORD ... TO", Clear, String::new(), s("new")),
                (
                    4,
                    s("dave"),
                    "CREATE USER ... SET PASSWORD",
                    Kind::ChallengeResponse,
                    "1,6d57a5e0b3317055454e455f96c98c750c77fb371f3f0634a1b8ff2a55c5b825,190ae47c661e0c2d1b2e5f1a2b3c4d5e".into(),
                    None
                ),
                (5, s("erin"), "CALL dbms.security.createUser", Clear, "Er1n-Proc".into(), None),
                (6, None, "CALL dbms.changePassword", Clear, String::new(), s("p")),
            ]
        );
        assert!(passwords(b"MATCH (u:User) SET u.password = 'x'", Cypher).is_empty());
        // Alone (no word "password" in it).
        assert_eq!(
            passwords(b"CALL dbms.security.createUser('v', 'V-pw', false)", Cypher).len(),
            1
        );
    }

    #[test]
    fn passwords_in_dynamic_sql() {
        use Dialect::{Db2, Oracle};
        let oracle = "BEGIN\n  EXECUTE IMMEDIATE 'ALTER USER app IDENTIFIED BY \"Dyn-Ora-1\"';\nEND;\n\
                      INSERT INTO audit VALUES ('ALTER USER x IDENTIFIED BY not_run')";
        assert_eq!(
            rows(oracle, Oracle),
            vec![row(
                0,
                Some("app"),
                "ALTER USER ... IDENTIFIED BY",
                Clear,
                "Dyn-Ora-1"
            )]
        );
        assert_eq!(passwords(oracle.as_bytes(), Oracle)[0].line, 1);
        // PL/pgSQL inside a DO block: two levels, quotes doubled at each.
        let pg = "DO $$ BEGIN EXECUTE 'ALTER ROLE ops PASSWORD ''Dyn-Pg-2'''; END $$;\n\
                  SELECT 'ALTER ROLE x PASSWORD ''no'''";
        assert_eq!(
            rows(pg, Pg),
            vec![row(
                0,
                Some("ops"),
                "ALTER ROLE ... PASSWORD",
                Clear,
                "Dyn-Pg-2"
            )]
        );
        let tsql = "SELECT 1\nEXEC('ALTER LOGIN [svc] WITH PASSWORD = ''Dyn-Sql-3''')\n\
                    EXEC sp_executesql N'CREATE LOGIN app2 WITH PASSWORD = ''Dyn-Sql-4'''";
        let got = passwords(tsql.as_bytes(), Tsql);
        let summary: Vec<_> = got
            .iter()
            .map(|p| (String::from_utf8_lossy(&p.secret).into_owned(), p.line))
            .collect();
        assert_eq!(
            summary,
            vec![("Dyn-Sql-3".to_string(), 2), ("Dyn-Sql-4".to_string(), 3)]
        );
        let my = "PREPARE s FROM 'CREATE USER dyn IDENTIFIED BY ''Dyn-My-5''';\nEXECUTE s";
        assert_eq!(
            rows(my, Mysql),
            vec![row(
                0,
                Some("dyn"),
                "CREATE USER ... IDENTIFIED",
                Clear,
                "Dyn-My-5"
            )]
        );
        let db2 = "EXECUTE IMMEDIATE 'SET ENCRYPTION PASSWORD = ''Dyn-Db2-6'''";
        assert_eq!(
            rows(db2, Db2),
            vec![row(0, None, "SET ENCRYPTION PASSWORD", Clear, "Dyn-Db2-6")]
        );
    }

    #[test]
    fn cql_roles_and_users() {
        let bcrypt = "$2a$10$Yh7ZUKaXQ6Ct3YCzEZO6TOYfB8WxP1S2ySxVSqY1m9u4QDrXHqFCW";
        let text = format!(
            "CREATE ROLE IF NOT EXISTS app WITH PASSWORD = 'App''s-pw' AND LOGIN = true;\n\
             // ALTER ROLE decoy WITH PASSWORD = 'not-this'\n\
             ALTER USER bob WITH PASSWORD 'B0b-pw' SUPERUSER;\n\
             CREATE ROLE etl WITH HASHED PASSWORD = '{bcrypt}' AND LOGIN = true;\n\
             ALTER ROLE \"Mixed\" WITH PASSWORD = $$Dollar-pw$$;\n\
             CREATE ROLE nologin WITH LOGIN = false"
        );
        assert_eq!(
            rows(&text, Cql),
            vec![
                row(
                    0,
                    Some("app"),
                    "CREATE ROLE ... PASSWORD",
                    Clear,
                    "App's-pw"
                ),
                row(1, Some("bob"), "ALTER USER ... PASSWORD", Clear, "B0b-pw"),
                row(
                    2,
                    Some("etl"),
                    "CREATE ROLE ... HASHED PASSWORD",
                    Hash,
                    bcrypt
                ),
                row(
                    3,
                    Some("Mixed"),
                    "ALTER ROLE ... PASSWORD",
                    Clear,
                    "Dollar-pw"
                ),
            ]
        );
        let got = passwords(text.as_bytes(), Cql);
        assert_eq!(got[2].hashcat.as_ref().map(|h| h.mode), Some(3200));
        assert_eq!(got[1].line, 3);
    }

    #[test]
    fn tsql_logins_users_and_roles() {
        let text = "CREATE LOGIN [app user] WITH PASSWORD = N'S3cret''s', CHECK_POLICY = OFF\n\
                    ALTER LOGIN sa WITH PASSWORD = 'New-1' OLD_PASSWORD = 'Old-1'\r\n\
                    -- ALTER LOGIN decoy WITH PASSWORD = 'not-this'\n\
                    create user contained with password = 'Cu-pw';\n\
                    ALTER APPLICATION ROLE Reports WITH NAME = R2, PASSWORD = 'Ar-pw'\n\
                    CREATE LOGIN win FROM WINDOWS";
        assert_eq!(
            rows(text, Tsql),
            vec![
                row(
                    0,
                    Some("app user"),
                    "CREATE LOGIN ... WITH PASSWORD",
                    Clear,
                    "S3cret's"
                ),
                row(
                    0,
                    Some("sa"),
                    "ALTER LOGIN ... WITH PASSWORD",
                    Clear,
                    "New-1"
                ),
                row(
                    0,
                    Some("sa"),
                    "ALTER LOGIN ... OLD_PASSWORD",
                    Clear,
                    "Old-1"
                ),
                row(
                    0,
                    Some("contained"),
                    "CREATE USER ... WITH PASSWORD",
                    Clear,
                    "Cu-pw"
                ),
                row(
                    1,
                    Some("Reports"),
                    "ALTER APPLICATION ROLE ... WITH PASSWORD",
                    Clear,
                    "Ar-pw"
                ),
            ]
        );
        let lines: Vec<u32> = passwords(text.as_bytes(), Tsql)
            .iter()
            .map(|p| p.line)
            .collect();
        assert_eq!(lines, [1, 2, 2, 4, 5]);
    }

    #[test]
    fn tsql_hashed_passwords() {
        let h2012 = format!("0x0200{}{}", "a1b2c3d4", "0f".repeat(64));
        let h2005 = format!("0x0100{}{}", "a1b2c3d4", "1e".repeat(20));
        let text = format!(
            "CREATE LOGIN m WITH PASSWORD = {h2012} HASHED; CREATE LOGIN o WITH PASSWORD = {h2005} HASHED, SID = 0x01"
        );
        let got = passwords(text.as_bytes(), Tsql);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].kind, Hash);
        assert_eq!(got[0].hashcat.as_ref().map(|h| h.mode), Some(1731));
        assert_eq!(got[0].hashcat.as_ref().map(|h| h.hash.clone()), Some(h2012));
        assert_eq!(got[1].hashcat.as_ref().map(|h| h.mode), Some(132));
        assert_eq!(got[1].scheme.as_deref(), Some("SQL Server 2005"));
    }

    #[test]
    fn tsql_procedures() {
        let text = "EXEC sp_addlogin 'bob', 'Bob-pw', 'master'\n\
                    exec master..sp_password NULL, N'Sa-new', 'sa'\n\
                    EXECUTE dbo.sp_password @old = 'o1', @new = 'n1', @loginame = 'carol'\n\
                    EXEC sp_setapprole 'Payroll', N'Ap-pw'\n\
                    EXEC sp_addlinkedsrvlogin @rmtsrvname = N'REMOTE', @useself = N'False', @locallogin = NULL, @rmtuser = N'link', @rmtpassword = N'Link-pw'\n\
                    EXEC sp_helplogins 'bob'\n\
                    SELECT 'sp_addlogin ''x'', ''y'''";
        assert_eq!(
            rows(text, Tsql),
            vec![
                row(0, Some("bob"), "sp_addlogin", Clear, "Bob-pw"),
                row(0, Some("sa"), "sp_password", Clear, "Sa-new"),
                row(0, Some("carol"), "sp_password", Clear, "n1"),
                row(0, Some("carol"), "sp_password (old password)", Clear, "o1"),
                row(0, Some("Payroll"), "sp_setapprole", Clear, "Ap-pw"),
                row(0, Some("link"), "sp_addlinkedsrvlogin", Clear, "Link-pw"),
            ]
        );
        let got = passwords(text.as_bytes(), Tsql);
        assert_eq!(got[5].host.as_deref(), Some(&b"REMOTE"[..]));
        // A batch that is only a call needs no EXEC.
        assert_eq!(
            rows("sp_password 'a', 'b'", Tsql),
            vec![
                row(0, None, "sp_password", Clear, "b"),
                row(0, None, "sp_password (old password)", Clear, "a")
            ]
        );
    }

    #[test]
    fn tsql_credentials() {
        assert_eq!(
            rows(
                "CREATE CREDENTIAL AzureBlob WITH IDENTITY = 'SHARED ACCESS SIGNATURE', SECRET = 'sv=2022&sig=abc'",
                Tsql
            ),
            vec![row(
                0,
                Some("SHARED ACCESS SIGNATURE"),
                "CREATE CREDENTIAL ... SECRET",
                Clear,
                "sv=2022&sig=abc"
            )]
        );
        // Nothing in these.
        for text in [
            "SELECT * FROM sys.sql_logins WHERE name = 'password'",
            "CREATE LOGIN x WITH PASSWORD = @pw",
            "UPDATE t SET password = 'x'",
        ] {
            assert!(rows(text, Tsql).is_empty(), "{text}");
        }
    }
    use Kind::{ChallengeResponse as Hash, Cleartext as Clear};

    #[test]
    fn postgresql_roles() {
        let alter = "ALTER ROLE ... PASSWORD";
        assert_eq!(
            rows("ALTER ROLE app WITH PASSWORD 'S3cret''s'", Pg),
            vec![row(0, Some("app"), alter, Clear, "S3cret's")]
        );
        assert_eq!(
            rows(
                "create user \"Report Bot\" login encrypted password E'a\\'b' valid until 'infinity';",
                Pg
            ),
            vec![row(
                0,
                Some("Report Bot"),
                "CREATE USER ... PASSWORD",
                Clear,
                "a'b"
            )]
        );
        // Dollar quoting, a comment holding a decoy, a second statement.
        assert_eq!(
            rows(
                "SELECT 1; -- ALTER ROLE x PASSWORD 'decoy'\n/* PASSWORD 'no' */ ALTER USER ops PASSWORD $p$d0llar'q$p$",
                Pg
            ),
            vec![row(
                1,
                Some("ops"),
                "ALTER USER ... PASSWORD",
                Clear,
                "d0llar'q"
            )]
        );
        // NULL, and the session's own role.
        assert!(rows("ALTER ROLE app PASSWORD NULL", Pg).is_empty());
        assert_eq!(
            rows("ALTER USER CURRENT_USER PASSWORD 'mine-1'", Pg),
            vec![row(0, None, "ALTER USER ... PASSWORD", Clear, "mine-1")]
        );
        // Not password statements.
        for other in [
            "SELECT 'ALTER ROLE a PASSWORD ''x'''",
            "UPDATE users SET password = 'x'",
            "CREATE TABLE password (id int)",
            "ALTER ROLE app RENAME TO password",
        ] {
            assert!(rows(other, Pg).is_empty(), "{other}");
        }
    }

    #[test]
    fn postgresql_verifiers_are_hashes() {
        let scram = "SCRAM-SHA-256$4096:IKfxzJ8Nq4PkLJCfgKcPmA==$iRw3qwTp18uaBnsTOEExbtgWdKeBMbSSnZvqD4sdqLQ=:hPciC1CcnBna3szR8Mf3MVc8t9W7QPbIHDMMrh1VK/A=";
        let p = passwords(
            format!("ALTER USER \"u\" PASSWORD '{scram}'").as_bytes(),
            Pg,
        );
        assert_eq!(p[0].kind, Hash);
        assert_eq!(p[0].scheme.as_deref(), Some("SCRAM-SHA-256"));
        let h = p[0].hashcat.as_ref().unwrap();
        assert_eq!((h.mode, h.hash.as_str()), (28600, scram));
        let p = passwords(
            b"CREATE ROLE bob PASSWORD 'md5A6343A68D964CA596D9752250D54BB8A'",
            Pg,
        );
        let h = p[0].hashcat.as_ref().unwrap();
        assert_eq!(
            (h.mode, h.hash.as_str()),
            (12, "a6343a68d964ca596d9752250d54bb8a:bob")
        );
        assert_eq!(p[0].kind, Hash);
    }

    #[test]
    fn mysql_accounts() {
        let create = "CREATE USER ... IDENTIFIED";
        assert_eq!(
            rows(
                "CREATE USER IF NOT EXISTS 'app'@'10.%' IDENTIFIED BY 'My\\'Sql-1', bob IDENTIFIED BY \"two\"",
                Mysql
            ),
            vec![
                row(0, Some("app"), create, Clear, "My'Sql-1"),
                row(0, Some("bob"), create, Clear, "two"),
            ]
        );
        let p = passwords(b"ALTER USER `ops`@`localhost` IDENTIFIED WITH mysql_native_password BY 'n3w' REPLACE 'cur'", Mysql);
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].host.as_deref(), Some(&b"localhost"[..]));
        assert_eq!(p[1].mechanism, "ALTER USER ... IDENTIFIED ... REPLACE");
        assert_eq!(p[1].secret, b"cur");
        // MariaDB.
        assert_eq!(
            rows(
                "alter user maria@localhost identified via ed25519 using password('ed-pw')",
                Mysql
            ),
            vec![row(
                0,
                Some("maria"),
                "ALTER USER ... IDENTIFIED",
                Clear,
                "ed-pw"
            )]
        );
        assert_eq!(
            rows(
                "GRANT ALL ON db.* TO 'old'@'%' IDENTIFIED BY 'grant-pw'",
                Mysql
            ),
            vec![row(
                0,
                Some("old"),
                "GRANT ... IDENTIFIED",
                Clear,
                "grant-pw"
            )]
        );
        // Hashes.
        let native = "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19";
        for text in [
            format!("CREATE USER h IDENTIFIED BY PASSWORD '{native}'"),
            format!("CREATE USER h IDENTIFIED WITH mysql_native_password AS '{native}'"),
            format!("SET PASSWORD FOR h = '{native}'"),
        ] {
            let p = passwords(text.as_bytes(), Mysql);
            assert_eq!(p.len(), 1, "{text}");
            assert_eq!(p[0].kind, Hash, "{text}");
            let h = p[0].hashcat.as_ref().unwrap();
            assert_eq!(
                (h.mode, h.hash.as_str()),
                (300, "2470c0c06dee42fd1618bb99005adca2ec9d1e19")
            );
        }
        let p = passwords(
            b"CREATE USER c IDENTIFIED WITH caching_sha2_password AS '$A$005$xyz'",
            Mysql,
        );
        assert_eq!(p[0].kind, Hash);
        assert_eq!(p[0].scheme.as_deref(), Some("caching_sha2_password"));
        assert_eq!(p[0].hashcat, None);
        // SET PASSWORD, for another account and for the session's.
        assert_eq!(
            rows("SET PASSWORD FOR 'web'@'%' = PASSWORD('w3b-pw')", Mysql),
            vec![row(0, Some("web"), "SET PASSWORD", Clear, "w3b-pw")]
        );
        assert_eq!(
            rows("set password = 'mine-2' # trailing comment", Mysql),
            vec![row(0, None, "SET PASSWORD", Clear, "mine-2")]
        );
        // No password.
        for other in [
            "CREATE USER s IDENTIFIED WITH auth_socket",
            "SELECT password FROM mysql.user",
            "INSERT INTO t VALUES ('IDENTIFIED BY')",
            "CREATE USER e IDENTIFIED BY ''",
        ] {
            assert!(rows(other, Mysql).is_empty(), "{other}");
        }
    }

    #[test]
    fn statements_are_counted_and_lexing_never_panics() {
        assert_eq!(statement_count(b"SELECT 1; SELECT 2;", Pg), 2);
        assert_eq!(statement_count(b"SELECT ';'", Pg), 1);
        assert_eq!(statement_count(b"SELECT 1;; ;SELECT 2", Pg), 2);
        assert_eq!(statement_count(b"", Pg), 1);
        for text in [
            &b"'"[..],
            b"$",
            b"$a",
            b"$a$ unterminated",
            b"/* open",
            b"E'\\",
            b"ALTER ROLE",
            b"ALTER ROLE x PASSWORD",
            b"SET PASSWORD FOR",
            b"IDENTIFIED",
            b"CREATE USER 'a'@ IDENTIFIED BY",
            b"\xff\xfe password identified",
        ] {
            for d in [Pg, Mysql] {
                let _ = passwords(text, d);
                let _ = statement_count(text, d);
            }
        }
    }
}
