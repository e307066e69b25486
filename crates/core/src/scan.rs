//! Validation of a message's msgpack without building values (PROTOCOL.md
//! §4-5), with the same verdicts as the TypeScript decoder that decodes it
//! later when the application reads it (ts/base/js/msgpack-decode.ts), so a
//! message that passes here always decodes there. It also reads the header
//! items a node routes by: main flag, sender, time and sub-flag.
//!
//! The TypeScript decoder's rules: values at most 512 levels deep, at most
//! `max_values` values (a map entry counts two), an array or map may not claim
//! more items than bytes remain, str is valid UTF-8, 0xc1 is reserved, map
//! keys are scalars (nil, bool, number, str, bin), no trailing bytes; and a
//! message is an array.

use crate::error::{Error, Result};

/// Deepest value the TypeScript decoder accepts (the top value is at depth 0).
const MAX_DEPTH: usize = 512;
/// Largest integer a JS number holds exactly: beyond it the decoder gives a bigint.
const MAX_SAFE: u64 = (1 << 53) - 1;

/// The routing header of a message `[main flag, sender, time, sub-flag, ...]`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Header {
    /// The first four items have the usual types (integers, str/bin, a finite
    /// number, an integer): the fields below hold them. Otherwise the caller
    /// decodes the message fully to route it.
    pub usual: bool,
    pub main_flag: i32,
    /// Byte range of the sender in the msgpack bytes, and whether it was bin.
    pub sender_start: usize,
    pub sender_len: usize,
    pub sender_is_bin: bool,
    pub time: f64,
    pub sub_flag: i32,
}

/// A validated message: how many values it holds, and its header.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Scanned {
    pub values: usize,
    pub header: Header,
}

/// What one value was, as far as a header cares.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Int(i64),
    BigInt,
    Float(f64),
    Text {
        start: usize,
        len: usize,
        bin: bool,
    },
    Scalar,
    Ext,
    /// A container holding `n` items (map: 2 per entry).
    Container {
        n: u64,
        map: bool,
    },
}

/// An array or map still being read.
struct Open {
    left: u64,
    map: bool,
    key_next: bool,
}

struct Scanner<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn fail(&self, what: impl AsRef<str>) -> Error {
        Error::BadMsgpack(format!(
            "malformed msgpack at byte {} of {}: {}",
            self.pos,
            self.buf.len(),
            what.as_ref()
        ))
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<usize> {
        if n > self.remaining() {
            return Err(self.fail(format!(
                "needs {n} more bytes, only {} remain (truncated)",
                self.remaining()
            )));
        }
        let at = self.pos;
        self.pos += n;
        Ok(at)
    }

    fn uint(&mut self, width: usize) -> Result<u64> {
        let at = self.take(width)?;
        Ok(self.buf[at..at + width]
            .iter()
            .fold(0u64, |n, b| (n << 8) | *b as u64))
    }

    fn int(&mut self, width: usize) -> Result<i64> {
        let u = self.uint(width)?;
        let shift = 64 - 8 * width as u32;
        Ok(((u << shift) as i64) >> shift)
    }

    fn text(&mut self, len: usize, bin: bool) -> Result<Kind> {
        let start = self.take(len)?;
        if !bin && std::str::from_utf8(&self.buf[start..start + len]).is_err() {
            self.pos = start;
            return Err(self.fail("str is not valid UTF-8"));
        }
        Ok(Kind::Text { start, len, bin })
    }

    fn ext(&mut self, len: usize) -> Result<Kind> {
        self.take(len + 1)?;
        Ok(Kind::Ext)
    }

    fn container(&mut self, n: u64, map: bool) -> Result<Kind> {
        let items = if map { 2 * n } else { n };
        if items > self.remaining() as u64 {
            let what = if map { "map" } else { "array" };
            return Err(self.fail(format!(
                "{what} claims {n} {} but only {} bytes remain",
                if map { "entries" } else { "items" },
                self.remaining()
            )));
        }
        Ok(Kind::Container { n: items, map })
    }

    fn unsigned(&mut self, width: usize) -> Result<Kind> {
        let v = self.uint(width)?;
        Ok(if v <= MAX_SAFE {
            Kind::Int(v as i64)
        } else {
            Kind::BigInt
        })
    }

    fn signed(&mut self, width: usize) -> Result<Kind> {
        let v = self.int(width)?;
        Ok(if v.unsigned_abs() <= MAX_SAFE {
            Kind::Int(v)
        } else {
            Kind::BigInt
        })
    }

    /// One token: a scalar, or a container header.
    fn item(&mut self) -> Result<Kind> {
        let t = self.buf[self.take(1)?];
        Ok(match t {
            0x00..=0x7f => Kind::Int(t as i64),
            0x80..=0x8f => self.container((t & 0x0f) as u64, true)?,
            0x90..=0x9f => self.container((t & 0x0f) as u64, false)?,
            0xa0..=0xbf => self.text((t & 0x1f) as usize, false)?,
            0xc0 | 0xc2 | 0xc3 => Kind::Scalar,
            0xc4..=0xc6 => {
                let n = self.uint(1 << (t - 0xc4))? as usize;
                self.text(n, true)?
            }
            0xc7..=0xc9 => {
                let n = self.uint(1 << (t - 0xc7))? as usize;
                self.ext(n)?
            }
            0xca => Kind::Float(f32::from_bits(self.uint(4)? as u32) as f64),
            0xcb => Kind::Float(f64::from_bits(self.uint(8)?)),
            0xcc..=0xcf => self.unsigned(1 << (t - 0xcc))?,
            0xd0..=0xd3 => self.signed(1 << (t - 0xd0))?,
            0xd4..=0xd8 => self.ext(1 << (t - 0xd4))?,
            0xd9..=0xdb => {
                let n = self.uint(1 << (t - 0xd9))? as usize;
                self.text(n, false)?
            }
            0xdc | 0xdd => {
                let n = self.uint(if t == 0xdc { 2 } else { 4 })?;
                self.container(n, false)?
            }
            0xde | 0xdf => {
                let n = self.uint(if t == 0xde { 2 } else { 4 })?;
                self.container(n, true)?
            }
            0xe0..=0xff => Kind::Int(t as i8 as i64),
            0xc1 => {
                self.pos -= 1;
                return Err(self.fail("reserved type byte 0xc1"));
            }
        })
    }
}

/// The time of a message `[main flag, sender, time, ...]` read from its
/// first bytes alone, without validating anything (the sender's UTF-8 is
/// checked by the scan): what `scan_message` gives as the header's time when
/// the header is usual. The reader uses it to start loading the duplicate
/// filter's slot before the scan; a wrong answer only loads the wrong slot.
pub fn peek_time(b: &[u8]) -> Option<f64> {
    let at = match *b.first()? {
        0x90..=0x9f => 1,
        0xdc => 3,
        0xdd => 5,
        _ => return None,
    };
    let at = at + int_width(*b.get(at)?)?; // main flag
    let at = at + text_width(b, at)?; // sender
    let be = |n: usize| -> Option<u64> {
        Some(
            b.get(at + 1..at + 1 + n)?
                .iter()
                .fold(0u64, |v, x| (v << 8) | *x as u64),
        )
    };
    let t = *b.get(at)?;
    let time = match t {
        0x00..=0x7f => t as f64,
        0xe0..=0xff => t as i8 as f64,
        0xcc..=0xcf => be(1 << (t - 0xcc))? as f64,
        0xd0..=0xd3 => {
            let n = 1 << (t - 0xd0);
            let shift = 64 - 8 * n as u32;
            (((be(n)? << shift) as i64) >> shift) as f64
        }
        0xca => f32::from_bits(be(4)? as u32) as f64,
        0xcb => f64::from_bits(be(8)?),
        _ => return None,
    };
    time.is_finite().then_some(time)
}

/// Bytes of an int starting with type byte `t`, or None when it is no int.
fn int_width(t: u8) -> Option<usize> {
    match t {
        0x00..=0x7f | 0xe0..=0xff => Some(1),
        0xcc..=0xcf => Some(1 + (1 << (t - 0xcc))),
        0xd0..=0xd3 => Some(1 + (1 << (t - 0xd0))),
        _ => None,
    }
}

/// Bytes of the str or bin at `at`, header included, or None.
fn text_width(b: &[u8], at: usize) -> Option<usize> {
    let t = *b.get(at)?;
    let len = |n: usize| -> Option<usize> {
        Some(
            b.get(at + 1..at + 1 + n)?
                .iter()
                .fold(0usize, |v, x| (v << 8) | *x as usize),
        )
    };
    Some(match t {
        0xa0..=0xbf => 1 + (t & 0x1f) as usize,
        0xd9 | 0xc4 => 2 + len(1)?,
        0xda | 0xc5 => 3 + len(2)?,
        0xdb | 0xc6 => 5 + len(4)?,
        _ => return None,
    })
}

fn small_int(k: Kind) -> Option<i32> {
    match k {
        Kind::Int(v) => i32::try_from(v).ok(),
        _ => None,
    }
}

fn header_of(items: &[Kind; 4], count: u64) -> Header {
    let mut h = Header::default();
    let (Some(main), Kind::Text { start, len, bin }, Some(sub)) =
        (small_int(items[0]), items[1], small_int(items[3]))
    else {
        return h;
    };
    let time = match items[2] {
        Kind::Int(v) => v as f64,
        Kind::Float(f) if f.is_finite() => f,
        _ => return h,
    };
    if count < 4 {
        return h;
    }
    h = Header {
        usual: true,
        main_flag: main,
        sender_start: start,
        sender_len: len,
        sender_is_bin: bin,
        time,
        sub_flag: sub,
    };
    h
}

/// Validate `bytes` as a message (a msgpack array) holding at most
/// `max_values` values; read its header. Errors: ERR_BAD_MSGPACK,
/// ERR_ELEMENT_LIMIT, as the TypeScript decoder would give.
pub fn scan_message(bytes: &[u8], max_values: usize) -> Result<Scanned> {
    let mut s = Scanner { buf: bytes, pos: 0 };
    let mut stack: Vec<Open> = Vec::new();
    let mut budget = max_values;
    let mut values = 0usize;
    let mut head = [Kind::Scalar; 4];
    let mut top: Option<Kind> = None;
    loop {
        if stack.len() > MAX_DEPTH {
            return Err(s.fail(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        budget = budget.checked_sub(1).ok_or(Error::ElementLimit {
            len: bytes.len(),
            limit: max_values,
        })?;
        values += 1;
        let key = stack.last().is_some_and(|o| o.map && o.key_next);
        let kind = s.item()?;
        if key && matches!(kind, Kind::Container { .. } | Kind::Ext) {
            return Err(s.fail("map key must be str, bin, number, bool or nil; arrays, maps and ext are not accepted as keys"));
        }
        if stack.len() == 1 && !stack[0].map {
            // an item of the top-level array: the first four are the header
            let index = top_items(&top) - stack[0].left;
            if index < 4 {
                head[index as usize] = kind;
            }
        }
        if top.is_none() {
            top = Some(kind);
        }
        if let Some(o) = stack.last_mut() {
            o.left -= 1;
            if o.map {
                o.key_next = !o.key_next;
            }
        }
        if let Kind::Container { n, map } = kind {
            if n > 0 {
                stack.push(Open {
                    left: n,
                    map,
                    key_next: true,
                });
            }
        }
        while stack.last().is_some_and(|o| o.left == 0) {
            stack.pop();
        }
        if stack.is_empty() {
            break;
        }
    }
    if s.pos != bytes.len() {
        return Err(s.fail(format!(
            "{} trailing bytes after the value",
            bytes.len() - s.pos
        )));
    }
    match top {
        Some(Kind::Container { n, map: false }) => Ok(Scanned {
            values,
            header: header_of(&head, n),
        }),
        _ => Err(Error::BadMsgpack(
            "message body is not a msgpack array [msg_type, sender, time, ...payload]".into(),
        )),
    }
}

/// Items of the top-level array (0 when the top value is not an array).
fn top_items(top: &Option<Kind>) -> u64 {
    match top {
        Some(Kind::Container { n, map: false }) => *n,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgpack::{encode, Value};

    fn msg(items: Vec<Value>) -> Vec<u8> {
        encode(&Value::Array(items)).unwrap()
    }

    #[test]
    fn header_of_a_usual_message() {
        let b = msg(vec![
            Value::UInt(0),
            Value::Str("sender".into()),
            Value::UInt(1_700_000_000),
            Value::UInt(2),
            Value::Str("x".into()),
        ]);
        let s = scan_message(&b, usize::MAX).unwrap();
        assert_eq!(s.values, 6);
        let h = s.header;
        assert!(h.usual);
        assert_eq!((h.main_flag, h.sub_flag, h.time), (0, 2, 1_700_000_000.0));
        assert_eq!(&b[h.sender_start..h.sender_start + h.sender_len], b"sender");
        assert!(!h.sender_is_bin);
    }

    #[test]
    fn peek_time_is_the_headers_time() {
        for time in [
            Value::UInt(1_700_000_000),
            Value::F64(1_700_000_000.5),
            Value::Int(-3),
        ] {
            let b = msg(vec![
                Value::UInt(0),
                Value::Bin(b"sender".to_vec()),
                time,
                Value::UInt(0),
            ]);
            assert_eq!(
                peek_time(&b),
                Some(scan_message(&b, usize::MAX).unwrap().header.time)
            );
        }
        assert_eq!(
            peek_time(&msg(vec![
                Value::UInt(0),
                Value::Str("s".into()),
                Value::Nil
            ])),
            None
        );
        assert_eq!(peek_time(&msg(vec![Value::UInt(0)])), None);
        assert_eq!(peek_time(&encode(&Value::UInt(5)).unwrap()), None);
        assert_eq!(peek_time(&[0x94, 0x00]), None);
    }

    #[test]
    fn unusual_headers_are_left_to_the_full_decoder() {
        for items in [
            vec![
                Value::F64(0.0),
                Value::Str("s".into()),
                Value::UInt(1),
                Value::UInt(2),
            ],
            vec![
                Value::UInt(0),
                Value::UInt(1),
                Value::UInt(1),
                Value::UInt(2),
            ],
            vec![
                Value::UInt(0),
                Value::Str("s".into()),
                Value::Nil,
                Value::UInt(2),
            ],
            vec![
                Value::UInt(0),
                Value::Str("s".into()),
                Value::UInt(u64::MAX),
                Value::UInt(2),
            ],
            vec![Value::UInt(0), Value::Str("s".into()), Value::UInt(1)],
        ] {
            assert!(!scan_message(&msg(items), usize::MAX).unwrap().header.usual);
        }
    }

    #[test]
    fn the_decoders_errors() {
        let code = |b: &[u8], max: usize| scan_message(b, max).unwrap_err().code();
        assert_eq!(code(&[0x01], 10), "ERR_BAD_MSGPACK"); // not an array
        assert_eq!(code(&[0x92, 0x01], 10), "ERR_BAD_MSGPACK"); // truncated
        assert_eq!(code(&[0x91, 0xc1], 10), "ERR_BAD_MSGPACK"); // reserved
        assert_eq!(code(&[0x91, 0xa1, 0xff], 10), "ERR_BAD_MSGPACK"); // invalid UTF-8
        assert_eq!(code(&[0x90, 0x00], 10), "ERR_BAD_MSGPACK"); // trailing
        assert_eq!(code(&[0x91, 0x81, 0x90, 0x01], 10), "ERR_BAD_MSGPACK"); // array as a map key
        assert_eq!(code(&[0xdd, 0, 0x10, 0, 0, 1, 2], 3), "ERR_BAD_MSGPACK"); // claims more than remain, before the budget
        assert_eq!(code(&[0x93, 1, 2, 3], 3), "ERR_ELEMENT_LIMIT");
        assert!(scan_message(&[0x93, 1, 2, 3], 4).is_ok());
        // nesting: a value at depth 512 is fine, 513 is not
        let mut deep = vec![0x91; 512];
        deep.push(0x90);
        assert!(scan_message(&deep, usize::MAX).is_ok());
        let mut deeper = vec![0x91; 513];
        deeper.push(0x90);
        assert_eq!(code(&deeper, usize::MAX), "ERR_BAD_MSGPACK");
    }
}
