'use strict';
// Helpers for sync tests: polyp2p sync nodes on loopback, closed by t.teardown.
const { createSync } = require('../../dist/index.js');
const { waitFor, rawPeer } = require('../helpers/mesh');

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

/**
 * A raw peer that answers like a polyp2p node (a pong advertising `limit`), so the node sends it
 * anti-entropy messages and takes its digests, wants and entries. `bodies()` lists the frame
 * bodies it received (bytes, sub-flag, payload).
 */
async function rawPolyp2p(t, node, { id = 'RawPolyp2p', limit = 16 * 1024 * 1024 } = {}) {
  const p = await rawPeer(t, node.port, { protocolId: node.protocolId, id });
  await waitFor(() => node.peers.has(id), 5000, 'raw peer handshake');
  p.send(4, [4, limit]); // pong: "a polyp2p node accepting bodies up to `limit`"
  await waitFor(() => node.peers.get(id)?.answersPings, 5000, 'raw peer known as polyp2p');
  p.bodies = (sub) => p.received.filter((m) => m.packets && m.packets[3] === sub).map((m) => ({ bytes: m.msgpack.length + 32, payload: m.packets.slice(3) }));
  return p;
}

module.exports = { startSync, link, isolate, snapshot, converged, rawPolyp2p };
