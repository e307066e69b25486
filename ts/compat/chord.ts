/**
 * js2p-shaped chord module (shared/JS2P_API.md §5): `new ChordSocket(addr,
 * port, protocol, out_addr, debug_level)` over polyp2p's ChordNode. Keeps the
 * call shapes and fixes js2p's bugs (§9): get() resolves with the fallback on
 * a miss or timeout, delete notifies are sent and handled, keys() lists each
 * key once, unjoin() hands data over, copy() waits for every read, reads need
 * three agreeing tables (not two).
 */
import bigInt from 'big-integer';
import { MeshSocket, outgoingSetting } from './mesh';
import { Protocol } from './base';
import type { MeshNode } from '../mesh/mesh-node';
import type { MeshOptions } from '../mesh/options';
import type { Peer } from '../mesh/peer';
import { ChordNode, type KeyEvent } from '../chord/chord-node';
import type { ChordOptions } from '../chord/options';
import { core } from '../native';

export const default_protocol = new Protocol('chord', 'Plaintext');
export const limit = bigInt(2).pow(384);
/** Module-wide, as in js2p: programs assign `chord.max_outgoing = n`; read when a socket is created. */
export const max_outgoing = 4;

export function distance(a: unknown, b: unknown, lim: unknown = limit): bigInt.BigInteger {
  const raw = bigInt(String(b)).minus(bigInt(String(a)));
  const l = bigInt(String(lim));
  return raw.mod(l).plus(l).mod(l);
}

export function get_hashes(key: unknown): bigInt.BigInteger[] {
  return core.chordPositions(compatKey(key)).map((n) => bigInt(n.toString()));
}

/** js2p converts keys with `new Buffer(key)`. */
function compatKey(key: unknown): Buffer {
  if (typeof key === 'string') return Buffer.from(key, 'utf8');
  if (key instanceof Uint8Array) return Buffer.from(key);
  if (Array.isArray(key)) return Buffer.from(key as number[]);
  return Buffer.from(String(key), 'utf8');
}

export class ChordSocket extends MeshSocket {
  declare readonly node: ChordNode;

  constructor(addr: string, port: number, protocol?: Protocol | null | false, out_addr?: [string, number], debug_level = 0, extra: ChordOptions = {}) {
    super(addr, port, protocol || default_protocol, out_addr, debug_level, { join: false, ...extra });
    // js2p's 'connect' fires when the first data-storing peer appears, not on the first handshake.
    this.node.removeAllListeners('connect');
    let first = true;
    this.node.on('storing-peer', () => {
      if (first) {
        first = false;
        this.emit('connect', this);
      }
    });
    this.node.on('add', (e: KeyEvent) => this.emit('add', this, e.key));
    this.node.on('delete', (e: KeyEvent) => this.emit('delete', this, e.key));
  }

  protected createNode(options: MeshOptions): MeshNode {
    return new ChordNode(options);
  }

  protected maxOutgoingSetting(): number {
    return outgoingSetting(module.exports as Record<string, unknown>, 'chord');
  }

  get leeching(): boolean {
    return !this.node.storing;
  }

  get id_10(): bigInt.BigInteger {
    return bigInt(core.base58DecodeInt(this.id).toString());
  }

  /** Start storing data (sends meta "0" to every peer). */
  join(): void {
    if (this.node.id) this.node.join();
    else
      this.ready.then(
        () => this.node.join(),
        () => {}, // not listening: the error is in `status` and `ready`
      );
  }

  /** Stop storing; items are handed to the nodes now responsible. Returns a promise (js2p returned nothing). */
  unjoin(): Promise<void> {
    return this.ready.then(() => this.node.unjoin());
  }

  get data_storing(): Peer[] {
    return [...this.node.peers.values()].filter((p) => this.node.isStoring(p));
  }

  /** Value agreed by three tables; `fallback` on a miss or timeout (seconds, default 10). */
  get(key: unknown, fallback?: unknown, timeout?: number): Promise<unknown> {
    const opts = typeof timeout === 'number' && timeout > 0 ? { timeout: timeout * 1000 } : {};
    return this.ready.then(() => this.node.getOr(compatKey(key), fallback, opts));
  }

  /** Rejects on a miss or timeout, as js2p's get() did. */
  get_no_fallback(key: unknown, timeout?: number): Promise<unknown> {
    const opts = typeof timeout === 'number' && timeout > 0 ? { timeout: timeout * 1000 } : {};
    return this.ready.then(() => this.node.get(compatKey(key), opts));
  }

  /** Store in all five tables (returns at once, as js2p; the write completes in the background). */
  set(key: unknown, value: unknown): Promise<void> {
    const k = compatKey(key);
    const p = this.ready.then(() => (value === null || value === undefined ? this.node.delete(k) : this.node.set(k, value)));
    p.catch((e: Error) => this.exceptions.push(e));
    return p;
  }

  del(key: unknown): Promise<void> {
    return this.set(key, null);
  }

  update(obj: Record<string, unknown>): void {
    for (const k of Object.keys(obj)) void this.set(k, obj[k]);
  }

  apply_delta(key: unknown, delta: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.ready.then(() => this.node.applyDelta(compatKey(key), delta));
  }

  *keys(): Generator<Buffer> {
    yield* this.node.keys();
  }

  *values(): Generator<Promise<unknown>> {
    for (const k of this.node.keys()) yield this.get(k);
  }

  *items(): Generator<[Buffer, Promise<unknown>]> {
    for (const k of this.node.keys()) yield [k, this.get(k)];
  }

  pop(key: unknown, fallback?: unknown): Promise<unknown> {
    return this.get(key, fallback).then(async (v) => {
      if (v !== fallback) await this.del(key);
      return v;
    });
  }

  popitem(): [Buffer, Promise<unknown>] | undefined {
    for (const k of this.node.keys()) return [k, this.pop(k)];
    return undefined;
  }

  /** Object of every known key's value; resolves when all reads settled. */
  async copy(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    const missing = Symbol('missing');
    await Promise.all(
      this.node.keys().map(async (k) => {
        const v = await this.get(k, missing);
        if (v !== missing) out[k.toString('utf8')] = v;
      }),
    );
    return out;
  }

  /** Close; a data-storing socket hands its items over first. */
  close(): Promise<void> {
    return this.ready.then(
      () => this.node.close(),
      () => this.node.close(),
    );
  }
}

export { Peer as ChordConnection };
