'use strict';
// The browser bundle (polyp2p/browser) in real Chromium: a page served from loopback joins a
// Node polyp2p network over ws, sends and receives broadcasts and sync updates.
const test = require('ava');
const http = require('http');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { createMesh, createSync } = require('../../dist/index.js');
const { waitFor } = require('../helpers/mesh');
const { ensureChromium, LAUNCH_ARGS } = require('../helpers/chromium');

const root = path.join(__dirname, '..', '..');
const bundle = path.join(root, 'dist', 'browser', 'polyp2p.mjs');
const PAGE = `<!doctype html><meta charset="utf-8"><title>polyp2p browser test</title>
<script type="module">
  import * as polyp2p from './polyp2p.mjs';
  window.polyp2p = polyp2p;
  window.ready = true;
</script>`;

let browser = null;
let server = null;
let baseUrl = null;

// found (or installed) when the file loads, so that without it the tests register as skips
const found = ensureChromium((m) => console.log(m));
if (found.skip && process.env.CI === 'true') throw new Error(`Chromium is required under CI=true: ${found.skip}`);
const browserTest = found.skip ? (title, fn) => test.skip(`${title} (skipped: ${found.skip.split('\n')[0]})`, fn) : test;

test.before(async () => {
  if (found.skip) return;
  const built = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-browser.js')], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build-browser failed:\n${built.stdout}${built.stderr}`);
  server = http.createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(PAGE);
    }
    if (req.url === '/polyp2p.mjs') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(fs.readFileSync(bundle));
    }
    res.writeHead(404).end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${server.address().port}/`;
  const { chromium } = require('playwright-core');
  browser = await chromium.launch({ executablePath: found.executablePath, headless: true, args: LAUNCH_ARGS });
});

test.after.always(async () => {
  if (browser) await browser.close();
  if (server) await new Promise((r) => server.close(r));
});

async function openPage(t) {
  const page = await browser.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  t.teardown(async () => {
    if (!t.passed && logs.length) t.log(logs.join('\n'));
    await page.close();
  });
  await page.goto(baseUrl);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 10_000 });
  return page;
}

browserTest('the bundle loads in Chromium and runs the pure-TS backend', async (t) => {
  const page = await openPage(t);
  const info = await page.evaluate(() => ({ backend: window.polyp2p.backend, pid: window.polyp2p.protocolId('mesh', 'ws'), id: window.polyp2p.nodeId('abc') }));
  const { protocolId, nodeId } = require('../../dist/index.js');
  t.is(info.backend, 'js');
  t.is(info.pid, protocolId('mesh', 'ws'), 'same protocol ID as Node');
  t.is(info.id, nodeId('abc'), 'same SHA-384/base58 as Node');
});

browserTest('a browser node joins a Node ws mesh: broadcasts both ways, relayed across the network', async (t) => {
  const a = await createMesh({ host: '127.0.0.1', port: 0, encryption: 'ws', keepAliveInterval: 0 });
  const b = await createMesh({ host: '127.0.0.1', port: 0, encryption: 'ws', keepAliveInterval: 0 });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  await b.connect('127.0.0.1', a.port);
  const atB = [];
  b.on('message', (m) => atB.push(m));
  const page = await openPage(t);
  const browserId = await page.evaluate(async (port) => {
    const mesh = window.polyp2p.createMesh({ keepAliveInterval: 0 });
    window.mesh = mesh;
    window.got = [];
    mesh.on('message', (m) => window.got.push({ data: m.data.map((d) => (d instanceof Uint8Array ? [...d] : d)), sender: m.sender }));
    await mesh.connect('127.0.0.1', port);
    return mesh.id;
  }, a.port);
  await waitFor(() => a.peers.has(browserId), 5000, 'the browser node in a routing table');
  t.false(b.peers.has(browserId), 'b is not directly connected to the browser');
  await page.evaluate(() => window.mesh.broadcast('from the browser', 42, window.polyp2p.flags.broadcast === 0 ? new Uint8Array([7, 8]) : null));
  await waitFor(() => atB.length > 0, 5000, 'the broadcast relayed through a to b');
  t.deepEqual(atB[0].data, ['from the browser', 42, Buffer.from([7, 8])]);
  t.is(atB[0].sender, browserId);
  b.broadcast('from node b', Buffer.from([1, 2, 3]));
  await page.waitForFunction(() => window.got.length > 0, null, { timeout: 5000 });
  const got = await page.evaluate(() => window.got);
  t.deepEqual(got[0].data, ['from node b', [1, 2, 3]]);
  t.is(got[0].sender, b.id);
  await page.evaluate(() => window.mesh.close());
  await waitFor(() => !a.peers.has(browserId), 5000, 'a notices the browser left');
});

browserTest('a browser sync node receives and sends sync updates over ws', async (t) => {
  const s = await createSync({ host: '127.0.0.1', port: 0, encryption: 'ws', leasing: false, keepAliveInterval: 0 });
  t.teardown(() => s.close());
  s.set('before', 'joined');
  const page = await openPage(t);
  await page.evaluate(async (port) => {
    const sync = window.polyp2p.createSync({ leasing: false, keepAliveInterval: 0 });
    window.sync = sync;
    await sync.connect('127.0.0.1', port);
  }, s.port);
  await page.waitForFunction(() => window.sync.get('before') === 'joined', null, { timeout: 5000 });
  s.set('live', { n: 1 });
  await page.waitForFunction(() => window.sync.get('live') && window.sync.get('live').n === 1, null, { timeout: 5000 });
  await page.evaluate(() => window.sync.set('from-browser', 'hello'));
  await waitFor(() => s.get('from-browser') === 'hello', 5000, 'the browser write at the Node sync node');
  t.pass();
});
