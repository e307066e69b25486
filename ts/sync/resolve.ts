/**
 * Which of two versions of one key survives anti-entropy between polyp2p
 * nodes (README "Sync table", consistency model). Both sides of an exchange
 * compute the same winner, so replicas that exchange digests converge.
 *
 * The winner is always a version the lease rule (§14.4) lets replace the
 * loser, so anti-entropy never takes what a store would be refused, with one
 * exception, a lease conflict: with leasing on, two live versions by
 * different owners written in different seconds while the older one's lease
 * still runs (two sides of a partition each took the key). The lease rule
 * refuses each in place of the other, so neither can move by itself; the
 * winner is the smaller owner ID, as for a same-second tie, and the older
 * version's own node settles it by moving its write to the newer second
 * (SyncTable.restamp): then rule 5 (same second, smaller ID) lets the winner
 * through everywhere. An attacker gains nothing it could not do with a
 * store: a smaller ID already wins a key with a store in the holder's second.
 */
import { LEASE_SECONDS } from './lease';

export interface VersionMeta {
  owner: string;
  timestamp: number;
  /** A tombstone: the key was deleted at `timestamp` by `owner`. */
  deleted: boolean;
  /** Hash of the value (canonical msgpack), to break exact ties deterministically. */
  hash: Buffer;
}

/** -1 when `a` wins, 1 when `b` wins, 0 when they are the same version. */
export function compareVersions(a: VersionMeta, b: VersionMeta, leasing: boolean, now: number): -1 | 0 | 1 {
  if (a.timestamp === b.timestamp) {
    // Same second: the smaller ID wins (rule 5); one writer: a delete beats a value, then the larger hash.
    if (a.owner !== b.owner) return a.owner < b.owner ? -1 : 1;
    if (a.deleted !== b.deleted) return a.deleted ? -1 : 1;
    const c = Buffer.compare(a.hash, b.hash);
    return c === 0 ? 0 : c > 0 ? -1 : 1;
  }
  const aOlder = a.timestamp < b.timestamp;
  const older = aOlder ? a : b;
  const newerWins: -1 | 1 = aOlder ? 1 : -1;
  const olderWins: -1 | 1 = aOlder ? -1 : 1;
  if (a.owner === b.owner) return newerWins; // the owner's own rewrite
  if (!leasing) return newerWins; // last writer wins
  if (older.deleted) return newerWins; // a delete releases the lease
  if (older.timestamp < now - LEASE_SECONDS) return newerWins; // the older lease ran out
  const newer = aOlder ? b : a;
  if (newer.deleted) return olderWins; // a live lease outlasts a later delete by another node
  return a.owner < b.owner ? -1 : 1; // a lease conflict: the smaller ID, once the older write is restamped
}

/**
 * Two live versions by different owners, in different seconds, the older one
 * still leased, with leasing on: the lease rule refuses each in place of the
 * other until the older version's owner restamps it (see above).
 */
export function isLeaseConflict(a: VersionMeta, b: VersionMeta, leasing: boolean, now: number): boolean {
  if (!leasing || a.deleted || b.deleted || a.owner === b.owner || a.timestamp === b.timestamp) return false;
  return Math.min(a.timestamp, b.timestamp) >= now - LEASE_SECONDS;
}
