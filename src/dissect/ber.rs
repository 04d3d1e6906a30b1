//! A small, strict BER reader (X.690) for the ASN.1 protocols: LDAP, SNMP.
//!
//! Pure functions over bytes, bounds-checked, never panicking:
//! - identifier octets: the class, primitive or constructed, and the tag number, in the
//!   low-tag form (0..=30) or the high-tag form (31 and up, at most 4 subsequent octets,
//!   minimal as X.690 8.1.2.4 requires: a high-tag form for a number below 31 is
//!   rejected);
//! - length octets: the short form (0..=127) and the definite long form with 1 to 4 length
//!   octets (non-minimal long forms, such as Microsoft's `84 00 00 00 10`, are BER and
//!   accepted); the indefinite form (`80`) is rejected: LDAP (RFC 4511 section 5.1) and
//!   SNMP (RFC 3417 section 8) use definite lengths only, and refusing it means no
//!   end-of-contents search; more than 4 length octets and the reserved `ff` are rejected.
//!
//! [`validate`] walks a whole encoding recursively, with a depth limit.

/// The class of a tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Universal,
    Application,
    Context,
    Private,
}

/// Universal tag numbers used here.
pub const INTEGER: u32 = 2;
pub const OCTET_STRING: u32 = 4;
pub const NULL: u32 = 5;
pub const OID: u32 = 6;
pub const ENUMERATED: u32 = 10;
pub const SEQUENCE: u32 = 16;

/// The class and form of an identifier octet (X.690 section 8.1.2: the class in bits 8-7,
/// constructed in bit 6), whatever the form of its tag number.
fn identifier(first: u8) -> (Class, bool) {
    let class = match first >> 6 {
        0 => Class::Universal,
        1 => Class::Application,
        2 => Class::Context,
        _ => Class::Private,
    };
    (class, first & 0x20 != 0)
}

/// Whether `data` begins with an element of this class and form: what a probe asks of
/// the first byte before parsing (every datagram of a conversation of unknown protocol is
/// probed, a DNS query most often).
pub fn begins_with(data: &[u8], class: Class, constructed: bool) -> bool {
    data.first()
        .is_some_and(|&b| identifier(b) == (class, constructed))
}

/// Most length octets accepted in the long form.
pub const MAX_LENGTH_OCTETS: usize = 4;
/// Most subsequent octets accepted in a high-tag-number identifier.
const MAX_TAG_OCTETS: usize = 4;
/// Deepest nesting [`validate`] accepts.
pub const MAX_DEPTH: usize = 32;

/// Why bytes could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The bytes end before the element does: more may come.
    Incomplete,
    /// Not a valid (or not a supported) encoding.
    Invalid,
}

/// The identifier and length octets of an element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub class: Class,
    pub constructed: bool,
    pub tag: u32,
    /// Bytes of the identifier and length octets.
    pub header_len: usize,
    /// Bytes of the contents.
    pub len: usize,
}

impl Header {
    /// Bytes of the whole element.
    pub fn total(&self) -> Option<usize> {
        self.header_len.checked_add(self.len)
    }

    pub fn is(&self, class: Class, constructed: bool, tag: u32) -> bool {
        self.class == class && self.constructed == constructed && self.tag == tag
    }
}

/// Reads the identifier and length octets at the start of `data`.
pub fn header(data: &[u8]) -> Result<Header, Error> {
    let first = *data.first().ok_or(Error::Incomplete)?;
    let (class, constructed) = identifier(first);
    let mut at = 1;
    let tag = if first & 0x1f != 0x1f {
        u32::from(first & 0x1f)
    } else {
        let mut tag: u32 = 0;
        let mut n = 0;
        loop {
            let b = *data.get(at).ok_or(Error::Incomplete)?;
            at += 1;
            n += 1;
            if n == 1 && b == 0x80 {
                return Err(Error::Invalid); // leading zero bits: not minimal
            }
            if n > MAX_TAG_OCTETS {
                return Err(Error::Invalid);
            }
            tag = (tag << 7) | u32::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
        }
        if tag < 31 {
            return Err(Error::Invalid);
        }
        tag
    };
    let l = *data.get(at).ok_or(Error::Incomplete)?;
    at += 1;
    let len = match l {
        0..=0x7f => usize::from(l),
        0x80 => return Err(Error::Invalid), // indefinite
        0xff => return Err(Error::Invalid), // reserved
        _ => {
            let n = usize::from(l & 0x7f);
            if n > MAX_LENGTH_OCTETS {
                return Err(Error::Invalid);
            }
            let bytes = data.get(at..at + n).ok_or(Error::Incomplete)?;
            at += n;
            let mut v: u64 = 0;
            for &b in bytes {
                v = (v << 8) | u64::from(b);
            }
            usize::try_from(v).map_err(|_| Error::Invalid)?
        }
    };
    Ok(Header {
        class,
        constructed,
        tag,
        header_len: at,
        len,
    })
}

/// One element: its tag and its contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub class: Class,
    pub constructed: bool,
    pub tag: u32,
    pub value: &'a [u8],
}

impl<'a> Tlv<'a> {
    pub fn is(&self, class: Class, constructed: bool, tag: u32) -> bool {
        self.class == class && self.constructed == constructed && self.tag == tag
    }

    /// A reader over the elements inside a constructed element.
    pub fn children(&self) -> Reader<'a> {
        Reader::new(self.value)
    }
}

/// Reads the element at the start of `data`; returns it and the bytes after it.
pub fn read(data: &[u8]) -> Result<(Tlv<'_>, &[u8]), Error> {
    let h = header(data)?;
    let end = h.total().ok_or(Error::Invalid)?;
    let value = data.get(h.header_len..end).ok_or(Error::Incomplete)?;
    let rest = data.get(end..).unwrap_or_default();
    Ok((
        Tlv {
            class: h.class,
            constructed: h.constructed,
            tag: h.tag,
            value,
        },
        rest,
    ))
}

/// The elements of a sequence, one after the other. Within a complete outer element a
/// truncated inner element is invalid, not incomplete: callers get `None`.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { rest: data }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// The next element without consuming it.
    pub fn peek(&self) -> Option<Tlv<'a>> {
        read(self.rest).ok().map(|(t, _)| t)
    }

    /// The next element when it has this tag (consumed), else `None` (not consumed).
    pub fn next_tagged(&mut self, class: Class, constructed: bool, tag: u32) -> Option<Tlv<'a>> {
        let t = self.peek()?;
        if t.is(class, constructed, tag) {
            self.next()
        } else {
            None
        }
    }

    /// A primitive INTEGER.
    pub fn integer(&mut self) -> Option<i64> {
        integer(self.next_tagged(Class::Universal, false, INTEGER)?.value)
    }

    /// A primitive OCTET STRING.
    pub fn octet_string(&mut self) -> Option<&'a [u8]> {
        Some(
            self.next_tagged(Class::Universal, false, OCTET_STRING)?
                .value,
        )
    }

    /// A primitive ENUMERATED.
    pub fn enumerated(&mut self) -> Option<i64> {
        integer(self.next_tagged(Class::Universal, false, ENUMERATED)?.value)
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Tlv<'a>;

    /// The next element, or `None` at the end or on a bad encoding.
    fn next(&mut self) -> Option<Tlv<'a>> {
        let (tlv, rest) = read(self.rest).ok()?;
        self.rest = rest;
        Some(tlv)
    }
}

/// The value of INTEGER (or ENUMERATED) contents: two's complement, 1 to 8 octets.
pub fn integer(value: &[u8]) -> Option<i64> {
    if value.is_empty() || value.len() > 8 {
        return None;
    }
    let negative = value.first().is_some_and(|b| b & 0x80 != 0);
    let mut v: i64 = if negative { -1 } else { 0 };
    for &b in value {
        v = (v << 8) | i64::from(b);
    }
    Some(v)
}

/// Whether `data` is exactly a series of valid elements, constructed ones made of valid
/// elements in turn, nested at most `max_depth` deep (capped at [`MAX_DEPTH`]).
pub fn validate(data: &[u8], max_depth: usize) -> bool {
    walk(data, max_depth.min(MAX_DEPTH))
}

fn walk(mut data: &[u8], depth: usize) -> bool {
    while !data.is_empty() {
        let Ok((tlv, rest)) = read(data) else {
            return false;
        };
        if tlv.constructed && (depth == 0 || !walk(tlv.value, depth - 1)) {
            return false;
        }
        data = rest;
    }
    true
}

/// Encoders, for tests and fixtures.
pub mod build {
    /// An element with a raw identifier octet and contents, definite length (short or long
    /// form as needed).
    pub fn tlv(identifier: u8, value: &[u8]) -> Vec<u8> {
        let mut v = vec![identifier];
        v.extend_from_slice(&length(value.len()));
        v.extend_from_slice(value);
        v
    }

    /// Length octets of `len`, minimal.
    pub fn length(len: usize) -> Vec<u8> {
        if len < 0x80 {
            return vec![len as u8];
        }
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let mut v = vec![0x80 | (8 - skip) as u8];
        v.extend_from_slice(&bytes[skip..]);
        v
    }

    /// A SEQUENCE of already encoded elements.
    pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }

    pub fn octets(value: &[u8]) -> Vec<u8> {
        tlv(0x04, value)
    }

    /// An INTEGER, minimal two's complement.
    pub fn int(v: i64) -> Vec<u8> {
        tlv(0x02, &int_contents(v))
    }

    pub fn enumerated(v: i64) -> Vec<u8> {
        tlv(0x0a, &int_contents(v))
    }

    fn int_contents(v: i64) -> Vec<u8> {
        let bytes = v.to_be_bytes();
        let mut start = 0;
        while start < 7 {
            let (b, next) = (bytes[start], bytes[start + 1]);
            if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
                start += 1;
            } else {
                break;
            }
        }
        bytes[start..].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_byte_says_the_class_and_form_as_the_header_does() {
        assert!(begins_with(&[0x30, 0x00], Class::Universal, true));
        assert!(begins_with(&[0x6a], Class::Application, true));
        assert!(begins_with(&[0x7f, 0x81], Class::Application, true));
        assert!(!begins_with(&[0x02, 0x01, 0x00], Class::Universal, true));
        assert!(!begins_with(&[0xa0], Class::Application, true));
        assert!(!begins_with(&[], Class::Universal, true));
        for b in 0..=255u8 {
            let h = header(&[b, 0x01, 0x00, 0x00, 0x00]);
            if let Ok(h) = h {
                assert!(begins_with(&[b], h.class, h.constructed), "{b:#x}");
            }
        }
    }

    #[test]
    fn short_and_long_lengths() {
        let h = header(&[0x30, 0x05]).unwrap();
        assert_eq!(
            (h.class, h.constructed, h.tag),
            (Class::Universal, true, 16)
        );
        assert_eq!((h.header_len, h.len), (2, 5));
        let h = header(&[0x04, 0x81, 0x80]).unwrap();
        assert_eq!((h.header_len, h.len), (3, 128));
        // Microsoft's non-minimal 4-octet form is BER.
        let h = header(&[0x30, 0x84, 0, 0, 0, 0x10]).unwrap();
        assert_eq!((h.header_len, h.len), (6, 16));
        let h = header(&[0x04, 0x84, 0xff, 0xff, 0xff, 0xff]).unwrap();
        assert_eq!(h.len, 0xffff_ffff);
    }

    #[test]
    fn rejected_lengths() {
        assert_eq!(header(&[0x30, 0x80]), Err(Error::Invalid)); // indefinite
        assert_eq!(header(&[0x30, 0xff]), Err(Error::Invalid)); // reserved
        assert_eq!(header(&[0x30, 0x85, 0, 0, 0, 0, 1]), Err(Error::Invalid)); // 5 octets
    }

    #[test]
    fn incomplete_headers() {
        assert_eq!(header(&[]), Err(Error::Incomplete));
        assert_eq!(header(&[0x30]), Err(Error::Incomplete));
        assert_eq!(header(&[0x30, 0x82, 0x01]), Err(Error::Incomplete));
        assert_eq!(header(&[0x1f]), Err(Error::Incomplete));
        assert_eq!(header(&[0x1f, 0x81]), Err(Error::Incomplete));
        assert_eq!(
            read(&[0x04, 0x03, b'a', b'b']).err(),
            Some(Error::Incomplete)
        );
    }

    #[test]
    fn classes_and_tags() {
        let h = header(&[0x60, 0]).unwrap();
        assert_eq!(
            (h.class, h.constructed, h.tag),
            (Class::Application, true, 0)
        );
        let h = header(&[0x80, 0]).unwrap();
        assert_eq!((h.class, h.constructed, h.tag), (Class::Context, false, 0));
        let h = header(&[0xa3, 0]).unwrap();
        assert_eq!((h.class, h.constructed, h.tag), (Class::Context, true, 3));
        let h = header(&[0xc1, 0]).unwrap();
        assert_eq!(h.class, Class::Private);
        // High-tag form: 0x1f then base 128.
        let h = header(&[0x9f, 0x81, 0x00, 0x00]).unwrap();
        assert_eq!((h.class, h.tag, h.header_len), (Class::Context, 128, 4));
        let h = header(&[0x5f, 31, 0]).unwrap();
        assert_eq!(h.tag, 31);
        // A high-tag form for a low number, a leading 0x80, too many octets.
        assert_eq!(header(&[0xbf, 0x04, 0x00]), Err(Error::Invalid));
        assert_eq!(header(&[0xbf, 0x80, 0x04, 0x00]), Err(Error::Invalid));
        assert_eq!(
            header(&[0x1f, 0x81, 0x81, 0x81, 0x81, 0x01, 0]),
            Err(Error::Invalid)
        );
    }

    #[test]
    fn read_and_reader() {
        let data = build::seq(&[&build::int(5), &build::octets(b"public"), &[0x05, 0x00]]);
        let (tlv, rest) = read(&data).unwrap();
        assert!(rest.is_empty());
        assert!(tlv.is(Class::Universal, true, SEQUENCE));
        let mut r = tlv.children();
        assert_eq!(r.octet_string(), None); // an INTEGER comes first: not consumed
        assert_eq!(r.integer(), Some(5));
        assert_eq!(r.octet_string(), Some(&b"public"[..]));
        assert!(r.next_tagged(Class::Universal, false, NULL).is_some());
        assert!(r.is_empty());
        assert_eq!(r.next(), None);
        // Trailing bytes are returned, not swallowed.
        let (_, rest) = read(&[0x02, 0x01, 0x07, 0xaa]).unwrap();
        assert_eq!(rest, &[0xaa]);
    }

    #[test]
    fn integers() {
        assert_eq!(integer(&[0x00]), Some(0));
        assert_eq!(integer(&[0x7f]), Some(127));
        assert_eq!(integer(&[0x80]), Some(-128));
        assert_eq!(integer(&[0x00, 0x80]), Some(128));
        assert_eq!(integer(&[0xff, 0xff]), Some(-1));
        assert_eq!(integer(&[0x0a, 0x5e, 0x31, 0xe8]), Some(173_945_320));
        assert_eq!(integer(&[0x7f; 8]), Some(0x7f7f_7f7f_7f7f_7f7f));
        assert_eq!(integer(&[]), None);
        assert_eq!(integer(&[0; 9]), None);
        for v in [
            0,
            1,
            -1,
            127,
            128,
            -128,
            -129,
            255,
            256,
            65535,
            i64::MAX,
            i64::MIN,
        ] {
            let enc = build::int(v);
            let (t, _) = read(&enc).unwrap();
            assert_eq!(integer(t.value), Some(v), "{v}");
        }
    }

    #[test]
    fn lengths_round_trip() {
        for len in [0usize, 1, 127, 128, 255, 256, 65535, 65536, 1 << 24] {
            let mut enc = vec![0x04];
            enc.extend_from_slice(&build::length(len));
            let h = header(&enc).unwrap();
            assert_eq!(h.len, len);
            assert_eq!(h.header_len, enc.len());
        }
    }

    #[test]
    fn validate_walks_and_limits_depth() {
        let inner = build::seq(&[&build::int(1)]);
        let data = build::seq(&[&inner, &build::octets(b"x")]);
        assert!(validate(&data, 4));
        assert!(!validate(&data, 1));
        assert!(validate(&data, 2));
        let mut bad = data.clone();
        bad[1] += 1; // outer length past the end
        assert!(!validate(&bad, 4));
        let mut bad = data.clone();
        bad[3] = 0x09; // inner length past the outer end
        assert!(!validate(&bad, 4));
        assert!(validate(&[], 0));
        // A deep nest is rejected, not a stack overflow.
        let mut deep = build::int(0);
        for _ in 0..10_000 {
            deep = build::seq(&[&deep]);
        }
        assert!(!validate(&deep, usize::MAX));
    }

    #[test]
    fn never_panics_on_any_short_input() {
        // Every 1-, 2- and 3-byte input, and 4-byte inputs over interesting bytes.
        let interesting = [
            0x00, 0x01, 0x1f, 0x30, 0x7f, 0x80, 0x81, 0x84, 0x85, 0xbf, 0xff,
        ];
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let _ = header(&[a, b]);
                let _ = read(&[a, b]);
                for &c in &interesting {
                    let _ = read(&[a, b, c]);
                    let _ = validate(&[a, b, c], 8);
                    for &d in &interesting {
                        let _ = validate(&[a, b, c, d], 8);
                    }
                }
            }
        }
    }
}
