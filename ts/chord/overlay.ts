/**
 * The DHT among polyp2p nodes, on sub-flags the originals never see (only sent
 * to peers that answered the capability ping):
 *
 *   0x30 members  [0x30, [[id, host, port, seq, storing, dead], ...], mode]  changes, or a full list (gossip.ts)
 *   0x36 digest   [0x36, a, b, count, quiet]                                anti-entropy (gossip.ts)
 *   0x31 route    [0x31, reqId, op, table, pos58, value, version, hops]  op: get | put | delta
 *   0x32 routed   [0x32, reqId, status, value, version, hops]            answer, back along the path
 *   0x33 replica  [0x33, [[table, pos58, value, version], ...], batchId] copies (value nil = tombstone)
 *   0x34 unlink   [0x34]                          "closing this link, I am alive" (pruning)
 *   0x35 stored   [0x35, batchId, [status, ...]]  answer to a replica batch, one status per item:
 *                 0 not held, 1 held (this or a newer version), 2 held and the receiver is in the
 *                 item's replica set by its own view (it keeps the copy)
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
 * r-1 successors and answers. Replication and repair: replication.ts; the
 * routing decisions themselves (fingers, kept links, one greedy step): routing.ts.
 */
import { randomBytes } from 'crypto';
import { ConnectError, TimeoutError } from '../base/errors';
import { flags } from '../base/flags';
import { textOf } from '../mesh/wire';
import type { Peer } from '../mesh/peer';
import type { MeshMessage } from '../mesh/message';
import { core } from '../native';
import type { ChordNode } from './chord-node';
import { Membership, type Member, type MemberWire } from './ring';
import { MemberGossip } from './gossip';
import { compareVersions, versionOf, type Version } from './store';
import { isMapping, positionOf, tableOf, type Slot, type TableName } from './positions';
import { fingerTable, routeStep, wantedLinks, type RouteCandidate, type RouteStep } from './routing';
import { mergeLocal } from './legacy';
import { HELD, Replication } from './replication';

export const SUB = { members: 0x30, route: 0x31, routed: 0x32, replica: 0x33, unlink: 0x34, stored: 0x35, digest: 0x36 } as const;
/** Consecutive failed dials to a member after which this node declares it dead. */
const DIAL_FAILURES_DEAD = 2;
const MAX_HOPS = 64;
/** Longest single routing attempt of a write; a lost request is sent again after it. */
const ATTEMPT_MS = 4000;
const FULL_REPAIR_MS = 10_000;
type Op = 'get' | 'put' | 'delta';
const OPS: readonly string[] = ['get', 'put', 'delta'];

export interface OverlayAnswer {
  status: 'ok' | 'absent' | 'error' | 'timeout';
  value?: unknown;
  ver?: Version;
  hops: number;
}

type Hop = RouteStep<Peer>;

interface Pending {
  from?: Peer;
  resolve?: (a: OverlayAnswer) => void;
  toId?: string;
  at: number;
}

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
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Immediate | null = null;
  private readonly pending = new Map<string, Pending>();
  private derivedVersion = -1;
  /** Ring version last repaired for (-1: repair again next round). */
  repairedVersion = -1;
  private lastFullRepair = Date.now();
  private readonly dialed = new Map<string, number>();
  private posFor = { id: '', pos: 0n };
  /** Ring version seen last, and when it changed (drops wait for the view to settle). */
  private viewVersion = -1;
  viewChangedAt = Date.now();
  /** When this node's range (predecessor, self] last changed, and its predecessor then. */
  private rangeChangedAt = 0;
  private rangeFrom = '';

  readonly replication: Replication;
  readonly gossip: MemberGossip;

  constructor(readonly node: ChordNode) {
    this.replication = new Replication(this);
    this.gossip = new MemberGossip(this);
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
    for (const [, p] of this.pending) p.resolve?.({ status: 'timeout', hops: -1 });
    this.pending.clear();
    this.replication.stop();
    this.gossip.stop();
  }

  /** Something changed (meta, membership): run a round soon. */
  changed(): void {
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
    node.membership.expire(now, 10 * node.chord.failureTimeout);
    for (const id of this.dialFailures.keys()) if (!node.membership.members.has(id)) this.dialFailures.delete(id);
    for (const id of this.dialed.keys()) if (!node.membership.members.has(id)) this.dialed.delete(id);
    this.derive();
    if (node.membership.version !== this.viewVersion) {
      this.viewVersion = node.membership.version;
      this.viewChangedAt = now;
    }
    if (beat) this.gossip.onRound(now);
    if (node.storing) this.ensureConnections(now);
    if (node.storing && node.mode === 'overlay') this.prune(now);
    const ringVersion = node.membership.version;
    // a full re-push every FULL_REPAIR_MS, sooner (at most once a second) after a copy went unanswered
    const fullDue = now - this.lastFullRepair > FULL_REPAIR_MS || (this.replication.pushFailed && now - this.lastFullRepair > 1000);
    if (ringVersion !== this.repairedVersion || fullDue) {
      const full = fullDue;
      if (full) this.replication.pushFailed = false;
      if (full) this.lastFullRepair = now;
      this.repairedVersion = ringVersion;
      if (node.mode === 'overlay') this.replication.repair(full);
    }
    for (const [id, p] of this.pending) if (!p.resolve && now - p.at > 60_000) this.pending.delete(id);
    node.legacyPending.prune(now);
    node.store.prune();
  }

  private derive(): void {
    const m = this.node.membership;
    const key = m.version * 2 + (this.node.storing ? 1 : 0);
    if (key === this.derivedVersion) return;
    this.derivedVersion = key;
    const ring = m.ring(this.node.storing);
    const r = this.node.chord.replicas;
    this.successors = Membership.successors(ring, this.node.id, r);
    this.predecessors = Membership.predecessors(ring, this.node.id, Math.max(1, r - 1));
    this.fingers = fingerTable(ring, this.node.id, this.selfPos());
    const from = this.node.storing ? (this.predecessors[0]?.id ?? '') : '';
    if (from !== this.rangeFrom) {
      this.rangeFrom = from;
      this.rangeChangedAt = Date.now();
    }
  }

  /** Links the overlay keeps open: fingers and the r-1 nearest successors. */
  private wanted(): Map<string, Member> {
    return wantedLinks(this.successors, this.fingers, this.node.chord.replicas);
  }

  /**
   * Keep few connections: close one outgoing link per round to a polyp2p node
   * that is neither a finger nor a near successor, once more than maxOutgoing
   * are open. The peer is told first (0x34) so it does not take it for a failure.
   */
  private prune(now: number): void {
    const node = this.node;
    const want = this.wanted();
    if (node.outgoingCount <= Math.max(node.options.maxOutgoing, want.size)) return;
    for (const p of node.peers.values()) {
      if (!p.outgoing || !p.answersPings || !p.id || want.has(p.id) || now - p.conn.openedAt < 5000) continue;
      node.sendToPeer(p, flags.whisper, [SUB.unlink]);
      this.unlinked.add(p);
      // close once the answers still due over it came back (at most 5 s)
      const closeAt = now + 5000;
      const close = () => {
        if (p.conn.closed) return;
        if (this.carries(p) && Date.now() < closeAt && !node.closed) setTimeout(close, 200).unref();
        else p.conn.close();
      };
      setTimeout(close, 200).unref();
      return;
    }
  }

  readonly unlinked = new WeakSet<Peer>();

  /** A request forwarded over this link, or one that came in over it, or a replica batch sent to it, awaits its answer. */
  private carries(peer: Peer): boolean {
    for (const p of this.pending.values()) if (p.from === peer || p.toId === peer.id) return true;
    if (peer.id && this.replication.awaits(peer.id)) return true;
    return false;
  }


  private ensureConnections(now: number): void {
    const want = this.wanted();
    for (const m of want.values()) {
      if (this.node.peers.has(m.id)) continue;
      const last = this.dialed.get(m.id) ?? 0;
      if (now - last < 2000) continue;
      this.dialed.set(m.id, now);
      this.node.connect(m.host, m.port, { id: m.id }).then(
        () => this.dialResult(m.id),
        (e) => this.dialResult(m.id, e),
      );
    }
  }

  // --- routing -------------------------------------------------------------------

  nextHop(pos: bigint): Hop {
    const node = this.node;
    const ring = node.membership.ring(node.storing);
    const responsible = ring.length ? ring[Membership.responsibleIndex(ring, pos)] : undefined;
    return routeStep({ id: node.id, pos: this.selfPos(), storing: node.storing }, responsible, pos, this.candidates());
  }

  /** Connected polyp2p peers that store data and are live ring members, at their ring positions. */
  private *candidates(): Generator<RouteCandidate<Peer>> {
    const node = this.node;
    for (const p of node.peers.values()) {
      if (!p.answersPings || !p.id || !node.isStoring(p) || this.unlinked.has(p)) continue; // not over a link being closed
      const m = node.membership.members.get(p.id);
      if (!m || m.dead || !m.storing) continue;
      yield { pos: m.pos, via: p };
    }
  }

  private send(hop: Hop, payload: unknown[], onFail: () => void): string | undefined {
    if (hop.kind === 'peer') {
      this.node.sendToPeer(hop.peer, flags.whisper, payload);
      return hop.peer.id ?? undefined;
    }
    if (hop.kind === 'connect') {
      this.node
        .connect(hop.member.host, hop.member.port, { id: hop.member.id })
        .then(
          (peer) => {
            this.dialResult(hop.member.id);
            // of two links to one node only one survives: use the one kept
            const use = peer.conn.closed ? this.node.peers.get(hop.member.id) : peer;
            if (use && !use.conn.closed) this.node.sendToPeer(use, flags.whisper, payload);
            else onFail();
          },
          (e) => {
            this.dialResult(hop.member.id, e);
            onFail();
          },
        );
      return hop.member.id;
    }
    onFail();
    return undefined;
  }

  /** Start an overlay request here; resolves with the responsible node's answer (never rejects). */
  originate(table: TableName, pos: bigint, op: Op, value: unknown, ver: Version | null, timeout: number, record = true): Promise<OverlayAnswer> {
    const hop = this.nextHop(pos);
    if (hop.kind === 'self' || (hop.kind === 'none' && this.node.storing)) {
      if (record) this.node.recordHops(0);
      return this.perform(table, pos, op, value, ver).then((a) => ({ ...a, hops: 0 }));
    }
    return new Promise((resolve) => {
      const reqId = randomBytes(12).toString('hex');
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        resolve({ status: 'timeout', hops: -1 });
      }, timeout);
      timer.unref?.();
      const p: Pending = {
        at: Date.now(),
        resolve: (a) => {
          clearTimeout(timer);
          if (record && a.hops >= 0) this.node.recordHops(a.hops);
          resolve(a);
        },
      };
      this.pending.set(reqId, p);
      p.toId = this.send(hop, [SUB.route, reqId, op, table, core.base58EncodeInt(pos), value ?? null, ver, 1], () => {
        this.pending.delete(reqId);
        p.resolve!({ status: 'error', hops: -1 });
      });
    });
  }

  lookup(slot: Slot, op: Op, value: unknown, timeout: number): Promise<OverlayAnswer> {
    return this.originate(slot.table, slot.pos, op, value, op === 'get' ? null : this.node.newVersion(), timeout);
  }

  /** A put/delta for every slot with one version; resolves when at least three tables acknowledged. */
  async writeAll(slots: Slot[], op: 'put' | 'delta', value: unknown, timeout: number): Promise<void> {
    const ver = this.node.newVersion();
    const deadline = Date.now() + timeout;
    // A slot whose route failed (a link closed mid-way, a dial lost a race) is retried until the deadline.
    const one = async (s: Slot): Promise<boolean> => {
      for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
        const left = deadline - Date.now();
        if (left <= 0 || this.node.closed) return false;
        const a = await this.originate(s.table, s.pos, op, value, ver, Math.min(left, ATTEMPT_MS), false);
        if (a.status === 'ok') return true;
        await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(0, deadline - Date.now()))));
      }
    };
    const ok = (await Promise.all(slots.map(one))).filter(Boolean).length;
    if (ok < 3) throw new TimeoutError(`write acknowledged by ${ok} of the five tables' responsible nodes within ${timeout} ms`);
  }

  routeFromLegacy(table: TableName, pos: bigint, op: 'put' | 'delta', value: unknown, writer: string): void {
    void this.originate(table, pos, op, value, [Date.now(), writer], this.node.chord.timeout, false);
  }

  retrieveForLegacy(table: TableName, pos: bigint, answer: (v: unknown) => void): void {
    const hop = this.nextHop(pos);
    if (hop.kind === 'self' || hop.kind === 'none') return answer(this.node.store.value(table, pos));
    answer(undefined); // the originals' early nil answer
    void this.originate(table, pos, 'get', undefined, null, this.node.chord.timeout, false).then((a) => {
      if (a.status === 'ok') answer(a.value);
    });
  }

  /**
   * Apply an operation here (this node is responsible) and copy writes to the
   * successors; a write is answered 'ok' once min(r, ring size) nodes hold it
   * (this one and successors that answered 0x35), 'error' otherwise (the writer retries).
   */
  private async perform(table: TableName, pos: bigint, op: Op, value: unknown, ver: Version | null): Promise<Omit<OverlayAnswer, 'hops'>> {
    const store = this.node.store;
    if (op === 'get') {
      let it = store.get(table, pos);
      // This node's range changed moments ago (it joined, or its predecessor changed): copies of
      // positions it now answers for may still be on their way from their previous holder, whose
      // repair pushes them on the same change. Before answering "absent" for a position it has
      // no record of (a tombstone is an answer), wait for them until the range is three rounds old.
      const settleUntil = this.rangeChangedAt + 3 * this.node.chord.stabilizeInterval;
      while (!it && Date.now() < settleUntil && !this.node.closed) {
        await new Promise((r) => setTimeout(r, 25));
        it = store.get(table, pos);
      }
      return it && it.value !== undefined ? { status: 'ok', value: it.value, ver: it.ver } : { status: 'absent' };
    }
    const v = ver ?? this.node.newVersion();
    if (op === 'delta') {
      if (!isMapping(value)) return { status: 'error' };
      const cur = store.get(table, pos);
      const use: Version = cur && compareVersions(cur.ver, v) >= 0 ? [cur.ver[0] + 1, v[1]] : v;
      if (cur && cur.value !== undefined && !isMapping(cur.value)) return { status: 'error' };
      store.put(table, pos, { ...((cur?.value as Record<string, unknown>) ?? {}), ...value }, use);
    } else {
      store.put(table, pos, value === null ? undefined : value, v);
    }
    const it = store.get(table, pos);
    if (!it) return { status: 'error' };
    const ring = this.node.membership.ring(this.node.storing);
    const need = Math.min(this.node.chord.replicas, ring.length) - 1;
    const targets = this.successors.slice(0, this.node.chord.replicas - 1);
    const answers = await Promise.all(this.replication.pushTo(targets, [it]));
    const held = answers.filter((a) => a !== null && a[0] >= HELD).length;
    if (held < need) return { status: 'error' };
    return { status: 'ok', value: it.value, ver: it.ver };
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

  // --- handlers --------------------------------------------------------------------

  onRoute(peer: Peer, msg: MeshMessage): void {
    const [, rid, opRaw, tableRaw, posRaw, value, verRaw, hopsRaw] = msg.packets;
    const reqId = textOf(rid);
    const op = textOf(opRaw);
    const table = tableOf(tableRaw);
    const pos = positionOf(posRaw);
    if (msg.packets.length !== 8 || !reqId || reqId.length > 64 || !op || !OPS.includes(op) || !table || pos === null) return;
    if (typeof hopsRaw !== 'number' || !Number.isInteger(hopsRaw) || hopsRaw < 0) return;
    const ver = op === 'get' ? null : versionOf(verRaw);
    if (op !== 'get' && !ver) return;
    const reply = (status: string, v: unknown = null, vv: unknown = null, hops = hopsRaw) =>
      this.node.sendToPeer(peer, flags.whisper, [SUB.routed, reqId, status, v === undefined ? null : v, vv ?? null, hops]);
    const hop = this.nextHop(pos);
    if (hop.kind === 'self' || (hop.kind === 'none' && this.node.storing)) {
      void this.perform(table, pos, op as Op, value, ver).then(
        (a) => reply(a.status, op === 'get' ? a.value : null, a.ver ?? null),
        () => reply('error'),
      );
      return;
    }
    if (hopsRaw >= MAX_HOPS || this.pending.size >= this.node.chord.maxPendingLookups || this.pending.has(reqId)) return reply('error');
    const p: Pending = { from: peer, at: Date.now() };
    this.pending.set(reqId, p);
    p.toId = this.send(hop, [SUB.route, reqId, op, table, posRaw, value, verRaw, hopsRaw + 1], () => {
      this.pending.delete(reqId);
      reply('error');
    });
  }

  onRouted(peer: Peer, msg: MeshMessage): void {
    const [, rid, statusRaw, value, verRaw, hops] = msg.packets;
    const reqId = textOf(rid);
    const status = textOf(statusRaw);
    if (msg.packets.length !== 6 || !reqId || !status || !['ok', 'absent', 'error'].includes(status)) return;
    if (typeof hops !== 'number' || !Number.isInteger(hops) || hops < 0) return;
    const p = this.pending.get(reqId);
    if (!p || (p.toId && p.toId !== peer.id)) return;
    this.pending.delete(reqId);
    if (p.from) {
      if (!p.from.conn.closed) this.node.sendToPeer(p.from, flags.whisper, msg.packets);
      return;
    }
    p.resolve?.({ status: status as OverlayAnswer['status'], value: value === null ? undefined : value, ver: versionOf(verRaw) ?? undefined, hops });
  }

}

export function installOverlay(node: ChordNode): void {
  const overlay = new Overlay(node);
  node.overlay = overlay;
  const guard = (fn: (peer: Peer, msg: MeshMessage) => void) => (_n: unknown, peer: Peer, msg: MeshMessage) => {
    // Sent only to peers known as polyp2p nodes; accepted from anyone (a fresh link may carry a
    // request before the peer's pong), and validated field by field.
    try {
      fn(peer, msg);
    } catch (e) {
      node.reportError(e as Error, peer);
    }
    return true;
  };
  // member gossip from any peer with a known id (entries are validated one by one)
  node.builtins.set(SUB.members, guard((p, m) => p.id && overlay.gossip.onMembers(p, m)));
  node.builtins.set(SUB.digest, guard((p, m) => p.id && overlay.gossip.onDigest(p, m)));
  node.builtins.set(SUB.route, guard((p, m) => overlay.onRoute(p, m)));
  node.builtins.set(SUB.routed, guard((p, m) => overlay.onRouted(p, m)));
  node.builtins.set(SUB.replica, guard((p, m) => overlay.replication.onReplica(p, m)));
  node.builtins.set(SUB.unlink, guard((p) => overlay.unlinked.add(p)));
  node.builtins.set(SUB.stored, guard((p, m) => overlay.replication.onStored(p, m)));
  node.on('listening', () => overlay.start());
  node.on('polyp2p-peer', (peer: Peer) => {
    overlay.gossip.onLink(peer);
    overlay.changed();
  });
  node.on('peer-left', (peer: Peer) => {
    // A link closed without notice: the node is taken for dead (it raises its counter if it is not),
    // unless a link to it is back within the grace period (two nodes that dialled each other at
    // once keep one of the two links, and one side may see the other closed first).
    const id = peer.id;
    if (!id || overlay.unlinked.has(peer)) return;
    overlay.later(Math.min(1000, node.chord.stabilizeInterval), () => {
      if (node.peers.has(id)) return;
      if (node.membership.members.get(id)?.dead === false) overlay.gossip.stats.declaredDeadLinkLost++;
      if (node.membership.markDead(id)) overlay.changed();
      overlay.gossip.schedule();
    });
  });
}

export { mergeLocal };
