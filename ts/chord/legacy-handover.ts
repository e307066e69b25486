/**
 * Items sent to originals with the legacy protocol, in bulk or as mirrors:
 *
 *   - hand-overs: when an original starts storing next to a node that runs the
 *     legacy protocol (§15.3: what is now closer to it), and a legacy node's
 *     unjoin(). One legacy store per item, written only while the peer's queue
 *     is below its low-water mark (mesh/bulk.ts), an item larger than the peer
 *     accepts skipped and counted; each link gets at most one hand-over, so a
 *     peer toggling its meta cannot make this node send its store again and again;
 *   - mirrors: a node in overlay mode writes through the overlay, and also sends
 *     each write as a legacy store to the original neighbour closest at or
 *     before the position, when that original is closer to it than this node
 *     (the §15.3 rule: an original reads such positions from itself, the
 *     others it asks of this node, which answers through the overlay). A peer
 *     that merely claims to store data receives a copy; it cannot take the
 *     write away from the ring, which holds the acknowledged copies.
 */
import { flags } from '../base/flags';
import { sendPaced } from '../mesh/bulk';
import type { Peer } from '../mesh/peer';
import { core } from '../native';
import type { ChordNode } from './chord-node';
import { legacyFind } from './legacy-find';
import { ringDistance, type Slot } from './positions';
import type { Item } from './store';
import { encodedSize, VALUE_MESSAGE_OVERHEAD } from './values';
import { storeMessage } from './wire';

const handedOver = new WeakSet<Peer>();

/** A data-storing neighbour that speaks only the originals' protocol (an original, or a peer that only claims to store). */
export function isLegacyPeer(node: ChordNode, peer: Peer): boolean {
  return node.isStoring(peer) && !peer.answersPings && !node.isRingLink(peer);
}

/** Legacy stores of `items` to `peer`, paced; items larger than it accepts are skipped and counted. */
function sendStores(node: ChordNode, peer: Peer, items: Item[]): Promise<boolean> {
  const limit = node.bodyLimitFor(peer);
  function* stores(): Generator<unknown[]> {
    for (const it of items) {
      if (it.value === undefined) continue;
      if (encodedSize(it.value) + VALUE_MESSAGE_OVERHEAD > limit) {
        node.refusals.tooLargeForPeer++;
        continue;
      }
      yield storeMessage(false, it.table, core.base58EncodeInt(it.pos), it.value);
    }
  }
  return sendPaced(node, peer, flags.whisper, stores());
}

/** An original started storing next to this legacy-mode node: hand it what is now closer to it (once per link; the local copy is kept, §15.3). */
export function handOverToOriginal(node: ChordNode, peer: Peer): void {
  const pp = node.overlay.peerPos(peer);
  if (pp === null || handedOver.has(peer)) return;
  handedOver.add(peer);
  const self = node.overlay.selfPos();
  const closer = [...node.store.all()].filter((it) => it.value !== undefined && ringDistance(pp, it.pos) < ringDistance(self, it.pos));
  void sendStores(node, peer, closer);
}

/** unjoin() of a legacy-mode node: every item to find(pos) among its storing neighbours, paced per neighbour. */
export async function handOverAllLegacy(node: ChordNode): Promise<void> {
  const byPeer = new Map<Peer, Item[]>();
  for (const it of [...node.store.all()]) {
    if (it.value === undefined) continue;
    const target = legacyFind(node, it.pos);
    if (target === 'self' || target === null) continue;
    const list = byPeer.get(target) ?? [];
    list.push(it);
    byPeer.set(target, list);
  }
  await Promise.all([...byPeer].map(([peer, items]) => sendStores(node, peer, items)));
}

/** The original neighbour closest at or before `pos`, when it is closer than this node (find() among this node and its originals). */
export function closestOriginal(node: ChordNode, pos: bigint): Peer | null {
  const target = legacyFind(node, pos, (p) => isLegacyPeer(node, p));
  return target === 'self' || target === null ? null : target;
}

/** Overlay mode: also send a write (value undefined = delete) to the closest original, when it is closer than this node. */
export function mirrorToOriginals(node: ChordNode, slots: Slot[], value: unknown, delta: boolean): void {
  for (const s of slots) {
    const target = closestOriginal(node, s.pos);
    if (!target) continue;
    try {
      node.sendToPeer(target, flags.whisper, storeMessage(delta, s.table, s.b58, value));
    } catch (e) {
      node.reportError(e as Error, target);
    }
  }
}
