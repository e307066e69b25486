/** The demo's sync part: a table replicated over its own ring of nodes; each node writes (and deletes) its own keys. */
import { createHash } from 'crypto';
import { createSync, type SyncNode } from '../sync';
import { textTable } from './demo-table';

/** Short digest of a replica's contents: equal digests = replicas agree. */
function tableDigest(node: SyncNode): string {
  const entries = [...node.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 10);
}

export class SyncDemo {
  writes = 0;
  deletes = 0;
  private writer: NodeJS.Timeout | null = null;

  private constructor(readonly nodes: SyncNode[]) {}

  static async start(count: number): Promise<SyncDemo> {
    const nodes: SyncNode[] = [];
    for (let i = 0; i < count; i++) nodes.push(await createSync({ host: '127.0.0.1', port: 0, maxOutgoing: 2, keepAliveInterval: 0 }));
    for (let i = 0; i < count; i++) await nodes[i].connect('127.0.0.1', nodes[(i + 1) % count].port).catch(() => undefined);
    return new SyncDemo(nodes);
  }

  /** Every 100 ms one node in turn sets its counter and one of its items; every fifth turn it deletes another item. */
  startWriting(): void {
    this.writer = setInterval(() => this.writeOnce(), 100);
  }

  private writeOnce(): void {
    const n = this.writes;
    const i = n % this.nodes.length;
    const node = this.nodes[i];
    node.set(`node${i}/counter`, n);
    node.set(`node${i}/item${n % 4}`, { at: Date.now(), by: i });
    if (n % 5 === 4) {
      const own = [...node.keys()].find((k) => k.startsWith(`node${i}/item`) && k !== `node${i}/item${n % 4}`);
      if (own && node.delete(own)) this.deletes++;
    }
    this.writes++;
  }

  stopWriting(): void {
    if (this.writer) clearInterval(this.writer);
  }

  table(): string[] {
    const digests = this.nodes.map(tableDigest);
    const majority = digests.slice().sort((a, b) => digests.filter((d) => d === b).length - digests.filter((d) => d === a).length)[0];
    const rows = this.nodes.map((n, i) => [`sync-${i}`, String(n.peers.size), String(n.size), digests[i], digests[i] === majority ? 'yes' : 'converging']);
    return [`sync table (${this.writes} writes, ${this.deletes} deletes so far)`, ...textTable(['node', 'peers', 'keys', 'digest', 'agrees'], rows)];
  }

  summary(): string {
    const versions = new Set(this.nodes.map(tableDigest)).size;
    return `sync: ${this.writes} writes and ${this.deletes} deletes; ${this.nodes.length} replicas of ${this.nodes[0].size} keys ${versions === 1 ? 'agree' : `do not agree yet (${versions} versions)`}`;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
  }
}
