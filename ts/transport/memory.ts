/**
 * In-memory transport: the mesh's real code over simulated links, with no
 * sockets (in the style of rust-libp2p's MemoryTransport and hyperdht's
 * testnet). A MemoryNetwork is one address space; each link may add latency,
 * jitter, loss and a bandwidth limit. Used by the simulator and by tests.
 *
 * Link delays run on a clock: real timers by default, or a VirtualClock, on
 * which simulated time jumps from one delivery to the next once the event loop
 * has drained, so measured delivery times are the links' latencies and not how
 * long one CPU took to run thousands of nodes. The nodes' own timers stay on
 * real time unless the clock is installed as the global one
 * (VirtualClock.install(), see clock.ts).
 */
import { EventEmitter } from 'events';
import type { ByteStream } from '../base/byte-stream';
import type { Transport, TransportServer } from './transport';
import { realClock, realTimers, type NetworkClock } from './clock';
import { checkOption, checkOptions } from '../base/check-options';
import { linkProfile, memoryNetworkOptionRules } from './memory-option-rules';

export { realClock, VirtualClock, type NetworkClock } from './clock';

export interface LinkProfile {
  /** One-way delay in ms (default 0: next macrotask). */
  latencyMs?: number;
  /** Extra random delay in [0, jitterMs) per chunk; order is preserved. */
  jitterMs?: number;
  /** Bytes per second; 0 = unlimited. */
  bandwidth?: number;
  /**
   * Probability in [0, 1) that a chunk is lost. The link is a reliable stream,
   * as TCP is: a lost chunk is sent again after `retransmitMs` (doubling on
   * each further loss), and everything behind it waits (head-of-line blocking).
   */
  loss?: number;
  /** Retransmission timeout after a loss (default 200 ms, Linux's minimum RTO). */
  retransmitMs?: number;
}

type Listener = (stream: MemoryStream) => void;

/** What a delivered slot of a link's in-flight queue holds (not the chunk). */
const DELIVERED: InFlight = { at: -Infinity, chunk: Buffer.alloc(0) };

/** A chunk on the wire: when it arrives, and the writer's callback (called once it is delivered). */
interface InFlight {
  at: number;
  chunk: Buffer;
  done?: (err?: Error | null) => void;
}

/** One end of an in-memory duplex link. */
export class MemoryStream extends EventEmitter implements ByteStream {
  peer: MemoryStream | null = null;
  destroyed = false;
  writableLength = 0;
  writableNeedDrain = false;
  private nextFreeAt = 0; // when the link is free to start sending the next chunk (bandwidth)
  private lastArrival = 0; // keeps delivery in order under jitter
  /**
   * Chunks on the wire, in write order. A timer delivers every chunk due by
   * its time, so the stream stays in order even where two timers of nearly
   * equal times fire the wrong way round (Node rounds timer durations).
   */
  private inflight: InFlight[] = [];
  private inflightHead = 0;

  constructor(
    readonly remoteAddress: string,
    readonly remotePort: number,
    private readonly profile: LinkProfile,
    private readonly random: () => number,
    private readonly clock: NetworkClock = realClock,
  ) {
    super();
  }

  write(data: Uint8Array, done?: (err?: Error | null) => void): boolean {
    if (this.destroyed || !this.peer) return false;
    // not copied, as a socket's write does not copy: the writer must not change what it wrote
    // (connection.ts never does); a copy per chunk was a tenth of a large simulation's CPU
    const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const now = this.clock.now();
    const p = this.profile;
    let at = now;
    if (p.bandwidth) {
      at = Math.max(now, this.nextFreeAt) + (chunk.length / p.bandwidth) * 1000;
      this.nextFreeAt = at;
    }
    at += (p.latencyMs ?? 0) + (p.jitterMs ? this.random() * p.jitterMs : 0);
    if (p.loss) {
      let rto = p.retransmitMs ?? 200;
      // bounded: a loss rate near 1 must not loop for ever
      for (let tries = 0; tries < 16 && this.random() < p.loss; tries++, rto *= 2) at += rto;
    }
    at = Math.max(at, this.lastArrival);
    this.lastArrival = at;
    this.writableLength += chunk.length;
    this.inflight.push({ at, chunk, done });
    this.clock.schedule(at - now, () => this.deliverUntil(at));
    if (this.writableLength > 64 * 1024) this.writableNeedDrain = true;
    return !this.writableNeedDrain;
  }

  /** Chunks written and not yet delivered. */
  get onTheWire(): number {
    return this.inflight.length - this.inflightHead;
  }

  /** While paused, chunks stay on the wire and count in the sender's writableLength (backpressure). */
  paused = false;

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    if (!this.paused) return this;
    this.paused = false;
    // chunks that arrived while paused: deliver them now, in order
    const sender = this.peer;
    if (sender) realTimers.setImmediate(() => sender.deliverUntil(this.clock.now()));
    return this;
  }

  private deliverUntil(at: number): void {
    const peer = this.peer;
    while (this.inflightHead < this.inflight.length && this.inflight[this.inflightHead].at <= at) {
      if (peer && peer.paused && !peer.destroyed) break; // the reader may pause in its 'data' handler
      const { chunk, done } = this.inflight[this.inflightHead];
      this.inflight[this.inflightHead++] = DELIVERED; // the link must not keep what it delivered
      this.writableLength -= chunk.length;
      done?.();
      if (peer && !peer.destroyed) peer.emit('data', chunk);
    }
    if (this.inflightHead === this.inflight.length) {
      this.inflight = [];
      this.inflightHead = 0;
    } else if (this.inflightHead > 256 && this.inflightHead * 2 > this.inflight.length) {
      this.inflight = this.inflight.slice(this.inflightHead);
      this.inflightHead = 0;
    }
    if (this.writableNeedDrain && this.writableLength === 0) {
      this.writableNeedDrain = false;
      this.emit('drain');
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const peer = this.peer;
    setImmediate(() => {
      this.emit('close');
      if (peer && !peer.destroyed) peer.destroy();
    });
  }
}

export interface MemoryNetworkOptions {
  /** Default profile of every link. */
  link?: LinkProfile;
  /** Deterministic randomness (jitter, loss); default Math.random. */
  random?: () => number;
  /** Clock of link delays (default real timers; a VirtualClock for simulations). */
  clock?: NetworkClock;
}

/** An address space of in-memory listeners ("host:port" → node). */
export class MemoryNetwork {
  private readonly listeners = new Map<string, Listener>();
  private nextPort = 1;
  readonly link: LinkProfile;
  readonly random: () => number;
  readonly clock: NetworkClock;
  /** Per-pair overrides, key "hostA:portA|hostB:portB" in either order. */
  private readonly links = new Map<string, LinkProfile>();
  /** Pairs whose links are cut (partition): dials fail, open links close. */
  private readonly cut = new Set<string>();
  private readonly open = new Set<[MemoryStream, MemoryStream]>();

  /** Holds the event loop open while listeners or links exist, as sockets would (a real timer, whatever the clock). */
  private keepAlive: ReturnType<typeof realTimers.setInterval> | null = null;

  constructor(options: MemoryNetworkOptions = {}) {
    checkOptions(options, memoryNetworkOptionRules, { name: 'MemoryNetworkOptions' });
    this.link = options.link ?? {};
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? realClock;
  }

  private updateKeepAlive(): void {
    const busy = this.listeners.size + this.open.size > 0;
    if (busy && !this.keepAlive) this.keepAlive = realTimers.setInterval(() => undefined, 1 << 30);
    else if (!busy && this.keepAlive) {
      realTimers.clearInterval(this.keepAlive);
      this.keepAlive = null;
    }
  }

  /** Chunks on the wire over every open link (0: nothing in flight, e.g. no late duplicate can still arrive). */
  get onTheWire(): number {
    let n = 0;
    for (const [a, b] of this.open) n += a.onTheWire + b.onTheWire;
    return n;
  }

  private static pair(a: string, b: string): string {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
  }

  setLink(a: string, b: string, profile: LinkProfile): void {
    checkOption(profile, linkProfile, 'profile');
    this.links.set(MemoryNetwork.pair(a, b), profile);
  }

  /** Cut (or restore) every link between two hosts. */
  partition(hostA: string, hostB: string, cut = true): void {
    const key = MemoryNetwork.pair(hostA, hostB);
    if (!cut) return void this.cut.delete(key);
    this.cut.add(key);
    for (const pair of this.open) {
      const [x, y] = pair;
      if (MemoryNetwork.pair(x.remoteAddress, y.remoteAddress) === key) {
        x.destroy();
      }
    }
  }

  /** A transport for the node whose address is `localHost` (each node gets its own). */
  transport(localHost: string, name = 'Plaintext'): Transport {
    const net = this;
    return {
      name,
      async listen(host, port, onConnection): Promise<TransportServer> {
        const p = port || net.nextPort++;
        const key = `${host}:${p}`;
        if (net.listeners.has(key)) throw Object.assign(new Error(`address in use: ${key}`), { code: 'EADDRINUSE' }); // as a socket says it: the node reports ERR_ADDRESS_IN_USE
        net.listeners.set(key, onConnection);
        net.updateKeepAlive();
        return {
          port: p,
          close: async () => {
            net.listeners.delete(key);
            net.updateKeepAlive();
          },
        };
      },
      async dial(host, port) {
        return net.dial(localHost, host, port);
      },
    };
  }

  private dial(from: string, host: string, port: number): Promise<MemoryStream> {
    const listener = this.listeners.get(`${host}:${port}`);
    if (!listener) return Promise.reject(new Error(`connection refused: ${host}:${port}`));
    if (this.cut.has(MemoryNetwork.pair(from, host))) return Promise.reject(new Error(`no route to ${host}`));
    const profile = this.links.get(MemoryNetwork.pair(from, host)) ?? this.link;
    // remoteAddress on each end names the other end
    const client = new MemoryStream(host, port, profile, this.random, this.clock);
    const server = new MemoryStream(from, 0, profile, this.random, this.clock);
    client.peer = server;
    server.peer = client;
    const pair: [MemoryStream, MemoryStream] = [client, server];
    this.open.add(pair);
    this.updateKeepAlive();
    client.once('close', () => {
      this.open.delete(pair);
      this.updateKeepAlive();
    });
    return new Promise((resolve) => {
      setImmediate(() => {
        listener(server);
        resolve(client);
      });
    });
  }
}
