/**
 * Two open connections claiming one node ID: which one stays (one node, one
 * link). The originals keep the link opened by the larger ID (py2p's rule,
 * PROTOCOL.md §10.6), which is what makes two nodes that dial each other at
 * once agree on the same link. But a node ID is only a claim: applied to any
 * newcomer, that rule lets anyone who knows a peer's ID cut its link. So:
 *
 *  1. A link whose ID is proven (TLS pinning, `peer.pinned`) is never replaced
 *     by one whose ID is not (the newcomer is refused, ERR_DUPLICATE_ID); a
 *     proven newcomer replaces an unproven link.
 *  2. Between equally proven links, the tie-break keeps the link opened by
 *     the larger ID (§10.6); of two links in the same direction, the existing
 *     one stays. The loser is closed quietly.
 *  3. An unproven newcomer that wins the tie-break replaces the existing link
 *     at once only if it comes from the same IP address as that link, or from
 *     the address the connected peer advertised. Otherwise it may be another
 *     host using a connected peer's ID: it is held out of the routing table
 *     until the existing link closes (as the node at the other end closes it
 *     when both dialled at once: an honest node's connections may come from a
 *     source address other than the one it advertises), and refused
 *     (ERR_DUPLICATE_ID) if that has not happened within handshakeTimeout of
 *     its connection. Holding it gives nothing an attacker lacks anyway: once
 *     the honest link is gone, its ID is free to claim.
 */
import { core } from '../native';
import { DuplicateIdError } from '../base/errors';
import type { MeshNode } from './mesh-node';
import type { Peer } from './peer';

export type DuplicateVerdict =
  | { keep: 'newcomer' }
  /** The same node on a second link: close the newcomer quietly. */
  | { keep: 'existing' }
  /** Refuse the newcomer now: it proves the ID less well than the existing link. */
  | { keep: 'existing'; refuse: string }
  /** Hold the newcomer until the existing link closes (rule 3). */
  | { keep: 'existing'; standby: string };

/** `existing` is in the routing table under `peerId`; `newcomer` just handshook with the same ID. */
export function settleDuplicate(ownId: string, peerId: string, existing: Peer, newcomer: Peer): DuplicateVerdict {
  if (existing.pinned !== newcomer.pinned) {
    if (newcomer.pinned) return { keep: 'newcomer' };
    return { keep: 'existing', refuse: 'the connected peer proved this ID with its TLS key and this connection did not' };
  }
  if (!newcomerWinsTieBreak(ownId, peerId, existing, newcomer)) return { keep: 'existing' };
  if (newcomer.pinned || sameHost(existing, newcomer)) return { keep: 'newcomer' };
  return {
    keep: 'existing',
    standby: `it comes from ${ipOf(newcomer.conn.remoteAddress)}, while the connected peer is at ${ipOf(existing.conn.remoteAddress)}`,
  };
}

/**
 * Apply the verdict for a newcomer that claims `id`, held by `existing`.
 * `enterTable` puts a peer into the routing table (now, or when a held
 * newcomer is promoted). Returns true when the newcomer took the ID now.
 */
export function resolveDuplicate(node: MeshNode, id: string, existing: Peer, newcomer: Peer, enterTable: (p: Peer) => void): boolean {
  const verdict = settleDuplicate(node.id, id, existing, newcomer);
  if (verdict.keep === 'newcomer') {
    node.peers.delete(id);
    if (newcomer.pinned && !existing.pinned) node.reportError(new DuplicateIdError('another connection proved this ID with its TLS key; this unproven link was closed'), existing);
    existing.conn.close();
    return true;
  }
  if ('refuse' in verdict) {
    node.refuse(newcomer, new DuplicateIdError(`claims the ID of a connected peer, and ${verdict.refuse}; the existing link was kept and this one closed`));
  } else if ('standby' in verdict) {
    holdUntilClosed(node, id, existing, newcomer, verdict.standby, enterTable);
  } else {
    // a second link to the same node (simultaneous dials): a waiting connect() gets the kept one
    node.awaiting.delete(newcomer);
    if (!newcomer.handshakeSent) node.sendHandshake(newcomer, newcomer.protocolIdForm ?? 'str');
    node.peerReady(newcomer, false, existing);
    newcomer.conn.close();
  }
  return false;
}

/** Rule 3: promote `newcomer` if `existing` closes within handshakeTimeout of the newcomer's connection; refuse it otherwise. */
function holdUntilClosed(node: MeshNode, id: string, existing: Peer, newcomer: Peer, why: string, enterTable: (p: Peer) => void): void {
  node.awaiting.delete(newcomer);
  newcomer.standby = true;
  if (!newcomer.handshakeSent) node.sendHandshake(newcomer, newcomer.protocolIdForm ?? 'str');
  const timeout = node.options.handshakeTimeout;
  const refuse = () => node.refuse(newcomer, new DuplicateIdError(`claims the ID of a connected peer, and ${why}; that link stayed open for handshakeTimeout (${timeout} ms), so this one was closed`));
  const timer = setTimeout(refuse, Math.max(0, newcomer.conn.openedAt + timeout - Date.now()));
  const promote = () => {
    clearTimeout(timer);
    if (node.closed || newcomer.conn.closed) return;
    const holder = node.peers.get(id);
    if (holder && holder !== newcomer && !holder.conn.closed) return refuse();
    newcomer.standby = false;
    enterTable(newcomer);
  };
  existing.conn.once('close', promote);
  newcomer.conn.once('close', () => {
    clearTimeout(timer);
    existing.conn.off('close', promote);
  });
}

/** §10.6: of two links in opposite directions, the one opened by the larger ID stays. */
function newcomerWinsTieBreak(ownId: string, peerId: string, existing: Peer, newcomer: Peer): boolean {
  if (existing.outgoing === newcomer.outgoing) return false;
  const opener = (p: Peer) => core.base58DecodeInt(p.outgoing ? ownId : peerId);
  return opener(newcomer) > opener(existing);
}

/** `newcomer` comes from the IP address of `existing`'s link, or from the address that peer advertised. */
export function sameHost(existing: Peer, newcomer: Peer): boolean {
  const from = ipOf(newcomer.conn.remoteAddress);
  return from !== '' && (from === ipOf(existing.conn.remoteAddress) || from === ipOf(existing.addr?.[0]));
}

/** An address as compared here: IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) as IPv4, lower case. */
export function ipOf(address: string | undefined): string {
  if (!address) return '';
  const a = address.toLowerCase();
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
