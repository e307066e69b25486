/**
 * The originals' chord protocol (PROTOCOL.md §15.2-15.4): meta handshake,
 * notifies, and store / retrieve / retrieved / delta routed to `find(pos)`
 * among directly connected data-storing peers, with the early nil answer of a
 * forwarding node. Every field a peer sends is validated; nothing throws out.
 */
import { flags } from '../base/flags';
import { textOf } from '../mesh/wire';
import type { Peer } from '../mesh/peer';
import type { MeshMessage } from '../mesh/message';
import type { ChordNode } from './chord-node';
import { isMapping, positionOf, tableOf, type TableName } from './positions';
import type { PutResult } from './store';
import { handOverToOriginal } from './legacy-handover';
import { legacyFind } from './legacy-find';
import { metaMessage, retrievedMessage, retrieveMessage, storeMessage } from './wire';
import { core } from '../native';
import { noteLegacyRoute } from './diagnostics';
import type { LegacySlot, Waiter } from './legacy-pending';

export function sendMeta(node: ChordNode, peer: Peer): void {
  node.sendToPeer(peer, flags.whisper, metaMessage(node.storing));
}

/** Where a legacy write went: stored here (or refused here, see PutResult), or sent to another node. */
export type LegacyWriteResult = PutResult | 'sent';

/**
 * Store (value null/undefined = delete) at find(pos), locally or with a
 * whisper. `from`: the peer whose legacy store this is (its link pays for it).
 */
export function legacyStore(node: ChordNode, table: TableName, pos: bigint, value: unknown, writer = node.id, from?: Peer): LegacyWriteResult {
  const target = legacyFind(node, pos);
  noteLegacyRoute(node, 'put', table, pos, target);
  if (target === 'self' || target === null) return node.store.put(table, pos, value ?? undefined, [Date.now(), writer], { link: from && node.linkAccount(from) });
  node.sendToPeer(target, flags.whisper, storeMessage(false, table, core.base58EncodeInt(pos), value));
  return 'sent';
}

export function legacyDelta(node: ChordNode, table: TableName, pos: bigint, delta: Record<string, unknown>, writer = node.id, from?: Peer): LegacyWriteResult {
  const target = legacyFind(node, pos);
  noteLegacyRoute(node, 'delta', table, pos, target);
  if (target === 'self' || target === null) return mergeLocal(node, table, pos, delta, writer, from);
  node.sendToPeer(target, flags.whisper, storeMessage(true, table, core.base58EncodeInt(pos), delta));
  return 'sent';
}

export function mergeLocal(node: ChordNode, table: TableName, pos: bigint, delta: Record<string, unknown>, writer: string, from?: Peer): PutResult {
  const cur = node.store.value(table, pos);
  if (cur !== undefined && !isMapping(cur)) return 'stale'; // py2p would raise; we keep the value
  return node.store.put(table, pos, { ...(cur ?? {}), ...delta }, [Date.now(), writer], { link: from && node.linkAccount(from) });
}

/**
 * Start (or join) a retrieve for one table position. Returns the local value
 * when this node is responsible, else the pending slot to watch.
 */
export function legacyLookup(node: ChordNode, table: TableName, pos: bigint, waiter?: Waiter, to: Peer | null = null): { local: unknown } | { slot: LegacySlot } {
  const target = to ?? legacyFind(node, pos);
  noteLegacyRoute(node, 'get', table, pos, target);
  if (target === 'self' || target === null) return { local: node.store.value(table, pos) };
  const b58 = core.base58EncodeInt(pos);
  const existing = node.legacyPending.get(table, b58);
  const slot = existing ?? node.legacyPending.open(table, b58);
  if (!slot) return { local: undefined };
  if (waiter && slot.waiters.length < 64) slot.waiters.push(waiter);
  if (!existing || !waiter || Date.now() - slot.createdAt > 1000) {
    slot.createdAt = Date.now();
    node.sendToPeer(target, flags.whisper, retrieveMessage(table, b58));
  }
  return { slot };
}

// --- handlers -------------------------------------------------------------------

function handleMeta(node: ChordNode, peer: Peer, msg: MeshMessage): void {
  const flag = textOf(msg.packets[1]);
  if (flag !== '0' && flag !== '1') return;
  const storing = flag === '0';
  if (storing === node.isStoring(peer)) return;
  sendMeta(node, peer);
  if (storing) node.storingPeers.add(peer);
  else node.storingPeers.delete(peer);
  if (storing) node.emit('storingPeer', peer);
  if (!storing || !node.storing) return node.overlay.changed();
  node.sendPeers(peer);
  node.overlay.changed();
  // polyp2p peers get their items through the overlay's repair; in overlay mode originals get
  // new writes mirrored (legacy-handover.ts) and reads answered through the overlay
  if (peer.answersPings || node.mode === 'overlay') return;
  handOverToOriginal(node, peer);
}

function handleNotify(node: ChordNode, peer: Peer, msg: MeshMessage): boolean {
  const p = msg.packets;
  const raw = p[1];
  if (!(typeof raw === 'string' || Buffer.isBuffer(raw))) return true;
  const key = Buffer.isBuffer(raw) ? Buffer.from(raw) : Buffer.from(raw, 'utf8');
  if (key.length > 64 * 1024) return true;
  const hex = key.toString('hex');
  if (p.length >= 3) {
    if (node.keySet.delete(hex)) node.emit('delete', { key, keyText: key.toString('utf8'), peer });
  } else if (p.length === 2 && !node.keySet.has(hex)) {
    // past maxAnnouncedKeyBytes (or maxItems) a notify is ignored: not listed, no event
    if (node.keySet.addAnnounced(hex, key)) node.emit('add', { key, keyText: key.toString('utf8'), peer });
    else node.refusals.announcedKeys++;
  }
  return true;
}

function handleStoreOrDelta(node: ChordNode, peer: Peer, msg: MeshMessage, delta: boolean): boolean {
  const p = msg.packets;
  if (p.length !== 4) return true;
  const table = tableOf(p[1]);
  const pos = positionOf(p[2]);
  if (!table || pos === null) return true;
  const value = p[3];
  if (delta && !isMapping(value)) return true;
  if (node.mode === 'overlay' && node.membership.ring(node.storing).length > 0) {
    node.overlay.requests.routeFromLegacy(table, pos, delta ? 'delta' : 'put', value ?? undefined, msg.sender, peer);
  } else if (delta) legacyDelta(node, table, pos, value as Record<string, unknown>, msg.sender, peer);
  else legacyStore(node, table, pos, value, msg.sender, peer);
  return true;
}

function handleRetrieve(node: ChordNode, peer: Peer, msg: MeshMessage): boolean {
  const p = msg.packets;
  if (p.length !== 3) return true;
  const table = tableOf(p[1]);
  const pos = positionOf(p[2]);
  if (!table || pos === null) return true;
  const answer = (v: unknown) => sendRetrieved(node, peer, p[1], p[2], v);
  if (node.mode === 'overlay' && node.membership.ring(node.storing).length > 0) {
    node.overlay.requests.retrieveForLegacy(table, pos, answer);
    return true;
  }
  const r = legacyLookup(node, table, pos, { peer, table: p[1], pos: p[2] });
  answer('local' in r ? r.local : undefined); // the early nil answer when forwarding (§15.4)
  return true;
}

function handleRetrieved(node: ChordNode, _peer: Peer, msg: MeshMessage): boolean {
  const p = msg.packets;
  if (p.length !== 4) return true;
  const table = textOf(p[1]);
  const b58 = textOf(p[2]);
  if (table === null || b58 === null) return true;
  const slot = node.legacyPending.get(table, b58);
  if (!slot) return true;
  const v = p[3] === null ? undefined : p[3];
  node.legacyPending.answer(slot, v);
  for (const w of slot.waiters) sendRetrieved(node, w.peer, w.table, w.pos, v);
  return true;
}

/**
 * A retrieved answer (table and position echoed as received). One larger than
 * the peer accepts goes as nil ("absent"), counted: the asynchronous paths that
 * answer must not throw.
 */
function sendRetrieved(node: ChordNode, peer: Peer, table: unknown, pos: unknown, v: unknown): void {
  if (peer.conn.closed) return;
  try {
    node.sendToPeer(peer, flags.whisper, retrievedMessage(table, pos, v));
  } catch (e) {
    node.refusals.tooLargeForPeer++;
    node.reportError(e as Error, peer);
    node.sendToPeer(peer, flags.whisper, retrievedMessage(table, pos, null));
  }
}

export function installLegacy(node: ChordNode): void {
  // Sub-flag 0x05 is both the mesh handshake (5 items) and the chord meta (2 items): metas are taken here.
  node.addHandler(flags.handshake, (peer, msg) => {
    if (msg.packets.length !== 2) return false;
    handleMeta(node, peer, msg);
    return true;
  });
  // the originals send these as whispers to the node find() chose; a broadcast would reach every node
  const add = (flag: number, handler: (node: ChordNode, peer: Peer, msg: MeshMessage) => void, linkOnly = false) => node.addHandler(flag, (peer, msg) => handler(node, peer, msg), { linkOnly });
  add(flags.notify, handleNotify);
  add(flags.store, (n, p, m) => handleStoreOrDelta(n, p, m, false), true);
  add(flags.delta, (n, p, m) => handleStoreOrDelta(n, p, m, true), true);
  add(flags.retrieve, handleRetrieve, true);
  add(flags.retrieved, handleRetrieved, true);
  node.on('peer', (peer: Peer) => sendMeta(node, peer));
}
