/**
 * Membership gossip among polyp2p chord nodes (sub-flags 0x30 members and
 * 0x36 digest, see wire.ts).
 *
 * Changes travel as deltas: an entry that changed here (merged from a peer
 * with a higher counter, or declared dead by this node) is sent once to every
 * polyp2p peer, batched over a few milliseconds; a peer that already had it
 * sends it no further, so each change crosses each overlay link about once.
 * Nothing is sent while the ring is quiet except one digest per round to one
 * peer in turn (anti-entropy); a digest that differs from the receiver's view
 * starts an exchange of full lists, in chunks, when both views are quiet (or
 * one side knows nobody yet, as a joining node does). A full list is sent to
 * one peer at most once per three rounds, whatever asks for it.
 *
 * What a peer says is believed only as far as it can vouch for it (issue #17):
 *   - its entry about itself is believed (and verifies it: its link's handshake named that ID);
 *   - entries about others from a node this node chose to link to (through the
 *     user's connect(), or the overlay's own dials to members it verified) or
 *     keeps as a finger or near successor of its verified view are vouched for;
 *   - from any other link they introduce unverified members, at most
 *     maxUnverifiedPerPeer pending per peer (more are ignored): those stay out
 *     of the ring until a vouching link reports them or this node has a
 *     handshaked link with them (ring.ts);
 *   - a report that a live ring member died or stopped storing is ignored while
 *     this node has a live link to that member, and at most maxRumoursPerRound
 *     such reports per peer and stabilisation round are believed.
 */
import { flags } from '../base/flags';
import { textOf } from '../mesh/wire';
import type { Peer } from '../mesh/peer';
import type { MeshMessage } from '../mesh/message';
import { MAX_MEMBERS, memberWire, type Trust } from './ring';
import { ENVELOPE_BYTES, PIECE_BYTES, piecesOf, sendPaced } from '../mesh/bulk';
import type { Overlay } from './overlay';
import type { GossipStats } from './gossip-stats';

export type { GossipStats } from './gossip-stats';
import { digestMessage, MEMBERS_MODE as MODE, membersMessage, type MemberWire } from './wire';

/** Overlay 'log': rounds between stabilisations of an unchanged neighbourhood, at most. */
const MAX_STABILIZE_EVERY = 8;

/** Entries per 0x30 message at most; messages are also sized by bytes to the receiver (entryBytes). */
const CHUNK = 1000;

/** Upper bound of an entry's msgpack bytes: its id and host, numbers, booleans and headers. */
const entryBytes = (e: MemberWire): number => Buffer.byteLength(e[0]) + Buffer.byteLength(e[1]) + 32;

/** Entries in messages of at most CHUNK entries and `bodyLimit` bytes (and PIECE_BYTES). */
function chunksOf(entries: MemberWire[], bodyLimit: number): MemberWire[][] {
  return [...piecesOf(entries, entryBytes, Math.min(PIECE_BYTES, bodyLimit - ENVELOPE_BYTES), CHUNK)];
}

export class MemberGossip {
  readonly stats: GossipStats = {
    deltasSent: 0,
    entriesSent: 0,
    fullListsSent: 0,
    digestsSent: 0,
    declaredDeadLinkLost: 0,
    declaredDeadUnreachable: 0,
    refuted: 0,
    introductionsRefused: 0,
    rumoursIgnored: 0,
    unverified: 0,
  };
  /** Rumours believed per peer in the current round. */
  private readonly rumours = new WeakMap<Peer, { round: number; n: number }>();
  private flushTimer: NodeJS.Timeout | null = null;
  private selfDirty = true;
  private readonly fullSentAt = new WeakMap<Peer, number>();
  /** Peers whose full list is arriving while this node knew nobody: what they send is not news to flood. */
  private readonly bootstrapping = new WeakSet<Peer>();
  private turn = 0;

  constructor(private readonly overlay: Overlay) {}

  private get node() {
    return this.overlay.node;
  }

  private get round(): number {
    return this.node.chord.stabilizeInterval;
  }

  private polyp2pPeers(): Peer[] {
    const out: Peer[] = [];
    for (const p of this.node.peers.values()) if (p.answersPings && !p.conn.closed) out.push(p);
    return out;
  }

  /** Overlay 'log': the linked polyp2p nodes among this node's successors and predecessors, the only ones its changes matter to. */
  private neighbourPeers(): Peer[] {
    const ids = new Set<string>();
    for (const m of this.overlay.successors) ids.add(m.id);
    for (const m of this.overlay.predecessors) ids.add(m.id);
    return this.polyp2pPeers().filter((p) => ids.has(p.id!));
  }

  /** This node's own entry changed (counter or storing state): announce it with the next delta. */
  selfChanged(): void {
    this.selfDirty = true;
    this.schedule();
  }

  /** Send the queued changes soon, batched (a burst of merges makes one message per peer). */
  schedule(): void {
    if (this.flushTimer || this.node.closed) return;
    this.flushTimer = setTimeout(
      () => {
        this.flushTimer = null;
        this.flush();
      },
      Math.max(1, Math.min(50, this.round / 4)),
    );
    this.flushTimer.unref?.();
  }

  flush(): void {
    if (this.node.closed || !this.node.id) return;
    // 'log': a change (a death this node saw, its own entry) goes to its neighbours only, and no further
    const peers = this.overlay.log ? this.neighbourPeers() : this.polyp2pPeers();
    if (!peers.length) return; // kept for the first polyp2p link (its digest exchange also covers them)
    const entries = this.node.membership.drain();
    if (this.selfDirty) entries.unshift(this.overlay.selfEntry());
    this.selfDirty = false;
    if (!entries.length) return;
    const limit = Math.min(...peers.map((p) => this.node.bodyLimitFor(p)));
    for (const part of chunksOf(entries, limit)) {
      const payload = membersMessage(part, MODE.delta);
      this.node.sendToPeers(peers, flags.whisper, payload);
      this.stats.deltasSent += peers.length;
      this.stats.entriesSent += peers.length * part.length;
    }
  }

  /**
   * The whole view (own entry first), in messages sized by bytes to the peer
   * and written paced (a view of 16 384 members is about 2 MiB); the last asks
   * for the peer's list back when `askBack`.
   */
  sendFull(peer: Peer, askBack: boolean): void {
    if (!peer.answersPings || peer.conn.closed) return;
    this.fullSentAt.set(peer, Date.now());
    this.stats.fullListsSent++;
    // 'log': the entries this node routes by (it may hold more for a while: links, fresh lists), not its whole view
    const entries = this.overlay.log ? this.overlay.routingWire() : this.node.membership.wire(this.overlay.selfEntry());
    const chunks = chunksOf(entries, this.node.bodyLimitFor(peer));
    const payloads = chunks.map((part, i) => membersMessage(part, i < chunks.length - 1 ? MODE.chunk : askBack ? MODE.lastAskBack : MODE.last));
    void sendPaced(this.node, peer, flags.whisper, payloads);
  }

  private fullSentRecently(peer: Peer, now: number): boolean {
    return now - (this.fullSentAt.get(peer) ?? -Infinity) < 3 * this.round;
  }

  /** No entry changed for a round and nothing waits to be sent. */
  quiet(now = Date.now()): boolean {
    const m = this.node.membership;
    return !this.selfDirty && m.pending === 0 && now - m.changedAt > this.round;
  }

  sendDigest(peer: Peer): void {
    if (!peer.answersPings || peer.conn.closed || !this.node.id) return;
    const d = this.node.membership.digest({ seq: this.overlay.seq, storing: this.node.storing });
    this.stats.digestsSent++;
    this.node.sendToPeer(peer, flags.whisper, digestMessage(d.a, d.b, d.count, this.quiet()));
  }

  /** A new link to a polyp2p node: compare views ('log': exchange them, they are about log2 N entries). */
  onLink(peer: Peer): void {
    if (this.overlay.log) {
      if (!this.fullSentRecently(peer, Date.now())) this.sendFull(peer, true);
    } else this.sendDigest(peer);
    // a flush that found no polyp2p peer kept its changes; without this they (and "not quiet") would wait for the next change
    if (this.selfDirty || this.node.membership.pending) this.schedule();
  }

  /**
   * Each stabilisation round: when quiet, one digest to the next polyp2p peer
   * in turn. While some introduced members are still unverified, the turn goes
   * to the nodes this node trusts for others: a full list one of them sends
   * back on a mismatch vouches for what it names.
   */
  onRound(now: number): void {
    if (this.overlay.log) return this.stabilize();
    if (!this.quiet(now)) return;
    const peers = this.polyp2pPeers();
    const chosen = this.node.membership.unverified > 0 ? peers.filter((p) => this.node.isChosen(p)) : [];
    const pool = chosen.length ? chosen : peers;
    if (!pool.length) return;
    this.sendDigest(pool[this.turn++ % pool.length]);
  }

  /**
   * Overlay 'log', each round: this node's neighbourhood (its own entry, its
   * predecessors and successors) to its successor and its predecessor. Chord's
   * stabilize and notify in one message: the successor learns of this node (it
   * may become its predecessor), both learn the nodes around it, and a node
   * between this one and its successor shows up in the successor's answer.
   */
  private stabilize(): void {
    const o = this.overlay;
    const partners: Peer[] = [];
    for (const m of new Set([o.successors[0], o.predecessors[0]])) {
      const p = m && this.node.peers.get(m.id);
      if (p && p.answersPings && !p.conn.closed) partners.push(p);
    }
    const entries = this.neighbourhood();
    if (!this.stabilizeDue(entries, partners)) return;
    // a partner just replaced hears of its replacement too (Chord's notify): else it would take
    // the new node's range for its own until its own next stabilisation, up to 8 rounds away
    const before = this.lastPartners.filter((p) => !partners.includes(p) && p.answersPings && !p.conn.closed);
    this.lastPartners = partners;
    for (const p of [...partners, ...before]) this.sendNeighbourhood(p, entries);
  }

  /** The partners the last stabilisation went to. */
  private lastPartners: Peer[] = [];
  /** What the last stabilisation sent, and to whom (stabilizeDue). */
  private lastStabilized = '';
  /** Rounds between stabilisations while nothing changes: doubles up to MAX_STABILIZE_EVERY, back to 1 on any change. */
  private stabilizeEvery = 1;
  private roundsSinceStabilize = 0;

  /**
   * Whether this round stabilises. A neighbourhood that changed (a member,
   * its counter or liveness, a partner) goes out at once; an unchanged one
   * again 1, 2 and 4 rounds later, then every MAX_STABILIZE_EVERY rounds: a
   * quiet ring's upkeep is a few messages a minute, not two a round, and news
   * (a join, a death) still travels at one round a hop, since every node it
   * changes stabilises at once.
   */
  private stabilizeDue(entries: MemberWire[], partners: Peer[]): boolean {
    const signature = `${partners.map((p) => p.id).join(',')}|${entries.map((e) => `${e[0]}:${e[3]}:${e[4] ? 1 : 0}${e[5] ? 1 : 0}`).join(',')}`;
    if (signature !== this.lastStabilized) this.stabilizeEvery = 1;
    else if (++this.roundsSinceStabilize < this.stabilizeEvery) return false;
    else this.stabilizeEvery = Math.min(MAX_STABILIZE_EVERY, this.stabilizeEvery * 2);
    this.lastStabilized = signature;
    this.roundsSinceStabilize = 0;
    return true;
  }

  /** This node's own entry, its predecessors and successors, and the deaths it knows of among them. */
  private neighbourhood(): MemberWire[] {
    const o = this.overlay;
    // with the deaths it knows of around it: a neighbour that still holds one of them live drops it
    return [o.selfEntry(), ...o.predecessors.map(memberWire), ...o.successors.map(memberWire), ...o.bounded.nearbyDeaths().map(memberWire)];
  }

  /** This node's neighbourhood as a 0x30 delta. */
  private sendNeighbourhood(p: Peer, entries = this.neighbourhood()): void {
    if (!p.answersPings || p.conn.closed) return;
    for (const part of chunksOf(entries, this.node.bodyLimitFor(p))) this.node.sendToPeer(p, flags.whisper, membersMessage(part, MODE.delta));
    this.stats.deltasSent++;
    this.stats.entriesSent += entries.length;
  }

  onDigest(peer: Peer, msg: MeshMessage): void {
    if (this.overlay.log) return; // no whole view to compare
    const [, a, b, count, quietRaw] = msg.packets;
    if (msg.packets.length !== 5 || ![a, b, count].every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0)) return;
    const mine = this.node.membership.digest({ seq: this.overlay.seq, storing: this.node.storing });
    if (mine.a === a && mine.b === b && mine.count === count) return;
    const now = Date.now();
    if (this.fullSentRecently(peer, now)) return;
    // while changes still spread, deltas will mend the difference; a newcomer needs the list now
    if (mine.count <= 1 || (count as number) <= 1 || (quietRaw === 1 && this.quiet(now))) this.sendFull(peer, true);
  }

  onMembers(peer: Peer, msg: MeshMessage): void {
    const list = msg.packets[1];
    const mode = msg.packets[2] ?? MODE.delta;
    if (!Array.isArray(list) || typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 3) return;
    const membership = this.node.membership;
    if (mode !== MODE.delta && membership.verifiedLive === 0) this.bootstrapping.add(peer);
    // 'log': what others say is not passed on (each node keeps its own neighbourhood, by stabilisation)
    const flood = !this.overlay.log && !this.bootstrapping.has(peer);
    if (mode === MODE.last || mode === MODE.lastAskBack) this.bootstrapping.delete(peer);
    const trust: Trust = this.node.isChosen(peer) ? 'vouched' : { introducer: peer.id! };
    let changed = false;
    const now = Date.now();
    for (const e of list.slice(0, MAX_MEMBERS)) {
      const id = Array.isArray(e) ? textOf(e[0]) : null;
      if (id === null) continue;
      if (id === this.node.id) {
        this.refute(e as unknown[]);
        continue;
      }
      // 'log': a live entry about a member held dead (a partition healed, a death only its neighbours saw) is checked with a dial
      if (this.overlay.log && (id === peer.id || trust === 'vouched') && membership.heldDeadAgainst(e)) this.overlay.bounded.probe(id);
      // 'log': another node's neighbours are news only when they fall among this node's own (else merging
      // them and trimming them a round later would change the view, and run repair, every round)
      if (this.overlay.log && id !== peer.id && !membership.members.has(id) && !this.overlay.bounded.inNeighbourhood(id)) continue;
      if (id === peer.id ? membership.merge(e, now, flood, 'self') : this.believed(peer, id, e, trust, now) && membership.merge(e, now, flood, trust)) changed = true;
    }
    this.stats.unverified = membership.unverified;
    if (membership.pending) this.schedule();
    if (changed) this.overlay.changed();
    if (mode === MODE.lastAskBack && !this.fullSentRecently(peer, now)) this.sendFull(peer, false);
    if (this.overlay.log && mode === MODE.delta) this.answerStabilize(peer, now);
  }

  /** Peers answered by answerStabilize, and the round they were answered in. */
  private readonly answeredIn = new WeakMap<Peer, number>();

  /**
   * Overlay 'log': a neighbourhood from a node that is neither this node's
   * successor nor its predecessor (it takes this node for its neighbour, but
   * this node knows one closer) is answered with this node's own, once a round:
   * Chord's "ask the successor for its predecessor", without which two nodes
   * that each skip a node between them would never learn of it.
   */
  private answerStabilize(peer: Peer, now: number): void {
    const o = this.overlay;
    if (peer.id === o.successors[0]?.id || peer.id === o.predecessors[0]?.id) return;
    const round = Math.floor(now / this.round);
    if (this.answeredIn.get(peer) === round) return;
    this.answeredIn.set(peer, round);
    this.sendNeighbourhood(peer);
  }

  /** Whether an entry about another member is believed at all (see the header): bounded introductions and rumours. */
  private believed(peer: Peer, id: string, e: unknown, trust: Trust, now: number): boolean {
    const membership = this.node.membership;
    if (!membership.members.has(id)) {
      if (trust === 'vouched' || membership.pendingOf(peer.id!) < this.node.chord.maxUnverifiedPerPeer) return true;
      this.stats.introductionsRefused++;
      return false;
    }
    if (!membership.demotes(e)) return true;
    const round = Math.floor(now / this.round);
    const budget = this.rumours.get(peer);
    const used = budget && budget.round === round ? budget.n : 0;
    const linked = this.node.peers.get(id);
    if ((linked && !linked.conn.closed) || used >= this.node.chord.maxRumoursPerRound) {
      this.stats.rumoursIgnored++;
      return false;
    }
    this.rumours.set(peer, { round, n: used + 1 });
    return true;
  }

  /**
   * Our own entry came back dead at our counter (or with a counter past ours):
   * outlive it with a higher counter. A rumour at an older counter is already
   * outlived; our entry is sent again, since whoever declared it holds the old one.
   */
  private refute(e: unknown[]): void {
    const seq = e[3];
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) return;
    if ((e[5] === true && seq >= this.overlay.seq) || seq > this.overlay.seq) {
      this.overlay.seq = seq + 1;
      this.stats.refuted++;
      this.selfChanged();
    } else if (e[5] === true) this.selfChanged();
  }

  stop(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }
}
