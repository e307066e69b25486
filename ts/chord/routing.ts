/**
 * The overlay's routing decisions as pure functions of a ring view: the finger
 * table, the links a node keeps, and one greedy routing step. The overlay
 * (overlay.ts) calls them with its live state; the simulator (sim/chord.js)
 * calls the same functions with converged ring views to measure hops at sizes
 * where gossiping the member list among real nodes in one process is too slow.
 * The overlay's own step is routeStepOnRing, which decides as routeStep does
 * (__test__/chord/routing.spec.js compares them) without measuring every link.
 */
import { core } from '../native';
import { Membership, type Member } from './ring';
import { RING, ringDistance } from './positions';

/** This node as routing sees it. */
export interface RouteSelf {
  id: string;
  pos: bigint;
  storing: boolean;
}

/** A directly connected node that may carry a request on: its position and whatever the caller routes through. */
export interface RouteCandidate<T> {
  pos: bigint;
  via: T;
}

/**
 * 'self': this node is responsible (by its view); 'peer': forward to that
 * link; 'connect': no link is closer, dial the responsible node; 'none': an
 * empty ring and this node does not store.
 */
export type RouteStep<T> = { kind: 'self' } | { kind: 'peer'; peer: T } | { kind: 'connect'; member: Member } | { kind: 'none' };

/**
 * One hop of a lookup for `pos`: `responsible` is the ring member closest at or
 * before `pos` in this node's view (Membership.responsibleIndex), undefined on
 * an empty ring. Otherwise the candidate closest at or before `pos` (smallest
 * clockwise distance to it) wins, and only when it is closer than this node
 * (a storing node never hands a request backwards).
 */
export function routeStep<T>(self: RouteSelf, responsible: Member | undefined, pos: bigint, candidates: Iterable<RouteCandidate<T>>): RouteStep<T> {
  if (!responsible) return self.storing ? { kind: 'self' } : { kind: 'none' };
  if (responsible.id === self.id) return { kind: 'self' };
  let best: T | null = null;
  let found = false;
  let gap = self.storing ? ringDistance(self.pos, pos) : -1n;
  for (const c of candidates) {
    const d = ringDistance(c.pos, pos);
    if (gap < 0n || d < gap) {
      gap = d;
      best = c.via;
      found = true;
    }
  }
  return found ? { kind: 'peer', peer: best as T } : { kind: 'connect', member: responsible };
}

/**
 * routeStep over this node's sorted ring view, without measuring every link:
 * walking back from the responsible node, distances to `pos` only grow, so the
 * first member `linkTo` gives a link for is the candidate routeStep would pick
 * (the links routeStep is given are exactly the live members linkTo accepts).
 * `ring` is sorted by position and holds this node when it stores
 * (Membership.ring). One binary search and a few lookups, where routeStep
 * looked up every link (a fifth of a 10,000-node simulation's CPU). After
 * `maxSteps` members without a link it gives up (null): in a large view with
 * few links (overlay 'full', or a node that does not store) a position chosen
 * by a peer could make it walk the whole view; the caller then measures its
 * links with routeStep.
 */
export function routeStepOnRing<T>(self: RouteSelf, ring: readonly Member[], pos: bigint, linkTo: (m: Member) => T | undefined, maxSteps: number): RouteStep<T> | null {
  if (!ring.length) return self.storing ? { kind: 'self' } : { kind: 'none' };
  const first = Membership.responsibleIndex(ring, pos);
  const responsible = ring[first];
  if (responsible.id === self.id) return { kind: 'self' };
  for (let k = 0, i = first; k < ring.length; k++, i = i === 0 ? ring.length - 1 : i - 1) {
    if (k >= maxSteps) return null;
    const m = ring[i];
    if (m.id === self.id) break; // this node is closer than every member after it
    const via = linkTo(m);
    if (via === undefined) continue;
    // a ring without this node's own entry: the link must still be closer than this node
    if (self.storing && ringDistance(m.pos, pos) >= ringDistance(self.pos, pos)) break;
    return { kind: 'peer', peer: via };
  }
  return { kind: 'connect', member: responsible };
}

/** Finger i: the first ring node at or after self + 2^i (targets from the core's ring math); distinct, nearest first. */
export function fingerTable(ring: Member[], selfId: string, selfPos: bigint): Member[] {
  if (ring.length < 2) return [];
  if (ring.length <= 128) return fingersByScan(ring, selfId, selfPos);
  const out: Member[] = [];
  const seen = new Set<string>([selfId]);
  for (const t of core.fingerTargets(selfPos, 384)) {
    let lo = 0;
    let hi = ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ring[mid].pos < t) lo = mid + 1;
      else hi = mid;
    }
    const m = ring[lo % ring.length];
    if (!seen.has(m.id)) {
      seen.add(m.id);
      out.push(m);
    }
  }
  return out;
}

/** Links the overlay keeps open (and dials): the r-1 nearest successors (at least one) and the fingers. */
export function wantedLinks(successors: Member[], fingers: Member[], replicas: number): Map<string, Member> {
  const want = new Map<string, Member>();
  for (const m of [...successors.slice(0, Math.max(1, replicas - 1)), ...fingers]) want.set(m.id, m);
  return want;
}

/**
 * The same fingers from one clockwise pass over a small ring (the 'log'
 * overlay's views): a member is finger i for some i exactly when the
 * smallest power of two above the previous member's distance from this node
 * is at most its own distance. A few dozen distances instead of 384 targets
 * and searches, on each change of the view.
 */
function fingersByScan(ring: Member[], selfId: string, selfPos: bigint): Member[] {
  let start = 0;
  while (start < ring.length && ring[start].pos <= selfPos) start++;
  const out: Member[] = [];
  let previous = 0n;
  for (let k = 0; k < ring.length; k++) {
    const m = ring[(start + k) % ring.length];
    if (m.id === selfId) continue;
    const d = ringDistance(selfPos, m.pos);
    if (d === 0n) continue;
    const next = previous === 0n ? 1n : 1n << BigInt(previous.toString(2).length);
    if (next <= d && next < RING) out.push(m);
    previous = d;
  }
  return out;
}
