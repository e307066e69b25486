/**
 * Routed requests among polyp2p chord nodes (sub-flags 0x31 route and 0x32
 * routed, see wire.ts): a get, put or delta travels hop by hop, each hop the
 * connected node closest at or before the position (routing.ts), until the
 * node responsible by its own ring view performs it, copies a write to its
 * successors (replication.ts) and answers back along the path.
 *
 * Each node remembers the requests it started or forwarded (at most
 * maxPendingLookups forwarded), so that an answer goes back the way the
 * request came and a link is not closed while an answer is due over it.
 */
import { randomHex } from '../base/random-hex';
import { MemoryBudgetError, TimeoutError } from '../base/errors';
import { flags } from '../base/flags';
import { textOf } from '../mesh/wire';
import type { Peer } from '../mesh/peer';
import type { MeshMessage } from '../mesh/message';
import { core } from '../native';
import { Membership, type Member } from './ring';
import { compareVersions, tooFarAhead, versionOf, type Version } from './store';
import { isMapping, positionOf, tableOf, type Slot, type TableName } from './positions';
import { routeStep, routeStepOnRing, type RouteCandidate, type RouteStep } from './routing';
import { ITEM_BYTES } from './budget';
import { encodedSize } from './values';
import { Notifier, waitUntil } from '../base/wait-until';
import type { Overlay } from './overlay';
import { noteRoute } from './diagnostics';
import { BUDGET_ERROR, holds, REFUSED, ROUTE_OPS, ROUTED_STATUSES, routedMessage, routeMessage, type RouteOp as Op, type RoutedStatus } from './wire';

/** A request forwarded this often is answered 'error' (a routing loop, or a ring in flux). */
const MAX_HOPS = 64;
/** Longest single routing attempt of a write; a lost request is sent again after it. */
export const ATTEMPT_MS = 4000;

export interface OverlayAnswer {
  status: 'ok' | 'absent' | 'error' | 'timeout';
  value?: unknown;
  ver?: Version;
  hops: number;
  /** For 'error': BUDGET_ERROR when a byte budget refused the write. */
  code?: string;
}

type Hop = RouteStep<Peer>;

/** Operations that change nothing: no version, nothing charged to a link's budget. */
const isRead = (op: Op): boolean => op === 'get' || op === 'find';

/** What this node answers when it performs a request itself. */
type Performed = Omit<OverlayAnswer, 'hops' | 'status'> & { status: RoutedStatus };

interface Pending {
  /** The peer a forwarded request came from (none: started here). */
  from?: Peer;
  resolve?: (a: OverlayAnswer) => void;
  /** The node it was sent on to (only its answer counts). */
  toId?: string;
  at: number;
}

export class RouteRequests {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly o: Overlay) {}

  /** Requests still open end with 'timeout' (the node is closing). */
  stop(): void {
    for (const [, p] of this.pending) p.resolve?.({ status: 'timeout', hops: -1 });
    this.pending.clear();
    this.settled.notify();
  }

  /** Forget forwarded requests whose answer never came (a minute on). */
  prune(now: number): void {
    for (const [id, p] of this.pending) if (!p.resolve && now - p.at > 60_000) this.forget(id);
  }

  /** Told when a request no longer awaits its answer (a link being closed waits for them, overlay.ts). */
  readonly settled = new Notifier();

  private forget(reqId: string): void {
    if (this.pending.delete(reqId)) this.settled.notify();
  }

  /** An answer is due over this link: a request forwarded over it, or one that came in over it. */
  awaitsOver(peer: Peer): boolean {
    for (const p of this.pending.values()) if (p.from === peer || p.toId === peer.id) return true;
    return false;
  }

  nextHop(pos: bigint): Hop {
    const node = this.o.node;
    const self = { id: node.id, pos: this.o.selfPos(), storing: node.storing };
    const ring = node.membership.ring(node.storing);
    // the walk is bounded by about the link count: past it, measuring each link is cheaper
    const walked = routeStepOnRing(self, ring, pos, this.linkTo, 8 + 2 * node.peers.size);
    if (walked) return walked;
    return routeStep(self, ring[Membership.responsibleIndex(ring, pos)], pos, this.candidates());
  }

  /** The link a request may go on to a live ring member: a polyp2p peer that stores data, not over a link being closed. */
  private readonly linkTo = (m: Member): Peer | undefined => {
    const node = this.o.node;
    const p = node.peers.get(m.id);
    return p && p.answersPings && node.isStoring(p) && !this.o.unlinked.has(p) ? p : undefined;
  };

  /** Connected polyp2p peers that store data and are live ring members, at their ring positions. */
  private *candidates(): Generator<RouteCandidate<Peer>> {
    const node = this.o.node;
    for (const p of node.peers.values()) {
      if (!p.answersPings || !p.id || !node.isStoring(p) || this.o.unlinked.has(p)) continue; // not over a link being closed
      const m = node.membership.liveMember(p.id);
      if (m) yield { pos: m.pos, via: p };
    }
  }

  /** Write a request to a peer; false (reported) when it cannot be sent, e.g. larger than that peer accepts. */
  private write(peer: Peer, payload: unknown[]): boolean {
    try {
      this.o.node.sendToPeer(peer, flags.whisper, payload);
      return true;
    } catch (e) {
      this.o.node.refusals.tooLargeForPeer++;
      this.o.node.reportError(e as Error, peer);
      return false;
    }
  }

  private send(hop: Hop, payload: unknown[], onFail: () => void): string | undefined {
    if (hop.kind === 'peer') {
      if (this.write(hop.peer, payload)) return hop.peer.id ?? undefined;
      onFail();
      return undefined;
    }
    if (hop.kind === 'connect') {
      this.o.node.connect(hop.member.host, hop.member.port, { id: hop.member.id }).then(
        (peer) => {
          this.o.dialResult(hop.member.id);
          // of two links to one node only one survives: use the one kept
          const use = peer.conn.closed ? this.o.node.peers.get(hop.member.id) : peer;
          if (!use || use.conn.closed || !this.write(use, payload)) onFail();
        },
        (e) => {
          this.o.dialResult(hop.member.id, e);
          onFail();
        },
      );
      return hop.member.id;
    }
    onFail();
    return undefined;
  }

  /**
   * Start an overlay request here; resolves with the responsible node's answer
   * (never rejects). `from`: the link outside the ring a write came in over
   * (an original's legacy store), which pays for it (link-budget.ts).
   */
  originate(table: TableName, pos: bigint, op: Op, value: unknown, ver: Version | null, timeout: number, record = true, from?: Peer): Promise<OverlayAnswer> {
    const hop = this.nextHop(pos);
    if (hop.kind === 'self' || (hop.kind === 'none' && this.o.node.storing)) {
      noteRoute(this.o.node, 'start', undefined, op, table, pos, 0, hop);
      if (record) this.o.node.recordHops(0);
      return this.perform(table, pos, op, value, ver, from && this.o.node.linkAccount(from)).then((a) => ({ ...a, hops: 0 }));
    }
    if (from && !isRead(op) && !this.chargeEntry(from, value)) return Promise.resolve({ status: 'error', hops: -1, code: BUDGET_ERROR });
    return new Promise((resolve) => {
      const reqId = randomHex(12);
      const timer = setTimeout(() => {
        this.forget(reqId);
        noteRoute(this.o.node, 'timeout', reqId, op, table, pos, -1);
        resolve({ status: 'timeout', hops: -1 });
      }, timeout);
      timer.unref?.();
      const p: Pending = {
        at: Date.now(),
        resolve: (a) => {
          clearTimeout(timer);
          noteRoute(this.o.node, 'answer', reqId, op, table, pos, a.hops, undefined, a.status);
          if (record && a.hops >= 0) this.o.node.recordHops(a.hops);
          resolve(a);
        },
      };
      this.pending.set(reqId, p);
      noteRoute(this.o.node, 'start', reqId, op, table, pos, 0, hop);
      p.toId = this.send(hop, routeMessage(reqId, op, table, core.base58EncodeInt(pos), value ?? null, ver, 1), () => {
        this.forget(reqId);
        p.resolve!({ status: 'error', hops: -1 });
      });
    });
  }

  lookup(slot: Slot, op: Op, value: unknown, timeout: number): Promise<OverlayAnswer> {
    return this.originate(slot.table, slot.pos, op, value, op === 'get' ? null : this.o.node.newVersion(), timeout);
  }

  /**
   * A put/delta for every slot with one version; resolves when at least three
   * tables acknowledged. A table whose write a byte budget refused is not
   * retried; once three are refused the write cannot succeed and rejects at
   * once with MemoryBudgetError.
   */
  async writeAll(slots: Slot[], op: 'put' | 'delta', value: unknown, timeout: number): Promise<void> {
    const ver = this.o.node.newVersion();
    const deadline = Date.now() + timeout;
    let refused = 0;
    let failHopeless: (e: Error) => void = () => undefined;
    const hopeless = new Promise<never>((_, reject) => (failHopeless = reject));
    // A slot whose route failed (a link closed mid-way, a dial lost a race) is retried until the deadline.
    const one = async (s: Slot): Promise<boolean> => {
      for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
        const left = deadline - Date.now();
        if (left <= 0 || this.o.node.closed || refused > slots.length - 3) return false;
        const a = await this.originate(s.table, s.pos, op, value, ver, Math.min(left, ATTEMPT_MS), false);
        if (a.status === 'ok') return true;
        if (a.code === BUDGET_ERROR) {
          if (++refused > slots.length - 3)
            failHopeless(
              new MemoryBudgetError(
                `write refused by a byte budget in ${refused} of the five tables (the responsible node's store or a replica's is full, or this writer's share is used up); delete keys, or raise maxStoreBytes / maxBytesPerWriter`,
              ),
            );
          return false;
        }
        await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(0, deadline - Date.now()))));
      }
    };
    const all = Promise.all(slots.map(one));
    const ok = (await Promise.race([all, hopeless])).filter(Boolean).length;
    if (ok < 3) throw new TimeoutError(`write acknowledged by ${ok} of the five tables' responsible nodes within ${timeout} ms`);
  }

  routeFromLegacy(table: TableName, pos: bigint, op: 'put' | 'delta', value: unknown, writer: string, from: Peer): void {
    void this.originate(table, pos, op, value, [Date.now(), writer], this.o.node.chord.timeout, false, from);
  }

  /** A write `from` a link outside the ring enters the ring through this node: within that link's share, or refused. */
  private chargeEntry(from: Peer, value: unknown): boolean {
    return this.o.node.links.chargeForwarded(from, encodedSize(value ?? null) + ITEM_BYTES);
  }

  retrieveForLegacy(table: TableName, pos: bigint, answer: (v: unknown) => void): void {
    const hop = this.nextHop(pos);
    if (hop.kind === 'self' || hop.kind === 'none') return answer(this.o.node.store.value(table, pos));
    answer(undefined); // the originals' early nil answer
    void this.originate(table, pos, 'get', undefined, null, this.o.node.chord.timeout, false).then((a) => {
      if (a.status === 'ok') answer(a.value);
    });
  }

  /**
   * Apply an operation here (this node is responsible) and copy writes to the
   * successors; a write is answered 'ok' once min(r, ring size) nodes hold it
   * (this one and successors that answered 0x35), 'error' otherwise (the writer retries).
   */
  private async perform(table: TableName, pos: bigint, op: Op, value: unknown, ver: Version | null, link?: string): Promise<Performed> {
    const store = this.o.node.store;
    if (op === 'get') return this.performGet(table, pos);
    if (op === 'find') return { status: 'ok', value: this.o.neighbourhoodWire() };
    const v = ver ?? this.o.node.newVersion();
    let result: string;
    if (op === 'delta') {
      if (!isMapping(value)) return { status: 'error' };
      const cur = store.get(table, pos);
      const use: Version = cur && compareVersions(cur.ver, v) >= 0 ? [cur.ver[0] + 1, v[1]] : v;
      if (cur && cur.value !== undefined && !isMapping(cur.value)) return { status: 'error' };
      result = store.put(table, pos, { ...(cur?.value ?? {}), ...value }, use, { link });
    } else {
      result = store.put(table, pos, value === null ? undefined : value, v, { link });
    }
    if (result !== 'stored' && result !== 'stale') return { status: 'error', code: BUDGET_ERROR };
    const it = store.get(table, pos);
    if (!it) return { status: 'error' };
    const ring = this.o.node.membership.ring(this.o.node.storing);
    const need = Math.min(this.o.node.chord.replicas, ring.length) - 1;
    const targets = this.o.successors.slice(0, this.o.node.chord.replicas - 1);
    const answers = await Promise.all(this.o.replication.pushTo(targets, [it]));
    const held = answers.filter((a) => a !== null && holds(a[0])).length;
    if (held < need) return { status: 'error', code: answers.some((a) => a?.[0] === REFUSED) ? BUDGET_ERROR : undefined };
    return { status: 'ok', value: it.value, ver: it.ver };
  }

  private async performGet(table: TableName, pos: bigint): Promise<Performed> {
    const store = this.o.node.store;
    let it = store.get(table, pos);
    // This node's range changed moments ago (it joined, or its predecessor changed): copies of
    // positions it now answers for may still be on their way from their previous holder, whose
    // repair pushes them on the same change. Before answering "absent" for a position it has
    // no record of (a tombstone is an answer), wait for them until the range is three rounds old.
    if (!it) {
      // the range as of the view this request was routed by (the round that derives it may not have run yet)
      this.o.derive();
      const settleUntil = this.o.rangeChangedAt + 3 * this.o.node.chord.stabilizeInterval;
      const node = this.o.node;
      // the node's view changes also tell of its closing
      await waitUntil(() => !!store.get(table, pos) || node.closed, [store.stored.trigger, node.viewChanges.trigger], settleUntil - Date.now());
      it = store.get(table, pos);
    }
    return it && it.value !== undefined ? { status: 'ok', value: it.value, ver: it.ver } : { status: 'absent' };
  }

  // --- handlers ---

  onRoute(peer: Peer, msg: MeshMessage): void {
    const [, rid, opRaw, tableRaw, posRaw, value, verRaw, hopsRaw] = msg.packets;
    const reqId = textOf(rid);
    const op = textOf(opRaw);
    const table = tableOf(tableRaw);
    const pos = positionOf(posRaw);
    if (msg.packets.length !== 8 || !reqId || reqId.length > 64 || !op || !ROUTE_OPS.includes(op) || !table || pos === null) return;
    if (typeof hopsRaw !== 'number' || !Number.isInteger(hopsRaw) || hopsRaw < 0) return;
    const ver = isRead(op as Op) ? null : versionOf(verRaw);
    if (!isRead(op as Op) && !ver) return;
    const reply = (status: RoutedStatus, v: unknown = null, vv: unknown = null, hops = hopsRaw) => this.answer(peer, routedMessage(reqId, status, v === undefined ? null : v, vv ?? null, hops));
    if (ver && tooFarAhead(ver, this.o.node.chord.maxClockSkew)) {
      this.o.node.refusals.futureVersion++;
      noteRoute(this.o.node, 'refuse', reqId, op as Op, table, pos, hopsRaw, undefined, 'future-version');
      return reply('error');
    }
    const hop = this.nextHop(pos);
    if (hop.kind === 'self' || (hop.kind === 'none' && this.o.node.storing)) {
      noteRoute(this.o.node, 'perform', reqId, op as Op, table, pos, hopsRaw, hop);
      // a write straight from a link the ring does not vouch for is charged to that link too
      const link = isRead(op as Op) || this.o.node.isRingLink(peer) ? undefined : this.o.node.linkAccount(peer);
      void this.perform(table, pos, op as Op, value, ver, link).then(
        (a) => reply(a.status, isRead(op as Op) ? a.value : (a.code ?? null), a.ver ?? null),
        () => reply('error'),
      );
      return;
    }
    if (hopsRaw >= MAX_HOPS || this.pending.size >= this.o.node.chord.maxPendingLookups || this.pending.has(reqId)) {
      noteRoute(this.o.node, 'refuse', reqId, op as Op, table, pos, hopsRaw, hop, hopsRaw >= MAX_HOPS ? 'max-hops' : this.pending.has(reqId) ? 'duplicate-request' : 'max-pending-lookups');
      return reply('error');
    }
    if (!isRead(op as Op) && !this.o.node.isRingLink(peer) && !this.chargeEntry(peer, value)) {
      noteRoute(this.o.node, 'refuse', reqId, op as Op, table, pos, hopsRaw, hop, 'link-budget');
      return reply('error', BUDGET_ERROR);
    }
    const p: Pending = { from: peer, at: Date.now() };
    this.pending.set(reqId, p);
    noteRoute(this.o.node, 'forward', reqId, op as Op, table, pos, hopsRaw, hop);
    p.toId = this.send(hop, routeMessage(reqId, op, table, posRaw, value, verRaw, hopsRaw + 1), () => {
      this.forget(reqId);
      reply('error');
    });
  }

  /**
   * Send a routed answer back. One too large for the requester (a large value
   * to a peer with a smaller body limit) goes back as 'error' instead, so the
   * request ends at once rather than at its timeout, and nothing throws out of
   * the asynchronous paths that answer.
   */
  private answer(peer: Peer, packets: unknown[]): void {
    if (peer.conn.closed) return;
    try {
      this.o.node.sendToPeer(peer, flags.whisper, packets);
    } catch (e) {
      this.o.node.refusals.tooLargeForPeer++;
      this.o.node.reportError(e as Error, peer);
      this.o.node.sendToPeer(peer, flags.whisper, routedMessage(packets[1], 'error', null, null, packets[5]));
    }
  }

  onRouted(peer: Peer, msg: MeshMessage): void {
    const [, rid, statusRaw, value, verRaw, hops] = msg.packets;
    const reqId = textOf(rid);
    const status = textOf(statusRaw);
    if (msg.packets.length !== 6 || !reqId || !status || !ROUTED_STATUSES.includes(status)) return;
    if (typeof hops !== 'number' || !Number.isInteger(hops) || hops < 0) return;
    const p = this.pending.get(reqId);
    if (!p || p.toId === undefined || p.toId !== peer.id) return; // only the node it was sent to answers it
    this.forget(reqId);
    if (p.from) {
      this.answer(p.from, msg.packets);
      return;
    }
    const code = status === 'error' && textOf(value) === BUDGET_ERROR ? BUDGET_ERROR : undefined;
    let ver = versionOf(verRaw) ?? undefined;
    if (ver && tooFarAhead(ver, this.o.node.chord.maxClockSkew)) {
      this.o.node.refusals.futureVersion++;
      ver = undefined;
    }
    p.resolve?.({ status: status as OverlayAnswer['status'], value: value === null || code ? undefined : value, ver, hops, code });
  }
}
