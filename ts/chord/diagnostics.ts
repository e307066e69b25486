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
import type { ChordRouteEvent, ChordRouteEventKind } from './route-event';

export type { ChordRouteEvent, ChordRouteEventKind } from './route-event';

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
