'use strict';
// The package's types as a TypeScript user compiles them (issue 20, point 5): a consumer
// project with `polyp2p` in its node_modules imports every entry point under
// moduleResolution node16, nodenext and bundler, strict, with skipLibCheck false (so every
// .d.ts the entry points reach is checked too). Bundler resolution with the "browser"
// condition must pick the browser build's types from a bare `import 'polyp2p'`. And the
// nodes' events are typed (issue 21, point 1): a misspelled event name or a listener of the
// wrong shape fails to compile (each `@ts-expect-error` line must have an error).
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFile } = require('child_process');
const { promisify } = require('util');

const run = promisify(execFile);
const root = path.join(__dirname, '..', '..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'polyp2p-types-'));
test.after.always(() => fs.rmSync(work, { recursive: true, force: true }));

const COMPAT = ['base', 'mesh', 'sync', 'chord', 'ford'];

// Uses values and types from each entry point (polyp2p/metrics too), so a missing or `any` export fails to compile.
const ESM = `
import * as polyp2p from 'polyp2p';
import { createMesh, MeshNode, MemoryNetwork, type MeshOptions } from 'polyp2p';
import * as browser from 'polyp2p/browser';
import { metrics, CONTENT_TYPE, type NodeStats } from 'polyp2p/metrics';
${COMPAT.map((m) => `import * as compat_${m} from 'polyp2p/compat/${m}';`).join('\n')}

const options: MeshOptions = { port: 0 };
const network: MemoryNetwork = new MemoryNetwork();
export async function main(): Promise<void> {
  const node: MeshNode = await createMesh({ ...options, transport: network.transport('a') });
  const id: string = node.id;
  const backend: 'native' | 'js' = polyp2p.backend;
  const b: browser.MeshNode = browser.createMesh();
  const chordNode: Promise<polyp2p.ChordNode> = polyp2p.createChord({ port: 0 });
  const stats: NodeStats = node.stats();
  const text: string = metrics([node, stats], { prefix: 'p2p_' }) + CONTENT_TYPE;
  void [id, backend, b, chordNode, text, ${COMPAT.map((m) => `compat_${m}`).join(', ')}];
  await node.close();
}
`;

const CJS = `
import polyp2p = require('polyp2p');
${COMPAT.map((m) => `import compat_${m} = require('polyp2p/compat/${m}');`).join('\n')}
import promMetrics = require('polyp2p/metrics');

export async function main(): Promise<void> {
  const node: polyp2p.MeshNode = await polyp2p.createMesh({ port: 0 });
  const text: string = promMetrics.metrics(node);
  void text;
  const socket = new compat_mesh.MeshSocket('127.0.0.1', 0);
  void [socket, ${COMPAT.map((m) => `compat_${m}`).join(', ')}];
  await node.close();
}
`;

// Only the browser build exports this function's shape (never listens): it proves which types were picked.
const BROWSER_CONDITION = `
import { createMesh, MeshNode } from 'polyp2p';
const node: MeshNode = createMesh(); // the Node build's createMesh returns a Promise
void node;
`;

const EVENTS = `
import { createMesh, createSync, createChord, type MeshMessage, type Peer, type SyncUpdate, type KeyEvent, type PeerErrorEvent } from 'polyp2p';

export async function main(): Promise<void> {
  const mesh = await createMesh({ port: 0 });
  mesh.on('message', (msg) => { const m: MeshMessage = msg; void m.data; });
  mesh.on('peer', (peer) => { const p: Peer = peer; void p; });
  mesh.once('peerLeft', (peer: Peer) => void peer);
  mesh.on('peerError', (err) => { const e: PeerErrorEvent = err; void e.code; });
  mesh.on('close', () => {});
  // @ts-expect-error a misspelled event name
  mesh.on('mesage', () => {});
  // @ts-expect-error the old kebab-case name is gone: one naming style
  mesh.on('peer-left', () => {});
  // @ts-expect-error a listener of the wrong shape
  mesh.on('message', (msg: string) => void msg);
  // @ts-expect-error a mesh has no sync events
  mesh.on('update', () => {});

  const sync = await createSync({ port: 0 });
  sync.on('update', (u) => { const x: SyncUpdate = u; void x.value; });
  sync.on('refused', (r) => void r.reason);
  sync.on('message', (msg) => void msg.sender); // a SyncNode has the mesh's events too
  // @ts-expect-error a wrong payload type
  sync.on('delete', (d: number) => void d);
  // @ts-expect-error a chord event on a sync node
  sync.on('add', () => {});

  const chord = await createChord({ port: 0 });
  chord.on('add', (e) => { const k: KeyEvent = e; void k.keyText; });
  // @ts-expect-error
  chord.emit('add', 'not a KeyEvent');
  await Promise.all([mesh.close(), sync.close(), chord.close()]);
}
`;

/** A consumer folder: polyp2p and @types/node linked into node_modules, the given sources, a tsconfig. */
function consumer(name, compilerOptions, sources) {
  const dir = path.join(work, name);
  fs.mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'polyp2p'), 'dir');
  fs.symlinkSync(path.join(root, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true }));
  for (const [file, text] of Object.entries(sources)) fs.writeFileSync(path.join(dir, file), text);
  const tsconfig = { compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, types: ['node'], target: 'ES2022', ...compilerOptions }, files: Object.keys(sources) };
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  return dir;
}

async function compiles(t, dir) {
  try {
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, timeout: 120_000 });
    t.pass();
  } catch (e) {
    t.fail(`tsc failed in ${dir}:\n${(e.stdout || '') + (e.stderr || e.message)}`);
  }
}

for (const resolution of ['node16', 'nodenext']) {
  test(`types compile under moduleResolution ${resolution}: ESM (.mts) and CommonJS (.cts) consumers, skipLibCheck false`, async (t) => {
    t.timeout(150_000);
    await compiles(t, consumer(resolution, { module: resolution, moduleResolution: resolution }, { 'esm.mts': ESM, 'cjs.cts': CJS }));
  });
}

test('types compile under moduleResolution bundler, skipLibCheck false', async (t) => {
  t.timeout(150_000);
  await compiles(t, consumer('bundler', { module: 'esnext', moduleResolution: 'bundler' }, { 'index.ts': ESM }));
});

test('bundler resolution with the "browser" condition picks the browser build for a bare import', async (t) => {
  t.timeout(150_000);
  await compiles(t, consumer('bundler-browser', { module: 'esnext', moduleResolution: 'bundler', customConditions: ['browser'] }, { 'index.ts': BROWSER_CONDITION }));
  // and the same source fails against the Node build: the condition made the difference
  const plain = consumer('bundler-node', { module: 'esnext', moduleResolution: 'bundler' }, { 'index.ts': BROWSER_CONDITION });
  const err = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: plain, timeout: 120_000 }).then(
    () => null,
    (e) => e.stdout || e.message,
  );
  t.regex(String(err), /Promise<MeshNode>/);
});

test('typed events: names and payloads of MeshNode, SyncNode and ChordNode are checked', async (t) => {
  t.timeout(150_000);
  await compiles(t, consumer('events', { module: 'node16', moduleResolution: 'node16' }, { 'events.mts': EVENTS }));
});
