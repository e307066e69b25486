/**
 * Anti-entropy among polyp2p peers (PROTOCOL.md §12.6): digests, wants and
 * entries, so that replicas that diverged (partitions, concurrent writes,
 * refused changes) converge on the version resolve.ts picks. An entry
 * replaces a version only where a store with its owner and timestamp would
 * (the lease rule, §14.4), is in the clock-skew bound and fits the byte
 * budgets; a lease conflict (resolve.ts) is settled by the older version's
 * own node, which restamps its write (conflicts.ts). Each message is processed up to
 * maxAntiEntropyItems items and costs at most REFUSALS_PER_MESSAGE + 1
 * 'refused' events.
 */
import { nowSeconds } from '../base/ids';
import type { MeshMessage } from '../mesh/message';
import type { Peer } from '../mesh/peer';
import { leaseAllows, refusalReason } from './lease';
import { DELETED_HASH, idForm, idText, isMapping, keyText, mergeMapping, valueHash } from './keys';
import { compareVersions, isLeaseConflict, type VersionMeta } from './resolve';
import type { Entry } from './table';
import type { SyncNode } from './sync-node';
import { RefusalBatch } from './refusals';
import { msgpackSize } from './size';
import { isTime } from './wire';
import { settleConflict } from './conflicts';

/** A version as a peer's entry carries it. */
interface Incoming extends VersionMeta {
  key: string;
  rawKey: string | Buffer;
  value: unknown;
  ownerRaw: unknown;
}

/** The first maxAntiEntropyItems items of a list; the rest are counted as refused. */
function itemsOf(node: SyncNode, list: unknown[], batch: RefusalBatch): unknown[] {
  const max = node.syncLimits.maxAntiEntropyItems;
  if (list.length <= max) return list;
  batch.refuseMany(list.length - max, `${list.length - max} items past maxAntiEntropyItems (${max}) ignored`);
  return list.slice(0, max);
}

/** Their digest: ask for every key where their version beats ours (or we have none). */
export function onDigest(node: SyncNode, peer: Peer, msg: MeshMessage): void {
  const list = msg.packets[1];
  if (!peer.answersPings || !Array.isArray(list)) return;
  const batch = new RefusalBatch(node, peer, 'digest');
  const now = nowSeconds();
  const box = node.outbox(peer);
  for (const item of itemsOf(node, list, batch)) {
    if (!Array.isArray(item) || item.length !== 5) {
      batch.refuse(null, 'malformed digest item');
      continue;
    }
    const key = keyText(item[0]);
    const owner = idText(item[1]);
    if (key === null || owner === null || !isTime(item[2]) || typeof item[3] !== 'boolean' || !Buffer.isBuffer(item[4])) {
      batch.refuse(key, 'malformed digest item');
      continue;
    }
    const future = node.tooFarAhead(item[2]);
    if (future) {
      batch.refuse(key, future, { owner, timestamp: item[2] });
      continue;
    }
    const theirs = { key, owner, timestamp: item[2], deleted: item[3], hash: item[4] };
    const ours = node.table.any(key);
    if (ours && isLeaseConflict(ours, theirs, node.leasing, now)) {
      if (settleConflict(node, ours, theirs, peer)) box.want(key); // the peer may hold the winner
      continue;
    }
    if (!ours || compareVersions(ours, theirs, node.leasing, now) > 0 || mergeableTie(ours, theirs)) box.want(key);
  }
  batch.finish();
}

export function onWant(node: SyncNode, peer: Peer, msg: MeshMessage): void {
  const list = msg.packets[1];
  if (!peer.answersPings || !Array.isArray(list)) return;
  const batch = new RefusalBatch(node, peer, 'want');
  const box = node.outbox(peer);
  for (const k of itemsOf(node, list, batch)) {
    const key = keyText(k);
    if (key === null) batch.refuse(null, 'malformed want item');
    else if (node.table.any(key)) box.push(key);
  }
  batch.finish();
}

/** Versions from a polyp2p peer: adopt those that win and the lease rule lets in, forward them, answer with ours where ours wins. */
export function onEntries(node: SyncNode, peer: Peer, msg: MeshMessage): void {
  const list = msg.packets[1];
  if (!peer.answersPings || !Array.isArray(list)) return;
  const batch = new RefusalBatch(node, peer, 'entries message');
  const adopted: Entry[] = [];
  for (const item of itemsOf(node, list, batch)) {
    const theirs = parseEntry(item);
    if (typeof theirs === 'string') {
      batch.refuse(keyText(Array.isArray(item) ? item[0] : null), theirs);
      continue;
    }
    const e = onEntry(node, peer, theirs, batch);
    if (e) adopted.push(e);
  }
  batch.finish();
  node.forward(adopted, peer);
}

function parseEntry(item: unknown): Incoming | string {
  if (!Array.isArray(item) || item.length !== 5) return 'malformed anti-entropy entry';
  const key = keyText(item[0]);
  const owner = idText(item[2]);
  const deleted: unknown = item[4];
  if (key === null || owner === null || !isTime(item[3]) || typeof deleted !== 'boolean' || (!deleted && (item[1] === null || item[1] === undefined))) return 'malformed anti-entropy entry';
  const value: unknown = deleted ? undefined : item[1];
  return { key, rawKey: item[0] as string | Buffer, value, owner, ownerRaw: item[2], timestamp: item[3], deleted, hash: deleted ? DELETED_HASH : valueHash(value) };
}

/** One entry: returns the entry stored when it was adopted. */
function onEntry(node: SyncNode, peer: Peer, theirs: Incoming, batch: RefusalBatch): Entry | undefined {
  const future = node.tooFarAhead(theirs.timestamp);
  if (future) return void batch.refuse(theirs.key, future, details(theirs));
  const now = nowSeconds();
  let ours = node.table.any(theirs.key);
  if (ours && !theirs.deleted && mergeableTie(ours, theirs) && isMapping(theirs.value) && isMapping(ours.value)) return mergeTie(node, peer, ours, theirs, batch);
  if (ours && isLeaseConflict(ours, theirs, node.leasing, now)) {
    ours = settleConflict(node, ours, theirs, peer) ?? ours;
    if (isLeaseConflict(ours, theirs, node.leasing, now)) {
      // Ours is the newer: their side's owner settles it once it knows our version. (Ours the older:
      // settleConflict told its owner; answering would make the two sides bounce their versions.)
      if (ours.timestamp > theirs.timestamp) node.outbox(peer).push(ours.key);
      return void batch.refuse(theirs.key, `lease conflict with ${ours.owner}'s write at ${ours.timestamp}: ${refusalReason(ours, theirs, leaseCtx(node, now, false))}`, details(theirs));
    }
  }
  const c = ours ? compareVersions(ours, theirs, node.leasing, now) : 1;
  if (c < 0) node.outbox(peer).push(ours!.key);
  if (c <= 0) return undefined;
  const meta = node.table.meta(theirs.key);
  if (!leaseAllows(meta, theirs, leaseCtx(node, now, false))) {
    return void batch.refuse(theirs.key, refusalReason(meta!, theirs, leaseCtx(node, now, false)), details(theirs));
  }
  return adopt(node, peer, ours, theirs, theirs.value, theirs, batch);
}

/** Store `value` under `meta` (their version, or a merge) if the budgets allow; a superseded event when it replaces our own write. */
function adopt(node: SyncNode, peer: Peer, ours: Entry | undefined, theirs: Incoming, value: unknown, meta: VersionMeta & { ownerRaw: unknown }, batch: RefusalBatch): Entry | undefined {
  const valueBytes = meta.deleted ? 0 : msgpackSize(value);
  const why = node.admit(theirs.key, meta.owner, meta.timestamp, valueBytes);
  if (why) return void batch.refuse(theirs.key, why, details(theirs));
  const e = node.applyVersion(
    theirs.key,
    theirs.rawKey,
    { value, owner: meta.owner, ownerForm: idForm(meta.ownerRaw), timestamp: meta.timestamp, deleted: meta.deleted, valueBytes, hash: meta.hash },
    'anti-entropy',
    peer,
  );
  if (ours && ours.owner === node.id && meta.owner !== node.id && !(ours.deleted && meta.deleted)) {
    node.refused({
      key: theirs.key,
      kind: 'superseded',
      reason: `this node's ${ours.deleted ? 'delete' : 'write'} at ${ours.timestamp} lost to ${meta.owner}'s ${meta.deleted ? 'delete' : 'write'} at ${meta.timestamp} (${supersededWhy(node, ours, meta)})`,
      owner: ours.owner,
      timestamp: ours.timestamp,
      value: ours.value,
      peer: peer.info,
    });
  }
  return e;
}

function supersededWhy(node: SyncNode, ours: VersionMeta, theirs: VersionMeta): string {
  if (!node.leasing) return 'the later write wins';
  if (ours.timestamp === theirs.timestamp) return 'same second: the smaller ID wins';
  return ours.timestamp < theirs.timestamp ? 'the later version wins once a lease ran out or was given up' : 'the earlier writer holds the lease';
}

/**
 * Concurrent deltas (same second, both mappings): the union, the winner's
 * fields first, if the lease rule lets their delta in (always without
 * leasing; with leasing, when their ID is the smaller or the same).
 */
function mergeTie(node: SyncNode, peer: Peer, ours: Entry, theirs: Incoming, batch: RefusalBatch): Entry | undefined {
  const now = nowSeconds();
  if (!leaseAllows(node.table.meta(ours.key), theirs, leaseCtx(node, now, true))) {
    node.outbox(peer).push(ours.key); // they merge ours into theirs instead
    return undefined;
  }
  const oursFirst = compareVersions(ours, theirs, node.leasing, now) < 0;
  const winner = oursFirst ? { ...ours, ownerRaw: ours.ownerForm === 'bin' ? Buffer.from(ours.owner) : ours.owner } : theirs;
  const merged = oursFirst
    ? mergeMapping(theirs.value as Record<string, unknown>, ours.value as Record<string, unknown>)
    : mergeMapping(ours.value as Record<string, unknown>, theirs.value as Record<string, unknown>);
  const hash = valueHash(merged);
  let e: Entry | undefined;
  if (!hash.equals(ours.hash)) e = adopt(node, peer, ours, theirs, merged, { owner: winner.owner, timestamp: winner.timestamp, deleted: false, hash, ownerRaw: winner.ownerRaw }, batch);
  if (!hash.equals(theirs.hash)) node.outbox(peer).push(ours.key);
  return e;
}

/**
 * Two live versions written in the same second with different contents: when
 * both are mappings they are merged (concurrent deltas), so each side needs
 * the other's value whichever version would win.
 */
function mergeableTie(ours: VersionMeta & { value?: unknown }, theirs: VersionMeta): boolean {
  return !ours.deleted && !theirs.deleted && ours.timestamp === theirs.timestamp && !ours.hash.equals(theirs.hash) && (ours.value === undefined || isMapping(ours.value));
}

function leaseCtx(node: SyncNode, now: number, delta: boolean) {
  return { leasing: node.leasing, delta, now };
}

function details(v: Incoming): { owner: string; timestamp: number; value?: unknown } {
  return { owner: v.owner, timestamp: v.timestamp, value: v.value };
}
