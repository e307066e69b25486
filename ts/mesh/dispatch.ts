/**
 * What a mesh node does with each decoded frame (docs/protocol.md §8-11):
 * renegotiation and keep-alive first, then the waterfall for broadcasts, then
 * the handlers of its sub-flag (flag-handlers.ts), then the application's
 * handlers, then delivery. Nothing a peer sends may throw out of here:
 * malformed messages are ignored or close only that connection.
 */
import type { ReceivedFrame } from '../base/received-frame';
import { VERDICT } from '../base/frame-batch';
import type { FramedConnection } from '../base/connection';
import { DuplicateIdError, HandlerError, WriteTimeoutError, FrameTimeoutError, HandshakeTimeoutError, IdentityChangedError, IdleTimeoutError, ProtocolMismatchError } from '../base/errors';
import { flags } from '../base/flags';
import { negotiateCompression, receiveOrder } from '../base/compression-flags';
import { core } from '../native';
import { nowSeconds } from '../base/ids';
import type { MeshNode } from './mesh-node';
import type { Peer } from './peer';
import { MeshMessage } from './message';
import { addrOf, flagListOf, idOf, sameSet, textOf } from './wire';
import { resolveDuplicate } from './duplicate-link';
import { relayFrame } from './frames';
import { noteDrop } from './diagnostics';

/** Longest a flooding peer is left unread while the peers its messages go to drain (see holdReading). */
const RELAY_HOLD_MAX_MS = 2000;

/** Pongs answered per link and second. */
const PONGS_PER_SECOND = 2;

export const PING = 0x03;
const PONG = 0x04;

/** One of the mesh's own handlers; returns true when it consumed the message. */
type MeshHandler = (node: MeshNode, peer: Peer, msg: MeshMessage) => boolean;

/**
 * Route one received message. Its header (main flag, sender, time,
 * sub-flag) comes from the frame's row; its values are decoded only where
 * something reads them (handlers, delivery), never to relay it.
 */
export function dispatch(node: MeshNode, peer: Peer, frame: ReceivedFrame): void {
  if (!frame.usual && frame.packets.length < 4) return noteDrop(node, peer, 'bad-header'); // header without payload: nothing to act on (py2p would renegotiate)
  const mainFlag = frame.mainFlag;
  const sender = idOf(frame.senderRaw);
  const time = frame.time;
  if (typeof mainFlag !== 'number' || sender === null || typeof time !== 'number' || !Number.isFinite(time)) return noteDrop(node, peer, 'bad-header');
  const subFlag = frame.subFlag;

  if (mainFlag === flags.renegotiate) return renegotiate(node, peer, frame.payload);
  if (mainFlag === PING) {
    if (subFlag !== PING) return;
    notePeerBodyLimit(peer, frame.payload[1]);
    // pings come once per keepAliveInterval: more than PONGS_PER_SECOND would fill a queue of tiny frames
    if (peer.allowPong(Date.now(), PONGS_PER_SECOND)) node.sendToPeer(peer, PONG, [PONG, node.bodyLimit]);
    return;
  }
  if (mainFlag === PONG) {
    notePeerBodyLimit(peer, frame.payload[1]);
    if (!peer.answersPings) {
      peer.markPolyp2p();
      // A pong means a polyp2p node: extensions (sync anti-entropy, chord routing) may talk to it.
      node.emit('polyp2pPeer', peer);
    }
    return;
  }

  if (mainFlag === flags.broadcast && !waterfall(node, peer, frame, sender, subFlag, time)) return;

  const handled = node.hasFlagHandler(subFlag as number);
  const delivered = subFlag === flags.broadcast || subFlag === flags.whisper;
  // nobody would read it: a relayed broadcast with no handler and no reader is not decoded at all
  if (!handled && !node.handlers.length && delivered && !node.wantsMessages) return void node.counters.delivered++;
  const msg = new MeshMessage(mainFlag, sender, time, peer, frame, node);
  if (handled && node.runFlagHandlers(subFlag as number, peer, msg)) return;
  for (const h of node.handlers) {
    let claimed: unknown;
    try {
      claimed = h(msg, peer);
    } catch (e) {
      // An application handler bug must not cut the peer off (whatever it threw).
      node.reportError(new HandlerError(`a message handler threw: ${e instanceof Error ? e.message : String(e)}`, e), peer);
      claimed = true;
    }
    if (claimed) return;
  }
  if (delivered) node.deliver(msg);
}

/**
 * The waterfall (docs/protocol.md §9.2): a broadcast goes on only when it is
 * new; then it is relayed. The reader has usually judged it already (the
 * frame's verdict, one crossing per socket read); otherwise it is judged here.
 */
function waterfall(node: MeshNode, peer: Peer, frame: ReceivedFrame, sender: string, subFlag: unknown, time: number): boolean {
  let verdict = frame.verdict;
  if (verdict === VERDICT.unchecked) {
    const now = nowSeconds();
    if (node.linkOnly.has(subFlag as number)) verdict = VERDICT.linkOnly;
    else if (time < now - node.options.dedupWindow) verdict = VERDICT.stale;
    else verdict = node.seen.seen(frame.id, time, now) ? VERDICT.duplicate : VERDICT.new;
  }
  if (verdict === VERDICT.linkOnly) {
    // A link-level message (handshake, peer list, an extension's whisper) inside a broadcast:
    // acting on it would make every node of the network treat it as its neighbour's.
    node.counters.misrouted++;
    noteDrop(node, peer, 'misrouted');
    return false;
  }
  if (verdict === VERDICT.stale) {
    node.counters.stale++;
    noteDrop(node, peer, 'stale');
    return false;
  }
  if (verdict === VERDICT.duplicate) {
    node.counters.duplicates++;
    noteDrop(node, peer, 'duplicate');
    if (node.listenerCount('duplicate')) node.emit('duplicate', { id: Buffer.from(frame.id), sender, peer });
    return false;
  }
  relay(node, peer, frame, sender);
  return true;
}

/**
 * polyp2p peers put the largest frame body they accept in their pings and
 * pongs ([0x03, limit], [0x04, limit]; the originals ignore both messages), so
 * that responses are sized to the requester and a too-large message is
 * refused on the sender. Values below 64 KiB are taken as 64 KiB: a peer
 * cannot make this node split its answers into absurdly many pieces.
 */
function notePeerBodyLimit(peer: Peer, v: unknown): void {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) peer.maxBody = Math.max(v, 64 * 1024);
}

/** Forward the received bytes to every peer except the author and the peer it came from. */
function relay(node: MeshNode, from: Peer, frame: ReceivedFrame, sender: string): void {
  // the frame per compression method: nearly always one method, so no Map unless a second one appears
  let firstMethod: number | null | undefined;
  let firstFrame: Buffer | undefined;
  let others: Map<number | null, Buffer> | null = null;
  const highWater = node.options.relayHighWater;
  let congested: FramedConnection[] | null = null;
  let sent = 0;
  const body = frame.msgpack.length + 32;
  for (const peer of node.peers.values()) {
    if (peer === from || peer.id === sender) continue;
    if (node.relayFilter && !node.relayFilter(peer, frame)) continue;
    if (body > node.bodyLimitFor(peer)) {
      node.counters.tooLargeForPeer++; // that peer would drop the link: it goes without this one
      noteDrop(node, peer, 'too-large-for-peer');
      continue;
    }
    const m = peer.conn.sendCompression;
    let out: Buffer | undefined;
    if (firstFrame === undefined) {
      firstMethod = m;
      out = firstFrame = relayFrame(node.options, frame, m);
    } else if (m === firstMethod) out = firstFrame;
    else if (!(out = (others ??= new Map<number | null, Buffer>()).get(m))) others.set(m, (out = relayFrame(node.options, frame, m)));
    peer.conn.writeFrame(out);
    if (highWater > 0 && !peer.conn.slowReader && peer.conn.queuedBytes > highWater && node.mayHoldFor(peer)) (congested ??= []).push(peer.conn);
    sent++;
  }
  if (sent) node.counters.relayed++;
  // a peer we relay to is slower than the one flooding us: read from the flooder later
  if (congested && from.conn.holdReading(congested, RELAY_HOLD_MAX_MS)) node.counters.relayHolds++;
}

function renegotiate(node: MeshNode, peer: Peer, payload: unknown[]): void {
  if (payload[0] === flags.compression && Array.isArray(payload[1])) {
    const next = flagListOf(payload[1]);
    const changed = !sameSet(peer.compression, next);
    setPeerCompression(node, peer, next);
    if (changed) {
      // Answer with what we both support, in our order (§13); never longer than the peer's list.
      const common = node.options.compression.filter((m) => next.includes(m));
      node.sendToPeer(peer, flags.renegotiate, [flags.compression, common]);
    }
  } else if (payload[0] === flags.resend && peer.lastSent) {
    // At most one resend per second per link: a 10-byte request must not pull
    // back megabytes (amplification).
    const now = Date.now();
    if (now - peer.lastResendAt >= 1000) {
      peer.lastResendAt = now;
      peer.conn.writeFrame(peer.lastSent);
    }
  }
}

function setPeerCompression(node: MeshNode, peer: Peer, list: number[]): void {
  peer.compression = list;
  peer.conn.setReceiveCompressions(
    receiveOrder(
      node.options.compression.filter((m) => core.compressionMethods.includes(m)),
      list,
    ),
  );
  peer.conn.sendCompression = negotiateCompression(node.options.compression, list);
}

function handshake(node: MeshNode, peer: Peer, msg: MeshMessage): boolean {
  const p = msg.packets;
  if (p.length !== 5) return true; // §10.2: any other size is ignored
  const pid = textOf(p[2]);
  if (pid !== node.protocolId) {
    node.reportError(
      new ProtocolMismatchError(
        `handshake names protocol ${pid === null ? typeof p[2] : pid}, this node runs ${node.protocolId} ` +
          `(subnet ${JSON.stringify(node.options.subnet)}, ${node.options.encryption}, version 0.7); connection closed`,
      ),
      peer,
    );
    peer.conn.close();
    return true;
  }
  const id = idOf(p[1]);
  if (!id) return true;
  if (peer.handshakeReceived && peer.id !== id) {
    node.refuse(
      peer,
      new IdentityChangedError(
        `handshook as ${peer.id?.slice(0, 12)}… and then as ${id.slice(0, 12)}… on the same connection; ` + 'one connection is one peer, so it was closed (a node whose ID changed must reconnect)',
      ),
    );
    return true;
  }
  if (id === node.id) {
    peer.conn.close(); // connected to ourselves
    return true;
  }
  if (!peer.handshakeReceived && !node.authenticate(peer, id, addrOf(p[3]))) return true;
  if (peer.protocolIdForm === null) peer.protocolIdForm = typeof p[2] === 'string' ? 'str' : 'bin';
  peer.addr = addrOf(p[3]);
  setPeerCompression(node, peer, flagListOf(p[4]));
  const first = !peer.handshakeReceived;
  peer.handshakeReceived = true;
  peer.id = id;

  if (peer.standby) return true; // held out of the routing table by resolveDuplicate: nothing more until promoted

  const existing = node.peers.get(id);
  if (existing && existing !== peer && !existing.conn.closed) {
    const enter = (p: Peer) => enterTable(node, p, true);
    if (!resolveDuplicate(node, id, existing, peer, enter)) return true;
  }
  enterTable(node, peer, first);
  return true;
}

/** A handshaked peer takes its ID's place in the routing table. */
function enterTable(node: MeshNode, peer: Peer, first: boolean): void {
  node.awaiting.delete(peer);
  const wasEmpty = node.peers.size === 0;
  node.peers.set(peer.id as string, peer);
  if (!peer.handshakeSent) node.sendHandshake(peer, peer.protocolIdForm ?? 'str');
  node.sendPeers(peer);
  // One ping right away: polyp2p peers answer (and are then known as such); the originals ignore it.
  if (first) node.ping(peer);
  node.peerReady(peer, first);
  if (wasEmpty) node.emit('connect', node);
}

function peers(node: MeshNode, _peer: Peer, msg: MeshMessage): boolean {
  const list = msg.packets[1];
  if (!Array.isArray(list)) return true;
  for (const entry of list.slice(0, 256)) {
    if (node.outgoingOpen >= node.options.maxOutgoing) break;
    if (!Array.isArray(entry) || entry.length !== 2) continue;
    const addr = addrOf(entry[0]);
    const id = idOf(entry[1]);
    if (!addr || !id || id === node.id || node.peers.has(id)) continue;
    if (node.isDialing(addr[0], addr[1]) || node.linkTo(addr[0], addr[1])) continue;
    node.connect(addr[0], addr[1], { id, refusedRetries: 0 }).catch(() => {
      // A dead or bogus peer-list entry: nothing to do (bounded by maxOutgoing and connectTimeout).
    });
  }
  return true;
}

/** Unfinished outgoing connections under which reply() may still dial (when maxOutgoing is lower). */
const REPLY_DIALS = 4;
/** Address answers per link and second: each is a broadcast that floods the network (§12.2). */
const ADDRESS_ANSWERS_PER_SECOND = 10;

function request(node: MeshNode, peer: Peer, msg: MeshMessage): boolean {
  const p = msg.packets;
  if (p.length === 2 && textOf(p[1]) === '*') {
    node.sendPeers(peer);
  } else if (p.length === 3) {
    const rid = idOf(p[1]);
    const wanted = idOf(p[2]);
    const target = wanted ? node.peers.get(wanted) : undefined;
    if (!rid || !target?.addr || !peer.allowAddressAnswer(Date.now(), ADDRESS_ANSWERS_PER_SECOND)) return true;
    node.sendToPeer(peer, flags.broadcast, [flags.response, rid, [[target.addr[0], target.addr[1]], wanted]]);
  }
  return true;
}

function response(node: MeshNode, _peer: Peer, msg: MeshMessage): boolean {
  const p = msg.packets;
  const rid = idOf(p[1]);
  if (p.length !== 3 || !rid || !Array.isArray(p[2])) return true;
  const addr = addrOf(p[2][0]);
  const id = idOf(p[2][1]);
  const pending = node.requests.get(rid);
  if (!pending || !addr || id !== pending.target) return true;
  // Dials for replies are bounded like automatic ones: at most maxOutgoing (and at least
  // REPLY_DIALS, for nodes that make no automatic connections) unfinished outgoing connections.
  if (node.outgoingPending >= Math.max(node.options.maxOutgoing, REPLY_DIALS)) return true;
  node.requests.take(rid);
  node
    .connect(addr[0], addr[1], { id })
    .then((target) => {
      if (target.id !== pending.target) throw new DuplicateIdError(`the node at ${addr[0]}:${addr[1]} is ${target.id?.slice(0, 12)}…, not ${pending.target.slice(0, 12)}…; the reply was not sent`);
      node.sendToPeer(target, flags.whisper, [flags.whisper, ...pending.data]);
    })
    .catch((e: Error) => node.reportError(e));
  return true;
}

/** The mesh's own handlers, through the API the layers on top use too; handshakes and peer lists only mean something between neighbours. */
export function addMeshHandlers(node: MeshNode): void {
  const add = (flag: number, h: MeshHandler, linkOnly = false) => node.addHandler(flag, (peer, msg) => h(node, peer, msg), { linkOnly });
  add(flags.handshake, handshake, true);
  add(flags.peers, peers, true);
  add(flags.request, request);
  add(flags.response, response);
}

/** Longest period between two maintain() runs. */
const MAX_MAINTENANCE_PERIOD = 2500;

/**
 * How often maintain() runs: a quarter of the shortest timeout it enforces,
 * so a drop comes at most a quarter late, and twice per keepAliveInterval
 * when that is shorter, so pings go out at the configured pace; between 25 ms
 * and 2.5 s (the defaults: 2.5 s). A fixed second cost every node a timer
 * and a walk over its links each second, though its timeouts are 10 s or more.
 */
export function maintenancePeriod(o: { keepAliveInterval: number; handshakeTimeout: number; frameTimeout: number; writeTimeout: number; idleTimeout: number }): number {
  let period = MAX_MAINTENANCE_PERIOD;
  for (const timeout of [o.handshakeTimeout, o.frameTimeout, o.writeTimeout]) if (timeout > 0) period = Math.min(period, timeout / 4);
  if (o.keepAliveInterval > 0) period = Math.min(period, o.keepAliveInterval / 2, o.idleTimeout > 0 ? o.idleTimeout / 4 : Infinity);
  return Math.max(25, Math.floor(period));
}

/**
 * Notices maintenance ticks that run a whole period late: this process was
 * stalled (a long GC, CPU starvation, a blocking call). Node runs timers
 * before it reads sockets, so on such a tick every peer looks silent while
 * its data waits unread in the kernel; timeout drops wait one tick. Only one
 * tick in a row is excused, so a process that is always late still drops
 * dead peers.
 */
export class StallDetector {
  private lastAt: number;
  private excused = false;
  constructor(
    readonly period: number,
    now = Date.now(),
  ) {
    this.lastAt = now;
  }

  /** True when this tick came late after a stall and timeout checks should wait for the next one. */
  stalledBefore(now: number): boolean {
    // a whole period late, or a second with long periods (a stall of 1-2.5 s must be excused too)
    const late = now - this.lastAt > this.period + Math.min(this.period, 1000);
    this.lastAt = now;
    this.excused = late && !this.excused;
    return this.excused;
  }
}

/** Every maintenancePeriod: timeouts, keep-alive, expiry. */
export function maintain(node: MeshNode, stall: StallDetector): void {
  const now = Date.now();
  const o = node.options;
  const stalled = stall.stalledBefore(now);
  for (const peer of node.connections) {
    const c = peer.conn;
    if (c.closed) continue;
    if (stalled) {
      // data that arrived during the stall is read after this tick: judge silence next tick
    } else if (!peer.handshakeReceived && now - c.openedAt > o.handshakeTimeout) {
      c.fail(new HandshakeTimeoutError(`no handshake within handshakeTimeout (${o.handshakeTimeout} ms)`));
    } else if (c.incompleteSince && now - c.incompleteSince > o.frameTimeout) {
      // a WebSocket message that ws is still buffering counts as a frame in progress
      const what = c.incompleteSince === c.partialSince ? 'a frame' : `a ${node.transport.name} message`;
      c.fail(new FrameTimeoutError(`${what} started ${now - c.incompleteSince} ms ago is still incomplete; frameTimeout is ${o.frameTimeout} ms`));
    } else if (o.writeTimeout > 0 && c.writes.stalledFor(now) > o.writeTimeout) {
      c.fail(
        new WriteTimeoutError(
          `${c.writes.writes} frames (${c.writes.bytes} bytes) queued for it have not moved for ${c.writes.stalledFor(now)} ms; writeTimeout is ${o.writeTimeout} ms: it stopped reading`,
        ),
      );
    } else if (o.keepAliveInterval > 0 && peer.answersPings && now - c.lastReceivedAt > o.idleTimeout) {
      c.fail(new IdleTimeoutError(`silent for ${now - c.lastReceivedAt} ms; idleTimeout is ${o.idleTimeout} ms`));
    }
    if (!c.closed && o.keepAliveInterval > 0 && peer.handshakeReceived && now - Math.max(c.lastReceivedAt, peer.lastPingAt) > o.keepAliveInterval) {
      peer.lastPingAt = now;
      node.ping(peer);
    }
    peer.compactLastSent();
  }
  if (!stalled) node.expirePending(now);
  node.requests.prune(now);
  node.seen.prune(nowSeconds());
}
