/**
 * The chord layer's diagnostics channel (base/diagnostics.ts): each routing
 * decision of a lookup (get, put or delta of one table's slot), as it starts
 * here, passes through or is performed, and how it ended.
 */
import { defineChannel } from '../base/diagnostics';
import type { Peer } from '../mesh/peer';
import type { ChordNode } from './chord-node';
import type { TableName } from './positions';
import type { RouteStep } from './routing';

/**
 * What happened to a lookup at this node:
 * 'start': this node starts it (its own read or write, or an original's store it carries into the ring);
 * 'forward': it passes a peer's request on; 'perform': it is responsible and performs a peer's request;
 * 'refuse': it answers a peer's request 'error' without passing it on (`detail` says why);
 * 'answer': the answer to a lookup it started came back (`detail`: its status); 'timeout': none came in time;
 * 'legacy': a request sent with the originals' protocol (no polyp2p ring in view): one hop, to find(pos).
 */
export type ChordRouteEventKind = 'start' | 'forward' | 'perform' | 'refuse' | 'answer' | 'timeout' | 'legacy';

/** A message of `polyp2p:chord:route`. */
export interface ChordRouteEvent {
  node: ChordNode;
  event: ChordRouteEventKind;
  /** The request's ID on the wire (absent when no request was made: a lookup this node performs itself, a legacy one). */
  requestId?: string;
  op: 'get' | 'put' | 'delta';
  /** Which of the five tables, and the slot's ring position there. */
  table: TableName;
  position: bigint;
  /** Hops made so far (0 for 'start'); for 'answer', the lookup's total; -1 when unknown. */
  hops: number;
  /** For 'start', 'forward', 'perform', 'refuse', 'legacy': this node's routing decision ('self': it is responsible; 'peer': a link closer to the position; 'connect': dial the responsible node; 'none': an empty ring). */
  next?: RouteStep<Peer>['kind'];
  /** The node ID the request goes to next ('peer', 'connect'). */
  to?: string;
  /** For 'answer': the status ('ok', 'absent', 'error', 'timeout'); for 'refuse': why ('future-version', 'max-hops', 'duplicate-request', 'max-pending-lookups', 'link-budget'). */
  detail?: string;
}

export const chordRouteChannel = defineChannel<ChordRouteEvent>('polyp2p:chord:route');

/** The ID a routing decision sends the request to. */
function toOf(step: RouteStep<Peer> | undefined): string | undefined {
  if (step?.kind === 'peer') return step.peer.id ?? undefined;
  if (step?.kind === 'connect') return step.member.id;
  return undefined;
}

/**
 * Publish one routing event when someone subscribes (positional arguments:
 * nothing is built while nobody listens).
 */
export function noteRoute(
  node: ChordNode,
  event: ChordRouteEventKind,
  requestId: string | undefined,
  op: ChordRouteEvent['op'],
  table: TableName,
  position: bigint,
  hops: number,
  step?: RouteStep<Peer>,
  detail?: string,
): void {
  if (!chordRouteChannel.hasSubscribers) return;
  chordRouteChannel.publish({ node, event, requestId, op, table, position, hops, next: step?.kind, to: toOf(step), detail });
}

/** A request sent with the originals' protocol to `target` (legacy.ts legacyFind), published when someone subscribes. */
export function noteLegacyRoute(node: ChordNode, op: ChordRouteEvent['op'], table: TableName, position: bigint, target: 'self' | Peer | null): void {
  if (!chordRouteChannel.hasSubscribers) return;
  const step: RouteStep<Peer> = target === 'self' ? { kind: 'self' } : target === null ? { kind: 'none' } : { kind: 'peer', peer: target };
  noteRoute(node, 'legacy', undefined, op, table, position, 0, step);
}
