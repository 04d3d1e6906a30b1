//! The TDS `RPC` request ([MS-TDS] 2.2.6.6, packet type 0x03): how clients call stored
//! procedures and run parameterised SQL. Pure functions over a request's payload.
//!
//! A request is `ALL_HEADERS`, then calls separated by a batch flag: each names its
//! procedure (UTF-16LE) or gives a well-known ProcID (`sp_executesql` is 10,
//! `sp_prepexec` 13), then option flags, then its parameters — each a name (empty when
//! positional), status flags, a `TYPE_INFO` and a value. What reads passwords here:
//!
//! - a call of a procedure by name (ADO.NET's `CommandType.StoredProcedure`, db-lib's
//!   `dbrpcinit`, DB-API `callproc`): written as the T-SQL `EXEC` it stands for, so that
//!   `sp_setapprole`, `sp_addlogin`, `sp_password`, `sp_addlinkedsrvlogin`... are read by
//!   the T-SQL dialect of [`super::sql`] with their named or positional arguments;
//! - `sp_executesql` and `sp_prepexec` (parameterised queries from ODBC, JDBC, ADO.NET
//!   and the Python drivers): the statement text, with the values of its parameters
//!   (`@P1`...) written in where they are used, as the server runs it.
//!
//! String parameters (`NVARCHAR`, `NCHAR`, `VARCHAR`, `CHAR`, also as `MAX` in chunks),
//! integers and NULLs are read; a parameter of any other type stands as NULL, and one
//! whose type is not known to this reader ends the call's parameters. The same reader
//! passes over the `RETURNVALUE` tokens of an answer (an output parameter:
//! `sp_prepexec`'s new handle), so the call's final `DONEPROC` is reached.

/// A parameter's value, as far as the reader needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Int(i64),
    /// NULL, or a value of a type not read (binary, dates, decimals...).
    Null,
}

/// One call of an RPC request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The procedure's name, or a ProcID's (`sp_executesql`...).
    pub procedure: String,
    /// (name, with its `@`, or empty; value).
    pub params: Vec<(String, Value)>,
}

/// Calls read per request, and parameters per call.
const MAX_CALLS: usize = 16;
const MAX_PARAMS: usize = 64;
/// Longest string value read (characters).
const MAX_STRING: usize = 64 << 10;

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// The name of a well-known ProcID (2.2.6.6).
fn proc_name(id: u16) -> String {
    match id {
        1 => "sp_cursor",
        2 => "sp_cursoropen",
        3 => "sp_cursorprepare",
        4 => "sp_cursorexecute",
        5 => "sp_cursorprepexec",
        6 => "sp_cursorunprepare",
        7 => "sp_cursorfetch",
        8 => "sp_cursoroption",
        9 => "sp_cursorclose",
        10 => "sp_executesql",
        11 => "sp_prepare",
        12 => "sp_execute",
        13 => "sp_prepexec",
        14 => "sp_prepexecrpc",
        15 => "sp_unprepare",
        _ => return format!("procid {id}"),
    }
    .to_string()
}

/// Where the calls start: after `ALL_HEADERS` (TDS 7.2 and later), or at once.
fn after_headers(p: &[u8]) -> usize {
    match (le32(p, 0), le32(p, 4)) {
        (Some(total), Some(first))
            if total >= 4 + 6 && total as usize <= p.len() && first >= 6 && first <= total - 4 =>
        {
            total as usize
        }
        _ => 0,
    }
}

/// The calls of an RPC request's payload, as far as they read.
pub fn calls(p: &[u8]) -> Vec<Call> {
    let mut out = Vec::new();
    let mut at = after_headers(p);
    while out.len() < MAX_CALLS {
        let Some((call, next)) = call(p, at) else {
            break;
        };
        out.push(call);
        // Calls are separated by a batch flag (0x80, or 0xFF: NoExec).
        match p.get(next) {
            Some(0x80 | 0xff) => at = next + 1,
            _ => break,
        }
    }
    out
}

fn call(p: &[u8], mut at: usize) -> Option<(Call, usize)> {
    let len = le16(p, at)?;
    at += 2;
    let procedure = if len == 0xffff {
        let id = le16(p, at)?;
        at += 2;
        proc_name(id)
    } else {
        let name = p.get(at..at + 2 * usize::from(len))?;
        at += name.len();
        utf16(name)
    };
    at += 2; // option flags
    let mut params = Vec::new();
    while params.len() < MAX_PARAMS && at < p.len() && !matches!(p[at], 0x80 | 0xff) {
        match param(p, at) {
            Some((name, value, next)) => {
                params.push((name, value));
                at = next;
            }
            None => {
                at = p.len();
                break;
            }
        }
    }
    Some((Call { procedure, params }, at))
}

/// One parameter at `at`: its name, value and where the next starts.
fn param(p: &[u8], mut at: usize) -> Option<(String, Value, usize)> {
    let chars = usize::from(*p.get(at)?);
    let name = utf16(p.get(at + 1..at + 1 + 2 * chars)?);
    at += 1 + 2 * chars + 1; // the name, the status flags
    let (value, next) = typed_value(p, at)?;
    Some((name, value, next))
}

/// Where a `RETURNVALUE` token at `at` ends (2.2.7.18: an output parameter's value, as
/// `sp_prepexec` returns its handle): its ordinal, name, status, user type (4 bytes from
/// TDS 7.2 on when `wide`, else 2), flags, then a `TYPE_INFO` and a value as a
/// parameter's. `None` when its type is not one read here.
pub fn return_value_end(p: &[u8], at: usize, wide: bool) -> Option<usize> {
    // The token, the ordinal, then the name (B_VARCHAR).
    let chars = usize::from(*p.get(at + 3)?);
    let user_type = if wide { 4 } else { 2 };
    let at = at + 4 + 2 * chars + 1 + user_type + 2;
    typed_value(p, at).map(|(_, next)| next)
}

/// A `TYPE_INFO` and its value at `at`: the value, and where what follows starts.
fn typed_value(p: &[u8], mut at: usize) -> Option<(Value, usize)> {
    let ty = *p.get(at)?;
    at += 1;
    let (value, next) = match ty {
        // Fixed length: INT1, BIT, INT2, INT4, INT8; FLT4, FLT8, MONEY, MONEY4, DATETIME,
        // DATETIM4.
        0x30 | 0x32 | 0x34 | 0x38 | 0x7f | 0x3b | 0x3e | 0x3c | 0x7a | 0x3d | 0x3a => {
            let size = match ty {
                0x30 | 0x32 => 1,
                0x34 => 2,
                0x38 | 0x3b | 0x7a | 0x3a => 4,
                _ => 8,
            };
            let data = p.get(at..at + size)?;
            let value = match ty {
                0x30 | 0x32 | 0x34 | 0x38 | 0x7f => Value::Int(le_int(data)),
                _ => Value::Null,
            };
            (value, at + size)
        }
        // A byte of maximum length, then a byte of length: INTN, BITN, FLTN, MONEYN,
        // DATETIMN, GUID; DECIMALN and NUMERICN add precision and scale; DATE has no
        // maximum; TIME, DATETIME2 and DATETIMEOFFSET a scale instead.
        0x26 | 0x68 | 0x6d | 0x6e | 0x6f | 0x24 | 0x6a | 0x6c | 0x28 | 0x29 | 0x2a | 0x2b => {
            let info = match ty {
                0x6a | 0x6c => 3,
                0x28 => 0,
                _ => 1,
            };
            at += info;
            let len = usize::from(*p.get(at)?);
            let data = p.get(at + 1..at + 1 + len)?;
            let value = match ty {
                0x26 | 0x68 if len > 0 => Value::Int(le_int(data)),
                _ => Value::Null,
            };
            (value, at + 1 + len)
        }
        // Two bytes of maximum length (0xFFFF: MAX, sent in chunks), a collation for the
        // character types: BIGVARCHAR, BIGCHAR, NVARCHAR, NCHAR; BIGVARBINARY, BIGBINARY.
        0xa7 | 0xaf | 0xe7 | 0xef | 0xa5 | 0xad => {
            let max = le16(p, at)?;
            let text = matches!(ty, 0xa7 | 0xaf | 0xe7 | 0xef);
            at += 2 + if text { 5 } else { 0 };
            let (data, next) = if max == 0xffff {
                plp(p, at)?
            } else {
                match le16(p, at)? {
                    0xffff => (None, at + 2),
                    len => {
                        let d = p.get(at + 2..at + 2 + usize::from(len))?;
                        (Some(d.to_vec()), at + 2 + usize::from(len))
                    }
                }
            };
            let value = match data {
                Some(d) if matches!(ty, 0xe7 | 0xef) => {
                    Value::Str(utf16(&d[..d.len().min(2 * MAX_STRING)]))
                }
                // Single-byte strings in the column's code page: Latin-1 is the usual.
                Some(d) if text => {
                    Value::Str(d.iter().take(MAX_STRING).map(|&b| char::from(b)).collect())
                }
                _ => Value::Null,
            };
            (value, next)
        }
        _ => return None,
    };
    Some((value, next))
}

/// A little-endian integer of 1 to 8 bytes.
fn le_int(d: &[u8]) -> i64 {
    let mut b = [0u8; 8];
    b[..d.len().min(8)].copy_from_slice(&d[..d.len().min(8)]);
    let v = i64::from_le_bytes(b);
    match d.len() {
        1 => v & 0xff,
        2 => i64::from(v as i16),
        4 => i64::from(v as i32),
        _ => v,
    }
}

/// A partially length-prefixed value (2.2.5.2.3): a total length (all ones: NULL), then
/// chunks each behind its 4-byte length, ending with an empty one.
fn plp(p: &[u8], mut at: usize) -> Option<(Option<Vec<u8>>, usize)> {
    let total = le64(p, at)?;
    at += 8;
    if total == u64::MAX {
        return Some((None, at));
    }
    let mut data = Vec::new();
    loop {
        let len = le32(p, at)? as usize;
        at += 4;
        if len == 0 {
            return Some((Some(data), at));
        }
        let chunk = p.get(at..at + len)?;
        if data.len() < 4 * MAX_STRING {
            data.extend_from_slice(chunk);
        }
        at += len;
    }
}

/// A value as a T-SQL literal.
fn literal(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("N'{}'", s.replace('\'', "''")),
        Value::Int(i) => i.to_string(),
        Value::Null => "NULL".to_string(),
    }
}

/// The T-SQL a call stands for, for the statement reader: the text of `sp_executesql` or
/// `sp_prepexec` with its parameters' values written in, or `EXEC procedure arguments`.
/// `None` for the calls that carry no statement (`sp_execute`, cursors...).
pub fn text(c: &Call) -> Option<String> {
    let name = c.procedure.to_ascii_lowercase();
    let bare = name.rsplit('.').next().unwrap_or(&name);
    let (statement, declarations, values) = match bare {
        // @stmt, @params, then the values.
        "sp_executesql" => (0, 1, 2),
        // @handle, @params, @stmt, then the values.
        "sp_prepexec" => (2, 1, 3),
        b if b.starts_with("sp_cursor")
            || matches!(
                b,
                "sp_prepare" | "sp_execute" | "sp_unprepare" | "sp_prepexecrpc"
            )
            || b.starts_with("procid ") =>
        {
            return None;
        }
        _ => {
            let args: Vec<String> = c
                .params
                .iter()
                .map(|(n, v)| {
                    if n.is_empty() {
                        literal(v)
                    } else {
                        format!("{n} = {}", literal(v))
                    }
                })
                .collect();
            return Some(format!("EXEC {} {}", c.procedure, args.join(", ")));
        }
    };
    let Some((_, Value::Str(text))) = c.params.get(statement) else {
        return None;
    };
    // The values are named as declared in @params, in order, when sent unnamed.
    let declared: Vec<String> = match c.params.get(declarations) {
        Some((_, Value::Str(d))) => d
            .split(',')
            .filter_map(|p| p.split_whitespace().next())
            .filter(|n| n.starts_with('@'))
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    let values: Vec<(String, &Value)> = c
        .params
        .iter()
        .skip(values)
        .enumerate()
        .filter_map(|(i, (n, v))| {
            let name = if n.is_empty() {
                declared.get(i)?.clone()
            } else {
                n.clone()
            };
            Some((name, v))
        })
        .collect();
    Some(substitute(text, &values))
}

/// `text` with each `@name` of `values` (outside string literals, comments and bracketed
/// names) replaced by its value's literal.
fn substitute(text: &str, values: &[(String, &Value)]) -> String {
    if values.is_empty() {
        return text.to_string();
    }
    let b = text.as_bytes();
    let word =
        |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'@' | b'#' | b'$') || c >= 0x80;
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'[' | b'"' => {
                let close = if b[i] == b'[' { b']' } else { b[i] };
                i += 1;
                while i < b.len() {
                    if b[i] == close {
                        if b.get(i + 1) == Some(&close) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = text[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            }
            b'@' if i == 0 || !word(b[i - 1]) => {
                let end = (i + 1..b.len()).find(|&j| !word(b[j])).unwrap_or(b.len());
                let name = &text[i..end];
                if let Some((_, v)) = values.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                    out.push_str(&text[copied..i]);
                    out.push_str(&literal(v));
                    copied = end;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    out.push_str(&text[copied.min(text.len())..]);
    out
}

/// Builders of RPC requests, for tests and the fixtures' generator.
pub mod build {
    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// A parameter: an `NVARCHAR(4000)` string, or NULL.
    pub fn nvarchar(name: &str, value: Option<&str>) -> Vec<u8> {
        let mut p = vec![u8::try_from(name.encode_utf16().count()).expect("a short name")];
        p.extend(utf16(name));
        p.extend([0, 0xe7, 0x40, 0x1f, 0x09, 0x04, 0xd0, 0x00, 0x34]);
        match value {
            Some(v) => {
                let v = utf16(v);
                p.extend(u16::try_from(v.len()).expect("a short value").to_le_bytes());
                p.extend(v);
            }
            None => p.extend([0xff, 0xff]),
        }
        p
    }

    /// An `INTN` (4-byte) parameter.
    pub fn int(name: &str, value: i32) -> Vec<u8> {
        let mut p = vec![u8::try_from(name.encode_utf16().count()).expect("a short name")];
        p.extend(utf16(name));
        p.extend([0, 0x26, 4, 4]);
        p.extend(value.to_le_bytes());
        p
    }

    /// An RPC request's payload (with `ALL_HEADERS`): calls of procedures by name, or by
    /// ProcID when the name is a number, each with its encoded parameters.
    pub fn request(calls: &[(&str, Vec<Vec<u8>>)]) -> Vec<u8> {
        let mut p = vec![0x16, 0, 0, 0, 0x12, 0, 0, 0, 0x02, 0];
        p.extend([0; 8]);
        p.extend([1, 0, 0, 0]);
        for (i, (procedure, params)) in calls.iter().enumerate() {
            if i > 0 {
                p.push(0x80);
            }
            match procedure.parse::<u16>() {
                Ok(id) => p.extend([0xff, 0xff].into_iter().chain(id.to_le_bytes())),
                Err(_) => {
                    let name = utf16(procedure);
                    p.extend(
                        u16::try_from(name.len() / 2)
                            .expect("a short name")
                            .to_le_bytes(),
                    );
                    p.extend(name);
                }
            }
            p.extend([0, 0]);
            for param in params {
                p.extend(param);
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;

    #[test]
    fn calls_by_name_and_by_procid_with_their_parameters() {
        let p = request(&[
            (
                "dbo.sp_setapprole",
                vec![
                    nvarchar("@rolename", Some("Payroll")),
                    nvarchar("@password", Some("Ap-pw'1")),
                ],
            ),
            (
                "10",
                vec![
                    nvarchar(
                        "",
                        Some("EXEC sp_addlogin @P1, @P2 -- @P1\nSELECT '@P2', [@P1]"),
                    ),
                    nvarchar("", Some("@P1 nvarchar(4000),@P2 nvarchar(4000)")),
                    nvarchar("", Some("bob")),
                    nvarchar("", Some("B0b-pw")),
                    int("@unused", -7),
                ],
            ),
        ]);
        let got = calls(&p);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].procedure, "dbo.sp_setapprole");
        assert_eq!(
            got[0].params[1],
            ("@password".to_string(), Value::Str("Ap-pw'1".to_string()))
        );
        assert_eq!(got[1].procedure, "sp_executesql");
        assert_eq!(got[1].params[4], ("@unused".to_string(), Value::Int(-7)));
        assert_eq!(
            text(&got[0]).unwrap(),
            "EXEC dbo.sp_setapprole @rolename = N'Payroll', @password = N'Ap-pw''1'"
        );
        assert_eq!(
            text(&got[1]).unwrap(),
            "EXEC sp_addlogin N'bob', N'B0b-pw' -- @P1\nSELECT '@P2', [@P1]"
        );
        // sp_prepexec: @handle, @params, @stmt, then the values by name.
        let p = request(&[(
            "13",
            vec![
                int("@handle", 0),
                nvarchar("", Some("@pw nvarchar(20)")),
                nvarchar("", Some("EXEC sp_password NULL, @pw")),
                nvarchar("@pw", Some("N3w")),
            ],
        )]);
        assert_eq!(
            text(&calls(&p)[0]).unwrap(),
            "EXEC sp_password NULL, N'N3w'"
        );
        // NULLs, MAX strings in chunks, calls carrying no statement.
        let mut max = vec![0u8];
        max.extend([0, 0xe7, 0xff, 0xff, 9, 4, 0xd0, 0, 0x34]);
        max.extend(6u64.to_le_bytes());
        max.extend(2u32.to_le_bytes());
        max.extend([b'a', 0]);
        max.extend(4u32.to_le_bytes());
        max.extend([b'b', 0, b'c', 0]);
        max.extend(0u32.to_le_bytes());
        let p = request(&[
            ("sp_x", vec![nvarchar("", None), max]),
            ("12", vec![int("", 1)]),
        ]);
        let got = calls(&p);
        assert_eq!(got[0].params[0].1, Value::Null);
        assert_eq!(got[0].params[1].1, Value::Str("abc".to_string()));
        assert_eq!(text(&got[0]).unwrap(), "EXEC sp_x NULL, N'abc'");
        assert_eq!(text(&got[1]), None);
    }

    #[test]
    fn malformed_requests_read_as_far_as_they_go() {
        let p = request(&[(
            "sp_setapprole",
            vec![nvarchar("", Some("r")), nvarchar("", Some("p"))],
        )]);
        for cut in 0..p.len() {
            let _ = calls(&p[..cut]);
        }
        // An unknown type ends the parameters, not the call.
        let mut odd = nvarchar("", Some("r"));
        odd.extend([0, 0, 0xf1, 1, 2, 3]);
        let got = calls(&request(&[("sp_x", vec![odd])]));
        assert_eq!(got[0].params.len(), 1);
        // A chunk length past the end, a name past the end.
        let mut bad = vec![0u8, 0, 0xe7, 0xff, 0xff, 9, 4, 0xd0, 0, 0x34];
        bad.extend(6u64.to_le_bytes());
        bad.extend(u32::MAX.to_le_bytes());
        assert!(calls(&request(&[("sp_x", vec![bad])]))[0].params.is_empty());
        assert!(
            calls(&[
                0x16, 0, 0, 0, 0x12, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x50, 0
            ])
            .is_empty()
        );
    }
}
