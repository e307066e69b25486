'use strict';
// Helpers for sync tests: polyp2p sync nodes on loopback, closed by t.teardown.
const { createSync } = require('../../dist/index.js');
const { waitFor } = require('../helpers/mesh');

async function startSync(t, count, options = {}) {
  const nodes = [];
  for (let i = 0; i < count; i++) nodes.push(await createSync({ host: '127.0.0.1', port: 0, keepAliveInterval: 0, maxOutgoing: 0, antiEntropyInterval: 0, ...options }));
  t.teardown(() => Promise.all(nodes.map((n) => n.close())));
  return nodes;
}

/** Connect a to b and wait until both have the other in their routing table and know it is polyp2p. */
async function link(a, b) {
  await a.connect('127.0.0.1', b.port);
  await waitFor(() => a.peers.get(b.id)?.answersPings && b.peers.get(a.id)?.answersPings, 5000, 'link with capability ping answered');
}

/** Drop every connection of `node` and wait until its peers noticed. */
async function isolate(node, others) {
  for (const p of node.peers.values()) p.close();
  await waitFor(() => node.peers.size === 0 && others.every((o) => !o.peers.has(node.id)), 5000, 'partition');
}

const snapshot = (n) => JSON.stringify([...n.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));

async function converged(nodes, ms = 5000, what = 'replicas to agree') {
  await waitFor(() => nodes.every((n) => snapshot(n) === snapshot(nodes[0])), ms, what);
}

module.exports = { startSync, link, isolate, snapshot, converged };
