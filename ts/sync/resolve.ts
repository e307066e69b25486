/**
 * Which of two versions of one key survives anti-entropy between polyp2p
 * nodes (README "Sync table", consistency model). Both sides of an exchange
 * compute the same winner, so replicas that exchange digests converge.
 * Where the lease rule (§14.4) is unambiguous the winner is the version it
 * would keep; where replicas diverged (concurrent writes, partitions) the
 * lease goes to the earlier writer while leasing is on, to the later writer
 * while it is off.
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
  return olderWins; // the earlier writer holds the lease
}
