/**
 * The demo's mesh part: polyp2p nodes in a ring with chords (automatic
 * connections), a js2p 0.7.870 node when the devDependency is installed, and
 * a steady stream of broadcasts from every node.
 */
import { createMesh, type MeshNode, type MeshStats } from '../mesh';
import { textTable } from './demo-table';

interface Js2pNode {
  name: string;
  socket: { id: string; routing_table: Map<unknown, unknown>; send(p: unknown[]): void; recv(): unknown; on(e: string, f: () => void): void; close(): void; connect(h: string, p: number): void };
  received: number;
  sent: number;
}

function loadJs2pMesh(): { MeshSocket: new (addr: string, port: number) => Js2pNode['socket'] } | null {
  const log = console.log;
  const warn = console.warn;
  try {
    console.log = () => {};
    console.warn = () => {};
    return require('js2p/js_src/mesh.js');
  } catch {
    return null;
  } finally {
    console.log = log;
    console.warn = warn;
  }
}

export class MeshDemo {
  js2p: Js2pNode | null = null;
  /** Messages delivered to each node. */
  readonly received: number[];
  /** Broadcasts sent by the polyp2p nodes. */
  seq = 0;
  private sender: NodeJS.Timeout | null = null;
  /** Stats at the last table, for the rates. */
  private last: MeshStats[] = [];
  private lastAt = Date.now();

  private constructor(readonly nodes: MeshNode[]) {
    this.received = nodes.map(() => 0);
  }

  static async start(count: number): Promise<MeshDemo> {
    const nodes: MeshNode[] = [];
    for (let i = 0; i < count; i++) nodes.push(await createMesh({ host: '127.0.0.1', port: 0, maxOutgoing: 2 }));
    for (let i = 0; i < count; i++) await nodes[i].connect('127.0.0.1', nodes[(i + 1) % count].port).catch(() => undefined);
    return new MeshDemo(nodes);
  }

  /** A js2p node linked to the first polyp2p node, when js2p is installed. */
  async startJs2p(): Promise<void> {
    const js2pMesh = loadJs2pMesh();
    if (!js2pMesh) return;
    const lastPort = this.nodes[this.nodes.length - 1].port;
    const port = lastPort + 1000 > 65000 ? 40000 + Math.floor(Math.random() * 20000) : lastPort + 1000;
    try {
      const socket = new js2pMesh.MeshSocket('127.0.0.1', port);
      const js2p: Js2pNode = (this.js2p = { name: 'js2p', socket, received: 0, sent: 0 });
      socket.on('message', () => {
        while (socket.recv()) js2p.received++;
      });
      await new Promise((r) => setTimeout(r, 100)); // js2p says nothing when it listens
      await this.nodes[0].connect('127.0.0.1', port);
    } catch (e) {
      console.log(`js2p node not started: ${(e as Error).message}`);
      this.js2p = null;
    }
  }

  /** `rate` broadcasts a second network-wide, in ticks of 50 ms; js2p sends one per 50 of them. */
  startSending(rate: number): void {
    this.nodes.forEach((n, i) => n.on('message', () => this.received[i]++));
    const perTick = Math.max(1, Math.round(rate / 20));
    this.sender = setInterval(() => {
      for (let k = 0; k < perTick; k++) this.nodes[this.seq++ % this.nodes.length].broadcast('demo', this.seq);
      if (this.js2p && this.seq % 50 === 0) {
        this.js2p.socket.send(['from js2p', this.seq]);
        this.js2p.sent++;
      }
    }, 50);
    this.last = this.nodes.map((n) => n.stats());
    this.lastAt = Date.now();
  }

  stopSending(): void {
    if (this.sender) clearInterval(this.sender);
  }

  /** The status table, with frame rates since the last call. */
  table(): string[] {
    const now = Date.now();
    const dt = (now - this.lastAt) / 1000 || 1;
    const stats = this.nodes.map((n) => n.stats());
    const rows = stats.map((s, i) => {
      const inRate = (s.framesIn - this.last[i].framesIn) / dt;
      const outRate = (s.framesOut - this.last[i].framesOut) / dt;
      return [`polyp2p-${i}`, s.id.slice(0, 10) + '…', String(s.peers), inRate.toFixed(0), outRate.toFixed(0), String(this.received[i]), String(s.duplicates), String(s.relayed)];
    });
    const js2p = this.js2p;
    if (js2p) rows.push(['js2p-0.7.870', js2p.socket.id.slice(0, 10) + '…', String(js2p.socket.routing_table.size), '-', '-', String(js2p.received), '-', '-']);
    this.last = stats;
    this.lastAt = now;
    return textTable(['node', 'id', 'peers', 'frames in/s', 'frames out/s', 'delivered', 'dups dropped', 'relayed'], rows);
  }

  summary(): string {
    const js2p = this.js2p;
    const count = this.nodes.length;
    const expected = this.seq * (count - 1) + (js2p ? js2p.sent * count : 0);
    const delivered = this.received.reduce((a, b) => a + b, 0);
    return (
      `summary: ${this.seq} broadcasts from polyp2p nodes${js2p ? ` and ${js2p.sent} from js2p` : ''}, ${delivered}/${expected} expected deliveries to polyp2p nodes (${((delivered / Math.max(1, expected)) * 100).toFixed(1)}%)` +
      (js2p ? `; js2p received ${js2p.received}, sent ${js2p.sent}` : '')
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
    if (this.js2p) this.js2p.socket.close();
  }
}
