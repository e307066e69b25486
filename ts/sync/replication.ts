/**
 * What a SyncNode does with the originals' sync messages from peers (§14.3-
 * 14.5): stores, deltas and initial-sync stores, each checked with the lease
 * rule exactly, refused when stamped too far in the future or past a byte
 * budget. Anti-entropy among polyp2p peers lives in anti-entropy.ts.
 * Nothing a peer sends may throw out of here: a bad change is refused with
 * a 'refused' event that says why, and the link and other keys are untouched.
 */
import { flags } from '../base/flags';
import { nowSeconds } from '../base/ids';
import type { MeshMessage } from '../mesh/message';
import type { Peer } from '../mesh/peer';
import { leaseAllows, refusalReason } from './lease';
import { idForm, idText, isMapping, keyText, mergeMapping, valueHash } from './keys';
import { compareVersions } from './resolve';
import type { SyncNode } from './sync-node';
import { isTime, SUB_DIGEST, SUB_ENTRIES, SUB_WANT } from './wire';
import { mergedSize, msgpackSize } from './size';
import { onDigest, onEntries, onWant } from './anti-entropy';
import { listLimit } from './pieces';

type Handler = (node: SyncNode, peer: Peer, msg: MeshMessage) => void;

export function installHandlers(node: SyncNode): void {
  // Remember how each peer writes node IDs (str: js2p or polyp2p, bin: py2p), before the mesh handles it.
  node.addHandler(flags.handshake, (peer, msg) => {
    if (!node.idForms.has(peer) && msg.packets.length === 5) node.idForms.set(peer, idForm(msg.packets[1]));
    return false;
  });
  const add = (flag: number, h: Handler, linkOnly = false) => node.addHandler(flag, (peer, msg) => h(node, peer, msg), { linkOnly });
  add(flags.store, onStore);
  add(flags.delta, onDelta);
  // the extension's messages are whispers between neighbours: never acted on or relayed as broadcasts
  add(SUB_DIGEST, onDigest, true);
  add(SUB_ENTRIES, onEntries, true);
  add(SUB_WANT, onWant, true);
  // §14.5: after the peer list (sent during the handshake), every key we hold, paced (outbox.ts).
  node.on('peer', (peer: Peer) => node.outbox(peer).initialSync());
  // Anti-entropy only with peers that proved to be polyp2p by answering the capability ping.
  node.on('polyp2pPeer', (peer: Peer) => node.outbox(peer).answeredPing());
}

function refuse(node: SyncNode, peer: Peer, key: string | null, reason: string, extra: { owner?: string; timestamp?: number; value?: unknown } = {}): void {
  node.refused({ key, reason, kind: 'incoming', peer: peer.info, ...extra });
}

function onStore(node: SyncNode, peer: Peer, msg: MeshMessage): void {
  const p = msg.packets;
  if (p.length !== 3 && p.length !== 5) return refuse(node, peer, keyText(p[1]), `store message with ${p.length - 1} items (expected 2, or 4 in an initial sync)`);
  const key = keyText(p[1]);
  if (key === null) return refuse(node, peer, null, 'store key is neither text nor UTF-8 bytes');
  const rawKey = p[1] as string | Buffer;
  if (p.length === 5) {
    // an initial store is for the link it came on (§14.5): as a broadcast it would reach every node
    if (msg.type === flags.broadcast) return refuse(node, peer, key, 'initial-sync store sent as a broadcast');
    return onInitialStore(node, peer, key, rawKey, p[2], p[3], p[4]);
  }
  const value = p[2];
  const deleted = value === null || value === undefined;
  const change = { owner: msg.sender, timestamp: msg.time };
  const shown = { ...change, value: deleted ? undefined : value };
  const ctx = { leasing: node.leasing, delta: false, now: nowSeconds() };
  const existing = node.table.meta(key);
  if (!leaseAllows(existing, change, ctx)) {
    refuse(node, peer, key, refusalReason(existing!, change, ctx), shown);
    return pushCorrection(node, key);
  }
  const valueBytes = deleted ? 0 : msgpackSize(value);
  const why = node.admit(key, msg.sender, msg.time, valueBytes);
  if (why) return refuse(node, peer, key, why, shown);
  // A delete of a key never seen here still leaves a tombstone: it may reach peers that hold the key.
  node.applyVersion(key, rawKey, { value, owner: msg.sender, ownerForm: idForm(msg.senderRaw), timestamp: msg.time, deleted, valueBytes }, 'remote', peer);
}

/** §14.5: applied only when this node holds no value for the key (falsy values count as values here). */
function onInitialStore(node: SyncNode, peer: Peer, key: string, rawKey: string | Buffer, value: unknown, ownerRaw: unknown, time: unknown): void {
  const owner = idText(ownerRaw);
  if (owner === null || !isTime(time)) return refuse(node, peer, key, 'initial-sync store without a valid owner and timestamp');
  if (value === null || value === undefined) return; // nothing to delete: we hold no value when it matters
  if (node.table.live(key)) return; // we have a value: ignored, as the originals do
  const tomb = node.table.any(key);
  const hash = valueHash(value);
  if (tomb && compareVersions(tomb, { owner, timestamp: time, deleted: false, hash }, node.leasing, nowSeconds()) <= 0) {
    return refuse(node, peer, key, `deleted by ${tomb.owner} at ${tomb.timestamp}, which supersedes this value (written by ${owner} at ${time})`, { owner, timestamp: time, value });
  }
  if (!leaseAllows(node.table.meta(key), { owner, timestamp: time }, { leasing: node.leasing, delta: false, now: nowSeconds() })) return;
  const valueBytes = msgpackSize(value);
  const why = node.admit(key, owner, time, valueBytes);
  if (why) return refuse(node, peer, key, why, { owner, timestamp: time, value });
  const e = node.applyVersion(key, rawKey, { value, owner, ownerForm: idForm(ownerRaw), timestamp: time, deleted: false, valueBytes, hash }, 'initial-sync', peer);
  // The rest of the network may not have it either (a healed partition): pass it on to polyp2p peers.
  for (const p of node.polyp2pPeers(peer)) node.outbox(p).push(e.key);
}

function onDelta(node: SyncNode, peer: Peer, msg: MeshMessage): void {
  const p = msg.packets;
  const key = keyText(p[1]);
  if (p.length !== 3) return refuse(node, peer, key, `delta message with ${p.length - 1} items (expected 2)`);
  if (key === null) return refuse(node, peer, null, 'delta key is neither text nor UTF-8 bytes');
  const delta = p[2];
  const change = { owner: msg.sender, timestamp: msg.time };
  if (!isMapping(delta)) return refuse(node, peer, key, 'delta is not a mapping', change);
  const prev = node.table.live(key);
  if (prev && !isMapping(prev.value)) return refuse(node, peer, key, 'cannot apply a delta: the stored value is not a mapping', { ...change, value: delta });
  const ctx = { leasing: node.leasing, delta: true, now: nowSeconds() };
  const existing = node.table.meta(key);
  if (!leaseAllows(existing, change, ctx)) {
    refuse(node, peer, key, refusalReason(existing!, change, ctx), { ...change, value: delta });
    return pushCorrection(node, key);
  }
  const base = prev?.value as Record<string, unknown> | undefined;
  const valueBytes = mergedSize(base, prev?.valueBytes ?? 0, delta);
  const why = node.admit(key, msg.sender, msg.time, valueBytes) ?? tooLargeToPassOn(node, valueBytes);
  if (why) return refuse(node, peer, key, why, { ...change, value: delta });
  node.applyVersion(
    key,
    p[1] as string | Buffer,
    { value: mergeMapping(base, delta), owner: msg.sender, ownerForm: idForm(msg.senderRaw), timestamp: msg.time, deleted: false, valueBytes },
    'remote',
    peer,
  );
}

/** A merged mapping this node could not send a new peer whole is not taken. */
function tooLargeToPassOn(node: SyncNode, valueBytes: number): string | null {
  const { limit } = listLimit(node.bodyLimit);
  return valueBytes > limit ? `the merged mapping would be ${valueBytes} bytes, more than fits in a message this node accepts (${limit}); raise maxFrameSize on every node` : null;
}

/** After refusing a change: tell the polyp2p peers our version, so the network settles on one. */
function pushCorrection(node: SyncNode, key: string): void {
  if (!node.table.any(key)) return;
  for (const p of node.polyp2pPeers()) node.outbox(p).push(key);
}
