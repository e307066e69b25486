/**
 * In-memory transport: the mesh's real code over simulated links, with no
 * sockets (in the style of rust-libp2p's MemoryTransport and hyperdht's
 * testnet). A MemoryNetwork is one address space; each link may add latency,
 * jitter and a bandwidth limit. Used by the simulator and by tests.
 */
import { EventEmitter } from 'events';
import type { ByteStream } from '../base/connection';
import type { Transport, TransportServer } from './transport';

export interface LinkProfile {
  /** One-way delay in ms (default 0: next macrotask). */
  latencyMs?: number;
  /** Extra random delay in [0, jitterMs) per chunk; order is preserved. */
  jitterMs?: number;
  /** Bytes per second; 0 = unlimited. */
  bandwidth?: number;
}

type Listener = (stream: MemoryStream) => void;

/** One end of an in-memory duplex link. */
export class MemoryStream extends EventEmitter implements ByteStream {
  peer: MemoryStream | null = null;
  destroyed = false;
  writableLength = 0;
  writableNeedDrain = false;
  private nextFreeAt = 0; // when the link is free to start sending the next chunk (bandwidth)
  private lastArrival = 0; // keeps delivery in order under jitter

  constructor(
    readonly remoteAddress: string,
    readonly remotePort: number,
    private readonly profile: LinkProfile,
    private readonly random: () => number,
  ) {
    super();
  }

  write(data: Uint8Array): boolean {
    if (this.destroyed || !this.peer) return false;
    const chunk = Buffer.from(data); // the caller may reuse its buffer
    const now = Date.now();
    const p = this.profile;
    let at = now;
    if (p.bandwidth) {
      at = Math.max(now, this.nextFreeAt) + (chunk.length / p.bandwidth) * 1000;
      this.nextFreeAt = at;
    }
    at += (p.latencyMs ?? 0) + (p.jitterMs ? this.random() * p.jitterMs : 0);
    at = Math.max(at, this.lastArrival);
    this.lastArrival = at;
    this.writableLength += chunk.length;
    const peer = this.peer;
    const deliver = () => {
      this.writableLength -= chunk.length;
      if (!peer.destroyed) peer.emit('data', chunk);
      if (this.writableNeedDrain && this.writableLength === 0) {
        this.writableNeedDrain = false;
        this.emit('drain');
      }
    };
    const delay = at - now;
    if (delay <= 0) setImmediate(deliver);
    else setTimeout(deliver, delay);
    if (this.writableLength > 64 * 1024) this.writableNeedDrain = true;
    return !this.writableNeedDrain;
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
  /** Deterministic randomness (jitter); default Math.random. */
  random?: () => number;
}

/** An address space of in-memory listeners ("host:port" → node). */
export class MemoryNetwork {
  private readonly listeners = new Map<string, Listener>();
  private nextPort = 1;
  readonly link: LinkProfile;
  readonly random: () => number;
  /** Per-pair overrides, key "hostA:portA|hostB:portB" in either order. */
  private readonly links = new Map<string, LinkProfile>();
  /** Pairs whose links are cut (partition): dials fail, open links close. */
  private readonly cut = new Set<string>();
  private readonly open = new Set<[MemoryStream, MemoryStream]>();

  /** Holds the event loop open while listeners or links exist, as sockets would. */
  private keepAlive: NodeJS.Timeout | null = null;

  constructor(options: MemoryNetworkOptions = {}) {
    this.link = options.link ?? {};
    this.random = options.random ?? Math.random;
  }

  private updateKeepAlive(): void {
    const busy = this.listeners.size + this.open.size > 0;
    if (busy && !this.keepAlive) this.keepAlive = setInterval(() => undefined, 1 << 30);
    else if (!busy && this.keepAlive) {
      clearInterval(this.keepAlive);
      this.keepAlive = null;
    }
  }

  private static pair(a: string, b: string): string {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
  }

  setLink(a: string, b: string, profile: LinkProfile): void {
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
        if (net.listeners.has(key)) throw new Error(`address in use: ${key}`);
        net.listeners.set(key, onConnection as Listener);
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
    const client = new MemoryStream(host, port, profile, this.random);
    const server = new MemoryStream(from, 0, profile, this.random);
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
