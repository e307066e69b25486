import { DecompressError, DecompressLimitError } from '../errors';

/**
 * Raw snappy block format (docs/protocol.md §5, flag 0x20). The compressor follows
 * the reference C++ snappy 1.1.2 (the version js2p's addon bundles) step for
 * step, so its output matches the originals' byte for byte.
 *
 * Own code, not a library (measured 2026-12-06; bench/README.md, "Codecs: library
 * or own code"). snappyjs 0.7.0: its compressor equals C++ snappy 1.1.2 on 427 of
 * 500 inputs (this file and the Rust port: 500, as js2p's 24 vectors need); its
 * decoder returns zero-padded output for 192 of 1 002 truncated streams and never
 * returns on a crafted 12-byte stream (a literal length that is negative as int32
 * moves the read position back; still looping after 60 s, maxLength set). The
 * `snappy` npm package is a native addon (the fallback is what runs without one).
 * Speed is no reason to switch: decoding, this file against snappyjs, 644 : 466
 * MB/s on 1 KiB of mixed data, 576 : 572 on 10 KiB of text, 182-192 : 278-347
 * on 100 KiB mixed; encoding 125-164 : 160-198 (100 KiB mixed; interleaved).
 */

const BLOCK_SIZE = 1 << 16;
const MAX_HASH_TABLE_BITS = 14;
const INPUT_MARGIN = 15;

function load32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

function hash(v: number, shift: number): number {
  return Math.imul(v, 0x1e35a7bd) >>> shift;
}

class Out {
  buf: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
}

function emitLiteral(out: Out, src: Uint8Array, start: number, len: number): void {
  const n = len - 1;
  const o = out.buf;
  if (n < 60) {
    o[out.pos++] = n << 2;
  } else {
    let count = 0;
    for (let x = n; x > 0; x = Math.floor(x / 256)) count++;
    o[out.pos++] = (59 + count) << 2;
    for (let i = 0, x = n; i < count; i++, x = Math.floor(x / 256)) o[out.pos++] = x & 0xff;
  }
  o.set(src.subarray(start, start + len), out.pos);
  out.pos += len;
}

function emitCopyLessThan64(out: Out, offset: number, len: number): void {
  const o = out.buf;
  if (len < 12 && offset < 2048) {
    o[out.pos++] = 1 + ((len - 4) << 2) + ((offset >>> 8) << 5);
    o[out.pos++] = offset & 0xff;
  } else {
    o[out.pos++] = 2 + ((len - 1) << 2);
    o[out.pos++] = offset & 0xff;
    o[out.pos++] = offset >>> 8;
  }
}

function emitCopy(out: Out, offset: number, len: number): void {
  while (len >= 68) {
    emitCopyLessThan64(out, offset, 64);
    len -= 64;
  }
  if (len > 64) {
    emitCopyLessThan64(out, offset, 60);
    len -= 60;
  }
  emitCopyLessThan64(out, offset, len);
}

function compressFragment(src: Uint8Array, start: number, end: number, table: Uint16Array, shift: number, out: Out): void {
  const base = start;
  let ip = start;
  let nextEmit = start;
  if (end - start >= INPUT_MARGIN) {
    const ipLimit = end - INPUT_MARGIN;
    let nextHash = hash(load32(src, ++ip), shift);
    outer: for (;;) {
      let skip = 32;
      let nextIp = ip;
      let candidate: number;
      do {
        ip = nextIp;
        const h = nextHash;
        const step = skip++ >>> 5;
        nextIp = ip + step;
        if (nextIp > ipLimit) break outer;
        nextHash = hash(load32(src, nextIp), shift);
        candidate = base + table[h];
        table[h] = ip - base;
      } while (load32(src, ip) !== load32(src, candidate));

      emitLiteral(out, src, nextEmit, ip - nextEmit);

      let curWord: number;
      do {
        const matchStart = ip;
        let matched = 4;
        while (ip + matched < end && src[candidate + matched] === src[ip + matched]) matched++;
        ip += matched;
        emitCopy(out, matchStart - candidate, matched);
        nextEmit = ip;
        if (ip >= ipLimit) break outer;
        const insertTail = ip - 1;
        table[hash(load32(src, insertTail), shift)] = ip - base - 1;
        curWord = load32(src, insertTail + 1);
        const curHash = hash(curWord, shift);
        candidate = base + table[curHash];
        table[curHash] = ip - base;
      } while (curWord === load32(src, candidate));
      nextHash = hash(load32(src, ip + 1), shift);
      ip++;
    }
  }
  if (nextEmit < end) emitLiteral(out, src, nextEmit, end - nextEmit);
}

export function snappyCompress(src: Uint8Array): Buffer {
  const n = src.length;
  // Worst case from the reference: 32 + n + n/6.
  const out = new Out(32 + n + Math.ceil(n / 6));
  for (let v = n; ;) {
    if (v < 0x80) {
      out.buf[out.pos++] = v;
      break;
    }
    out.buf[out.pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  const table = new Uint16Array(1 << MAX_HASH_TABLE_BITS);
  for (let start = 0; start < n; start += BLOCK_SIZE) {
    const end = Math.min(start + BLOCK_SIZE, n);
    let size = 256;
    let bits = 8;
    while (bits < MAX_HASH_TABLE_BITS && size < end - start) {
      size <<= 1;
      bits++;
    }
    table.fill(0, 0, size);
    compressFragment(src, start, end, table, 32 - bits, out);
  }
  return Buffer.from(out.buf.buffer, 0, out.pos);
}

/** Length the stream declares, or throws. */
function readLength(src: Uint8Array): [number, number] {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    if (i >= src.length) throw new DecompressError('snappy: truncated length header');
    const b = src[i];
    result += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (result > 0xffffffff) break;
      return [result, i + 1];
    }
    mul *= 128;
  }
  throw new DecompressError('snappy: invalid length header');
}

export function snappyDecompress(src: Uint8Array, maxOutput: number): Buffer {
  const [len, headerLen] = readLength(src);
  if (len > maxOutput) {
    throw new DecompressLimitError(`snappy data declares ${len} bytes, above the decompression limit of ${maxOutput} bytes`);
  }
  const out = Buffer.allocUnsafe(len);
  let op = 0;
  let ip = headerLen;
  const bad = (what: string): never => {
    throw new DecompressError(`snappy: corrupt input (${what} at byte ${ip})`);
  };
  while (ip < src.length) {
    const tag = src[ip++];
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const count = n - 59;
        if (ip + count > src.length) bad('truncated literal length');
        n = 0;
        for (let i = 0; i < count; i++) n += src[ip + i] * 2 ** (8 * i);
        ip += count;
      }
      n += 1;
      if (ip + n > src.length) bad('literal past end of input');
      if (op + n > len) bad('literal past declared length');
      out.set(src.subarray(ip, ip + n), op);
      ip += n;
      op += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (ip + 1 > src.length) bad('truncated copy');
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[ip++];
    } else if (kind === 2) {
      if (ip + 2 > src.length) bad('truncated copy');
      n = (tag >>> 2) + 1;
      offset = src[ip] | (src[ip + 1] << 8);
      ip += 2;
    } else {
      if (ip + 4 > src.length) bad('truncated copy');
      n = (tag >>> 2) + 1;
      offset = load32(src, ip);
      ip += 4;
    }
    if (offset === 0 || offset > op) bad('copy offset out of range');
    if (op + n > len) bad('copy past declared length');
    if (offset >= n) {
      out.copyWithin(op, op - offset, op - offset + n);
      op += n;
    } else {
      for (let i = 0; i < n; i++, op++) out[op] = out[op - offset];
    }
  }
  if (op !== len) throw new DecompressError(`snappy: produced ${op} bytes but the header declared ${len}`);
  return out;
}
