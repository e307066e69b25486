/**
 * The bounded view of the 'log' overlay (ChordOptions.overlay, docs/protocol.md
 * §13.4): what keeps a node's routing state at about log2 N entries while the
 * ring changes. It trims the view to the neighbourhood and the links, looks up
 * one finger a round, checks members held dead that others say are alive, and
 * brings back a node cut off from every member. The overlay (overlay.ts) calls
 * it from its round; the gossip (gossip.ts) asks it what a list may add.
 */
import type { Overlay } from './overlay';
import type { Member } from './ring';
import { positionOf, RING, ringDistance } from './positions';
import { textOf } from '../mesh/wire';

/** Join lookups a node makes before it leaves finding its place to its ordinary dials. */
const LOCATE_TRIES = 3;
/** Most rounds between finger lookups that find nothing new (at 8 they were 4/5 of a quiet ring's frames; a lost finger's slot is looked up sooner). */
const MAX_FIND_EVERY = 32;
const MAX_LOST_SLOTS = 16;

export class BoundedView {
  constructor(private readonly o: Overlay) {}

  /**
   * One stabilisation round: trim, the join lookup until it found this node's place, then a finger
   * lookup: the cycle's when one is due, else a lost slot's (under churn, lost slots do not hold the
   * cycle back; while the cycle runs every round it reaches their slots itself).
   */
  onRound(beat: boolean): void {
    this.trim();
    if (!this.located) this.locate();
    if (!beat) return;
    const due = ++this.roundsSinceFind >= this.findEvery;
    if (due || this.lostSlots.length) this.findFinger(due);
  }

  /** Whether this node found its place on the ring since it started (or was cut off). */
  private located = false;
  private locating = false;
  /** Join lookups made since the node started or was cut off (at most LOCATE_TRIES). */
  private locateTries = 0;
  /** Bumped by rejoin(): an answer to a lookup made before it is stale. */
  private generation = 0;
  /** Until when the overlay leaves its wanted links undialled (ensureConnections): the join lookup's dials come first. */
  holdDialsUntil = 0;

  /**
   * Chord's join: a 'find' routed to the position just before this node
   * reaches its predecessor, which answers with its own entry and its
   * successors, this node's successors: they are dialled directly. Without
   * it a newcomer walked toward its place one link at a time, dialling the
   * successors each list it got named (about 25 links per join at N = 1,000).
   * Only a node that joins (its user connected it somewhere, or it was cut
   * off) looks itself up, at most LOCATE_TRIES times; during the first lookup
   * (at most four rounds) and one round after its answer the overlay dials
   * nothing else, and an answer that fails or does not fit lifts that at once.
   */
  private locate(): void {
    const node = this.o.node;
    if (this.locating || !node.storing || node.membership.ring(false).length === 0) return;
    if (!node.bootstrapAddresses().length && !this.cutOff) return; // a ring's first node: others find it
    if (![...node.peers.values()].some((p) => p.answersPings && p.id && !p.conn.closed)) return;
    if (++this.locateTries > LOCATE_TRIES) {
      [this.located, this.cutOff] = [true, false]; // the ordinary dials (wanted links) find the way
      return;
    }
    this.locating = true;
    const round = node.chord.stabilizeInterval;
    if (this.locateTries === 1) this.holdDialsUntil = Date.now() + 4 * round;
    const target = (this.o.selfPos() - 1n + RING) % RING;
    const generation = this.generation;
    void this.o.requests.originate('sha384', target, 'find', null, null, 4 * round, false).then((a) => {
      if (generation !== this.generation) return;
      this.locating = false;
      const entries = a.status === 'ok' && a.hops > 0 ? this.fitting(entriesOf(a.value, 1 + node.chord.replicas), target) : null;
      this.holdDialsUntil = entries ? Date.now() + round : 0;
      if (!entries) return;
      [this.located, this.cutOff] = [true, false];
      for (const e of entries) this.dialFound(e.id, e.host, e.port);
    });
  }

  /** Set by rejoin(): the node lost every member and must find its place again. */
  private cutOff = false;

  /**
   * A join answer's entries when they fit where they claim to be (else null):
   * the first at or before the target and no farther from it than the
   * predecessor this node knows, the others clockwise after it. A forged or
   * stale answer that does not fit is dropped (the ordinary dials go on).
   */
  private fitting(entries: FoundEntry[], target: bigint): FoundEntry[] | null {
    const [first, ...rest] = entries;
    if (!first) return null;
    const known = this.o.predecessors[0];
    const gap = ringDistance(first.pos, target);
    if (known && ringDistance(known.pos, target) < gap) return null;
    let last = 0n;
    for (const e of rest) {
      const d = ringDistance(first.pos, e.pos);
      if (d <= last) return null;
      last = d;
    }
    return entries;
  }

  /**
   * Whether a member at this ID's position would be among this
   * node's 2r successors or r predecessors (or the view is still short of
   * them): the only members another node's list may add to the view.
   */
  inNeighbourhood(id: string): boolean {
    const pos = positionOf(id);
    if (pos === null) return false;
    const r = this.o.node.chord.replicas;
    const self = this.o.selfPos();
    const lastSucc = this.o.successors[2 * r - 1];
    const lastPred = this.o.predecessors[r - 1];
    if (!lastSucc || !lastPred) return true;
    const d = ringDistance(self, pos);
    return d < ringDistance(self, lastSucc.pos) || ringDistance(pos, self) < ringDistance(lastPred.pos, self);
  }

  /**
   * Whether this node's view tells the replica set of a position: the
   * position's responsible node lies among its r predecessors, itself and its
   * first r successors (the r − 1 after it are then among its 2r successors).
   * Always true in the 'full' overlay, and while the lists are short or wrap
   * around (a small ring, whose view holds every node).
   */
  coversReplicaSet(pos: bigint): boolean {
    if (!this.o.log) return true;
    const r = this.o.node.chord.replicas;
    const first = this.o.predecessors[r - 1];
    const last = this.o.successors[r];
    if (!first || !last || !this.o.successors[2 * r - 1]) return true;
    // the successor list wraps around to the r-th predecessor: the view holds the whole ring
    if (this.o.successors.some((m) => m.id === first.id)) return true;
    return ringDistance(first.pos, pos) < ringDistance(first.pos, last.pos);
  }

  /** Members this node holds dead within its neighbourhood (at most 2r), newest deaths first: sent along with its neighbours. */
  nearbyDeaths(): Member[] {
    const out: Member[] = [];
    for (const m of this.o.node.membership.members.values()) if (m.dead && m.verified && this.inNeighbourhood(m.id)) out.push(m);
    return out.sort((a, b) => b.seenAt - a.seenAt).slice(0, 2 * this.o.node.chord.replicas);
  }

  /**
   * Forget the verified members that are neither neighbours
   * (successors, predecessors) nor linked (fingers are links), so the view
   * stays about log2 N entries whatever the gossip brought in.
   */
  trim(): void {
    const node = this.o.node;
    // a view and links unchanged since the last trim have nothing to trim; every 8th round runs anyway
    // (a link replaced by another between two rounds leaves the count as it was)
    const state = () => node.membership.version * 65_536 + node.peers.size;
    if (state() === this.trimmedState && ++this.roundsSinceTrim < 8) return;
    this.roundsSinceTrim = 0;
    const near = (id: string) => this.o.successors.some((m) => m.id === id) || this.o.predecessors.some((m) => m.id === id);
    let changed = false;
    // no set or copy of the view is built (deleting while iterating a Map is safe)
    for (const m of node.membership.members.values()) {
      if (!m.verified || m.dead) continue;
      // fingers are links (found by lookups, wanted()); an unlinked one is only a name that may be stale
      const link = node.peers.get(m.id);
      if ((link && !link.conn.closed) || near(m.id)) continue;
      if (node.membership.forget(m.id)) changed = true;
    }
    if (changed) this.o.derive();
    this.trimmedState = state();
  }

  /** View version and link count at the last trim, and rounds since it ran. */
  private trimmedState = -1;
  private roundsSinceTrim = 0;

  private fingerTurn = 0;
  private finding = false;
  /**
   * Rounds between the cycle's finger lookups: 1 until the cycle went once over every slot (a node
   * that just joined fills its table before it slows down), then doubling (up to MAX_FIND_EVERY)
   * while lookups find no finger this node lacked, back to 1 when one does.
   */
  private findEvery = 1;
  private roundsSinceFind = 0;
  /** Cycle lookups left in the first pass over every slot (null: not started). */
  private sweepLeft: number | null = null;
  /** Slots (i of self + 2^i) whose finger's link closed: looked up in the rounds the cycle is not due. */
  private lostSlots: LostSlot[] = [];

  /** A link closed to a member this node used as a finger: its slot is looked up in a round the cycle is not due, not when the cycle comes back to it. */
  fingerLost(id: string, pos: bigint): void {
    const d = ringDistance(this.o.selfPos(), pos);
    if (d === 0n) return;
    const slot = d.toString(2).length - 1; // the largest i with self + 2^i at or before the lost finger
    if (!this.lostSlots.some((l) => l.slot === slot) && this.lostSlots.length < MAX_LOST_SLOTS) this.lostSlots.push({ slot, id, tries: 0 });
  }

  /**
   * One finger lookup, successor(self + 2^i) by a routed 'find': the cycle's
   * (`cycleDue`) over the bits whose target lies past the last successor
   * (nearer ones are successors), else the next lost slot. The node found is dialled: its handshake
   * verifies it, and the member lists exchanged on the new link bring it into
   * the view, where fingerTable picks it (the first node at or after the target).
   */
  private findFinger(cycleDue: boolean): void {
    const node = this.o.node;
    const lastSucc = this.o.successors[this.o.successors.length - 1];
    if (!lastSucc || !node.storing || this.finding) return;
    const self = this.o.selfPos();
    // slots whose target lies at or before the last successor have a successor as their finger: not looked up
    const first = ringDistance(self, lastSucc.pos).toString(2).length; // 2^first > distance to the last successor
    if (first >= 384) return;
    let lost: LostSlot | null = null;
    let i: number;
    if (cycleDue) {
      this.roundsSinceFind = 0;
      i = first + (this.fingerTurn++ % (384 - first));
      // the cycle's lookup stands for a lost entry of the same slot (and passes over the lost finger)
      const k = this.lostSlots.findIndex((l) => l.slot === i);
      if (k >= 0) lost = this.lostSlots.splice(k, 1)[0];
    } else {
      // entries nearer than the first slot were successors: dropped
      let next = this.lostSlots.shift();
      while (next && next.slot < first) next = this.lostSlots.shift();
      if (!next) return;
      [lost, i] = [next, next.slot];
    }
    // the pass is sized at its first lookup, often before the join lookup found the node's place
    // (its successors may then be those of the node it joined through); sizing it once the node
    // found its place made every joiner's pass longer and the N = 10,000 simulation about 2 minutes
    // slower (docs/chord-scaling.md). It is never longer than the slots there are now.
    this.sweepLeft = Math.min(this.sweepLeft ?? 384 - first, 384 - first);
    const sweeping = cycleDue && this.sweepLeft > 0;
    if (sweeping) this.sweepLeft--;
    const target = (self + (1n << BigInt(i))) % RING;
    this.finding = true;
    void this.o.requests.originate('sha384', target, 'find', null, null, 4 * node.chord.stabilizeInterval, false).then((a) => {
      this.finding = false;
      const named = a.status === 'ok' && this.found(a.value, target, lost, sweeping);
      // timed out (through the lost finger?) or named no other: again, three tries in all
      if (lost && !named && lost.tries < 2 && this.lostSlots.length < MAX_LOST_SLOTS) this.lostSlots.push({ ...lost, tries: lost.tries + 1 });
    });
  }

  private rejoinTurn = 0;

  /**
   * Every link of this node died (it was cut off, or all its
   * neighbours went at once) and it knows no live member. Nobody else will
   * dial it: each round it dials two of the members it last knew, at their
   * verified addresses, and the addresses its user connected to, in turn.
   */
  rejoin(now: number): void {
    const node = this.o.node;
    // cut off: find its place again, and fill its finger table again from its first pass
    if (!this.cutOff) [this.cutOff, this.located, this.locating, this.locateTries, this.sweepLeft, this.findEvery] = [true, false, false, 0, null, 1];
    this.generation++;
    const targets: [string, number, string | undefined][] = [];
    for (const m of node.membership.members.values()) if (m.verified && m.dead) targets.push([m.host, m.port, m.id]);
    for (const addr of node.bootstrapAddresses()) targets.push([addr[0], addr[1], undefined]);
    for (let k = 0; k < Math.min(2, targets.length); k++) {
      const [host, port, id] = targets[this.rejoinTurn++ % targets.length];
      const key = id ?? `${host}:${port}`;
      if (now - (this.o.dialed.get(key) ?? 0) < 2000 || (id && node.peers.has(id))) continue;
      this.o.dialed.set(key, now);
      node.connect(host, port, { ...(id ? { id } : {}), refusedRetries: 0 }).then(
        (p) => {
          if (p.id && node.membership.revive(p.id)) this.o.changed();
        },
        () => undefined,
      );
    }
  }

  private probesThisRound = 0;
  private probeRound = -1;

  /**
   * A trusted peer says a member this node holds dead is alive.
   * Hearsay does not revive it; a handshaked link does (the 'peer' handler),
   * so it is dialled at the address this node knew, at most two such dials a round.
   */
  probe(id: string): void {
    const node = this.o.node;
    const held = node.membership.members.get(id);
    // the address this node verified for it, not the one the entry names (an entry must not aim this node's dials)
    if (!held || !held.dead || node.peers.has(id)) return;
    const round = Math.floor(Date.now() / node.chord.stabilizeInterval);
    if (round !== this.probeRound) [this.probeRound, this.probesThisRound] = [round, 0];
    const last = this.o.dialed.get(id) ?? 0;
    if (this.probesThisRound >= 2 || Date.now() - last < 2000) return;
    this.probesThisRound++;
    this.o.dialed.set(id, Date.now());
    this.dialQuietly(held.host, held.port, id);
  }

  /**
   * A dial this node makes on what a peer said (a lookup's answer, a probe): the node reached is not
   * one it chose (its lists only introduce, gossip.ts), and a failure does not count toward declaring
   * anyone dead (a forged address would).
   */
  private dialQuietly(host: string, port: number, id: string): void {
    this.o.node.connect(host, port, { id, refusedRetries: 0 }).then(
      () => this.o.dialResult(id),
      () => undefined,
    );
  }

  /**
   * A 'find' answer: [entry of the node responsible for `target` (at or before
   * it), its successors…]. Finger i is successor(target), the first of them at
   * or after the target: dialled unless this node already links to it.
   * Entries of the finger being replaced or of members held dead are passed
   * over. True when it named a finger.
   */
  private found(value: unknown, target: bigint, replacing: LostSlot | null, sweeping: boolean): boolean {
    let best: (FoundEntry & { gap: bigint }) | null = null;
    const members = this.o.node.membership.members;
    for (const e of entriesOf(value, 1 + 2 * this.o.node.chord.replicas)) {
      // the answering node may not know yet
      if (e.id === replacing?.id || members.get(e.id)?.dead) continue;
      const gap = ringDistance(target, e.pos);
      if (!best || gap < best.gap) best = { ...e, gap };
    }
    // a finger this node already links to; one only in its view is dialled (fingers are kept as links, wanted())
    const known = !best || best.id === this.o.node.id || this.o.node.peers.has(best.id);
    // the first pass over the slots runs every round; after it a replacement does not speed the
    // cycle up (a finger closing and reopening its link would)
    if (sweeping) this.findEvery = 1;
    else if (!replacing) this.findEvery = known ? Math.min(MAX_FIND_EVERY, this.findEvery * 2) : 1;
    if (best && !known) this.dialFound(best.id, best.host, best.port);
    return !!best;
  }

  /** Dial a node a lookup named (not one already linked, or dialled in the last 2 s). */
  private dialFound(id: string, host: string, port: number): void {
    const node = this.o.node;
    if (id === node.id || node.peers.has(id) || Date.now() - (this.o.dialed.get(id) ?? 0) < 2000) return;
    this.o.dialed.set(id, Date.now());
    this.dialQuietly(host, port, id);
  }
}

interface LostSlot {
  slot: number;
  /** The finger lost. */
  id: string;
  tries: number;
}

interface FoundEntry {
  id: string;
  host: string;
  port: number;
  pos: bigint;
}

/** The well-formed member entries among the first `max` of a 'find' answer (its value is the answering peer's word: checked field by field). */
function entriesOf(value: unknown, max: number): FoundEntry[] {
  if (!Array.isArray(value)) return [];
  const out: FoundEntry[] = [];
  for (const e of (value as unknown[]).slice(0, max)) {
    if (!Array.isArray(e) || e.length !== 6) continue;
    const id = textOf(e[0]);
    const host = textOf(e[1]);
    const port: unknown = e[2];
    const pos = id ? positionOf(id) : null;
    if (!id || !host || pos === null || typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) continue;
    out.push({ id, host, port, pos });
  }
  return out;
}
