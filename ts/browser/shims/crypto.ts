/** `crypto` for the browser bundle: the hashes and random values polyp2p uses, via @noble/hashes and Web Crypto. */
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { Buffer } from 'buffer';

type Hasher = { update(d: Uint8Array): Hasher; digest(): Uint8Array };
const algorithms: Record<string, () => Hasher> = {
  sha1: () => sha1.create(),
  sha224: () => sha224.create(),
  sha256: () => sha256.create(),
  sha384: () => sha384.create(),
  sha512: () => sha512.create(),
};

interface WebCrypto {
  getRandomValues<T extends Uint8Array>(a: T): T;
  randomUUID?: () => string;
}
const webCrypto = (globalThis as unknown as { crypto: WebCrypto }).crypto;

export function createHash(algorithm: string) {
  const make = algorithms[algorithm.toLowerCase()];
  if (!make) throw new Error(`hash ${algorithm} is not available in the browser bundle`);
  const h = make();
  const api = {
    update(data: Uint8Array | string, encoding?: BufferEncoding) {
      h.update(typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : data);
      return api;
    },
    digest(encoding?: BufferEncoding): Buffer | string {
      const out = Buffer.from(h.digest());
      return encoding ? out.toString(encoding) : out;
    },
  };
  return api as { update(data: Uint8Array | string, encoding?: BufferEncoding): typeof api; digest(): Buffer; digest(encoding: BufferEncoding): string };
}

export function randomBytes(n: number): Buffer {
  return Buffer.from(webCrypto.getRandomValues(new Uint8Array(n)));
}

/** RFC 4122 version 4, from a CSPRNG (Web Crypto's randomUUID when the page is a secure context). */
export function randomUUID(): string {
  if (webCrypto.randomUUID) return webCrypto.randomUUID();
  const b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Node's one-shot `crypto.hash` does not exist here; callers fall back to createHash. */
export const hash: undefined = undefined;
