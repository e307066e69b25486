/**
 * The DHT among polyp2p nodes, on sub-flags the originals never see (only sent
 * to peers that answered the capability ping; messages: wire.ts).
 *
 * A copy counts only once its holder answered 0x35: a frame written to a link
 * can still be lost (two nodes dialling each other keep one of the two links
 * and close the other, with whatever it carried). So the responsible node
 * answers a write once min(r, ring size) nodes hold it, and repair drops a
 * copy only after every member of the item's replica set answered 2, and
 * never while this node's ring view is younger than two stabilisation rounds.
 *
 * Requests travel hop by hop to the connected node closest at or before the
 * position (greedy over fingers and successors: about log2 N hops) until the
 * node responsible by its ring view handles them; it stores, copies to its
 * r-1 successors and answers (requests.ts). Replication and repair:
 * replication.ts; membership gossip: gossip.ts; the routing decisions
 * themselves (fingers, kept links, one greedy step): routing.ts. This file
 * keeps the ring view derived, the links wanted, and the round timer.
 */
import { ConnectError } from '../base/errors';
import { flags } from '../base/flags';
import type { Peer } from '../mesh/peer';
import type { MeshMessage } from '../mesh/message';
import { core } from '../native';
import type { ChordNode } from './chord-node';
import { Membership, memberWire, type Member } from './ring';
import { MemberGossip } from './gossip';
import { positionOf } from './positions';
import { fingerTable, wantedLinks } from './routing';
import { Replication } from './replication';
import { BoundedView } from './bounded-view';
import { RouteRequests } from './requests';
import { SUB, unlinkMessage, type MemberWire } from './wire';
import { onEvent, waitUntil } from '../base/wait-until';

/** Consecutive failed dials to a member after which this node declares it dead. */
const DIAL_FAILURES_DEAD = 2;
/** Longest a peer sending writes is left unread while the links they go out on drain (as the mesh's relays). */
const WRITE_HOLD_MAX_MS = 2000;

export class Overlay {
  /**
   * This node's counter (incarnation): raised only when its storing state
   * changes or it refutes a rumour of its death. It starts at the clock's
   * seconds so that a restarted node outranks its own old tombstone.
   */
  seq = Math.floor(Date.now() / 1000);
  private announcedStoring: boolean | null = null;
  private readonly dialFailures = new Map<string, number>();
  fingers: Member[] = [];
  successors: Member[] = [];
  predecessors: Member[] = [];
  /** The ring view before the last change (replica copies from its holders are hand-overs). */
  previousRing: Member[] = [];
  private currentRing: Member[] = [];
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Immediate | null = null;
  private derivedVersion = -1;
  /** Ring version last repaired for (-1: repair again next round). */
  repairedVersion = -1;
  private lastFullRepair = Date.now();
  /** When this node last dialled a member (by ID) or address (host:port), so it does not dial again within 2 s. @internal */
  readonly dialed = new Map<string, number>();
  private posFor = { id: '', pos: 0n };
  /** Ring version seen last, and when it changed (drops wait for the view to settle). */
  private viewVersion = -1;
  /** Overlay 'log': the successors' and predecessors' IDs when its view last changed, and how many were successors. */
  private neighbourhood: string[] = [];
  private neighbourhoodSuccessors = 0;
  viewChangedAt = Date.now();
  /** When this node's range [self, successor) last changed, and its successor then. */
  rangeChangedAt = 0;
  private rangeFrom = '';

  readonly replication: Replication;
  readonly gossip: MemberGossip;
  readonly requests: RouteRequests;
  /** The 'log' overlay's upkeep of its bounded view. */
  readonly bounded: BoundedView;

  constructor(readonly node: ChordNode) {
    this.bounded = new BoundedView(this);
    this.replication = new Replication(this);
    this.gossip = new MemberGossip(this);
    this.requests = new RouteRequests(this);
  }

  /** Overlay 'log' (ChordOptions.overlay): a bounded view kept by stabilisation and finger lookups. */
  get log(): boolean {
    return this.node.chord.overlay === 'log';
  }

  selfPos(): bigint {
    if (this.posFor.id !== this.node.id) this.posFor = { id: this.node.id, pos: this.node.id ? core.base58DecodeInt(this.node.id) : 0n };
    return this.posFor.pos;
  }

  peerPos(peer: Peer): bigint | null {
    return peer.id ? positionOf(peer.id) : null;
  }

  start(): void {
    if (this.timer || this.node.closed) return;
    this.timer = setInterval(() => this.tick(), this.node.chord.stabilizeInterval);
    this.timer.unref();
  }

  private readonly timers = new Set<NodeJS.Timeout>();

  /** Run `fn` after `ms` unless the overlay stopped first. */
  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.node.closed) fn();
    }, ms);
    t.unref?.();
    this.timers.add(t);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearImmediate(this.soon);
    this.timer = null;
    this.soon = null;
    this.requests.stop();
    this.replication.stop();
    this.gossip.stop();
  }

  /** Something changed (meta, membership): run a round soon. */
  changed(): void {
    this.node.viewChanges.notify();
    if (this.soon || this.node.closed || !this.node.id) return;
    this.start();
    this.soon = setImmediate(() => {
      this.soon = null;
      this.tick(false);
    });
  }

  selfEntry(): MemberWire {
    return [this.node.id, this.node.outAddr[0], this.node.outAddr[1], this.seq, this.node.storing, false];
  }

  /** Announce this node's storing state when it changed (a higher counter makes the change win everywhere). */
  private announceSelf(): void {
    if (this.announcedStoring === this.node.storing) return;
    if (this.announcedStoring !== null) this.seq++;
    this.announcedStoring = this.node.storing;
    this.gossip.selfChanged();
  }

  /**
   * A dial to a member succeeded or failed. Repeated failures of the transport
   * itself (refused, timed out) declare it dead; a link that opened and closed
   * (two nodes dialling each other keep one link) or a local limit says nothing.
   */
  dialResult(id: string, err?: unknown): void {
    if (!err) {
      this.dialFailures.delete(id);
      return;
    }
    if (!(err instanceof ConnectError && err.unreachable) || this.node.closed) return;
    const n = (this.dialFailures.get(id) ?? 0) + 1;
    if (n < DIAL_FAILURES_DEAD) {
      this.dialFailures.set(id, n);
      return;
    }
    this.dialFailures.delete(id);
    if (this.node.peers.has(id)) return;
    const wasLive = this.node.membership.members.get(id)?.dead === false;
    if (wasLive) this.gossip.stats.declaredDeadUnreachable++;
    if (this.node.membership.markDead(id)) this.changed();
    this.gossip.schedule();
  }

  private tick(beat = true): void {
    const node = this.node;
    if (node.closed || !node.id) return;
    const now = Date.now();
    this.announceSelf();
    // 'log', a node that knows no live member: its tombstones are its way back (rejoin()), kept until it is
    const isolated = this.log && node.membership.ring(false).length === 0;
    if (!isolated) node.membership.expire(now, 10 * node.chord.failureTimeout);
    else if (beat) this.bounded.rejoin(now);
    for (const id of this.dialFailures.keys()) if (!node.membership.members.has(id)) this.dialFailures.delete(id);
    for (const id of this.dialed.keys()) if (!node.membership.members.has(id) && !id.includes(':')) this.dialed.delete(id);
    node.forgetChosen();
    this.derive();
    // 'log': the view changes every few rounds (links open and close, trims): what an item's replica
    // set depends on is the neighbourhood, and a hand-over waits for that to settle, not for a view
    // that never would (its copies were pushed again on every tick, never dropped)
    if (this.log ? this.neighbourhoodMoved() : node.membership.version !== this.viewVersion) this.viewChangedAt = now;
    this.viewVersion = node.membership.version;
    if (this.log) this.bounded.onRound(beat);
    if (beat) this.gossip.onRound(now);
    if (node.storing) this.ensureConnections(now);
    // 'log': once a round (its view changes often, each change would close another link)
    if (node.storing && node.mode === 'overlay' && (beat || !this.log)) this.prune(now);
    // a copy stored outside its replica set: handed over by this round's repair (once a round at most)
    if (beat && this.replication.surplusDue) [this.replication.surplusDue, this.repairedVersion] = [false, -1];
    const ringVersion = node.membership.version;
    // a full re-push every repairInterval, sooner (at most once a second) after a copy went unanswered
    const fullDue = now - this.lastFullRepair > node.chord.repairInterval || (this.replication.pushFailed && now - this.lastFullRepair > 1000);
    if (ringVersion !== this.repairedVersion || fullDue) {
      const full = fullDue;
      if (full) this.replication.pushFailed = false;
      if (full) this.lastFullRepair = now;
      this.repairedVersion = ringVersion;
      if (node.mode === 'overlay') void this.replication.repair(full);
    }
    if (beat && node.mode === 'overlay') this.replication.retryMissed();
    this.requests.prune(now);
    node.legacyPending.prune(now);
    node.store.prune();
  }

  /** Bring what is derived from the ring view (successors, fingers, this node's range) up to the current membership; cheap when it is. */
  derive(): void {
    const m = this.node.membership;
    const key = m.version * 2 + (this.node.storing ? 1 : 0);
    if (key === this.derivedVersion) return;
    this.derivedVersion = key;
    const ring = m.ring(this.node.storing);
    if (ring !== this.currentRing) {
      this.previousRing = this.currentRing;
      this.currentRing = ring;
    }
    const r = this.node.chord.replicas;
    // 'log': 2r successors, so that r live ones are known after r deaths between two rounds (docs/chord-scaling.md §6)
    this.successors = Membership.successors(ring, this.node.id, this.log ? 2 * r : r);
    this.predecessors = Membership.predecessors(ring, this.node.id, this.log ? r : Math.max(1, r - 1));
    this.fingers = fingerTable(ring, this.node.id, this.selfPos());
    // fingers and near successors vouch for others (gossip.ts): what they introduced before is believed now
    for (const w of this.wanted().keys()) if (m.vouchedBy(w)) this.changed();
    // this node answers for [self, successor): its range grows when its successor dies or leaves
    const from = this.node.storing ? (this.successors[0]?.id ?? '') : '';
    if (from !== this.rangeFrom) {
      this.rangeFrom = from;
      this.rangeChangedAt = Date.now();
    }
  }

  /** Links the overlay keeps open: fingers and the r-1 nearest successors ('log': the r nearest, the predecessor, its stabilisation partner, and fingers a lookup found). */
  private wanted(): Map<string, Member> {
    if (!this.log) return wantedLinks(this.successors, this.fingers, this.node.chord.replicas);
    // 'log': the r nearest successors (replica targets) and the predecessor, and the fingers already
    // linked. A finger is dialled when a lookup found it (found()), not because a list named it: the
    // lists a flash crowd of joiners gets name the same few early nodes, whose links would fill up
    // (maxPeers) before a round had run
    const want = new Map<string, Member>();
    const r = Math.min(this.node.chord.replicas, this.successors.length);
    for (let i = 0; i < r; i++) want.set(this.successors[i].id, this.successors[i]);
    if (this.predecessors.length) want.set(this.predecessors[0].id, this.predecessors[0]);
    for (const m of this.fingers) if (this.node.peers.has(m.id)) want.set(m.id, m);
    return want;
  }

  /** Overlay 'log': whether its successors or predecessors changed since the last call that said so. */
  private neighbourhoodMoved(): boolean {
    const ids = this.neighbourhood;
    const n = this.successors.length;
    const same =
      this.neighbourhoodSuccessors === n && ids.length === n + this.predecessors.length && this.successors.every((m, i) => m.id === ids[i]) && this.predecessors.every((m, i) => m.id === ids[n + i]);
    if (same) return false;
    this.neighbourhood = [...this.successors, ...this.predecessors].map((m) => m.id);
    this.neighbourhoodSuccessors = n;
    return true;
  }

  /** This node's entry, its predecessors, successors and fingers (distinct): what it sends a new link in 'log'. */
  routingWire(): MemberWire[] {
    const seen = new Set<string>();
    const out: MemberWire[] = [this.selfEntry()];
    for (const m of [...this.predecessors, ...this.successors, ...this.fingers]) {
      if (seen.has(m.id)) continue;
      seen.add(m.id);
      out.push(memberWire(m));
    }
    return out;
  }

  /** This node's entry and its successor list: what a 'find' for a position it is responsible for answers. */
  neighbourhoodWire(): MemberWire[] {
    return [this.selfEntry(), ...this.successors.map(memberWire)];
  }

  /**
   * A link the overlay keeps by its own choice: the node is one of this node's
   * fingers or near successors in its verified view, whoever dialled the link.
   * Such nodes vouch for the members they name (gossip.ts).
   */
  keeps(id: string): boolean {
    if (this.log && (this.successors.some((m) => m.id === id) || this.predecessors.some((m) => m.id === id))) return true;
    return this.successors.slice(0, Math.max(1, this.node.chord.replicas - 1)).some((m) => m.id === id) || this.fingers.some((m) => m.id === id);
  }

  /**
   * Keep few connections: close one outgoing link per round to a polyp2p node
   * that is neither a finger nor a near successor, once more than maxOutgoing
   * are open. The peer is told first (0x34) so it does not take it for a failure.
   */
  private prune(now: number): void {
    const node = this.node;
    // nothing changed since a prune that found nothing: nothing to close (every 8th round runs anyway)
    const p = this.pruned;
    const same = p.version === node.membership.version && p.links === node.peers.size && p.outgoing === node.outgoingCount;
    if (same && ++p.rounds < 8) return;
    p.rounds = 0;
    p.version = this.closeUnwanted(now) ? -1 : node.membership.version;
    p.links = node.peers.size;
    p.outgoing = node.outgoingCount;
  }

  /** What prune last found nothing to close at (version -1: prune next round). */
  private readonly pruned = { version: -1, links: 0, outgoing: 0, rounds: 0 };

  /** One prune: true when it closed a link or left one for a later round (too young to close). */
  private closeUnwanted(now: number): boolean {
    const node = this.node;
    // 'log': any link beyond maxOutgoing that is not wanted goes, though wanted nodes may be linked the
    // other way (their links to this node count as incoming): else links of the first rounds, when the
    // view held other nodes, would stay for good and fill maxPeers at the first nodes of a ring
    // 'log': links already told to close (closing within 5 s) do not count, nor are they picked again
    let closing = 0;
    if (this.log) for (const p of node.peers.values()) if (p.outgoing && this.unlinked.has(p) && !p.conn.closed) closing++;
    const open = node.outgoingCount - closing;
    if (open <= node.options.maxOutgoing) return false;
    const want = this.wanted();
    if (!this.log && open <= want.size) return false;
    // 'log': up to four a round (a view refined by lookups leaves several links behind at once)
    let left = this.log ? Math.min(4, open - node.options.maxOutgoing) : 1;
    let more = false;
    for (const p of node.peers.values()) {
      if (left <= 0) return true;
      if (!p.outgoing || (this.log && this.unlinked.has(p))) continue;
      if (now - p.conn.openedAt < 5000) {
        more = true; // too young to judge (its handshake and capability ping may be under way): next round
        continue;
      }
      if (!p.answersPings || !p.id || want.has(p.id)) continue;
      node.sendToPeer(p, flags.whisper, unlinkMessage());
      this.unlinked.add(p);
      left--;
      more = true;
      // close once the answers still due over it came back (at most 5 s)
      const closeAt = now + 5000;
      setTimeout(() => void this.closeWhenAnswered(p, closeAt), 200).unref();
    }
    return more;
  }

  readonly unlinked = new WeakSet<Peer>();

  /** Close an unlinked peer's link once no answer is due over it any more, or at `closeAt`. */
  private async closeWhenAnswered(p: Peer, closeAt: number): Promise<void> {
    const answered = () => !this.carries(p) || p.conn.closed || this.node.closed;
    const triggers = [this.requests.settled.trigger, this.replication.settled.trigger, onEvent(p.conn, 'close')];
    await waitUntil(answered, triggers, closeAt - Date.now());
    if (!p.conn.closed) p.conn.close();
  }

  /**
   * Backpressure for writes (route requests, replica copies): each one makes
   * this node write to other nodes (forwarding, copies to its successors), so
   * a peer sending them faster than those nodes read would make this node
   * queue without bound and drop the slow reader at maxWriteBuffer, an honest
   * neighbour. While a polyp2p link holds more than relayHighWater, reading
   * from `from` pauses until it drains, at most 2 s (the mesh's relay rule,
   * dispatch.ts: a link still congested then is left alone until it drains).
   */
  throttle(from: Peer): void {
    const highWater = this.node.options.relayHighWater;
    // no link holds more than highWater while all of them together do not (each link's queue is in queuedWrites)
    if (highWater <= 0 || this.node.queuedWrites.total <= highWater) return;
    let congested: Peer['conn'][] | null = null;
    for (const p of this.node.peers.values()) {
      if (p === from || !p.answersPings || p.conn.closed || p.conn.slowReader) continue;
      if (p.conn.queuedBytes > highWater && this.node.mayHoldFor(p)) (congested ??= []).push(p.conn);
    }
    if (congested) from.conn.holdReading(congested, WRITE_HOLD_MAX_MS);
  }

  /** A request forwarded over this link, or one that came in over it, or a replica batch sent to it, awaits its answer. */
  private carries(peer: Peer): boolean {
    return this.requests.awaitsOver(peer) || (!!peer.id && this.replication.awaits(peer.id));
  }

  private ensureConnections(now: number): void {
    if (this.log && now < this.bounded.holdDialsUntil) return;
    if (!this.log) {
      for (const m of this.wanted().values()) this.dialWanted(m, now);
      return;
    }
    // 'log': the wanted links other than fingers (which are wanted only once linked), without building the map each round
    const r = Math.min(this.node.chord.replicas, this.successors.length);
    for (let i = 0; i < r; i++) this.dialWanted(this.successors[i], now);
    if (this.predecessors.length) this.dialWanted(this.predecessors[0], now);
  }

  private dialWanted(m: Member, now: number): void {
    if (this.node.peers.has(m.id)) return;
    const last = this.dialed.get(m.id) ?? 0;
    if (now - last < 2000) return;
    this.dialed.set(m.id, now);
    this.node.connect(m.host, m.port, { id: m.id }).then(
      () => this.dialResult(m.id),
      (e) => this.dialResult(m.id, e),
    );
  }

  /** unjoin(): tell the ring, then give every item to its replica set. */
  async handOverAll(): Promise<void> {
    this.announceSelf();
    this.gossip.flush();
    this.derivedVersion = -1;
    this.derive();
    this.replication.lastRing = null;
    await Promise.all(this.replication.repair(true, true));
  }
}

export function installOverlay(node: ChordNode): void {
  const overlay = new Overlay(node);
  node.overlay = overlay;
  // Sent only to peers known as polyp2p nodes; accepted from anyone (a fresh link may carry a request
  // before the peer's pong), and validated field by field. They are whispers between neighbours:
  // never acted on or relayed as broadcasts.
  const add = (flag: number, handler: (peer: Peer, msg: MeshMessage) => void) => node.addHandler(flag, handler, { linkOnly: true });
  // member gossip from any peer with a known id (entries are validated one by one)
  add(SUB.members, (p, m) => {
    if (p.id) overlay.gossip.onMembers(p, m);
  });
  add(SUB.digest, (p, m) => {
    if (p.id) overlay.gossip.onDigest(p, m);
  });
  add(SUB.route, (p, m) => {
    overlay.throttle(p);
    overlay.requests.onRoute(p, m);
  });
  add(SUB.routed, (p, m) => overlay.requests.onRouted(p, m));
  add(SUB.replica, (p, m) => {
    overlay.throttle(p);
    overlay.replication.onReplica(p, m);
  });
  add(SUB.unlink, (p) => {
    overlay.unlinked.add(p);
  });
  add(SUB.stored, (p, m) => overlay.replication.onStored(p, m));
  node.on('listening', () => overlay.start());
  // a handshaked link with an ID verifies the member of that ID (ring.ts), at the address the link advertised
  node.on('peer', (peer: Peer) => {
    if (peer.id && node.membership.verify(peer.id, Date.now(), peer.addr)) overlay.changed();
    if (overlay.log && peer.id && node.membership.revive(peer.id)) overlay.changed();
  });
  node.on('polyp2pPeer', (peer: Peer) => {
    overlay.gossip.onLink(peer);
    overlay.changed();
  });
  node.on('peerLeft', (peer: Peer) => {
    // A link closed without notice: the node is taken for dead (it raises its counter if it is not),
    // unless a link to it is back within the grace period (two nodes that dialled each other at
    // once keep one of the two links, and one side may see the other closed first).
    const id = peer.id;
    if (!id) return;
    // a finger gone (without notice or not) leaves its slot to the next closer one until it is looked up
    const finger = overlay.log && !node.peers.has(id) ? overlay.fingers.find((m) => m.id === id) : undefined;
    if (finger) overlay.bounded.fingerLost(finger.id, finger.pos);
    if (overlay.unlinked.has(peer)) return;
    overlay.later(Math.min(1000, node.chord.stabilizeInterval), () => {
      if (node.peers.has(id)) return;
      if (node.membership.members.get(id)?.dead === false) overlay.gossip.stats.declaredDeadLinkLost++;
      if (node.membership.markDead(id)) overlay.changed();
      overlay.gossip.schedule();
    });
  });
}
