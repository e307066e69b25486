/**
 * `npm start`: a local demonstration network on loopback — N polyp2p nodes in
 * a ring with chords, plus a js2p 0.7.870 node when the devDependency is
 * installed — with a live status table, for a bounded time, then a summary.
 */
import { createHash } from 'crypto';
import { createMesh, MeshNode } from '../mesh';
import { createSync, SyncNode } from '../sync';
import { createChord, ChordNode } from '../chord';
import { backend } from '../native';

/** Short digest of a replica's contents: equal digests = replicas agree. */
function tableDigest(node: SyncNode): string {
  const entries = [...node.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 10);
}

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

export async function demoCommand(options: Record<string, string | true>): Promise<void> {
  const count = Math.max(2, Math.min(32, Number(options.nodes ?? 6)));
  const seconds = Math.max(2, Math.min(600, Number(options.seconds ?? 20)));
  const rate = Math.max(1, Math.min(20000, Number(options.rate ?? 200))); // broadcasts/s network-wide
  const nodes: MeshNode[] = [];
  for (let i = 0; i < count; i++) nodes.push(await createMesh({ host: '127.0.0.1', port: 0, maxOutgoing: 2 }));
  for (let i = 0; i < count; i++) await nodes[i].connect('127.0.0.1', nodes[(i + 1) % count].port).catch(() => undefined);

  let js2p: Js2pNode | null = null;
  const js2pMesh = options['no-js2p'] ? null : loadJs2pMesh();
  if (js2pMesh) {
    const port = nodes[count - 1].port + 1000 > 65000 ? 40000 + Math.floor(Math.random() * 20000) : nodes[count - 1].port + 1000;
    try {
      const socket = new js2pMesh.MeshSocket('127.0.0.1', port);
      js2p = { name: 'js2p', socket, received: 0, sent: 0 };
      socket.on('message', () => {
        while (socket.recv()) js2p!.received++;
      });
      await new Promise((r) => setTimeout(r, 100));
      await nodes[0].connect('127.0.0.1', port);
    } catch (e) {
      console.log(`js2p node not started: ${(e as Error).message}`);
      js2p = null;
    }
  }

  // A sync table replicated over its own ring of nodes; each node writes its own keys.
  const syncNodes: SyncNode[] = [];
  for (let i = 0; i < count; i++) syncNodes.push(await createSync({ host: '127.0.0.1', port: 0, maxOutgoing: 2, keepAliveInterval: 0 }));
  for (let i = 0; i < count; i++) await syncNodes[i].connect('127.0.0.1', syncNodes[(i + 1) % count].port).catch(() => undefined);
  let syncWrites = 0;
  let syncDeletes = 0;
  const syncWriter = setInterval(() => {
    const i = syncWrites % count;
    syncNodes[i].set(`node${i}/counter`, syncWrites);
    syncNodes[i].set(`node${i}/item${syncWrites % 4}`, { at: Date.now(), by: i });
    if (syncWrites % 5 === 4) {
      const own = [...syncNodes[i].keys()].find((k) => k.startsWith(`node${i}/item`) && k !== `node${i}/item${syncWrites % 4}`);
      if (own && syncNodes[i].delete(own)) syncDeletes++;
    }
    syncWrites++;
  }, 100);

  // A chord ring (a DHT) of as many nodes, each introduced to one earlier node only;
  // keys are set once, read back from every node in rounds, and one node leaves
  // two thirds of the way through the run.
  const chordKeys = 30;
  const chordNodes: ChordNode[] = [];
  for (let i = 0; i < count; i++) {
    const c = await createChord({ host: '127.0.0.1', port: 0, keepAliveInterval: 0, stabilizeInterval: 200, failureTimeout: 8000, timeout: 3000 });
    chordNodes.push(c);
    if (i) await c.connect('127.0.0.1', chordNodes[(i * 7) % i].port).catch(() => undefined);
  }
  const liveChord = () => chordNodes.filter((c) => !c.closed);
  const chordConverged = () => liveChord().every((c) => c.chordStats().ringSize === liveChord().length);
  const waitUntil = async (cond: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    return cond();
  };
  await waitUntil(chordConverged, 10_000);
  let chordSet = 0;
  for (let k = 0; k < chordKeys; k++) {
    try {
      await chordNodes[k % count].set(`demo-key-${k}`, { k, at: Date.now() });
      chordSet++;
    } catch {
      /* counted as not set */
    }
  }
  /** Keys readable from `node` (each get bounded by its timeout). */
  const readableFrom = async (node: ChordNode, timeout = 2000): Promise<number> => {
    const got = await Promise.all(
      Array.from({ length: chordKeys }, (_, k) =>
        node.get(`demo-key-${k}`, { timeout }).then(
          (v) => ((v as { k?: number } | undefined)?.k === k ? 1 : 0),
          () => 0,
        ),
      ),
    );
    return got.reduce<number>((a, b) => a + b, 0);
  };
  const chordReadable: (number | null)[] = chordNodes.map(() => null);
  let chordLeft: number | null = null;
  let chordRunning = true;
  const chordReader = (async () => {
    while (chordRunning) {
      for (let i = 0; i < count && chordRunning; i++) {
        if (!chordNodes[i].closed) chordReadable[i] = await readableFrom(chordNodes[i]).catch(() => 0);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  const leaveTimer = setTimeout(
    () => {
      chordLeft = count - 1;
      chordReadable[count - 1] = null;
      void chordNodes[count - 1].close().catch(() => undefined); // graceful: hands its items over
    },
    Math.round((seconds * 1000 * 2) / 3),
  );

  const received = nodes.map(() => 0);
  nodes.forEach((n, i) => n.on('message', () => received[i]++));
  const started = Date.now();
  let seq = 0;
  const perTick = Math.max(1, Math.round(rate / 20));
  const sender = setInterval(() => {
    for (let k = 0; k < perTick; k++) nodes[seq++ % count].broadcast('demo', seq);
    if (js2p && seq % 50 === 0) {
      js2p.socket.send(['from js2p', seq]);
      js2p.sent++;
    }
  }, 50);

  const tty = process.stdout.isTTY;
  let last = nodes.map((n) => n.stats());
  let lastAt = Date.now();
  const draw = (final = false) => {
    const now = Date.now();
    const dt = (now - lastAt) / 1000 || 1;
    const stats = nodes.map((n) => n.stats());
    const rows = stats.map((s, i) => {
      const inRate = (s.framesIn - last[i].framesIn) / dt;
      const outRate = (s.framesOut - last[i].framesOut) / dt;
      return [`polyp2p-${i}`, s.id.slice(0, 10) + '…', String(s.peers), inRate.toFixed(0), outRate.toFixed(0), String(received[i]), String(s.duplicates), String(s.relayed)];
    });
    if (js2p) rows.push(['js2p-0.7.870', js2p.socket.id.slice(0, 10) + '…', String(js2p.socket.routing_table.size), '-', '-', String(js2p.received), '-', '-']);
    last = stats;
    lastAt = now;
    const header = ['node', 'id', 'peers', 'frames in/s', 'frames out/s', 'delivered', 'dups dropped', 'relayed'];
    const table = (h: string[], rs: string[][]) => {
      const widths = h.map((x, c) => Math.max(x.length, ...rs.map((r) => r[c].length)));
      const line = (r: string[]) => r.map((x, c) => x.padEnd(widths[c])).join('  ');
      return [line(h), ...rs.map(line)];
    };
    const digests = syncNodes.map(tableDigest);
    const majority = digests.slice().sort((a, b) => digests.filter((d) => d === b).length - digests.filter((d) => d === a).length)[0];
    const syncRows = syncNodes.map((n, i) => [`sync-${i}`, String(n.peers.size), String(n.size), digests[i], digests[i] === majority ? 'yes' : 'converging']);
    const chordRows = chordNodes.map((c, i) => {
      if (c.closed) return [`chord-${i}`, '-', '-', '-', '-', '-', 'left'];
      const st = c.chordStats();
      return [`chord-${i}`, String(st.connections), String(st.ringSize), String(st.items), String(st.replicas), chordReadable[i] === null ? '…' : `${chordReadable[i]}/${chordKeys}`, st.mode];
    });
    const out = [
      `polyp2p demo — ${count} nodes${js2p ? ' + js2p' : ''}, backend ${backend}, ${rate} broadcasts/s, ${((now - started) / 1000).toFixed(0)}/${seconds} s`,
      '',
      'mesh',
      ...table(header, rows),
      '',
      `sync table (${syncWrites} writes, ${syncDeletes} deletes so far)`,
      ...table(['node', 'peers', 'keys', 'digest', 'agrees'], syncRows),
      '',
      `chord table (${chordSet}/${chordKeys} keys set, 5 tables × 3 copies each${chordLeft !== null ? `; chord-${chordLeft} left` : `; chord-${count - 1} leaves at ${Math.round((seconds * 2) / 3)} s`})`,
      ...table(['node', 'peers', 'ring', 'items', 'replicas', 'keys readable', 'mode'], chordRows),
    ].join('\n');
    if (tty && !final) process.stdout.write('\x1b[H\x1b[2J' + out + '\n');
    else console.log(out + '\n');
  };
  const drawer = setInterval(() => draw(), tty ? 500 : 2000);

  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(sender);
  clearInterval(drawer);
  clearInterval(syncWriter);
  clearTimeout(leaveTimer);
  chordRunning = false;
  await chordReader;
  if (chordLeft === null) {
    // the run was too short for the timer: the node leaves now
    chordLeft = count - 1;
    chordReadable[count - 1] = null;
    await chordNodes[count - 1].close().catch(() => undefined);
  }
  await waitUntil(chordConverged, 5000);
  // a key counts as readable when every remaining node reads it
  const remaining = liveChord();
  const perKey = await Promise.all(
    Array.from({ length: chordKeys }, async (_, k) => {
      const ok = await Promise.all(
        remaining.map((c) =>
          c.get(`demo-key-${k}`, { timeout: 3000 }).then(
            (v) => (v as { k?: number } | undefined)?.k === k,
            () => false,
          ),
        ),
      );
      return ok.every(Boolean);
    }),
  );
  const chordFinal = perKey.filter(Boolean).length;
  remaining.forEach((c) => (chordReadable[chordNodes.indexOf(c)] = null));
  await Promise.all(remaining.map(async (c) => (chordReadable[chordNodes.indexOf(c)] = await readableFrom(c, 3000))));
  await new Promise((r) => setTimeout(r, 500)); // let the last broadcasts and writes land
  draw(true);
  const expected = seq * (count - 1) + (js2p ? js2p.sent * count : 0);
  const delivered = received.reduce((a, b) => a + b, 0);
  console.log(
    `summary: ${seq} broadcasts from polyp2p nodes${js2p ? ` and ${js2p.sent} from js2p` : ''}, ${delivered}/${expected} expected deliveries to polyp2p nodes (${((delivered / Math.max(1, expected)) * 100).toFixed(1)}%)` +
      (js2p ? `; js2p received ${js2p.received}, sent ${js2p.sent}` : ''),
  );
  const finalDigests = new Set(syncNodes.map(tableDigest));
  console.log(
    `sync: ${syncWrites} writes and ${syncDeletes} deletes; ${syncNodes.length} replicas of ${syncNodes[0].size} keys ${finalDigests.size === 1 ? 'agree' : `do not agree yet (${finalDigests.size} versions)`}`,
  );
  console.log(`chord: ${chordFinal}/${chordKeys} keys readable after a node left (from each of the ${remaining.length} remaining nodes; ${chordSet}/${chordKeys} set)`);
  await Promise.all([...nodes, ...syncNodes].map((n) => n.close()));
  await Promise.all(chordNodes.map((c) => c.close({ leave: false }).catch(() => undefined)));
  if (js2p) js2p.socket.close();
  setTimeout(() => process.exit(0), 200).unref();
}
