/**
 * Overlay membership among polyp2p nodes and what is derived from it: the
 * sorted ring, successor lists and replica sets.
 *
 * Gossip carries changes only, never heartbeats: an entry's counter (`seq`,
 * an incarnation number) rises only when its node refutes a rumour of its
 * death, changes its storing state or leaves. Failure detection is local to
 * direct links: a node whose link to a member closed without notice (or whose
 * dials to it keep failing) marks it dead at its counter, and that change
 * spreads like any other; a live node that hears itself declared dead raises
 * its counter past the rumour. So a quiet ring sends no member entries at all,
 * and anti-entropy compares a digest of the view (an XOR of entry hashes,
 * kept up to date entry by entry) instead of whole lists.
 *
 * Members are *verified* or not (issue #17: a peer must not be able to fill
 * the ring with forged members). A member is verified when this node had a
 * handshaked link with its ID, or when a source this node trusts vouched for
 * it (its own entry, or an entry from a link this node opened: gossip.ts).
 * Anything else a peer introduces is kept unverified, at most a bounded number
 * per introducing peer: unverified members are not in the ring, the digest or
 * the lists this node sends, and are forgotten if not verified in time.
 */
import { idPosition, RING } from './positions';
import type { MemberWire } from './wire';

export interface Member {
  id: string;
  pos: bigint;
  host: string;
  port: number;
  seq: number;
  storing: boolean;
  dead: boolean;
  /** Date.now() when the entry last changed (for a dead one: when it was declared dead). */
  seenAt: number;
  /** Part of the ring (see the header); false: only introduced by `introducedBy`. */
  verified: boolean;
  /** The peer that introduced it while unverified (its introductions are bounded). */
  introducedBy: string | null;
  /** Other peers that reported it while unverified (a few): if one of them becomes trusted, it vouches. */
  alsoFrom?: string[];
}

/** One member as a gossiped entry. */
export const memberWire = (m: Member): MemberWire => [m.id, m.host, m.port, m.seq, m.storing, m.dead];

/** Peers remembered per unverified member besides its introducer. */
const ALSO_FROM = 4;

/**
 * How far a gossiped entry is believed: 'self' (a peer's entry about itself:
 * verified, and it may change its address), 'vouched' (from a trusted source:
 * verified), or an introduction by a peer this node does not trust for others.
 */
export type Trust = 'self' | 'vouched' | { introducer: string };

/**
 * An entry's counter may be at most this far (in seconds' worth) above this
 * node's clock in seconds: a rumour at 2^53 would leave its member no higher
 * counter to outlive it with. Honest counters start at the clock's seconds.
 */
const MAX_SEQ_AHEAD = 2 ** 32;

/** Most members one node keeps (forged entries cannot grow a view past it). */
export const MAX_MEMBERS = 16_384;

/** A view's digest: two 32-bit XORs of live entries' hashes, and how many live entries. */
export interface ViewDigest {
  a: number;
  b: number;
  count: number;
}

/** Two independent 32-bit FNV-1a hashes of a live entry's (id, seq, storing). */
export function entryHash(id: string, seq: number, storing: boolean): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  const mix = (c: number) => {
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  };
  for (let i = 0; i < id.length; i++) mix(id.charCodeAt(i));
  mix(seq >>> 0);
  mix(Math.floor(seq / 4294967296) >>> 0);
  mix(storing ? 1 : 2);
  return [a >>> 0, b >>> 0];
}

export class Membership {
  readonly members = new Map<string, Member>();
  private sorted: Member[] | null = null;
  private sortedWithSelf = false;
  /**
   * Whether a member verified here is news for the peers (queued for the next
   * delta). Overlay 'log' sets it false: each node keeps its own neighbourhood.
   */
  passOnVerified = true;
  /** Changes whenever the set of live storing members changes. */
  version = 0;
  /** Date.now() of the last change of any entry (a view is "quiet" when this is old). */
  changedAt = 0;
  /** Entries changed since the last drain(): the next delta sent to the peers. */
  private readonly dirty = new Map<string, Member>();
  private digestA = 0;
  private digestB = 0;
  private liveCount = 0;
  private deadCount = 0;
  /** Unverified members, and how many each peer introduced. */
  private readonly unverifiedSet = new Set<Member>();
  private readonly pendingBy = new Map<string, number>();

  constructor(
    readonly selfId: string,
    readonly selfPos: bigint,
    /** Called after the live ring or a verified entry changed (a wait for the view re-checks it). */
    private readonly onChange: () => void = () => {},
  ) {}

  /** The live storing members (not this node), kept sorted by position entry by entry. */
  private readonly live: Member[] = [];

  private touch(): void {
    this.sorted = null;
    this.version++;
    this.onChange();
  }

  /** Index of the first live member at or after `pos`. */
  private lowerBound(pos: bigint): number {
    let lo = 0;
    let hi = this.live.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.live[mid].pos < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** In the ring: verified, storing, not dead. */
  private static isLive(m: Member): boolean {
    return m.verified && m.storing && !m.dead;
  }

  /** Keep `live` in step with an entry whose live-storing state went from `was` to its current one. */
  private relink(m: Member, was: boolean): void {
    const is = Membership.isLive(m);
    if (is === was) return;
    if (is) this.live.splice(this.lowerBound(m.pos), 0, m);
    else {
      let i = this.lowerBound(m.pos);
      while (i < this.live.length && this.live[i] !== m) i++;
      if (i < this.live.length) this.live.splice(i, 1);
    }
    this.touch();
  }

  /** XOR a verified entry's hash into (or out of) the digest, when it is live. */
  private account(m: Member, sign: 1 | -1): void {
    if (!m.verified) return;
    if (m.dead) {
      this.deadCount += sign;
      return;
    }
    const [a, b] = entryHash(m.id, m.seq, m.storing);
    this.digestA = (this.digestA ^ a) >>> 0;
    this.digestB = (this.digestB ^ b) >>> 0;
    this.liveCount += sign;
  }

  private noteChange(m: Member, now: number, flood: boolean): void {
    m.seenAt = now;
    if (m.dead || !m.verified) this.expiresFrom = Math.min(this.expiresFrom, now + this.keptDeadFor);
    if (!m.verified) return; // not part of the view: nothing changed for the peers
    this.changedAt = now;
    if (flood) this.dirty.set(m.id, m);
    this.onChange();
  }

  /**
   * `peerId` has become a node this node trusts for others (gossip.ts): what it
   * introduced before is verified now. Returns true when the live ring changed.
   */
  vouchedBy(peerId: string, now = Date.now()): boolean {
    let changed = false;
    for (const m of [...this.unverifiedSet]) {
      if ((m.introducedBy === peerId || m.alsoFrom?.includes(peerId)) && this.verify(m.id, now)) changed = true;
    }
    return changed;
  }

  /** Another peer reported an unverified member: remembered (a few), in case it becomes trusted. */
  private heardFrom(m: Member, peerId: string): void {
    if (m.introducedBy === peerId || m.alsoFrom?.includes(peerId)) return;
    if (!m.alsoFrom) m.alsoFrom = [];
    if (m.alsoFrom.length < ALSO_FROM) m.alsoFrom.push(peerId);
  }

  /** Unverified members introduced by this peer. */
  pendingOf(peerId: string): number {
    return this.pendingBy.get(peerId) ?? 0;
  }

  get unverified(): number {
    return this.unverifiedSet.size;
  }

  /** Live verified members (this node not counted). */
  get verifiedLive(): number {
    return this.liveCount;
  }

  /** The member if it is in the ring (verified, storing, not dead). */
  liveMember(id: string): Member | undefined {
    const m = this.members.get(id);
    return m && Membership.isLive(m) ? m : undefined;
  }

  private countPending(m: Member, sign: 1 | -1): void {
    if (sign > 0) this.unverifiedSet.add(m);
    else this.unverifiedSet.delete(m);
    if (!m.introducedBy) return;
    const n = this.pendingOf(m.introducedBy) + sign;
    if (n > 0) this.pendingBy.set(m.introducedBy, n);
    else this.pendingBy.delete(m.introducedBy);
  }

  /**
   * This node had a handshaked link with `id` (or a trusted source vouched for
   * it): an unverified member joins the view, at `addr` when given (the address
   * its link advertised). Returns true when the live ring changed.
   */
  verify(id: string, now = Date.now(), addr?: [string, number] | null): boolean {
    const m = this.members.get(id);
    if (!m || m.verified) return false;
    this.countPending(m, -1);
    m.verified = true;
    m.introducedBy = null;
    delete m.alsoFrom;
    if (addr) [m.host, m.port] = addr;
    this.account(m, 1);
    this.noteChange(m, now, this.passOnVerified);
    this.relink(m, false);
    return Membership.isLive(m);
  }

  /**
   * Merge one gossiped entry; returns true when the live ring changed. A
   * changed entry is queued for the next delta unless `flood` is false (what a
   * node that knew nobody learns from its first full list is not news to anyone).
   * `trust` says how far it is believed (Trust); an introduction is added
   * unverified (the caller bounds introductions per peer).
   */
  merge(e: unknown, now: number, flood = true, trust: Trust = 'vouched'): boolean {
    const entry = Membership.parse(e, this.selfId, now);
    if (!entry) return false;
    const { id, host, port, seq, storing, dead } = entry;
    const trusted = typeof trust === 'string';
    const cur = this.members.get(id);
    if (!cur) {
      if (dead || this.members.size >= MAX_MEMBERS) return false;
      const pos = idPosition(id);
      if (pos === null || pos >= RING) return false;
      const m: Member = { id, pos, host, port, seq, storing, dead, seenAt: now, verified: trusted, introducedBy: trusted ? null : trust.introducer };
      this.members.set(id, m);
      if (!trusted) this.countPending(m, 1);
      this.account(m, 1);
      this.noteChange(m, now, flood);
      this.relink(m, false);
      return Membership.isLive(m);
    }
    if (!cur.verified && !trusted) this.heardFrom(cur, trust.introducer);
    const addressFromEntry = trust === 'self' || (!cur.verified && trusted);
    let changed = trusted && this.verify(id, now, addressFromEntry ? [host, port] : null);
    if (!(seq > cur.seq || (seq === cur.seq && dead && !cur.dead))) return changed;
    const wasLive = Membership.isLive(cur);
    this.account(cur, -1);
    cur.seq = seq;
    cur.dead = dead;
    cur.storing = storing;
    if (addressFromEntry) [cur.host, cur.port] = [host, port];
    this.account(cur, 1);
    this.noteChange(cur, now, flood);
    this.relink(cur, wasLive);
    changed = changed || wasLive !== Membership.isLive(cur);
    return changed;
  }

  /** A gossiped entry's fields, validated; null when malformed, about this node, or with an absurd counter. */
  private static parse(e: unknown, selfId: string, now: number): Omit<Member, 'pos' | 'seenAt' | 'verified' | 'introducedBy'> | null {
    if (!Array.isArray(e) || e.length !== 6) return null;
    const [idRaw, hostRaw, port, seq, storing, dead] = e as unknown[];
    const id = typeof idRaw === 'string' ? idRaw : Buffer.isBuffer(idRaw) ? idRaw.toString('utf8') : null;
    const host = typeof hostRaw === 'string' ? hostRaw : Buffer.isBuffer(hostRaw) ? hostRaw.toString('utf8') : null;
    if (!id || !host || id === selfId || host.length > 255) return null;
    if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) return null;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0 || seq > Math.floor(now / 1000) + MAX_SEQ_AHEAD) return null;
    if (typeof storing !== 'boolean' || typeof dead !== 'boolean') return null;
    return { id, host, port, seq, storing, dead };
  }

  /** Whether `e` would take a live ring member out of the ring (dead, or no longer storing): a rumour when it is not the member's own entry. */
  demotes(e: unknown): boolean {
    if (!Array.isArray(e) || e.length !== 6) return false;
    const [idRaw, , , seq, storing, dead] = e as unknown[];
    const id = typeof idRaw === 'string' ? idRaw : Buffer.isBuffer(idRaw) ? idRaw.toString('utf8') : null;
    const cur = id ? this.liveMember(id) : undefined;
    if (!cur || typeof seq !== 'number') return false;
    const wins = seq > cur.seq || (seq === cur.seq && dead === true);
    return wins && (dead === true || storing === false);
  }

  /**
   * A handshaked link to a member this node holds dead proves it alive (overlay
   * 'log': a death is news only to the neighbours that saw it, so the member
   * may never hear of it and refute). Returns true when the live ring changed.
   */
  revive(id: string, now = Date.now()): boolean {
    const cur = this.members.get(id);
    if (!cur || !cur.dead || !cur.verified) return false;
    this.account(cur, -1);
    cur.dead = false;
    this.account(cur, 1);
    this.noteChange(cur, now, this.passOnVerified);
    this.relink(cur, false);
    return Membership.isLive(cur);
  }

  /** Whether this node holds the member of a live entry `e` dead at the entry's counter or later (so merging it changes nothing). */
  heldDeadAgainst(e: unknown): boolean {
    if (!Array.isArray(e) || e.length !== 6 || e[5] !== false || typeof e[3] !== 'number') return false;
    const id = typeof e[0] === 'string' ? e[0] : Buffer.isBuffer(e[0]) ? e[0].toString('utf8') : null;
    const cur = id ? this.members.get(id) : undefined;
    return !!cur && cur.dead && cur.verified && cur.seq >= e[3];
  }

  /** Our link to a member closed without notice (or dials to it failed): declare it dead at its current counter. */
  markDead(id: string, now = Date.now()): boolean {
    const cur = this.members.get(id);
    if (!cur || cur.dead || !cur.verified) return false;
    this.account(cur, -1);
    cur.dead = true;
    this.account(cur, 1);
    this.noteChange(cur, now, true);
    this.relink(cur, cur.storing);
    return cur.storing;
  }

  /**
   * Drop a verified member this node no longer keeps (overlay 'log': neither a
   * neighbour, a finger nor a link); a change still to be sent is kept. True
   * when the live ring changed.
   */
  forget(id: string): boolean {
    const m = this.members.get(id);
    if (!m || !m.verified || this.dirty.has(id)) return false;
    const wasLive = Membership.isLive(m);
    this.account(m, -1);
    this.members.delete(id);
    if (wasLive) {
      let i = this.lowerBound(m.pos);
      while (i < this.live.length && this.live[i] !== m) i++;
      if (i < this.live.length) this.live.splice(i, 1);
      this.touch();
    }
    return wasLive;
  }

  /** Forget members declared dead longer than `keepDead` ms ago (their tombstone outlives the rumours), and introductions not verified within as long. */
  expire(now: number, keepDead: number): void {
    if (this.deadCount === 0 && this.unverifiedSet.size === 0) return;
    // nothing expires before the earliest seenAt + keepDead (of the last walk, or a change since)
    if (now <= this.expiresFrom && keepDead === this.keptDeadFor) return;
    this.keptDeadFor = keepDead;
    let next = Infinity;
    for (const [id, m] of this.members) {
      if (!(m.dead || !m.verified)) continue;
      if (now - m.seenAt <= keepDead || this.dirty.has(id)) {
        next = Math.min(next, m.seenAt + keepDead);
        continue;
      }
      if (!m.verified) this.countPending(m, -1);
      this.account(m, -1);
      this.members.delete(id);
    }
    this.expiresFrom = next;
  }

  /** No dead or unverified member expires before this time (expire()), for `keptDeadFor`. */
  private expiresFrom = 0;
  private keptDeadFor = 0;

  /** The entries changed since the last call (the delta to send), oldest first; clears the queue. */
  drain(): MemberWire[] {
    const out: MemberWire[] = [];
    for (const m of this.dirty.values()) out.push([m.id, m.host, m.port, m.seq, m.storing, m.dead]);
    this.dirty.clear();
    return out;
  }

  get pending(): number {
    return this.dirty.size;
  }

  /** The whole view (and `self` first): what a full list carries. */
  wire(self: MemberWire | null): MemberWire[] {
    const out: MemberWire[] = self ? [self] : [];
    for (const m of this.members.values()) if (m.verified) out.push(memberWire(m));
    return out;
  }

  /** Digest of the live entries plus this node's own entry (two converged views have equal digests). */
  digest(self: { seq: number; storing: boolean }): ViewDigest {
    const [a, b] = entryHash(this.selfId, self.seq, self.storing);
    return { a: (this.digestA ^ a) >>> 0, b: (this.digestB ^ b) >>> 0, count: this.liveCount + 1 };
  }

  /** Live storing members plus this node (when it stores), sorted by position. */
  ring(selfStoring: boolean): Member[] {
    if (this.sorted && this.sortedWithSelf === selfStoring) return this.sorted;
    const list = this.live.slice();
    if (selfStoring)
      list.splice(this.lowerBound(this.selfPos), 0, { id: this.selfId, pos: this.selfPos, host: '', port: 0, seq: 0, storing: true, dead: false, seenAt: 0, verified: true, introducedBy: null });
    this.sorted = list;
    this.sortedWithSelf = selfStoring;
    return list;
  }

  /**
   * Index in the sorted `ring` of the node responsible for `pos`: the closest
   * at or before it (§15.2), wrapping to the last node; positions of the
   * unreduced SHA-512 table count modulo 2^384, as the ring distance does.
   */
  static responsibleIndex(ring: readonly Member[], pos: bigint): number {
    if (!ring.length) return -1;
    const t = pos % RING;
    let lo = 0;
    let hi = ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ring[mid].pos <= t) lo = mid + 1;
      else hi = mid;
    }
    return (lo - 1 + ring.length) % ring.length;
  }

  /** Responsible node and its next r-1 successors (distinct). */
  static replicaSet(ring: readonly Member[], pos: bigint, r: number): Member[] {
    if (!ring.length) return [];
    const i = Membership.responsibleIndex(ring, pos);
    const out: Member[] = [];
    for (let k = 0; k < Math.min(r, ring.length); k++) out.push(ring[(i + k) % ring.length]);
    return out;
  }

  /** Successors of this node (up to n), nearest first. */
  static successors(ring: readonly Member[], selfId: string, n: number): Member[] {
    const i = ring.findIndex((m) => m.id === selfId);
    if (i < 0) return [];
    const out: Member[] = [];
    for (let k = 1; k <= Math.min(n, ring.length - 1); k++) out.push(ring[(i + k) % ring.length]);
    return out;
  }

  static predecessors(ring: readonly Member[], selfId: string, n: number): Member[] {
    const i = ring.findIndex((m) => m.id === selfId);
    if (i < 0) return [];
    const out: Member[] = [];
    for (let k = 1; k <= Math.min(n, ring.length - 1); k++) out.push(ring[(i - k + ring.length) % ring.length]);
    return out;
  }
}
