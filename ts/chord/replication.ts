/**
 * Replication among polyp2p nodes (sub-flags 0x33 replica, 0x35 stored; see
 * wire.ts for the wire forms): copies go out in acknowledged batches, and
 * repair runs whenever the ring view changes. A copy counts only once its
 * holder answered 0x35; repair drops a copy only after every member of the
 * item's replica set answered 2 (keeps it), and never while this node's ring
 * view is younger than two stabilisation rounds.
 */
import { randomHex } from '../base/random-hex';
import { flags } from '../base/flags';
import { textOf } from '../mesh/wire';
import type { Peer } from '../mesh/peer';
import type { MeshMessage } from '../mesh/message';
import type { Overlay } from './overlay';
import { Membership, type Member } from './ring';
import { compareVersions, tooFarAhead, versionOf, type Item } from './store';
import { positionOf, tableOf } from './positions';
import { copyBatches } from './copies';
import { CopyRetries } from './copy-retries';
import { copyWire, HELD, holds, KEEPS, NOT_HELD, REFUSED, replicaMessage, storedMessage } from './wire';
import { sendPaced } from '../mesh/bulk';
import { Notifier, onEvent, waitUntil } from '../base/wait-until';

/** ms to wait for a replica batch's 0x35 answer. */
const ACK_MS = 3000;
/** Routed hand-overs of far items one node has under way at a time (handOverFar). */
const HAND_OVER_IN_FLIGHT = 16;
/** Longest a push waits for a new link's ping or pong to say how large a frame the peer accepts. */
const LIMIT_WAIT_MS = 2000;

export class Replication {
  /** Replica batches awaiting their 0x35 answer. */
  private readonly acks = new Map<string, { toId: string; n: number; resolve: (s: number[] | null) => void }>();
  /** The ring view the last repair ran against. */
  lastRing: Member[] | null = null;
  /** A copy went unanswered: the overlay pushes everything again soon. */
  pushFailed = false;
  /** Told when a replica batch no longer awaits its answer (a link being closed waits for them, overlay.ts). */
  readonly settled = new Notifier();
  /** Copies members answered without holding: sent to them again at the next rounds (retryMissed). */
  private readonly retries = new CopyRetries();
  /** A copy was stored outside its replica set by this node's view: the next round's repair hands it over. */
  surplusDue = false;

  constructor(private readonly o: Overlay) {}

  /** A replica batch sent to this node awaits its answer. */
  awaits(id: string): boolean {
    for (const a of this.acks.values()) if (a.toId === id) return true;
    return false;
  }

  stop(): void {
    for (const [, a] of this.acks) a.resolve(null);
    this.acks.clear();
    this.retries.clear();
  }

  /**
   * Send copies of `items` to each target, one promise per target: it resolves
   * with the target's status for each item (0x35; NOT_HELD for an item too
   * large for it or in a batch left unanswered), or null when no batch was
   * answered within ACK_MS (no link, or no answer). A frame written to a link
   * is not a copy yet. Batches are sized by bytes to the target (copies.ts) and
   * written paced, only while its queue is short (mesh/bulk.ts).
   */
  pushTo(targets: Member[], items: Item[]): Promise<number[] | null>[] {
    if (!items.length) return [];
    return targets.filter((m) => m.id !== this.o.node.id).map((m) => this.pushToOne(m, items));
  }

  /** `retry`: copies the member did not hold before (retryMissed); a failure then is not one of the ring's. */
  private async pushToOne(m: Member, items: Item[], retry = false): Promise<number[] | null> {
    const node = this.o.node;
    const peer = await this.linkTo(m);
    if (!peer || !(await this.limitKnown(peer))) {
      if (!retry) this.pushFailed = true; // no link: push everything again soon
      return null;
    }
    // per item: its status once its batch was answered (undefined: not sent, too large, or not answered)
    const statuses: (number | undefined)[] = items.map(() => undefined);
    const answers: Promise<boolean>[] = [];
    const self = this;
    // made as they are sent (a batch's answer is awaited from when it is made)
    function* batches(): Generator<unknown[]> {
      for (const batch of copyBatches(items, node.bodyLimitFor(peer!), () => node.refusals.tooLargeForPeer++)) {
        const batchId = randomHex(8);
        answers.push(
          self.awaitAck(batchId, m.id, batch.length).then((st) => {
            if (st) batch.forEach((c, k) => (statuses[c.index] = st[k]));
            return st !== null;
          }),
        );
        yield replicaMessage(
          batch.map((c) => copyWire(c.item)),
          batchId,
        );
      }
    }
    // A write's own copies (one batch) go out at once: pacing is for bulk pushes (repair,
    // hand-over), and a write must not wait behind whatever else is queued for that peer.
    const gen = batches();
    const first = gen.next();
    const second = first.done ? first : gen.next();
    if (!first.done && second.done) sendOrReport(node, peer, first.value);
    else if (!first.done)
      await sendPaced(
        node,
        peer,
        flags.whisper,
        (function* () {
          yield first.value;
          if (!second.done) yield second.value;
          yield* gen;
        })(),
      );
    const answered = await Promise.all(answers);
    if (answered.includes(false) && !retry) this.pushFailed = true; // an unanswered batch: push everything again soon
    this.retries.note(m, items, statuses); // copies answered but not held: those again, next round
    return answered.length && !answered.includes(true) ? null : statuses.map((st) => st ?? NOT_HELD);
  }

  /**
   * Once a round: copies members answered without holding go to them again (CopyRetries), those
   * this node still holds at that version, in whose replica set it and the member still are (a
   * copy held outside its set is handed over by repair instead).
   */
  retryMissed(): void {
    const node = this.o.node;
    const due = this.retries.take();
    if (!due.length) return;
    const ring = node.membership.ring(node.storing);
    const r = node.chord.replicas;
    for (const { member, copies } of due) {
      const items: Item[] = [];
      for (const c of copies) {
        const cur = node.store.get(c.table, c.pos);
        if (!cur || compareVersions(cur.ver, c.ver) !== 0) continue;
        const set = Membership.replicaSet(ring, c.pos, r);
        if (set.some((x) => x.id === member.id) && set.some((x) => x.id === node.id)) items.push(cur);
      }
      if (items.length) this.pushToOne(member, items, true).catch((e: Error) => node.reportError(e));
    }
  }

  /** The link to a member: the one open, or a new one (of two links to one node only one survives: the one kept). */
  /**
   * Copies are sized to what the peer accepts, which its ping or pong tells (docs/protocol.md):
   * a link just made may not have told it yet, and a copy sized to this node's own limit would
   * then be a frame the peer drops the link for. False when the link closed meanwhile.
   */
  private async limitKnown(peer: Peer): Promise<boolean> {
    if (peer.maxBody === null && !peer.conn.closed) {
      await waitUntil(() => peer.maxBody !== null || peer.conn.closed, [this.o.node.viewChanges.trigger, onEvent(peer.conn, 'close')], LIMIT_WAIT_MS);
    }
    return !peer.conn.closed;
  }

  private async linkTo(m: Member): Promise<Peer | null> {
    const node = this.o.node;
    const open = node.peers.get(m.id);
    if (open && !open.conn.closed) return open;
    try {
      const p = await node.connect(m.host, m.port, { id: m.id });
      this.o.dialResult(m.id);
      const use = p.conn.closed ? node.peers.get(m.id) : p;
      return use && !use.conn.closed ? use : null;
    } catch (e) {
      this.o.dialResult(m.id, e);
      return null;
    }
  }

  /** Resolves with a batch's per-item statuses (0x35), or null after ACK_MS or when the overlay stops. */
  private awaitAck(batchId: string, toId: string, n: number): Promise<number[] | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(null), ACK_MS);
      timer.unref?.();
      const finish = (st: number[] | null) => {
        if (!this.acks.delete(batchId)) return;
        clearTimeout(timer);
        this.settled.notify();
        resolve(st);
      };
      this.acks.set(batchId, { toId, n, resolve: finish });
    });
  }

  /**
   * After the ring view changed: the responsible node copies each item to the
   * replica-set members that are new; a replica whose responsible node is new
   * sends it there; a node outside the replica set hands the item over and drops it.
   */
  repair(full: boolean, leaving = false): Promise<unknown>[] {
    const node = this.o.node;
    const ring = node.membership.ring(node.storing);
    const prev = this.lastRing ?? [];
    this.lastRing = ring;
    if (full) this.retries.clear(); // everything goes out again: retries count from there
    if (!ring.length) return [];
    const r = node.chord.replicas;
    const batches = new Map<string, { member: Member; items: Item[] }>();
    const add = (m: Member, it: Item) => {
      if (m.id === node.id) return;
      const b = batches.get(m.id) ?? { member: m, items: [] };
      b.items.push(it);
      batches.set(m.id, b);
    };
    const drop: Item[] = [];
    const far: Item[] = [];
    for (const it of node.store.all()) {
      // 'log': outside its neighbourhood a node's view cannot tell an item's replica set (copies pushed
      // by it went to whichever members it knew near the item, which held them and pushed them on)
      if (!this.o.bounded.coversReplicaSet(it.pos)) {
        far.push(it);
        continue;
      }
      const set = Membership.replicaSet(ring, it.pos, r);
      const old = new Set(Membership.replicaSet(prev, it.pos, r).map((m) => m.id));
      const mine = set.findIndex((m) => m.id === node.id);
      if (mine === 0) {
        for (const m of set.slice(1)) if (full || !old.has(m.id)) add(m, it);
      } else if (mine > 0) {
        if (full || !old.has(set[0].id)) add(set[0], it);
      } else {
        for (const m of set) add(m, it);
        drop.push(it);
      }
    }
    // per target: the status it answered for each item sent (by slot), once its batches are answered
    const sends = new Map<string, Promise<Map<Item, number>>>();
    for (const b of batches.values()) {
      const [pushed] = this.pushTo([b.member], b.items);
      sends.set(
        b.member.id,
        pushed.then((statuses) => new Map<Item, number>(statuses ? b.items.map((it, j) => [it, statuses[j]]) : [])),
      );
    }
    // An item handed over is dropped only once every member of its replica set (by the
    // view at drop time) confirmed holding it and keeping it, the version here is still
    // the one sent, and this node's view has been stable for two rounds (unless leaving).
    const need = leaving ? HELD : KEEPS;
    const dropped = drop.map(async (it) => {
      const sent = Membership.replicaSet(ring, it.pos, r).filter((m) => m.id !== node.id);
      const answers = await Promise.all(sent.map((m) => sends.get(m.id) ?? Promise.resolve(new Map<Item, number>())));
      const acked = new Map(sent.map((m, k) => [m.id, answers[k].get(it) ?? NOT_HELD] as const));
      const nowRing = node.membership.ring(node.storing);
      const nowSet = Membership.replicaSet(nowRing, it.pos, r);
      const settled = leaving || Date.now() - this.o.viewChangedAt >= 2 * node.chord.stabilizeInterval;
      const cur = node.store.get(it.table, it.pos);
      const safe =
        settled && nowSet.length > 0 && !nowSet.some((m) => m.id === node.id) && nowSet.every((m) => holds(acked.get(m.id), need)) && cur !== undefined && compareVersions(cur.ver, it.ver) === 0;
      if (safe) node.store.drop(it.table, it.pos);
      else this.o.repairedVersion = -1; // keep the copy; try again next round
    });
    // runs in the background (tick): a failure is reported, never left unhandled
    return [...sends.values(), ...dropped, ...this.handOverFar(far)].map((p) => p.catch((e: Error) => node.reportError(e)));
  }

  /** Slots (table + position) of far items whose routed hand-over is under way. */
  private readonly handingOver = new Set<string>();

  /**
   * Items this node holds far from its neighbourhood ('log' overlay; a write
   * it answered when its view was young, a copy another node pushed): each is
   * written through the ring with its own version, as a `put` routed to the
   * responsible node, which answers `ok` once r nodes hold it (or a newer
   * version); then this node drops it if it still holds that version. At
   * most HAND_OVER_IN_FLIGHT at a time; one that fails is tried again at a
   * later repair.
   */
  private handOverFar(items: Item[]): Promise<unknown>[] {
    const node = this.o.node;
    const out: Promise<unknown>[] = [];
    for (const it of items) {
      if (this.handingOver.size >= HAND_OVER_IN_FLIGHT) break;
      const slot = `${it.table}:${it.pos}`;
      if (this.handingOver.has(slot)) continue;
      this.handingOver.add(slot);
      const timeout = 4 * node.chord.stabilizeInterval;
      const sent = this.o.requests.originate(it.table, it.pos, 'put', it.value === undefined ? null : it.value, it.ver, timeout, false).then((a) => {
        this.handingOver.delete(slot);
        const cur = node.store.get(it.table, it.pos);
        if (a.status === 'ok' && a.hops > 0 && cur && compareVersions(cur.ver, it.ver) === 0 && !this.o.bounded.coversReplicaSet(it.pos)) node.store.drop(it.table, it.pos);
        else this.o.repairedVersion = -1;
      });
      out.push(sent);
    }
    return out;
  }

  onReplica(peer: Peer, msg: MeshMessage): void {
    const list = msg.packets[1];
    if (!Array.isArray(list)) return;
    const batchId = msg.packets.length >= 3 ? textOf(msg.packets[2]) : null;
    const node = this.o.node;
    const ring = node.membership.ring(node.storing);
    const mineNow: Item[] = [];
    const statuses = list.slice(0, 1000).map((e) => this.acceptCopy(peer, e, ring, mineNow));
    if (batchId && batchId.length <= 64 && !peer.conn.closed) this.o.node.sendToPeer(peer, flags.whisper, storedMessage(batchId, statuses));
    // newly responsible for these: make sure the successors have them too
    if (mineNow.length) void Promise.all(this.pushTo(this.o.successors.slice(0, node.chord.replicas - 1), mineNow));
  }

  /**
   * One entry of a replica batch; returns its status for the 0x35 answer. A
   * copy from a plausible holder (vouches()) is stored when newer, within the
   * budgets. Any other copy may only fill a slot held nowhere here, charged to
   * the sender's link: it never replaces what this node holds, so a peer
   * cannot overwrite items by pushing "replicas" of them.
   */
  private acceptCopy(peer: Peer, e: unknown, ring: Member[], mineNow: Item[]): number {
    const node = this.o.node;
    if (!Array.isArray(e) || e.length !== 4) return NOT_HELD;
    const table = tableOf(e[0]);
    const pos = positionOf(e[1]);
    const ver = versionOf(e[3]);
    if (!table || pos === null || !ver) return NOT_HELD;
    if (tooFarAhead(ver, node.chord.maxClockSkew)) {
      node.refusals.futureVersion++;
      return NOT_HELD;
    }
    const set = Membership.replicaSet(ring, pos, node.chord.replicas);
    const vouched = this.vouches(peer, pos, set);
    const result = node.store.put(table, pos, e[2] === null ? undefined : e[2], ver, vouched ? {} : { onlyIfEmpty: true, link: node.linkAccount(peer) });
    const cur = node.store.get(table, pos);
    const held = (result === 'stored' || result === 'stale') && cur !== undefined && compareVersions(cur.ver, ver) >= 0;
    if (!held && !vouched) node.refusals.unvouchedReplica++;
    if (!held) return result === 'stored' || result === 'stale' ? NOT_HELD : REFUSED;
    if (result === 'stored' && set.length && set[0].id === node.id) mineNow.push(cur);
    if (node.storing && set.some((m) => m.id === node.id)) return KEEPS;
    // held outside its replica set by this node's view, from a plausible holder (their views
    // differ): the next round's repair hands it over, not the next view change or full repair.
    // An unvouched copy waits for those (a peer outside the set must not set off a repair a round)
    if (vouched) this.surplusDue = true;
    return HELD;
  }

  /**
   * The sender is plausibly a holder of `pos` by this node's ring view: in its
   * replica set now; or this node is in the set and the sender was in it by the
   * view before the last change, or is a verified member that stopped storing
   * (a hand-over, by a node that moved out of the set or is leaving).
   */
  private vouches(peer: Peer, pos: bigint, set: Member[]): boolean {
    const id = peer.id;
    const node = this.o.node;
    if (!id) return false;
    if (set.some((m) => m.id === id)) return true;
    if (!set.some((m) => m.id === node.id)) return false;
    if (Membership.replicaSet(this.o.previousRing, pos, node.chord.replicas).some((m) => m.id === id)) return true;
    const m = node.membership.members.get(id);
    return m !== undefined && (m.dead || !m.storing);
  }

  onStored(peer: Peer, msg: MeshMessage): void {
    const [, idRaw, list] = msg.packets;
    const batchId = textOf(idRaw);
    if (!batchId || !Array.isArray(list)) return;
    const a = this.acks.get(batchId);
    if (!a || a.toId !== peer.id || list.length !== a.n) return;
    a.resolve((list as unknown[]).map((x) => (x === HELD || x === KEEPS || x === REFUSED ? x : NOT_HELD)));
  }
}

/** One message to a peer; a failure (larger than the peer accepts) is reported, not thrown. */
function sendOrReport(node: Overlay['node'], peer: Peer, payload: unknown[]): void {
  try {
    node.sendToPeer(peer, flags.whisper, payload);
  } catch (e) {
    node.reportError(e as Error, peer);
  }
}
