/**
 * Settling a lease conflict (resolve.ts): two live versions of a key by
 * different owners, from different seconds, the older one still leased. The
 * lease rule refuses each in place of the other, so only the older
 * version's own node can move: it restamps its write to the newer second,
 * and from there lease rule 5 (same second, smaller ID) lets the winner pass
 * every replica, one ordinary anti-entropy step at a time. A replica that
 * holds the older version and sees the newer one tells that node with a
 * one-item digest (a notice): directly when it is a peer, otherwise through
 * its polyp2p peers, each of which passes a given notice on once.
 */
import { nowSeconds } from '../base/ids';
import type { Peer } from '../mesh/peer';
import type { DigestVersion } from './pieces';
import type { Entry } from './table';
import type { SyncNode } from './sync-node';

/** Notices remembered per node so that each is passed on once (oldest forgotten first). */
export const NOTICES_REMEMBERED = 4096;

const passedOn = new WeakMap<SyncNode, Map<string, string>>();

/** True the first time this node sees `theirs` as a notice to pass on for its key. */
function firstTime(node: SyncNode, theirs: DigestVersion): boolean {
  let seen = passedOn.get(node);
  if (!seen) passedOn.set(node, (seen = new Map<string, string>()));
  const version = `${theirs.owner}\u0000${theirs.timestamp}`;
  if (seen.get(theirs.key) === version) return false;
  seen.delete(theirs.key);
  seen.set(theirs.key, version);
  if (seen.size > NOTICES_REMEMBERED) seen.delete(seen.keys().next().value as string);
  return true;
}

/**
 * Our version `ours` and `theirs` (from `from`) are in a lease conflict.
 * Returns our restamped entry when this node owns the older version and
 * moved it; otherwise (the other side's owner must act, or a notice went
 * out) undefined.
 */
export function settleConflict(node: SyncNode, ours: Entry, theirs: DigestVersion, from: Peer): Entry | undefined {
  if (ours.timestamp > theirs.timestamp) return undefined; // the other side's owner restamps; it learns of ours from our digest or answer
  if (ours.owner === node.id) return restamp(node, ours, theirs.timestamp);
  const owner = node.peers.get(ours.owner);
  if (owner && owner.answersPings && !owner.conn.closed) {
    if (owner !== from) node.outbox(owner).notice(theirs);
  } else if (firstTime(node, theirs)) {
    for (const p of node.polyp2pPeers(from)) node.outbox(p).notice(theirs);
  }
  return undefined;
}

function restamp(node: SyncNode, ours: Entry, timestamp: number): Entry | undefined {
  if (timestamp > nowSeconds()) return undefined; // not before our clock reaches it (the next exchange)
  const e = node.table.restamp(ours.key, timestamp)!;
  for (const p of node.polyp2pPeers()) node.outbox(p).push(e.key, e); // the restamp goes first wherever the key is pending
  return e;
}
