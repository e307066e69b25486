//! msgpack values, a shortest-form encoder and a decoder that is safe on
//! hostile input (PROTOCOL.md §5).
//!
//! The decoder never allocates more than the remaining input could fill,
//! limits nesting to [`MAX_DEPTH`], and rejects trailing bytes, invalid UTF-8
//! in str and the reserved byte 0xc1.

use crate::error::{Error, Result};

/// Deepest allowed nesting of arrays and maps (encode and decode).
pub const MAX_DEPTH: usize = 512;

/// A msgpack value. `Int` holds negative integers (and may hold any i64);
/// `UInt` is used for non-negative integers by the decoder.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    UInt(u64),
    F32(f32),
    F64(f64),
    Str(String),
    Bin(Vec<u8>),
    Array(Vec<Value>),
    Map(Vec<(Value, Value)>),
    Ext(i8, Vec<u8>),
}

/// Encoder options.
#[derive(Debug, Clone, Copy, Default)]
pub struct EncodeOptions {
    /// msgpack-lite 0.1.27 (js2p) number rules: integers outside
    /// [-2^31, 2^31-1] and all non-integral numbers become float64, and
    /// integral floats inside that range become ints.
    pub js2p_numbers: bool,
}

/// Encode with default options (py2p / u-msgpack rules).
pub fn encode(value: &Value) -> Result<Vec<u8>> {
    encode_with(value, EncodeOptions::default())
}

/// Encode with explicit options.
pub fn encode_with(value: &Value, opts: EncodeOptions) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    encode_into(value, opts, &mut out, 0)?;
    Ok(out)
}

fn len32(len: usize, what: &str) -> Result<u32> {
    u32::try_from(len).map_err(|_| {
        Error::MsgpackUnsupported(format!(
            "{what} of length {len} exceeds msgpack's 2^32-1 limit"
        ))
    })
}

fn put_uint(n: u64, out: &mut Vec<u8>) {
    if n < 0x80 {
        out.push(n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[0xcc, n as u8]);
    } else if n <= 0xffff {
        out.push(0xcd);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= 0xffff_ffff {
        out.push(0xce);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn put_int(n: i64, out: &mut Vec<u8>) {
    if n >= 0 {
        put_uint(n as u64, out);
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -(1 << 31) {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn put_f64(x: f64, out: &mut Vec<u8>) {
    out.push(0xcb);
    out.extend_from_slice(&x.to_be_bytes());
}

/// A float under js2p rules: int when integral and inside int32, else float64.
fn put_js2p_number(x: f64, out: &mut Vec<u8>) {
    if x.fract() == 0.0 && (-2147483648.0..=2147483647.0).contains(&x) {
        put_int(x as i64, out);
    } else {
        put_f64(x, out);
    }
}

fn put_len(len: u32, fix: Option<(u8, u32)>, codes: [u8; 3], out: &mut Vec<u8>) {
    match fix {
        Some((base, limit)) if len < limit => out.push(base | len as u8),
        _ if codes[0] != 0 && len <= 0xff => out.extend_from_slice(&[codes[0], len as u8]),
        _ if len <= 0xffff => {
            out.push(codes[1]);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(codes[2]);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
}

fn encode_into(value: &Value, opts: EncodeOptions, out: &mut Vec<u8>, depth: usize) -> Result<()> {
    match value {
        Value::Nil => out.push(0xc0),
        Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Int(n) if opts.js2p_numbers && !(-(1i64 << 31)..(1i64 << 31)).contains(n) => {
            put_f64(*n as f64, out)
        }
        Value::UInt(n) if opts.js2p_numbers && *n >= (1u64 << 31) => put_f64(*n as f64, out),
        Value::Int(n) => put_int(*n, out),
        Value::UInt(n) => put_uint(*n, out),
        Value::F32(x) if opts.js2p_numbers => put_js2p_number(*x as f64, out),
        Value::F64(x) if opts.js2p_numbers => put_js2p_number(*x, out),
        Value::F32(x) => {
            out.push(0xca);
            out.extend_from_slice(&x.to_be_bytes());
        }
        Value::F64(x) => put_f64(*x, out),
        Value::Str(s) => {
            put_len(
                len32(s.len(), "str")?,
                Some((0xa0, 32)),
                [0xd9, 0xda, 0xdb],
                out,
            );
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bin(b) => {
            put_len(len32(b.len(), "bin")?, None, [0xc4, 0xc5, 0xc6], out);
            out.extend_from_slice(b);
        }
        Value::Array(items) => {
            check_depth(depth)?;
            put_len(
                len32(items.len(), "array")?,
                Some((0x90, 16)),
                [0, 0xdc, 0xdd],
                out,
            );
            for item in items {
                encode_into(item, opts, out, depth + 1)?;
            }
        }
        Value::Map(pairs) => {
            check_depth(depth)?;
            put_len(
                len32(pairs.len(), "map")?,
                Some((0x80, 16)),
                [0, 0xde, 0xdf],
                out,
            );
            for (k, v) in pairs {
                encode_into(k, opts, out, depth + 1)?;
                encode_into(v, opts, out, depth + 1)?;
            }
        }
        Value::Ext(kind, data) => {
            let fixcode = match data.len() {
                1 => Some(0xd4),
                2 => Some(0xd5),
                4 => Some(0xd6),
                8 => Some(0xd7),
                16 => Some(0xd8),
                _ => None,
            };
            match fixcode {
                Some(code) => out.push(code),
                None => put_len(len32(data.len(), "ext")?, None, [0xc7, 0xc8, 0xc9], out),
            }
            out.push(*kind as u8);
            out.extend_from_slice(data);
        }
    }
    Ok(())
}

fn check_depth(depth: usize) -> Result<()> {
    if depth >= MAX_DEPTH {
        return Err(Error::MsgpackUnsupported(format!(
            "nesting deeper than {MAX_DEPTH} levels (is the structure cyclic?)"
        )));
    }
    Ok(())
}

/// Decode exactly one value; trailing bytes are an error.
pub fn decode(bytes: &[u8]) -> Result<Value> {
    decode_limited(bytes, usize::MAX)
}

/// Decode exactly one value holding at most `max_values` values (every
/// scalar and container counts one, a map entry two), so that a short body
/// cannot unfold into millions of values. Trailing bytes are an error.
///
/// Iterative (an explicit stack of open containers), so hostile nesting
/// cannot exhaust the native stack.
pub fn decode_limited(bytes: &[u8], max_values: usize) -> Result<Value> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let mut stack: Vec<Open> = Vec::new();
    let mut budget = max_values;
    loop {
        budget = budget.checked_sub(1).ok_or(Error::ElementLimit {
            len: bytes.len(),
            limit: max_values,
        })?;
        let mut value = match r.item()? {
            Item::Value(v) => v,
            Item::Array(_) | Item::Map(_) if stack.len() >= MAX_DEPTH => {
                return Err(Error::BadMsgpack(format!(
                    "nesting deeper than {MAX_DEPTH} levels at offset {}",
                    r.pos
                )));
            }
            Item::Array(0) => Value::Array(Vec::new()),
            Item::Map(0) => Value::Map(Vec::new()),
            Item::Array(n) => {
                // Every element takes at least one byte.
                let items = Vec::with_capacity(n.min(r.remaining()));
                stack.push(Open::Array(items, n));
                continue;
            }
            Item::Map(n) => {
                let pairs = Vec::with_capacity(n.min(r.remaining() / 2));
                stack.push(Open::Map(pairs, None, n));
                continue;
            }
        };
        // Attach the finished value to its parent, closing full containers.
        loop {
            match stack.last_mut() {
                None => {
                    if r.pos != bytes.len() {
                        return Err(Error::BadMsgpack(format!(
                            "{} trailing bytes after the value at offset {}",
                            bytes.len() - r.pos,
                            r.pos
                        )));
                    }
                    return Ok(value);
                }
                Some(Open::Array(items, n)) => {
                    items.push(value);
                    if items.len() < *n {
                        break;
                    }
                    value = Value::Array(std::mem::take(items));
                }
                Some(Open::Map(pairs, key, n)) => match key.take() {
                    None => {
                        *key = Some(value);
                        break;
                    }
                    Some(k) => {
                        pairs.push((k, value));
                        if pairs.len() < *n {
                            break;
                        }
                        value = Value::Map(std::mem::take(pairs));
                    }
                },
            }
            stack.pop();
        }
    }
}

/// A container being filled: collected items and the announced count.
enum Open {
    Array(Vec<Value>, usize),
    Map(Vec<(Value, Value)>, Option<Value>, usize),
}

/// One decoded token: a complete scalar or a container header.
enum Item {
    Value(Value),
    Array(usize),
    Map(usize),
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(Error::BadMsgpack(format!(
                "truncated: need {n} bytes at offset {} but only {} remain",
                self.pos,
                self.remaining()
            )));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("length checked"))
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn len(&mut self, width: usize) -> Result<usize> {
        Ok(match width {
            1 => self.u8()? as usize,
            2 => u16::from_be_bytes(self.array()?) as usize,
            _ => u32::from_be_bytes(self.array()?) as usize,
        })
    }

    fn item(&mut self) -> Result<Item> {
        let b = self.u8()?;
        Ok(Item::Value(match b {
            0x00..=0x7f => Value::UInt(b as u64),
            0x80..=0x8f => return Ok(Item::Map((b & 0x0f) as usize)),
            0x90..=0x9f => return Ok(Item::Array((b & 0x0f) as usize)),
            0xa0..=0xbf => self.str((b & 0x1f) as usize)?,
            0xc0 => Value::Nil,
            0xc1 => {
                return Err(Error::BadMsgpack(format!(
                    "reserved byte 0xc1 at offset {}",
                    self.pos - 1
                )))
            }
            0xc2 => Value::Bool(false),
            0xc3 => Value::Bool(true),
            0xc4..=0xc6 => {
                let n = self.len(1 << (b - 0xc4))?;
                Value::Bin(self.take(n)?.to_vec())
            }
            0xc7..=0xc9 => {
                let n = self.len(1 << (b - 0xc7))?;
                self.ext(n)?
            }
            0xca => Value::F32(f32::from_be_bytes(self.array()?)),
            0xcb => Value::F64(f64::from_be_bytes(self.array()?)),
            0xcc => Value::UInt(self.u8()? as u64),
            0xcd => Value::UInt(u16::from_be_bytes(self.array()?) as u64),
            0xce => Value::UInt(u32::from_be_bytes(self.array()?) as u64),
            0xcf => Value::UInt(u64::from_be_bytes(self.array()?)),
            0xd0 => Value::Int(self.u8()? as i8 as i64),
            0xd1 => Value::Int(i16::from_be_bytes(self.array()?) as i64),
            0xd2 => Value::Int(i32::from_be_bytes(self.array()?) as i64),
            0xd3 => Value::Int(i64::from_be_bytes(self.array()?)),
            0xd4..=0xd8 => self.ext(1 << (b - 0xd4))?,
            0xd9..=0xdb => {
                let n = self.len(1 << (b - 0xd9))?;
                self.str(n)?
            }
            0xdc | 0xdd => return Ok(Item::Array(self.len(if b == 0xdc { 2 } else { 4 })?)),
            0xde | 0xdf => return Ok(Item::Map(self.len(if b == 0xde { 2 } else { 4 })?)),
            0xe0..=0xff => Value::Int(b as i8 as i64),
        }))
    }

    fn str(&mut self, n: usize) -> Result<Value> {
        let start = self.pos;
        let bytes = self.take(n)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Value::Str(s.to_owned())),
            Err(e) => Err(Error::BadMsgpack(format!(
                "str at offset {start} is not valid UTF-8 ({e})"
            ))),
        }
    }

    fn ext(&mut self, n: usize) -> Result<Value> {
        let kind = self.u8()? as i8;
        Ok(Value::Ext(kind, self.take(n)?.to_vec()))
    }
}
