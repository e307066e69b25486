/**
 * What a SyncNode does with sync messages from peers. The originals'
 * messages (§14.3-14.5) are checked with the lease rule exactly; polyp2p
 * peers additionally exchange digests so that replicas that diverged
 * (partitions, concurrent writes, refused changes) converge (resolve.ts).
 * Nothing a peer sends may throw out of here: a bad change is refused with
 * a 'refused' event that says why, and the link and other keys are untouched.
 */
import { flags } from '../base/flags';
import { nowSeconds } from '../base/ids';
import type { MeshMessage } from '../mesh/message';
import type { Peer } from '../mesh/peer';
import { leaseAllows, refusalReason } from './lease';
import { DELETED_HASH, idText, isMapping, keyBytes, keyText, valueHash } from './keys';
import { compareVersions, type VersionMeta } from './resolve';
import type { Entry, IdForm } from './table';
import type { SyncNode } from './sync-node';
import { mergeMapping } from './sync-node';
import { chunks, DIGEST_CHUNK, ENTRIES_CHUNK, isTime, SUB_DIGEST, SUB_ENTRIES, SUB_WANT } from './wire';

type Handler = (node: SyncNode, peer: Peer, msg: MeshMessage) => void;

export function installHandlers(node: SyncNode): void {
  // Remember how each peer writes node IDs (str: js2p or polyp2p, bin: py2p), before the mesh handles it.
  const handshake = node.builtins.get(flags.handshake);
  node.builtins.set(flags.handshake, (n, peer, msg) => {
    if (!node.idForms.has(peer) && msg.packets.length === 5) node.idForms.set(peer, typeof msg.packets[1] === 'string' ? 'str' : 'bin');
    return handshake ? handshake(n, peer, msg) : true;
  });
  const guarded = (h: Handler) => (_n: unknown, peer: Peer, msg: MeshMessage) => {
    try {
      h(node, peer, msg);
    } catch (e) {
      node.reportError(e as Error, peer); // a bug here must not cut the peer off
    }
    return true;
  };
  node.builtins.set(flags.store, guarded(onStore));
  node.builtins.set(flags.delta, guarded(onDelta));
  node.builtins.set(SUB_DIGEST, guarded(onDigest));
  node.builtins.set(SUB_ENTRIES, guarded(onEntries));
  node.builtins.set(SUB_WANT, guarded(onWant));
  // §14.5: after the peer list (sent during the handshake), every key we hold, keys as bin (§18.3 rule 3).
  node.on('peer', (peer: Peer) => initialSync(node, peer));
  // Anti-entropy only with peers that proved to be polyp2p by answering the capability ping.
  node.on('polyp2p-peer', (peer: Peer) => sendDigest(node, peer));
}

function formOf(raw: unknown): IdForm {
  return typeof raw === 'string' ? 'str' : 'bin';
}

function ownerOnWire(e: Entry): string | Buffer {
  return e.ownerForm === 'bin' ? Buffer.from(e.owner, 'utf8') : e.owner;
}

function refuse(node: SyncNode, peer: Peer, key: string | null, reason: string, extra: { owner?: string; timestamp?: number; value?: unknown } = {}): void {
  node.refused({ key, reason, kind: 'incoming', peer: peer.info, ...extra });
}

function initialSync(node: SyncNode, peer: Peer): void {
  for (const e of node.table.liveEntries()) {
    node.sendToPeer(peer, flags.whisper, [flags.store, keyBytes(e.key), e.value, ownerOnWire(e), Math.floor(e.timestamp)]);
  }
}

function onStore(node: SyncNode, peer: Peer, msg: MeshMessage): void {
  const p = msg.packets;
  if (p.length !== 3 && p.length !== 5) return refuse(node, peer, keyText(p[1]), `store message with ${p.length - 1} items (expected 2, or 4 in an initial sync)`);
  const key = keyText(p[1]);
  if (key === null) return refuse(node, peer, null, 'store key is neither text nor UTF-8 bytes');
  const rawKey = p[1] as string | Buffer;
  if (p.length === 5) return onInitialStore(node, peer, key, rawKey, p[2], p[3], p[4]);
  const value = p[2];
  const deleted = value === null || value === undefined;
  const change = { owner: msg.sender, timestamp: msg.time };
  const ctx = { leasing: node.leasing, delta: false, now: nowSeconds() };
  const existing = node.table.meta(key);
  if (!leaseAllows(existing, change, ctx)) {
    refuse(node, peer, key, refusalReason(existing!, change, ctx), { ...change, value: deleted ? undefined : value });
    return pushCorrection(node, key);
  }
  // A delete of a key never seen here still leaves a tombstone: it may reach peers that hold the key.
  node.applyVersion(key, rawKey, { value, owner: msg.sender, ownerForm: formOf(msg.senderRaw), timestamp: msg.time, deleted }, 'remote', peer);
}

/** §14.5: applied only when this node holds no value for the key (falsy values count as values here). */
function onInitialStore(node: SyncNode, peer: Peer, key: string, rawKey: string | Buffer, value: unknown, ownerRaw: unknown, time: unknown): void {
  const owner = idText(ownerRaw);
  if (owner === null || !isTime(time)) return refuse(node, peer, key, 'initial-sync store without a valid owner and timestamp');
  if (value === null || value === undefined) return; // nothing to delete: we hold no value when it matters
  if (node.table.live(key)) return; // we have a value: ignored, as the originals do
  const tomb = node.table.any(key);
  if (tomb && compareVersions(tomb, { owner, timestamp: time, deleted: false, hash: valueHash(value) }, node.leasing, nowSeconds()) <= 0) {
    return refuse(node, peer, key, `deleted by ${tomb.owner} at ${tomb.timestamp}, which supersedes this value (written by ${owner} at ${time})`, { owner, timestamp: time, value });
  }
  if (!leaseAllows(node.table.meta(key), { owner, timestamp: time }, { leasing: node.leasing, delta: false, now: nowSeconds() })) return;
  node.applyVersion(key, rawKey, { value, owner, ownerForm: formOf(ownerRaw), timestamp: time, deleted: false }, 'initial-sync', peer);
  // The rest of the network may not have it either (a healed partition): pass it on to polyp2p peers.
  const e = node.table.any(key)!;
  for (const p of polyp2pPeers(node, peer)) sendEntries(node, p, [e]);
}

function onDelta(node: SyncNode, peer: Peer, msg: MeshMessage): void {
  const p = msg.packets;
  const key = keyText(p[1]);
  if (p.length !== 3) return refuse(node, peer, key, `delta message with ${p.length - 1} items (expected 2)`);
  if (key === null) return refuse(node, peer, null, 'delta key is neither text nor UTF-8 bytes');
  const delta = p[2];
  if (!isMapping(delta)) return refuse(node, peer, key, 'delta is not a mapping', { owner: msg.sender, timestamp: msg.time });
  const prev = node.table.live(key);
  if (prev && !isMapping(prev.value)) return refuse(node, peer, key, 'cannot apply a delta: the stored value is not a mapping', { owner: msg.sender, timestamp: msg.time, value: delta });
  const change = { owner: msg.sender, timestamp: msg.time };
  const ctx = { leasing: node.leasing, delta: true, now: nowSeconds() };
  const existing = node.table.meta(key);
  if (!leaseAllows(existing, change, ctx)) {
    refuse(node, peer, key, refusalReason(existing!, change, ctx), { ...change, value: delta });
    return pushCorrection(node, key);
  }
  const merged = mergeMapping(prev?.value as Record<string, unknown> | undefined, delta);
  node.applyVersion(key, p[1] as string | Buffer, { value: merged, owner: msg.sender, ownerForm: formOf(msg.senderRaw), timestamp: msg.time, deleted: false }, 'remote', peer);
}

// --- anti-entropy (polyp2p peers only) -----------------------------------------

function polyp2pPeers(node: SyncNode, except?: Peer): Peer[] {
  return [...node.peers.values()].filter((p) => p.answersPings && p !== except && !p.conn.closed);
}

export function sendDigest(node: SyncNode, peer: Peer): void {
  const list = [...node.table.all()].map((e) => [keyBytes(e.key), e.owner, e.timestamp, e.deleted, e.hash]);
  for (const part of chunks(list, DIGEST_CHUNK)) node.sendToPeer(peer, flags.whisper, [SUB_DIGEST, part]);
  if (!list.length) node.sendToPeer(peer, flags.whisper, [SUB_DIGEST, []]);
}

function sendEntries(node: SyncNode, peer: Peer, entries: Entry[]): void {
  const list = entries.map((e) => [keyBytes(e.key), e.deleted ? null : e.value, ownerOnWire(e), e.timestamp, e.deleted]);
  for (const part of chunks(list, ENTRIES_CHUNK)) node.sendToPeer(peer, flags.whisper, [SUB_ENTRIES, part]);
}

/** After refusing a change: tell the polyp2p peers our version, so the network settles on one. */
function pushCorrection(node: SyncNode, key: string): void {
  const e = node.table.any(key);
  if (e) for (const p of polyp2pPeers(node)) sendEntries(node, p, [e]);
}

/**
 * Two live versions written in the same second with different contents: when
 * both are mappings they are merged (concurrent deltas), so each side needs
 * the other's value whichever version would win.
 */
function mergeableTie(ours: VersionMeta & { value?: unknown }, theirs: VersionMeta): boolean {
  return !ours.deleted && !theirs.deleted && ours.timestamp === theirs.timestamp && !ours.hash.equals(theirs.hash) && (ours.value === undefined || isMapping(ours.value));
}

/** Their digest: ask for every key where their version beats ours (or we have none). */
function onDigest(node: SyncNode, peer: Peer, msg: MeshMessage): void {
  const list = msg.packets[1];
  if (!peer.answersPings || !Array.isArray(list)) return;
  const now = nowSeconds();
  const want: Buffer[] = [];
  for (const item of list) {
    if (!Array.isArray(item) || item.length !== 5) continue;
    const key = keyText(item[0]);
    const owner = idText(item[1]);
    if (key === null || owner === null || !isTime(item[2]) || typeof item[3] !== 'boolean' || !Buffer.isBuffer(item[4])) continue;
    const theirs: VersionMeta = { owner, timestamp: item[2], deleted: item[3], hash: item[4] };
    const ours = node.table.any(key);
    if (!ours || compareVersions(ours, theirs, node.leasing, now) > 0 || mergeableTie(ours, theirs)) want.push(keyBytes(key));
  }
  for (const part of chunks(want, DIGEST_CHUNK)) node.sendToPeer(peer, flags.whisper, [SUB_WANT, part]);
}

function onWant(node: SyncNode, peer: Peer, msg: MeshMessage): void {
  const list = msg.packets[1];
  if (!peer.answersPings || !Array.isArray(list)) return;
  const found: Entry[] = [];
  for (const k of list) {
    const key = keyText(k);
    const e = key === null ? undefined : node.table.any(key);
    if (e) found.push(e);
  }
  sendEntries(node, peer, found);
}

/** Versions from a polyp2p peer: adopt the winners, forward them, answer with ours where ours wins. */
function onEntries(node: SyncNode, peer: Peer, msg: MeshMessage): void {
  const list = msg.packets[1];
  if (!peer.answersPings || !Array.isArray(list)) return;
  const now = nowSeconds();
  const adopted: Entry[] = [];
  const oursWin: Entry[] = [];
  for (const item of list) {
    if (!Array.isArray(item) || item.length !== 5) {
      refuse(node, peer, null, 'malformed anti-entropy entry');
      continue;
    }
    const key = keyText(item[0]);
    const owner = idText(item[2]);
    const deleted = item[4];
    if (key === null || owner === null || !isTime(item[3]) || typeof deleted !== 'boolean' || (!deleted && (item[1] === null || item[1] === undefined))) {
      refuse(node, peer, key, 'malformed anti-entropy entry');
      continue;
    }
    const value = deleted ? undefined : item[1];
    const theirs = { owner, timestamp: item[3], deleted, hash: deleted ? DELETED_HASH : valueHash(value) };
    const ours = node.table.any(key);
    if (ours && !deleted && mergeableTie(ours, theirs) && isMapping(value) && isMapping(ours.value)) {
      // Concurrent deltas (same second): keep the union, the winner's fields first.
      const oursFirst = compareVersions(ours, theirs, node.leasing, now) < 0;
      const winner = oursFirst ? ours : theirs;
      const merged = oursFirst ? mergeMapping(value, ours.value as Record<string, unknown>) : mergeMapping(ours.value as Record<string, unknown>, value);
      const hash = valueHash(merged);
      if (!hash.equals(ours.hash)) {
        node.applyVersion(key, item[0] as string | Buffer, { value: merged, owner: winner.owner, ownerForm: oursFirst ? ours.ownerForm : formOf(item[2]), timestamp: winner.timestamp, deleted: false }, 'anti-entropy', peer);
        adopted.push(node.table.any(key)!);
      }
      if (!hash.equals(theirs.hash)) oursWin.push(node.table.any(key)!);
      continue;
    }
    const c = ours ? compareVersions(ours, theirs, node.leasing, now) : 1;
    if (c < 0) oursWin.push(ours!);
    if (c <= 0) continue;
    node.applyVersion(key, item[0] as string | Buffer, { value, owner, ownerForm: formOf(item[2]), timestamp: item[3], deleted }, 'anti-entropy', peer);
    if (ours && ours.owner === node.id && owner !== node.id && !(ours.deleted && deleted)) {
      node.refused({
        key,
        kind: 'superseded',
        reason: `this node's ${ours.deleted ? 'delete' : 'write'} at ${ours.timestamp} lost to ${owner}'s ${deleted ? 'delete' : 'write'} at ${item[3]} (${node.leasing ? 'the earlier writer holds the lease' : 'the later write wins'})`,
        owner: ours.owner,
        timestamp: ours.timestamp,
        value: ours.value,
        peer: peer.info,
      });
    }
    adopted.push(node.table.any(key)!);
  }
  if (oursWin.length) sendEntries(node, peer, oursWin);
  if (!adopted.length) return;
  for (const p of polyp2pPeers(node, peer)) sendEntries(node, p, adopted);
  // The originals get adopted values as initial-sync stores (applied only where they hold no value).
  for (const p of node.peers.values()) {
    if (p.answersPings || p === peer) continue;
    for (const e of adopted) if (!e.deleted) node.sendToPeer(p, flags.whisper, [flags.store, keyBytes(e.key), e.value, ownerOnWire(e), Math.floor(e.timestamp)]);
  }
}
