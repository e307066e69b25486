/**
 * MeshNode: a flood-broadcast network node (PROTOCOL.md §9-13), one
 * implementation under both the typed API (createMesh) and the js2p drop-in
 * (compat/mesh.ts). Incoming-message handling lives in dispatch.ts.
 */
import { EventEmitter } from 'events';
import { core } from '../native';
import type { EncodedMessage, WaterfallCacheLike } from '../base/codec-types';
import type { ReceivedFrame } from '../base/received-frame';
import { FramedConnection, ByteStream } from '../base/connection';
import { AbortError, ClosedError, ConnectError, DuplicateIdError, HandlerError, HandshakeTimeoutError, MessageTooLargeError, NotConnectedError, PeerLimitError, Polyp2pError } from '../base/errors';
import { flags } from '../base/flags';
import { createUserSalt, js2pNodeIdPreimage, nodeId, nowSeconds, protocolId as makeProtocolId, requestId as makeRequestId } from '../base/ids';
import { MeshOptions, ResolvedMeshOptions, resolveMeshOptions } from './options';
import { Peer, IdForm, type PeerClass } from './peer';
import { MeshMessage } from './message';
import { PendingRequests } from './requests';
import { dispatch, addMeshHandlers, maintain, maintenancePeriod, StallDetector, PING } from './dispatch';
import { FlagHandlers, type FlagHandler } from './flag-handlers';
import { frameWith } from './frames';
import { ipOf, sameHost } from './duplicate-link';
import { SlowHosts } from './slow-hosts';
import { Outbox } from './outbox';
import type { SealedRun } from '../base/frame-run';
import { transportFor, Transport, TransportServer } from '../transport';
import type { PendingConnection } from '../transport/pending';
import { watchFirstHeader } from './foreign-protocol';
import { MessageInbox } from './inbox';
import { pendingFrameBudget, writeBudget, type PendingHolder } from '../base/node-budgets';
import type { BudgetHolder, SharedBudget } from '../base/shared-budget';
import { BYTES_PER_VALUE } from '../base/body-budget';
import { countMsgpackValues } from '../base/js/msgpack-count';
import { TrafficTotals, type MeshStats } from './stats';
import type { MeshEvents, PeerErrorEvent } from './events';
import { abortable, type AbortOptions } from '../base/abort';
import { noteConnection, noteDrop, noteFailure, noteRefused } from './diagnostics';
// NODE_DEBUG=polyp2p: every node type loads the mesh, so the debug printer is subscribed from here (nothing without NODE_DEBUG)
import '../base/debug-log';

import { checkOptions } from '../base/check-options';
import { meshOptionRules } from './option-rules';
import { dialError, listenError } from '../transport/address-errors';

/** connect()'s options. */
export interface ConnectOptions extends AbortOptions {
  /** The node ID expected at host:port (the handshake must carry it). */
  id?: string;
  /** The protocol-ID form of this node's handshake: 'str' (default) or 'bin' (py2p 0.7.878). */
  idForm?: IdForm;
  /** Times a refused dial is tried again, 100 ms apart (default 3): a peer that is just starting. */
  refusedRetries?: number;
}

export type { MeshStats } from './stats';
export type { MeshEvents, PeerErrorEvent, DuplicateEvent } from './events';

/** A queued message's cost: its bytes and what its values take once decoded, from the frame's row (counting decodes nothing). */
const queuedBytes = (m: MeshMessage) => m.frame.heldBytes + BYTES_PER_VALUE * m.frame.values + 256;

/**
 * Whose share of the queue a message counts in: its link's remote IP address,
 * so that several connections from one host share one share.
 */
const queueSource = (m: MeshMessage) => ipOf(m.peer.conn.remoteAddress) || m.peer;

/** Bytes queued for a peer above which the node counts as congested (a socket's default high-water mark). */
const CONGESTED_BYTES = 16 * 1024;

/** Salt shared by every node of this process, as the originals do (§7.2). */
const processSalt = createUserSalt();

export type MessageHandler = (msg: MeshMessage, peer: Peer) => unknown;

/**
 * The typed events of a MeshNode (names and payloads: events.ts). Declared here, on the
 * interface merged with the class, because a subclass's event map extends this one.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- narrows EventEmitter's inherited methods to the event map
export interface MeshNode {
  on<K extends keyof MeshEvents>(event: K, listener: (...args: MeshEvents[K]) => void): this;
  once<K extends keyof MeshEvents>(event: K, listener: (...args: MeshEvents[K]) => void): this;
  off<K extends keyof MeshEvents>(event: K, listener: (...args: MeshEvents[K]) => void): this;
  addListener<K extends keyof MeshEvents>(event: K, listener: (...args: MeshEvents[K]) => void): this;
  removeListener<K extends keyof MeshEvents>(event: K, listener: (...args: MeshEvents[K]) => void): this;
  prependListener<K extends keyof MeshEvents>(event: K, listener: (...args: MeshEvents[K]) => void): this;
  prependOnceListener<K extends keyof MeshEvents>(event: K, listener: (...args: MeshEvents[K]) => void): this;
  emit<K extends keyof MeshEvents>(event: K, ...args: MeshEvents[K]): boolean;
  listenerCount<K extends keyof MeshEvents>(event: K): number;
  removeAllListeners<K extends keyof MeshEvents>(event?: K): this;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class MeshNode extends EventEmitter {
  readonly options: ResolvedMeshOptions;
  readonly protocolId: string;
  id = '';
  port: number;
  host: string;
  outAddr: [string, number];
  /** The routing table: handshaked peers by node ID text. */
  readonly peers = new Map<string, Peer>();
  /**
   * The class of this node's connection objects: Peer or a subclass, made as
   * `new peerClass(conn, outgoing, node, expectedId)` for each connection
   * from then on (js2p's `conn_type`: its programs subclass the connection).
   * @internal
   */
  peerClass: PeerClass = Peer;
  /** Connections still waiting for the peer's handshake. @internal */
  readonly awaiting = new Set<Peer>();
  /** Accepted connections whose transport handshake (TLS, WebSocket upgrade) is under way; they count against maxPeers. @internal */
  readonly pendingAccepts = new Set<PendingConnection>();
  /** @internal */
  readonly seen: WaterfallCacheLike;
  /** This node's broadcasts of the current tick (outbox.ts). @internal */
  readonly broadcasts = new Outbox(this);
  /** @internal */
  readonly requests: PendingRequests;
  /** What runs for each sub-flag before the application's handlers (addHandler). */
  private readonly flagHandlers = new FlagHandlers((err, peer) => this.reportError(err, peer));
  /** Sub-flags that only mean something between two neighbours (addHandler's linkOnly). */
  private readonly linkOnlyFlags = new Set<number>();
  /** @internal */
  readonly counters = { sent: 0, delivered: 0, relayed: 0, relayHolds: 0, duplicates: 0, stale: 0, errors: 0, queueDropped: 0, tooLargeForPeer: 0, misrouted: 0 };
  /** @internal */
  readonly handlers: MessageHandler[] = [];
  closed = false;
  /** Extension hook: return false to keep a relayed broadcast from one peer (e.g. sync deletes from js2p). @internal */
  relayFilter: ((to: Peer, frame: ReceivedFrame) => boolean) | null = null;
  private readonly all = new Set<Peer>();
  /** Dials under way, by "host:port": each counts against maxPeers, and a second connect() to the address joins it. */
  private readonly dials = new Map<string, Promise<Peer>>();
  private readonly traffic = new TrafficTotals();
  private server: TransportServer | null = null;
  /** @internal */
  readonly transport: Transport;
  private timer: NodeJS.Timeout | null = null;
  private readonly inbox: MessageInbox<MeshMessage>;
  /** Bytes in partial frames across all connections (maxPendingFrameBytes). @internal */
  readonly pendingFrames: SharedBudget<PendingHolder>;
  /** Bytes queued for peers across all connections (maxTotalWriteBuffer). @internal */
  readonly queuedWrites: SharedBudget<BudgetHolder>;
  private readonly connectWaiters = new Map<Peer, { target: string; resolve: (p: Peer) => void; reject: (e: Error) => void }>();
  /** connect() calls waiting on a dial to host:port; when all of them were aborted, the dial is dropped. */
  private readonly dialCallers = new Map<string, number>();
  /** Dials every caller gave up on (AbortSignal): their stream is closed as soon as it opens. */
  private readonly abandonedDials = new Set<string>();

  constructor(options: MeshOptions = {}) {
    super();
    if (new.target === MeshNode) checkOptions(options, meshOptionRules, { name: 'MeshOptions' }); // SyncNode and ChordNode check theirs (a superset) before they adapt them for this constructor
    this.options = resolveMeshOptions(options);
    this.host = this.options.host;
    this.port = this.options.port;
    this.outAddr = this.options.outAddr ?? [this.host, this.port];
    this.protocolId = makeProtocolId(this.options.subnet, this.options.encryption);
    if (this.options.transport) this.transport = this.options.transport;
    else {
      const t = transportFor(this.options.encryption);
      this.transport = t.configure ? t.configure({ maxFrameSize: this.options.maxFrameSize, tls: this.options.tls }) : t;
    }
    this.seen = core.createWaterfallCache(this.options.dedupWindow, this.options.dedupMaxEntries);
    this.requests = new PendingRequests(this.options.maxPendingRequests, 60_000);
    this.inbox = new MessageInbox(
      this.options.maxQueue,
      (m) => {
        this.counters.queueDropped++;
        noteDrop(this, m.peer, 'queue-full');
      },
      this.options.maxQueueBytes,
      queuedBytes,
      queueSource,
    );
    this.pendingFrames = pendingFrameBudget(this.options.maxPendingFrameBytes);
    this.queuedWrites = writeBudget(this.options.maxTotalWriteBuffer);
    this.slowHosts = new SlowHosts(this.options.maxPeers);
    addMeshHandlers(this);
    if (this.port) this.id = this.makeId();
  }

  private makeId(): string {
    // A transport that binds IDs to a key (TLS pinning) supplies the salt; the
    // advertised address is then hashed, since that is what peers can check.
    const pinned = this.transport.idSalt;
    if (pinned) return nodeId(js2pNodeIdPreimage(this.outAddr[0], this.outAddr[1], this.protocolId, pinned));
    return nodeId(js2pNodeIdPreimage(this.host, this.port, this.protocolId, this.options.salt ?? processSalt));
  }

  /**
   * Let the transport check a handshake's ID against what it authenticated
   * (TLS pinning). Returns false, after closing the connection, to refuse.
   * @internal
   */
  authenticate(peer: Peer, id: string, addr: [string, number] | null): boolean {
    if (!this.transport.verifyPeer) return true;
    try {
      peer.pinned = this.transport.verifyPeer(peer.conn.stream, { id, addr, protocolId: this.protocolId, expectedId: peer.expectedId }).pinned;
      return true;
    } catch (e) {
      this.refuse(peer, e as Error);
      return false;
    }
  }

  /** Close a connection this node will not have, reporting why (also to a waiting connect()). @internal */
  refuse(peer: Peer, err: Error): void {
    peer.refusedWith = err;
    this.awaiting.delete(peer);
    this.reportError(err, peer);
    peer.conn.close();
  }

  /** Bind and accept peers. Resolves once listening. */
  async listen(): Promise<this> {
    if (this.closed) throw new ClosedError('this node was closed; create a new one');
    this.server = await this.transport
      .listen(
        this.host,
        this.port,
        (stream, pending) => this.accept(stream, pending),
        (pending) => this.admitPending(pending),
      )
      .catch((e: unknown): never => {
        throw listenError(e, this.host, this.port);
      });
    if (!this.port) {
      this.port = this.server.port;
      if (!this.options.outAddr) this.outAddr = [this.host, this.port];
      this.id = this.makeId();
    }
    this.startTimer();
    this.emit('listening');
    return this;
  }

  private startTimer(): void {
    if (this.timer) return;
    const period = maintenancePeriod(this.options);
    const stall = new StallDetector(period);
    this.timer = setInterval(() => maintain(this, stall), period);
    this.timer.unref();
  }

  /** Connections counted against maxPeers: peers (handshaking or not) and pending accepts. @internal */
  get openConnections(): number {
    return this.all.size + this.pendingAccepts.size;
  }

  /**
   * A transport accepted a socket whose own handshake (TLS, WebSocket upgrade)
   * comes first: it counts from now, and handshakeTimeout runs from now.
   * Returns false to have the transport close it (maxPeers reached).
   */
  private admitPending(pending: PendingConnection): boolean {
    if (this.closed) return false;
    if (this.openConnections + this.dials.size >= this.options.maxPeers) {
      this.refuseAccept(pending.remoteAddress, pending.remotePort);
      return false;
    }
    this.pendingAccepts.add(pending);
    pending.once('end', (error?: Error) => {
      this.pendingAccepts.delete(pending);
      if (error && !this.closed) this.reportUnidentified(error, pending.remoteAddress, pending.remotePort);
    });
    return true;
  }

  /** Close pending accepts older than handshakeTimeout (from the maintenance tick). @internal */
  expirePending(now: number): void {
    const limit = this.options.handshakeTimeout;
    for (const pending of this.pendingAccepts) {
      if (now - pending.acceptedAt > limit) pending.destroy(new HandshakeTimeoutError(`${pending.stage} not completed within handshakeTimeout (${limit} ms)`));
    }
  }

  /** A ready stream from the transport; `pending` is what admitPending() counted for it, if anything. */
  private accept(stream: ByteStream, pending?: PendingConnection): void {
    if (this.closed) return stream.destroy();
    if (pending && this.pendingAccepts.delete(pending)) {
      this.attach(stream, false, null, 'str', pending.acceptedAt);
      return;
    }
    if (this.openConnections + this.dials.size >= this.options.maxPeers) {
      // named before it is destroyed: a destroyed socket no longer has its address
      this.refuseAccept(stream.remoteAddress, stream.remotePort);
      stream.destroy();
      return;
    }
    this.attach(stream, false, null, 'str');
  }

  private refuseAccept(host: string | undefined, port: number | undefined): void {
    const err: PeerErrorEvent = new PeerLimitError(`refused a connection from ${host}:${port}: maxPeers (${this.options.maxPeers}) connections are open`);
    err.peer = { id: null, host, port, outgoing: false };
    this.counters.errors++;
    noteRefused(this, err.peer, err);
    this.emit('peerError', err);
  }

  /**
   * Open a connection; resolves with the peer once its handshake arrived. A
   * link already open to host:port (one this node dialled there, or a pinned
   * peer advertising it) is returned as it is, and a second call while a dial
   * to the same address is under way joins that dial.
   */
  connect(host: string, port: number, options: ConnectOptions = {}): Promise<Peer> {
    const { signal, ...dialOptions } = options;
    const key = `${host}:${port}`;
    if (signal?.aborted) return Promise.reject(new AbortError(`connect to ${key} was aborted`, { cause: signal.reason }));
    this.dialCallers.set(key, (this.dialCallers.get(key) ?? 0) + 1);
    let counted = true;
    const leave = (): number => {
      if (!counted) return -1;
      counted = false;
      const left = (this.dialCallers.get(key) ?? 1) - 1;
      if (left > 0) this.dialCallers.set(key, left);
      else this.dialCallers.delete(key);
      return left;
    };
    const work = this.dial(host, port, dialOptions);
    work.then(leave, leave);
    return abortable(work, signal, `connect to ${key}`, () => {
      if (leave() === 0) this.abandonDial(key);
    });
  }

  /** connect() without its signal: a dial of its own, or the one under way to the same address. */
  private dial(host: string, port: number, options: Omit<ConnectOptions, 'signal'>): Promise<Peer> {
    if (this.closed) return Promise.reject(new ClosedError('this node was closed'));
    if (!this.id) this.id = this.makeId();
    this.startTimer();
    if (options.id && options.id === this.id) return Promise.reject(new ConnectError('refusing to connect to this node itself'));
    if ((host === this.outAddr[0] && port === this.outAddr[1]) || (host === this.host && port === this.port)) {
      return Promise.reject(new ConnectError(`refusing to connect to this node's own address ${host}:${port}`));
    }
    const key = `${host}:${port}`;
    const open = this.linkTo(host, port);
    if (open) return Promise.resolve(open);
    const joined = this.dials.get(key);
    if (joined) {
      this.abandonedDials.delete(key); // wanted again
      return joined;
    }
    if (this.openConnections + this.dials.size >= this.options.maxPeers) {
      return Promise.reject(new PeerLimitError(`cannot connect to ${host}:${port}: maxPeers (${this.options.maxPeers}) connections are open or being opened`));
    }
    const dial = this.dialRetryingRefused(host, port, options.refusedRetries ?? 3).then(
      (stream) => this.attachDialled(stream, key, options),
      (err: Error) => {
        if (err instanceof AbortError) throw err;
        throw dialError(err, host, port, this.options.connectTimeout);
      },
    );
    this.dials.set(key, dial);
    const settle = () => {
      if (this.dials.get(key) === dial) this.dials.delete(key);
      this.abandonedDials.delete(key);
    };
    // the dial counts against maxPeers until its stream is attached (attachDialled), then as a connection
    dial.then(settle, settle);
    return dial.catch((err: Error) => {
      // py2p 0.7.878 closes on a str protocol ID: try once more with bin (§18.3 rule 1).
      if ((err as { retryWithBin?: boolean }).retryWithBin && options.idForm !== 'bin') return this.dial(host, port, { ...options, idForm: 'bin' });
      throw err;
    });
  }

  /** Every connect() to `key` was aborted: stop its dial, or close its link before the handshake. */
  private abandonDial(key: string): void {
    if (this.dials.has(key)) this.abandonedDials.add(key);
    for (const [peer, waiter] of this.connectWaiters) if (waiter.target === key) peer.conn.close();
  }

  /** A handshaked link that is provably to host:port: one this node dialled there, or a pinned peer advertising it. @internal */
  linkTo(host: string, port: number): Peer | undefined {
    const key = `${host}:${port}`;
    for (const p of this.peers.values()) if (p.dialedAs === key || (p.pinned && p.addr && p.addr[0] === host && p.addr[1] === port)) return p;
    return undefined;
  }

  /** A dial succeeded: attach its stream (maxPeers is checked again: accepts may have filled it meanwhile). */
  private attachDialled(stream: ByteStream, key: string, options: { id?: string; idForm?: IdForm }): Promise<Peer> {
    return new Promise<Peer>((resolve, reject) => {
      if (this.closed) {
        stream.destroy();
        return reject(new ClosedError('this node was closed'));
      }
      if (this.abandonedDials.delete(key)) {
        stream.destroy();
        return reject(new AbortError(`connect to ${key} was aborted`));
      }
      this.dials.delete(key);
      if (this.openConnections >= this.options.maxPeers) {
        stream.destroy();
        return reject(new PeerLimitError(`connected to ${key}, but maxPeers (${this.options.maxPeers}) connections opened meanwhile; closed it`));
      }
      const peer = this.attach(stream, true, options.id ?? null, options.idForm ?? 'str');
      peer.dialedAs = key;
      this.connectWaiters.set(peer, { target: key, resolve, reject });
    });
  }

  /**
   * Outgoing connections that count against maxOutgoing: being dialled,
   * handshaking, or in the routing table.
   * @internal
   */
  get outgoingOpen(): number {
    let n = this.dials.size;
    for (const p of this.all) if (p.outgoing && !p.conn.closed) n++;
    return n;
  }

  /**
   * A node that was just created may not be bound yet when another connects
   * to it in the same tick (js2p programs and tests do this): a refused dial
   * is retried a few times, 100 ms apart. Automatic connections from peer
   * lists pass 0 retries, so bogus entries cost one attempt each.
   */
  private async dialRetryingRefused(host: string, port: number, retries: number): Promise<ByteStream> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.transport.dial(host, port, this.options.connectTimeout);
      } catch (e) {
        if (this.abandonedDials.has(`${host}:${port}`)) throw new AbortError(`connect to ${host}:${port} was aborted`);
        if (attempt >= retries || this.closed || (e as { code?: string }).code !== 'ECONNREFUSED') throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** @internal */
  get dialingCount(): number {
    return this.dials.size;
  }

  /** @internal */
  isDialing(host: string, port: number): boolean {
    return this.dials.has(`${host}:${port}`);
  }

  /** Outgoing connections not yet handshaked: dials under way and links waiting for the peer's handshake. @internal */
  get outgoingPending(): number {
    let n = this.dials.size;
    for (const p of this.awaiting) if (p.outgoing && !p.conn.closed) n++;
    return n;
  }

  /**
   * A connection object of `peerClass`. A subclass written for js2p's three
   * arguments drops `expectedId` (TLS pinning of a dial), so it is set here;
   * a constructor that throws closes that connection and is reported.
   */
  private makePeer(stream: ByteStream, conn: FramedConnection, outgoing: boolean, expectedId: string | null): Peer {
    try {
      const peer = new this.peerClass(conn, outgoing, this, expectedId);
      peer.expectedId = expectedId;
      return peer;
    } catch (e) {
      // the connection goes (closed at once); the node carries on
      stream.destroy();
      const peer = new Peer(conn, outgoing, this, expectedId);
      this.reportError(new HandlerError(`the connection class (peerClass) threw, so the connection was closed: ${e instanceof Error ? e.message : String(e)}`, e), peer);
      return peer;
    }
  }

  private attach(stream: ByteStream, outgoing: boolean, expectedId: string | null, defaultForm: IdForm, openedAt = Date.now()): Peer {
    // Before the connection's own listener, so that text where a frame header belongs is named as such.
    watchFirstHeader(stream, this.options.maxFrameSize, outgoing, (err) => peer.conn.fail(err));
    const conn = new FramedConnection(stream, core, this.options, openedAt, { pending: this.pendingFrames, writes: this.queuedWrites });
    const peer = this.makePeer(stream, conn, outgoing, expectedId);
    this.all.add(peer);
    this.awaiting.add(peer);
    conn.setDedup(this.seen, [...this.linkOnly]);
    conn.onFrame = (frame) => dispatch(this, peer, frame);
    conn.on('fail', (err: Error) => {
      noteFailure(this, peer, err);
      this.reportError(err, peer);
    });
    conn.on('close', () => this.onPeerClosed(peer));
    conn.on('slow-reader', () => this.noteSlowHost(peer));
    // Wait briefly for the peer's handshake so ours can mirror its protocol-ID type
    // (not needed when the transport knows the peer is a polyp2p node). An
    // original that dials us sends its handshake as soon as it is connected, so
    // it arrives right after our accept: the accepting side waits at most 50 ms,
    // and two polyp2p nodes finish their handshake in about that time. A dialer
    // waits the full handshakeMirrorWait (the server's handshake needs a round trip).
    const mirrorWait = this.transport.handshakeAtOnce?.(stream) ? 0 : outgoing ? this.options.handshakeMirrorWait : Math.min(this.options.handshakeMirrorWait, 50);
    const wait = setTimeout(() => {
      if (!peer.handshakeSent && !conn.closed) this.sendHandshake(peer, defaultForm);
    }, mirrorWait);
    wait.unref();
    conn.once('close', () => clearTimeout(wait));
    noteConnection(this, peer, 'open');
    return peer;
  }

  private onPeerClosed(peer: Peer): void {
    noteConnection(this, peer, 'close');
    this.all.delete(peer);
    this.awaiting.delete(peer);
    this.traffic.addClosed(peer.conn.counters);
    const waiter = this.connectWaiters.get(peer);
    if (waiter) {
      this.connectWaiters.delete(peer);
      waiter.reject(this.connectFailure(peer, waiter.target));
    }
    if (peer.id && this.peers.get(peer.id) === peer) {
      this.peers.delete(peer.id);
      this.emit('peerLeft', peer);
      if (!this.closed) this.refillPeers();
    }
  }

  /** Why a connection we dialled closed before the peer's handshake: the error connect() rejects with. */
  private connectFailure(peer: Peer, target: string): Error {
    if (peer.refusedWith) return peer.refusedWith;
    if (peer.failure) return new ConnectError(`could not connect to ${target}: ${peer.failure.reason}`, false, peer.failure.error);
    const said = peer.conn.counters.bytesIn ? '' : ' (it sent nothing)';
    const err = new ConnectError(`could not connect to ${target}: it closed the connection before its handshake${said}`);
    // py2p 0.7.878 closes on a str protocol ID without a word: connect() retries with bin.
    (err as { retryWithBin?: boolean }).retryWithBin = peer.handshakeSent && !peer.handshakeReceived && peer.protocolIdForm === null;
    return err;
  }

  /**
   * After losing a peer, ask the remaining ones for their lists (as py2p does),
   * so automatic connections can replace it. `*` goes as bin, the form py2p
   * understands (§12.3); answers are rate-limited on the other side.
   */
  private refillPeers(): void {
    if (this.options.maxOutgoing <= 0 || this.outgoingOpen >= this.options.maxOutgoing) return;
    for (const p of this.peers.values()) this.sendToPeer(p, flags.whisper, [flags.request, Buffer.from('*')]);
  }

  /**
   * Called by dispatch when a handshake moves a peer into the routing table,
   * or shows that the node is already connected through `link`.
   * @internal
   */
  peerReady(peer: Peer, first: boolean, link: Peer = peer): void {
    const waiter = this.connectWaiters.get(peer);
    if (waiter) {
      this.connectWaiters.delete(peer);
      // connect(host, port) resolves with a link to that host: the one kept of two links to one node
      // (simultaneous dials) must come from the address dialled, or prove its ID; a link from another
      // address that merely claims the dialled node's ID is not what the caller asked for.
      if (link === peer || link.pinned || sameHost(link, peer)) waiter.resolve(link);
      else
        waiter.reject(
          new DuplicateIdError(
            `${waiter.target} answered as ${link.id?.slice(0, 12)}…, an ID that a link from ${link.conn.remoteAddress} already claims; that link was kept, and it is not the node at ${waiter.target}`,
          ),
        );
    }
    if (first) {
      noteConnection(this, peer, 'handshake');
      this.emit('peer', peer);
    }
  }

  /** @internal */
  reportError(err: Error, peer?: Peer): void {
    this.counters.errors++;
    // every peerError has a stable ERR_* code: anything else that reaches here was thrown by a handler
    const e = (err instanceof Polyp2pError ? err : new HandlerError(`a message handler threw: ${err instanceof Error ? err.message : String(err)}`, err)) as PeerErrorEvent;
    if (peer) {
      // the first problem on a link is what a waiting connect() reports
      peer.failure ??= { error: e, reason: e.message };
      e.peer = peer.info;
      if (!e.message.startsWith(peer.describe())) e.message = `${peer.describe()}: ${e.message}`;
    }
    this.emit('peerError', e);
  }

  /** Report a problem with a connection that has no Peer yet (a pending accept). */
  private reportUnidentified(err: Error, host: string | undefined, port: number | undefined): void {
    const e = err as PeerErrorEvent;
    e.peer = { id: null, host, port, outgoing: false };
    e.message = `unidentified peer at ${host}:${port}: ${e.message}`;
    this.counters.errors++;
    this.emit('peerError', e);
  }

  // --- sending --------------------------------------------------------------

  /**
   * The frame `enc` goes to `peer` as: compressed with the link's method when
   * the peer's budgets allow it (frames.ts), once per method in `cache`.
   * @internal
   */
  frameFor(peer: Peer, enc: Pick<EncodedMessage, 'msgpack' | 'id'> & { frame?: Buffer }, cache?: Map<number | null, Buffer>): Buffer {
    const m = peer.conn.sendCompression;
    let f = cache?.get(m);
    if (!f) {
      f = frameWith(this.options, enc, m);
      cache?.set(m, f);
    }
    return f;
  }

  /** Largest frame body this node accepts: what it advertises to polyp2p peers. @internal */
  get bodyLimit(): number {
    return Math.min(this.options.maxFrameSize, this.options.maxDecompressedSize);
  }

  /** Largest body `peer` accepts: what it advertised, and never more than this node accepts itself. @internal */
  bodyLimitFor(peer: Peer): number {
    return Math.min(this.bodyLimit, peer.maxBody ?? Infinity);
  }

  /**
   * Refuse, before anything is written, a message larger than this node
   * accepts itself (what peers accept unless they advertised otherwise), or
   * holding more values than maxElementsPerMessage.
   * @internal
   */
  assertFits(msgpack: Uint8Array): void {
    const body = 32 + msgpack.length;
    if (body > this.bodyLimit) {
      throw new MessageTooLargeError(
        `a message of ${body} bytes is larger than this node and its peers accept (maxFrameSize / maxDecompressedSize: ${this.bodyLimit} bytes); split it, or raise maxFrameSize on every node`,
      );
    }
    const values = this.options.maxElementsPerMessage;
    if (msgpack.length > values && countMsgpackValues(msgpack, values) > values) {
      throw new MessageTooLargeError(`a message holding more than ${values} msgpack values is more than peers accept (maxElementsPerMessage); split it, or raise maxElementsPerMessage on every node`);
    }
  }

  /** Does a message of `body` bytes fit what `peer` advertised? (Counted in tooLargeForPeer when not.) */
  private fitsPeer(peer: Peer, body: number): boolean {
    if (body <= this.bodyLimitFor(peer)) return true;
    this.counters.tooLargeForPeer++;
    noteDrop(this, peer, 'too-large-for-peer');
    return false;
  }

  /** Hosts whose connections hold no relay up for a while (slow-hosts.ts). */
  private readonly slowHosts: SlowHosts;

  private noteSlowHost(peer: Peer): void {
    this.slowHosts.mark(ipOf(peer.conn.remoteAddress));
  }

  /** May relaying to `peer` hold up the peer a flood comes from (relayHighWater)? @internal */
  mayHoldFor(peer: Peer): boolean {
    return this.slowHosts.mayHold(ipOf(peer.conn.remoteAddress));
  }

  /** Keep-alive and capability ping, with the largest body this node accepts (dispatch.ts). @internal */
  ping(peer: Peer): void {
    this.sendToPeer(peer, PING, [PING, this.bodyLimit]);
  }

  /**
   * Send [mainFlag, ownId, now, ...payload] to every handshaked peer. A
   * broadcast joins the outbox (outbox.ts); any other message flushes it
   * first, so this node's messages keep their order.
   * @internal
   */
  sendAll(mainFlag: number, payload: unknown[], sender: IdForm = 'str'): void {
    if (this.closed) throw new ClosedError('this node was closed');
    if (mainFlag === flags.broadcast) {
      const time = nowSeconds();
      this.broadcasts.add([mainFlag, this.senderAs(sender), time, ...payload], time);
    } else this.sendToPeers(this.peers.values(), mainFlag, payload, sender);
    this.counters.sent++;
  }

  /**
   * This node's ID as a message's sender field: text (as js2p sends it) or
   * bin (as py2p does). An extension whose receivers compare senders with
   * IDs they hold (sync's lease rule, docs/protocol.md §14.4) picks the form
   * those receivers compare without failing.
   */
  private senderAs(form: IdForm): string | Buffer {
    return form === 'bin' ? Buffer.from(this.id, 'utf8') : this.id;
  }

  /** The outbox's run, to each peer: one write where the peer takes every frame as it is, else frame by frame. @internal */
  writeRun(run: SealedRun, largestBody: number, compressible: boolean): void {
    const lastStart = run.ends.length > 1 ? run.ends[run.ends.length - 2] : 0;
    const byFrame: Peer[] = [];
    for (const peer of this.peers.values()) {
      if (peer.conn.closed) continue;
      if ((compressible && peer.conn.sendCompression != null) || largestBody > this.bodyLimitFor(peer)) byFrame.push(peer);
      else {
        peer.conn.writeFrame(run.frames, run.ends.length);
        peer.keepForResend(run.frames, lastStart);
      }
    }
    if (byFrame.length) this.writeRunByFrame(run, byFrame);
  }

  /** Peers that get some frames compressed, or not at all (a smaller advertised limit: counted, as relays do). */
  private writeRunByFrame(run: SealedRun, peers: Peer[]): void {
    let start = 0;
    for (const end of run.ends) {
      const frame = run.frames.subarray(start, end);
      start = end;
      const enc = { frame, id: frame.subarray(4, 36), msgpack: frame.subarray(36) };
      const cache = new Map<number | null, Buffer>();
      for (const peer of peers) {
        if (peer.conn.closed || !this.fitsPeer(peer, frame.length - 4)) continue;
        const out = this.frameFor(peer, enc, cache);
        peer.conn.writeFrame(out);
        peer.keepForResend(out);
      }
    }
  }

  /**
   * One message to several peers: encoded and hashed once, compressed once per
   * method in use (a per-peer sendToPeer would redo all three for each peer).
   * @internal
   */
  sendToPeers(peers: Iterable<Peer>, mainFlag: number, payload: unknown[], sender: IdForm = 'str'): Buffer {
    this.broadcasts.flush();
    const time = nowSeconds();
    // a broadcast is recorded as seen as it is sealed (its echoes are duplicates)
    const enc = core.encodeMessage([mainFlag, this.senderAs(sender), time, ...payload], null, undefined, mainFlag === flags.broadcast ? this.seen : undefined);
    this.assertFits(enc.msgpack);
    const cache = new Map<number | null, Buffer>();
    // a peer that advertised a smaller limit is left out (counted), as relays do: it would drop the link
    for (const peer of peers) {
      if (peer.conn.closed || !this.fitsPeer(peer, enc.frame.length - 4)) continue;
      const frame = this.frameFor(peer, enc, cache);
      peer.conn.writeFrame(frame);
      peer.keepForResend(frame);
    }
    return enc.id;
  }

  /**
   * Resolves when every congested peer's queue has drained or its link closed
   * (backpressure for bulk senders: `mesh.broadcast(x); if (mesh.congested)
   * await mesh.drain()`). A peer whose queue does not move is dropped after
   * writeTimeout, so this cannot wait for ever.
   */
  drain(options: AbortOptions = {}): Promise<void> {
    const stopWaiting: (() => void)[] = [];
    const congested = [...this.all].filter((p) => !p.conn.closed && p.conn.queuedBytes > CONGESTED_BYTES);
    const drained = congested.map(
      (p) =>
        new Promise<void>((resolve) => {
          const done = () => {
            p.conn.off('drained', done);
            p.conn.off('close', done);
            resolve();
          };
          p.conn.on('drained', done);
          p.conn.on('close', done);
          stopWaiting.push(done);
        }),
    );
    return abortable(
      Promise.all(drained).then(() => undefined),
      options.signal,
      'drain()',
      () => stopWaiting.forEach((stop) => stop()),
    );
  }

  /** True when some peer has more than CONGESTED_BYTES queued, this tick's frames included. */
  get congested(): boolean {
    for (const peer of this.all) if (!peer.conn.closed && peer.conn.queuedBytes > CONGESTED_BYTES) return true;
    return false;
  }

  /** Flood `data` to the whole network (sub-flag broadcast). It goes out at the end of the tick, with this tick's others (outbox.ts). */
  broadcast(...data: unknown[]): void {
    this.sendAll(flags.broadcast, [flags.broadcast, ...data]);
  }

  /** Send `data` to one directly connected peer (sub-flag whisper). */
  whisper(peerId: string, ...data: unknown[]): void {
    const peer = this.peers.get(peerId);
    if (!peer) throw new NotConnectedError(`not connected to ${peerId}; whisper needs a direct connection`);
    this.sendToPeer(peer, flags.whisper, [flags.whisper, ...data]);
  }

  /** One message on one connection (js2p's connection.send). @internal */
  sendToPeer(peer: Peer, mainFlag: number, payload: unknown[], idOverride?: string, timeOverride?: number, uncompressed = false): void {
    if (peer.conn.closed) return;
    this.broadcasts.flush();
    const time = timeOverride ?? nowSeconds();
    const enc = core.encodeMessage([mainFlag, idOverride ?? this.id, time, ...payload], null, undefined, mainFlag === flags.broadcast ? this.seen : undefined);
    this.assertFits(enc.msgpack);
    if (enc.frame.length - 4 > this.bodyLimitFor(peer)) {
      throw new MessageTooLargeError(`a message of ${enc.frame.length - 4} bytes is larger than ${peer.describe()} accepts (${this.bodyLimitFor(peer)} bytes, its advertised limit); split it`);
    }
    const frame = uncompressed ? enc.frame : this.frameFor(peer, enc);
    peer.conn.writeFrame(frame);
    if (mainFlag === flags.broadcast || mainFlag === flags.whisper) peer.keepForResend(frame);
  }

  /** @internal */
  sendHandshake(peer: Peer, form: IdForm): void {
    peer.handshakeSent = true;
    const pid = form === 'bin' ? Buffer.from(this.protocolId) : this.protocolId;
    // Handshakes always go uncompressed (§6.2), with exactly five payload items.
    this.sendToPeer(peer, flags.whisper, [flags.handshake, this.id, pid, [this.outAddr[0], this.outAddr[1]], [...this.options.compression]], undefined, undefined, true);
  }

  /**
   * Send our peer list. Only peers the receiver can handshake with are listed
   * (same protocol-ID type, or polyp2p nodes, which accept both): offering
   * py2p 0.7.878 a js2p node makes it connect, fail, ask again, forever.
   * At most one list per second per connection.
   * @internal
   */
  sendPeers(peer: Peer): void {
    const now = Date.now();
    if (now - peer.lastPeersSentAt < 1000) return;
    peer.lastPeersSentAt = now;
    const list: unknown[] = [];
    // sized to what the peer accepts (hosts and IDs are bounded, so only a very large maxPeers gets here)
    let room = this.bodyLimitFor(peer) - 1024;
    for (const p of this.peers.values()) {
      if (p === peer || !p.addr || !p.addr[1] || !p.id) continue; // port 0: a client-only node (browser)
      if (peer.protocolIdForm && p.protocolIdForm !== peer.protocolIdForm && !p.answersPings) continue;
      room -= 16 + Buffer.byteLength(p.addr[0]) + Buffer.byteLength(p.id);
      if (room < 0) break;
      list.push([[p.addr[0], p.addr[1]], p.id]);
    }
    this.sendToPeer(peer, flags.whisper, [flags.peers, list]);
  }

  /** Whisper back to a message's author, directly or after an address request (§12.1). @internal */
  replyTo(msg: { sender: string; senderRaw?: unknown }, data: unknown[]): void {
    const peer = this.peers.get(msg.sender);
    if (peer) return this.sendToPeer(peer, flags.whisper, [flags.whisper, ...data]);
    const rid = makeRequestId(msg.sender, nowSeconds());
    this.requests.add(rid, msg.sender, data);
    this.sendAll(flags.broadcast, [flags.request, rid, msg.sender]);
  }

  // --- receiving ------------------------------------------------------------

  /** Register a handler run after the built-in ones; a truthy return claims the message. */
  registerHandler(fn: MessageHandler): void {
    this.handlers.push(fn);
  }

  /**
   * Extend the node: `handler` runs for every message of sub-flag `flag`
   * before the application's handlers (flag-handlers.ts). The handlers of
   * one flag form a chain, the one added last first; a handler returns false
   * to pass the message on to the one added before it (and in the end to the
   * application's handlers), anything else to take it. A handler that throws
   * is reported as a 'peerError' (ERR_HANDLER unless it threw a Polyp2pError)
   * and the message counts as taken: the peer's link stays up. `linkOnly`:
   * the flag only means something between two neighbours (as the originals'
   * whispers), so a broadcast carrying it is neither acted on nor relayed;
   * it applies to connections opened after the call, so layers add their
   * handlers when the node is created.
   */
  addHandler(flag: number, handler: FlagHandler, options: { linkOnly?: boolean } = {}): void {
    this.flagHandlers.add(flag, handler);
    if (options.linkOnly) this.linkOnlyFlags.add(flag);
  }

  /** Sub-flags a broadcast may not carry (addHandler's linkOnly). @internal */
  get linkOnly(): ReadonlySet<number> {
    return this.linkOnlyFlags;
  }

  /** @internal Is there a handler for sub-flag `flag`? (dispatch: a message nobody reads is not decoded) */
  hasFlagHandler(flag: number): boolean {
    return this.flagHandlers.has(flag);
  }

  /** @internal Run the handlers of sub-flag `flag` on `msg` (dispatch); true when one took it. */
  runFlagHandlers(flag: number, peer: Peer, msg: MeshMessage): boolean {
    return this.flagHandlers.run(flag, peer, msg);
  }

  /**
   * Hand a message to the application: the 'message' event, and the queue read
   * by recv() and async iteration. With queueMessages 'auto' the queue is only
   * used while nobody listens for 'message' or someone iterates, so a
   * listener-only application retains nothing. Bounded: the oldest is dropped.
   * @internal
   */
  deliver(msg: MeshMessage): void {
    this.counters.delivered++;
    const q = this.options.queueMessages;
    // a queued message keeps its own bytes, not the whole read it came in (received-frame.ts)
    if (q === true || (q === 'auto' && (this.inbox.iterators > 0 || this.listenerCount('message') === 0))) this.inbox.push(msg.detach());
    this.emit('message', msg);
  }

  /** Would a delivered message be read by anyone (a 'message' listener, the queue)? */
  get wantsMessages(): boolean {
    return this.options.queueMessages !== false || this.listenerCount('message') > 0;
  }

  /** Oldest queued message, or undefined. */
  recv(): MeshMessage | undefined {
    return this.inbox.shift();
  }

  get queued(): number {
    return this.inbox.size;
  }

  /** `for await (const msg of mesh)`: messages in arrival order until close(). */
  [Symbol.asyncIterator](): AsyncGenerator<MeshMessage> {
    return this.inbox.iterate();
  }

  // --- state ------------------------------------------------------------------

  /** @internal */
  get connections(): Peer[] {
    return [...this.all];
  }

  /** Routing-table peers this node opened. @internal */
  get outgoingCount(): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.outgoing) n++;
    return n;
  }

  stats(): MeshStats {
    const { perPeer, ...t } = this.traffic.snapshot(this.all);
    const budgets = {
      pendingFrameBytes: this.pendingFrames.total,
      pendingFramePeak: this.pendingFrames.peak,
      writeQueueBytes: this.queuedWrites.total,
      writeQueuePeak: this.queuedWrites.peak,
      queued: this.inbox.size,
      queuedBytes: this.inbox.bytes,
    };
    return { id: this.id, peers: this.peers.size, awaiting: this.awaiting.size, pendingAccepts: this.pendingAccepts.size, ...t, ...this.counters, ...budgets, perPeer };
  }

  /**
   * Close the listener and every connection; resolves when all are closed.
   * What was sent before close() still reaches the peers: queued writes are
   * flushed first, within flushTimeout, and TCP links end with a FIN after
   * the data.
   */
  close(options: AbortOptions = {}): Promise<void> {
    return abortable(this.closeNow(), options.signal, 'close()', () => {
      // stop flushing: every link closes at once (the node ends closed either way)
      for (const peer of this.all) peer.conn.close();
    });
  }

  private async closeNow(): Promise<void> {
    if (this.closed) return;
    this.broadcasts.flush(); // what was broadcast before close() goes out with the rest
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const waits: Promise<unknown>[] = [];
    for (const pending of this.pendingAccepts) pending.destroy();
    if (this.server) waits.push(this.server.close());
    for (const peer of this.all) waits.push(peer.conn.closeGracefully(this.options.flushTimeout));
    for (const [, w] of this.connectWaiters) w.reject(new ClosedError('this node was closed'));
    this.connectWaiters.clear();
    this.inbox.end();
    await Promise.all(waits);
    this.emit('close');
  }
}

export { Polyp2pError };
