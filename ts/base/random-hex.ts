/**
 * Random hex identifiers (request and batch IDs) cut from a pool of the
 * CSPRNG's bytes, refilled 4 KiB at a time. Why not randomBytes(n) per ID: a
 * call into C++ and a Buffer each time cost 1.7 µs, more than encoding the
 * request it names; the pool's IDs come from the same source.
 */
import { randomBytes } from 'crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/** `bytes` random bytes (at most 4 KiB) as lowercase hex. */
export function randomHex(bytes: number): string {
  if (!(bytes >= 0 && bytes <= POOL_BYTES)) throw new RangeError(`randomHex: ${bytes} bytes (at most ${POOL_BYTES})`);
  if (used + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}
