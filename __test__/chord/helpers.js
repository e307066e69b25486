'use strict';
const { createChord } = require('../../dist/index.js');
const { waitFor, sleep } = require('../helpers/mesh');
const { core } = require('../../dist/native.js');

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

/** How many of the live `nodes` have a successor or predecessor other than the true one by ring position. */
function wrongNeighbours(nodes) {
  const live = nodes.filter((n) => !n.closed).sort((a, b) => (core.base58DecodeInt(a.id) < core.base58DecodeInt(b.id) ? -1 : 1));
  let wrong = 0;
  live.forEach((n, i) => {
    const succ = n.overlay.successors[0];
    const pred = n.overlay.predecessors[0];
    if (!succ || succ.id !== live[(i + 1) % live.length].id || !pred || pred.id !== live[(i - 1 + live.length) % live.length].id) wrong++;
  });
  return wrong;
}

/** Converged: with the full overlay every node sees the whole ring; with 'log', every node has its true successor and predecessor. */
async function converged(nodes, ms = 15000) {
  const log = nodes[0] && nodes[0].chord.overlay === 'log';
  const done = log ? () => nodes.every((x) => x.mode === 'overlay') && wrongNeighbours(nodes) === 0 : () => nodes.every((x) => x.chordStats().ringSize === nodes.length && x.mode === 'overlay');
  await waitFor(done, ms, `ring of ${nodes.length} to converge`);
}

/** Live copies of each (table, position) over `nodes`. */
function copies(nodes) {
  const count = new Map();
  for (const n of nodes) for (const it of n.store.all()) if (it.value !== undefined) count.set(it.table + it.pos, (count.get(it.table + it.pos) || 0) + 1);
  return count;
}

module.exports = { ring, converged, wrongNeighbours, copies, waitFor, sleep };
