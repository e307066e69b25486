import { Base58Error } from '../errors';

/** Bitcoin's alphabet, as both originals use it (PROTOCOL.md §7.1). */
export const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE58_ALPHABET.length; i++) DIGIT[BASE58_ALPHABET.charCodeAt(i)] = i;

/** Non-negative integer -> base58, most significant digit first; 0 -> "1". */
export function base58EncodeInt(n: bigint): string {
  if (typeof n !== 'bigint') throw new TypeError('base58EncodeInt expects a bigint');
  if (n < 0n) throw new RangeError('base58 encodes non-negative integers only');
  if (n === 0n) return '1';
  // Peel off 9 digits at a time (58^9 < 2^53, so the remainder is an exact double).
  const CHUNK = 7427658739644928n; // 58^9
  let out = '';
  while (n > 0n) {
    let rem = Number(n % CHUNK);
    n /= CHUNK;
    for (let i = 0; i < 9; i++) {
      if (n === 0n && rem === 0) break;
      out = BASE58_ALPHABET[rem % 58] + out;
      rem = Math.floor(rem / 58);
    }
  }
  return out;
}

/** Big-endian unsigned integer of `bytes`. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  return BigInt('0x' + h);
}

/** Bytes read as one big-endian unsigned integer (leading zeros vanish). */
export function base58EncodeBytes(bytes: Uint8Array): string {
  return base58EncodeInt(bytesToBigInt(bytes));
}

/** base58 -> integer; rejects characters outside the alphabet (js2p did not). */
export function base58DecodeInt(text: string): bigint {
  if (typeof text !== 'string') throw new TypeError('base58DecodeInt expects a string');
  let n = 0n;
  // Accumulate 9 digits at a time in a double (58^9 < 2^53), then fold into the bigint.
  let acc = 0;
  let accDigits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const d = c < 128 ? DIGIT[c] : -1;
    if (d < 0) {
      throw new Base58Error(`invalid base58 character ${JSON.stringify(text[i])} at position ${i}; ` + `the alphabet is ${BASE58_ALPHABET} (no 0, O, I or l)`);
    }
    acc = acc * 58 + d;
    if (++accDigits === 9) {
      n = n * 7427658739644928n /* 58^9 */ + BigInt(acc);
      acc = 0;
      accDigits = 0;
    }
  }
  if (accDigits > 0) n = n * 58n ** BigInt(accDigits) + BigInt(acc);
  return n;
}
