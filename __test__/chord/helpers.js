'use strict';
const { createChord } = require('../../dist/index.js');
const { waitFor, sleep } = require('../helpers/mesh');

/** A polyp2p ring of `n` nodes, each introduced to one earlier node only; all closed by teardown. */
async function ring(t, n, options = {}) {
  const nodes = [];
  t.teardown(() => Promise.all(nodes.map((x) => x.close({ leave: false }))));
  for (let i = 0; i < n; i++) {
    const node = await createChord({ host: '127.0.0.1', port: 0, keepAliveInterval: 0, stabilizeInterval: 200, failureTimeout: 8000, ...options });
    nodes.push(node);
    if (i) await node.connect('127.0.0.1', nodes[(i * 7) % i].port);
  }
  await converged(nodes);
  return nodes;
}

/** Every node sees the whole ring. */
async function converged(nodes, ms = 15000) {
  await waitFor(() => nodes.every((x) => x.chordStats().ringSize === nodes.length && x.mode === 'overlay'), ms, `ring of ${nodes.length} to converge`);
}

/** Live copies of each (table, position) over `nodes`. */
function copies(nodes) {
  const count = new Map();
  for (const n of nodes) for (const it of n.store.all()) if (it.value !== undefined) count.set(it.table + it.pos, (count.get(it.table + it.pos) || 0) + 1);
  return count;
}

module.exports = { ring, converged, copies, waitFor, sleep };
