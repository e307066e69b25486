/**
 * The demo's chord part: a ring (a DHT) of as many nodes, each introduced to
 * one earlier node only; keys are set once, read back from every node in
 * rounds, and one node leaves two thirds of the way through the run.
 */
import { createChord, type ChordNode } from '../chord';
import { waitUntil } from '../base/wait-until';
import { textTable } from './demo-table';

const KEYS = 30;

export class ChordDemo {
  /** Keys set (of KEYS). */
  set = 0;
  /** Keys each node read back in the last round (null: not yet, or it left). */
  readonly readable: (number | null)[];
  /** The node that left, once it did. */
  left: number | null = null;
  private reading = false;
  private reader: Promise<void> = Promise.resolve();
  private leaveTimer: NodeJS.Timeout | null = null;

  private constructor(readonly nodes: ChordNode[]) {
    this.readable = nodes.map(() => null);
  }

  static async start(count: number): Promise<ChordDemo> {
    const nodes: ChordNode[] = [];
    for (let i = 0; i < count; i++) {
      const c = await createChord({ host: '127.0.0.1', port: 0, keepAliveInterval: 0, stabilizeInterval: 200, failureTimeout: 8000, timeout: 3000 });
      nodes.push(c);
      if (i) await c.connect('127.0.0.1', nodes[(i * 7) % i].port).catch(() => undefined);
    }
    return new ChordDemo(nodes);
  }

  private live(): ChordNode[] {
    return this.nodes.filter((c) => !c.closed);
  }

  /** Resolves once every live node's ring holds every live node, or after `ms`. */
  converged(ms: number): Promise<boolean> {
    const ready = () => this.live().every((c) => c.chordStats().ringSize === this.live().length);
    return waitUntil(
      ready,
      this.nodes.map((c) => c.viewChanges.trigger),
      ms,
    );
  }

  async setKeys(): Promise<void> {
    for (let k = 0; k < KEYS; k++) {
      try {
        await this.nodes[k % this.nodes.length].set(`demo-key-${k}`, { k, at: Date.now() });
        this.set++;
      } catch {
        /* counted as not set */
      }
    }
  }

  /** Keys readable from `node` (each get bounded by its timeout). */
  private async readableFrom(node: ChordNode, timeout = 2000): Promise<number> {
    const got = await Promise.all(Array.from({ length: KEYS }, (_, k) => this.reads(node, k, timeout)));
    return got.filter(Boolean).length;
  }

  private reads(node: ChordNode, k: number, timeout: number): Promise<boolean> {
    return node.get(`demo-key-${k}`, { timeout }).then(
      (v) => (v as { k?: number } | undefined)?.k === k,
      () => false,
    );
  }

  /** Read every key back from every node, node after node, in rounds 300 ms apart. */
  startReading(): void {
    this.reading = true;
    this.reader = (async () => {
      while (this.reading) {
        for (let i = 0; i < this.nodes.length && this.reading; i++) {
          if (!this.nodes[i].closed) this.readable[i] = await this.readableFrom(this.nodes[i]).catch(() => 0);
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
  }

  /** The last node leaves gracefully (it hands its items over) after `ms`. */
  leaveAfter(ms: number): void {
    this.leaveTimer = setTimeout(() => void this.leave().catch(() => undefined), ms);
  }

  private leave(): Promise<void> {
    const last = this.nodes.length - 1;
    this.left = last;
    this.readable[last] = null;
    return this.nodes[last].close();
  }

  /**
   * Stop reading; the last node leaves now if the run was too short for its
   * timer; once the ring has converged, a key counts as readable when every
   * remaining node reads it. Returns how many are.
   */
  async finish(): Promise<number> {
    if (this.leaveTimer) clearTimeout(this.leaveTimer);
    this.reading = false;
    await this.reader;
    if (this.left === null) await this.leave().catch(() => undefined);
    await this.converged(5000);
    const remaining = this.live();
    const perKey = await Promise.all(Array.from({ length: KEYS }, async (_, k) => (await Promise.all(remaining.map((c) => this.reads(c, k, 3000)))).every(Boolean)));
    remaining.forEach((c) => (this.readable[this.nodes.indexOf(c)] = null));
    await Promise.all(remaining.map(async (c) => (this.readable[this.nodes.indexOf(c)] = await this.readableFrom(c, 3000))));
    return perKey.filter(Boolean).length;
  }

  table(leavesAtSeconds: number): string[] {
    const rows = this.nodes.map((c, i) => {
      if (c.closed) return [`chord-${i}`, '-', '-', '-', '-', '-', 'left'];
      const st = c.chordStats();
      const readable = this.readable[i];
      return [`chord-${i}`, String(st.connections), String(st.ringSize), String(st.items), String(st.replicas), readable === null ? '…' : `${readable}/${KEYS}`, st.mode];
    });
    const leaving = this.left !== null ? `; chord-${this.left} left` : `; chord-${this.nodes.length - 1} leaves at ${leavesAtSeconds} s`;
    return [`chord table (${this.set}/${KEYS} keys set, 5 tables × 3 copies each${leaving})`, ...textTable(['node', 'peers', 'ring', 'items', 'replicas', 'keys readable', 'mode'], rows)];
  }

  summary(readableEverywhere: number): string {
    return `chord: ${readableEverywhere}/${KEYS} keys readable after a node left (from each of the ${this.live().length} remaining nodes; ${this.set}/${KEYS} set)`;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((c) => c.close({ leave: false }).catch(() => undefined)));
  }
}
