/**
 * find(pos) and find_prev(pos) of the originals' chord protocol
 * (docs/protocol.md §13.3): which data-storing node, among this one and its
 * directly connected peers, a legacy store or retrieve goes to.
 */
import type { Peer } from '../mesh/peer';
import type { ChordNode } from './chord-node';
import { ringDistance } from './positions';

/** find(pos): the data-storing node closest at or before pos (docs/protocol.md §13.1), among this node and the peers `among` admits; 'self', a peer, or null. */
export function legacyFind(node: ChordNode, pos: bigint, among: (p: Peer) => boolean = () => true): 'self' | Peer | null {
  return closestStoring(node, (at) => ringDistance(at, pos), among);
}

/** find_prev(pos): the data-storing node closest at or after pos going round the ring (js2p's `find_prev`). */
export function legacyFindPrev(node: ChordNode, pos: bigint): 'self' | Peer | null {
  return closestStoring(
    node,
    (at) => ringDistance(pos, at),
    () => true,
  );
}

/** This node (when storing) or the data-storing peer `among` admits with the smallest `distanceOf` its position. */
function closestStoring(node: ChordNode, distanceOf: (at: bigint) => bigint, among: (p: Peer) => boolean): 'self' | Peer | null {
  let best: 'self' | Peer | null = null;
  let gap = 0n;
  if (node.storing) {
    best = 'self';
    gap = distanceOf(node.overlay.selfPos());
  }
  for (const p of node.peers.values()) {
    if (!node.isStoring(p) || !p.id || !among(p)) continue;
    const at = node.overlay.peerPos(p);
    if (at === null) continue;
    const d = distanceOf(at);
    if (best === null || d < gap) {
      best = p;
      gap = d;
    }
  }
  return best;
}
