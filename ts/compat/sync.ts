/**
 * js2p-shaped sync module (shared/JS2P_API.md §4): `new SyncSocket(addr, port,
 * protocol, leasing, out_addr, debug_level)` over polyp2p's SyncNode. Keeps
 * js2p's call shapes and fixes its bugs (§9):
 *
 * - leasing omitted means leasing ON and ENFORCED (js2p advertises "sync1"
 *   but enforces nothing); pass `false` for the non-leasing subnet "sync0".
 *   A polyp2p node still connects to js2p nodes built without the argument.
 * - del()/pop() delete (js2p throws); deletes are not sent to js2p peers.
 * - get() falls back only for missing keys, not for falsy values.
 * - set() throws a LeaseError (an Error, code 'ERR_LEASE') on a lease conflict.
 */
import { MeshSocket } from './mesh';
import { Protocol } from './base';
import { checkLeasing, checkProtocol, SYNC_ARGUMENT_ORDER } from './socket-arguments';
import type { MeshNode } from '../mesh/mesh-node';
import type { MeshOptions } from '../mesh/options';
import { SyncNode, type SyncDelete, type SyncOptions, type SyncUpdate } from '../sync/sync-node';

export const default_protocol = new Protocol('sync', 'Plaintext');

export class metatuple {
  constructor(
    public owner: string,
    public timestamp: number,
  ) {}
}

/** js2p converts keys with `new Buffer(key)`: strings and bytes as they are, anything else as text. */
function compatKey(key: unknown): string | Uint8Array {
  if (typeof key === 'string' || key instanceof Uint8Array) return key;
  if (Array.isArray(key)) return Buffer.from(key as number[]);
  return String(key);
}

export class SyncSocket extends MeshSocket {
  declare readonly node: SyncNode;
  readonly leasing: boolean;

  constructor(addr: string, port: number, protocol?: Protocol | null | false, leasing?: boolean, out_addr?: [string, number], debug_level = 0, extra: SyncOptions = {}) {
    checkProtocol(protocol, extra, SYNC_ARGUMENT_ORDER);
    checkLeasing(leasing);
    const on = leasing !== false;
    const base = protocol || default_protocol; // falsy: the default, as in js2p (its sync tutorial passes false)
    // The advertised protocol carries the suffix; SyncNode appends it to the base subnet itself.
    super(addr, port, new Protocol(String(base.subnet) + (on ? '1' : '0'), base.encryption), out_addr, debug_level, { ...extra, leasing: on, subnet: String(base.subnet) } as MeshOptions);
    this.leasing = on;
    this.node.on('update', (u: SyncUpdate) => this.emit('update', this, u.rawKey, u.value, new metatuple(u.owner, u.timestamp)));
    this.node.on('delete', (d: SyncDelete) => this.emit('delete', this, d.rawKey));
    this.node.on('refused', (r) => this.emit('refused', this, r));
  }

  protected createNode(options: MeshOptions): MeshNode {
    return new SyncNode(options);
  }

  /** Plain object of values by key text (a snapshot). */
  get data(): Record<string, unknown> {
    return this.node.toObject();
  }

  /** Plain object of metatuples by key text (a snapshot). */
  get metadata(): Record<string, metatuple> {
    const out: Record<string, metatuple> = {};
    for (const k of this.node.keys()) {
      const m = this.node.metadata(k)!;
      Object.defineProperty(out, k, { value: new metatuple(m.owner, m.timestamp), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  get(key: unknown, fallback?: unknown): unknown {
    const k = compatKey(key);
    return this.node.has(k) ? this.node.get(k) : fallback;
  }

  /** Store and broadcast; `null`/`undefined` deletes. Throws LeaseError on a lease conflict. */
  set(key: unknown, value: unknown): void {
    if (value === null || value === undefined) {
      this.del(key);
      return;
    }
    this.node.set(compatKey(key), value);
  }

  del(key: unknown): void {
    this.node.delete(compatKey(key));
  }

  update(update_dict: Record<string, unknown>): void {
    for (const key in update_dict) this.set(key, update_dict[key]);
  }

  apply_delta(key: unknown, delta: Record<string, unknown>): void {
    this.node.applyDelta(compatKey(key), delta);
  }

  *keys(): Generator<string> {
    yield* this.node.keys();
  }

  *values(): Generator<unknown> {
    yield* this.node.values();
  }

  *items(): Generator<[string, unknown]> {
    yield* this.node.entries();
  }

  pop(key: unknown, fallback?: unknown): unknown {
    const k = compatKey(key);
    if (!this.node.has(k)) return fallback;
    const v = this.node.get(k);
    this.node.delete(k);
    return v;
  }

  popitem(): [string, unknown] | undefined {
    for (const k of this.node.keys()) return [k, this.pop(k)];
    return undefined;
  }
}
