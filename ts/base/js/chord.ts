import { createHash } from 'crypto';
import { bytesToBigInt } from './base58';

const RING = 1n << 384n;
const MASK = RING - 1n;

/** Five table positions of a key (PROTOCOL.md §15.1); sha512 is not reduced. */
export function chordPositions(key: Uint8Array): bigint[] {
  const h = (alg: string) => bytesToBigInt(createHash(alg).update(key).digest());
  return [h('sha1') << 224n, h('sha224') << 160n, h('sha256') << 128n, h('sha384'), h('sha512')];
}

export function ringDistance(a: bigint, b: bigint): bigint {
  return (b - a) & MASK;
}

export function ringBetween(x: bigint, a: bigint, b: bigint): boolean {
  const span = ringDistance(a, b);
  if (span === 0n) return true;
  const d = ringDistance(a, x);
  return d > 0n && d <= span;
}

export function fingerTargets(position: bigint, count: number): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) out.push((position + (1n << BigInt(i))) & MASK);
  return out;
}

export function closestPreceding(candidates: readonly bigint[], target: bigint): number {
  let best = -1;
  let bestDist = 0n;
  for (let i = 0; i < candidates.length; i++) {
    const d = ringDistance(candidates[i], target);
    if (best < 0 || d < bestDist) {
      best = i;
      bestDist = d;
    }
  }
  return best;
}
