'use strict';
// Mesh layer, end to end over loopback TCP: broadcast throughput (2 nodes and a
// 3-node chain), whisper round trip, memory per idle peer.
// polyp2p native vs polyp2p fallback vs js2p 0.7.870 vs a raw-TCP ceiling, in one run.
// Each subject runs in its own child process (bench/mesh-worker.js).
const path = require('path');
const { runWorker, table, ratio: x } = require('./lib/workers');
const { saveResults, quick, fmt } = require('./lib/harness');

const WORKER = path.join(__dirname, 'mesh-worker.js');
const CHILD_TIMEOUT_MS = quick ? 60_000 : 180_000;
const SUBJECTS = [
  { key: 'native', label: 'polyp2p native', env: {} },
  { key: 'js', label: 'polyp2p fallback', env: { POLYP2P_FORCE_JS: '1' } },
  { key: 'js2p', label: 'js2p 0.7.870', env: {} },
  { key: 'raw', label: 'raw TCP', env: {} },
];

/** Run one worker to completion; resolves with the JSON it sent back (or { error }). */
function runChild(role, subject) {
  return runWorker(WORKER, [role, subject.key, ...(quick ? ['--quick'] : [])], { env: subject.env, timeoutMs: CHILD_TIMEOUT_MS, execArgv: ['--expose-gc'] });
}

const pct = (a, b) => (a && b ? ((a / b) * 100).toFixed(a / b < 0.1 ? 2 : 1) + '%' : '-');
const spread = (m) => (m && m.runs > 1 && m.median ? ` ±${(((m.max - m.min) / 2 / m.median) * 100).toFixed(0)}%` : '');
const bytes = (n) => (n == null ? '-' : Math.abs(n) >= 1048576 ? (n / 1048576).toFixed(1) + ' MiB' : (n / 1024).toFixed(1) + ' KiB');

async function main() {
  const net = {};
  const mem = {};
  for (const s of SUBJECTS) {
    process.stdout.write(`${s.label}: network… `);
    net[s.key] = await runChild('net', s);
    if (s.key !== 'raw') {
      process.stdout.write('memory… ');
      mem[s.key] = await runChild('memory', s);
    }
    console.log(net[s.key].error || (mem[s.key] && mem[s.key].error) ? 'FAILED' : 'done');
  }

  const runMs = quick ? 700 : 2000;
  const runs = quick ? 1 : 3;
  const tp = (k, key) => net[k] && net[k].throughput && net[k].throughput[key];
  const scenarios = [
    ['2:100', '2 nodes, broadcast 100 B'],
    ['2:10240', '2 nodes, broadcast 10 KiB'],
    ['3:100', '3-node chain A→B→C, 100 B at C'],
    ['3:10240', '3-node chain A→B→C, 10 KiB at C'],
  ];
  table(
    `Broadcast throughput, messages/s delivered at the last node (median of ${runs} × ${runMs / 1000} s${runs > 1 ? ', ± half-spread' : ''}; uncompressed; all nodes of a subject in one process)`,
    ['scenario', 'native', 'fallback', 'js2p', 'raw TCP', 'native/js2p', 'fallback/js2p', 'native/raw', 'fallback/raw', 'native/fallback'],
    scenarios.map(([key, name]) => {
      const m = (k) => tp(k, key) && tp(k, key).median;
      const cell = (k) => (tp(k, key) ? fmt(m(k)) + spread(tp(k, key)) : '-');
      return [name, cell('native'), cell('js'), cell('js2p'), cell('raw'), x(m('native'), m('js2p')), x(m('js'), m('js2p')), pct(m('native'), m('raw')), pct(m('js'), m('raw')), x(m('native'), m('js'))];
    }),
  );

  const rt = (k) => net[k] && net[k].rtt && net[k].rtt['2:100'];
  const us = (v) => (v == null ? '-' : v.toFixed(1));
  table(
    `Whisper round trip A→B→A, 100 B, sequential ping-pong (µs, lower is better; ${(runs * runMs) / 1000} s of samples)`,
    ['subject', 'median µs', 'p99 µs', 'samples', 'median vs js2p', 'median vs raw', 'p99 vs js2p'],
    SUBJECTS.map((s) => {
      const r = rt(s.key);
      return [s.label, us(r && r.median), us(r && r.p99), r ? r.count : '-', x(r && r.median, rt('js2p') && rt('js2p').median), x(r && r.median, rt('raw') && rt('raw').median), x(r && r.p99, rt('js2p') && rt('js2p').p99)];
    }),
  );

  const memRows = SUBJECTS.filter((s) => s.key !== 'raw');
  const k = quick ? 50 : 200;
  table(
    `Memory per idle peer connection (server process with one node, ${k} handshaked peers from another process; after gc)`,
    ['subject', 'peers', 'RSS/peer', 'heapUsed/peer', 'external/peer', 'RSS one idle node', 'RSS bare node', 'RSS/peer vs js2p', 'heap/peer vs js2p'],
    memRows.map((s) => {
      const m = mem[s.key] || {};
      const j = mem.js2p || {};
      return [s.label, m.peers ?? '-', bytes(m.rssPerPeer), bytes(m.heapPerPeer), bytes(m.externalPerPeer), bytes(m.idleRss), bytes(m.bareRss), x(m.rssPerPeer, j.rssPerPeer), x(m.heapPerPeer, j.heapPerPeer)];
    }),
  );
  console.log('\n(native/fallback RSS/peer: ' + x(mem.native && mem.native.rssPerPeer, mem.js && mem.js.rssPerPeer) + ', heap/peer: ' + x(mem.native && mem.native.heapPerPeer, mem.js && mem.js.heapPerPeer) + ')');

  // Anything that went wrong: errors, dropped peers, lost messages.
  const notes = [];
  for (const s of SUBJECTS) {
    const n = net[s.key] || {};
    if (n.error) notes.push(`${s.label}: ${n.error.split('\n')[0]}`);
    for (const [key, r] of Object.entries(n.throughput || {})) for (const h of r.health || []) notes.push(`${s.label}, ${key.replace(':', ' nodes, ')} B: ${h}`);
    for (const h of (n.rtt && n.rtt['2:100'] && n.rtt['2:100'].health) || []) notes.push(`${s.label}, round trip: ${h}`);
    const m = mem[s.key];
    if (m && m.error) notes.push(`${s.label}, memory: ${m.error.split('\n')[0]}`);
  }
  if (notes.length) {
    console.log('\nProblems seen:');
    for (const n of notes) console.log('  - ' + n);
  }

  saveResults('mesh', { runMs, runs, peersK: k, subjects: SUBJECTS.map(({ key, label }) => ({ key, label })), net, memory: mem, notes });
  const failed = SUBJECTS.some((s) => (net[s.key] || {}).error);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
