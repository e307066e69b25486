/** The messages of the `polyp2p:chord:route` diagnostics channel (published by diagnostics.ts). */
import type { ChordNode } from './chord-node';
import type { TableName } from './positions';

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
  op: 'get' | 'put' | 'delta' | 'find';
  /** Which of the five tables, and the slot's ring position there. */
  table: TableName;
  position: bigint;
  /** Hops made so far (0 for 'start'); for 'answer', the lookup's total; -1 when unknown. */
  hops: number;
  /** For 'start', 'forward', 'perform', 'refuse', 'legacy': this node's routing decision ('self': it is responsible; 'peer': a link closer to the position; 'connect': dial the responsible node; 'none': an empty ring). */
  next?: 'self' | 'peer' | 'connect' | 'none';
  /** The node ID the request goes to next ('peer', 'connect'). */
  to?: string;
  /** For 'answer': the status ('ok', 'absent', 'error', 'timeout'); for 'refuse': why ('future-version', 'max-hops', 'duplicate-request', 'max-pending-lookups', 'link-budget'). */
  detail?: string;
}
