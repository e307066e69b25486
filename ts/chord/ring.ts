/**
 * Overlay membership among polyp2p nodes and what is derived from it: the
 * sorted ring, successor lists, replica sets and the finger table.
 *
 * Every data-storing polyp2p node has a heartbeat counter it raises at each
 * stabilisation round; rounds exchange the member list with directly
 * connected polyp2p peers (sub-flag 0x30). An entry whose counter stops
 * rising for `failureTimeout` is dropped; a node whose connection to a member
 * closes marks that member dead at its counter, which spreads the same way
 * (a live node that hears itself declared dead raises its counter past it).
 */
import { core } from '../native';
import { idPosition } from './positions';

export interface Member {
  id: string;
  pos: bigint;
  host: string;
  port: number;
  seq: number;
  storing: boolean;
  dead: boolean;
  /** Date.now() when seq last rose (or the entry changed). */
  seenAt: number;
}

/** Wire form: [id, host, port, seq, storing, dead]. */
export type MemberWire = [string, string, number, number, boolean, boolean];

export const MAX_MEMBERS = 4096;

export class Membership {
  readonly members = new Map<string, Member>();
  private sorted: Member[] | null = null;
  /** Changes whenever the set of live storing members changes. */
  version = 0;

  constructor(readonly selfId: string, readonly selfPos: bigint) {}

  private touch(): void {
    this.sorted = null;
    this.version++;
  }

  /** Merge one gossiped entry; returns true when the live ring changed. */
  merge(e: unknown, now: number): boolean {
    if (!Array.isArray(e) || e.length !== 6) return false;
    const [idRaw, hostRaw, port, seq, storing, dead] = e;
    const id = typeof idRaw === 'string' ? idRaw : Buffer.isBuffer(idRaw) ? idRaw.toString('utf8') : null;
    const host = typeof hostRaw === 'string' ? hostRaw : Buffer.isBuffer(hostRaw) ? hostRaw.toString('utf8') : null;
    if (!id || !host || id === this.selfId || host.length > 255) return false;
    if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) return false;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return false;
    if (typeof storing !== 'boolean' || typeof dead !== 'boolean') return false;
    const cur = this.members.get(id);
    if (!cur) {
      if (dead || this.members.size >= MAX_MEMBERS) return false;
      const pos = idPosition(id);
      if (pos === null) return false;
      this.members.set(id, { id, pos, host, port, seq, storing, dead, seenAt: now });
      if (storing) this.touch();
      return storing;
    }
    const wasLive = cur.storing && !cur.dead;
    if (seq > cur.seq || (seq === cur.seq && dead && !cur.dead)) {
      cur.seq = seq;
      cur.dead = dead;
      cur.storing = storing;
      cur.host = host;
      cur.port = port;
      if (!dead) cur.seenAt = now;
    }
    const live = cur.storing && !cur.dead;
    if (live !== wasLive) this.touch();
    return live !== wasLive;
  }

  /** Our connection to a member closed: declare it dead at its current counter. */
  markDead(id: string): boolean {
    const cur = this.members.get(id);
    if (!cur || cur.dead) return false;
    cur.dead = true;
    const wasLive = cur.storing;
    if (wasLive) this.touch();
    return wasLive;
  }

  /** Drop members silent for longer than `timeout`; forget dead ones after 10x that. */
  expire(now: number, timeout: number): boolean {
    let changed = false;
    for (const [id, m] of this.members) {
      if (!m.dead && now - m.seenAt > timeout) {
        m.dead = true;
        if (m.storing) changed = true;
      } else if (m.dead && now - m.seenAt > timeout * 10) this.members.delete(id);
    }
    if (changed) this.touch();
    return changed;
  }

  wire(self: MemberWire | null): MemberWire[] {
    const out: MemberWire[] = self ? [self] : [];
    for (const m of this.members.values()) out.push([m.id, m.host, m.port, m.seq, m.storing, m.dead]);
    return out;
  }

  /** Live storing members plus this node (when it stores), sorted by position. */
  ring(selfStoring: boolean): Member[] {
    if (this.sorted && this.sortedWithSelf === selfStoring) return this.sorted;
    const list = [...this.members.values()].filter((m) => m.storing && !m.dead);
    if (selfStoring) list.push({ id: this.selfId, pos: this.selfPos, host: '', port: 0, seq: 0, storing: true, dead: false, seenAt: 0 });
    list.sort((a, b) => (a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : 0));
    this.sorted = list;
    this.sortedWithSelf = selfStoring;
    return list;
  }
  private sortedWithSelf = false;

  /** Index in `ring` of the node responsible for `pos` (closest at or before it, §15.2). */
  static responsibleIndex(ring: Member[], pos: bigint): number {
    return core.closestPreceding(
      ring.map((m) => m.pos),
      pos,
    );
  }

  /** Responsible node and its next r-1 successors (distinct). */
  static replicaSet(ring: Member[], pos: bigint, r: number): Member[] {
    if (!ring.length) return [];
    const i = Membership.responsibleIndex(ring, pos);
    const out: Member[] = [];
    for (let k = 0; k < Math.min(r, ring.length); k++) out.push(ring[(i + k) % ring.length]);
    return out;
  }

  /** Successors of this node (up to n), nearest first. */
  static successors(ring: Member[], selfId: string, n: number): Member[] {
    const i = ring.findIndex((m) => m.id === selfId);
    if (i < 0) return [];
    const out: Member[] = [];
    for (let k = 1; k <= Math.min(n, ring.length - 1); k++) out.push(ring[(i + k) % ring.length]);
    return out;
  }

  static predecessors(ring: Member[], selfId: string, n: number): Member[] {
    const i = ring.findIndex((m) => m.id === selfId);
    if (i < 0) return [];
    const out: Member[] = [];
    for (let k = 1; k <= Math.min(n, ring.length - 1); k++) out.push(ring[(i - k + ring.length) % ring.length]);
    return out;
  }

  /** Finger table: the first node at or after self + 2^i, distinct, nearest first. */
  static fingers(ring: Member[], selfId: string, selfPos: bigint): Member[] {
    if (ring.length < 2) return [];
    const targets = core.fingerTargets(selfPos, 384);
    const positions = ring.map((m) => m.pos);
    const out: Member[] = [];
    const seen = new Set<string>([selfId]);
    for (const t of targets) {
      // first node at or after t = the node after the closest preceding one, unless one sits exactly at t
      let i = core.closestPreceding(positions, t);
      if (positions[i] !== t) i = (i + 1) % ring.length;
      const m = ring[i];
      if (!seen.has(m.id)) {
        seen.add(m.id);
        out.push(m);
      }
    }
    return out;
  }
}
