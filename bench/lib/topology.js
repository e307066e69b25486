'use strict';
// The seeded random mesh of the 32-node benchmarks (bench/mesh32-worker.js, all
// nodes in one process; bench/procs.js, one process per node): a ring (node i
// dials node i+1, so the graph is connected) plus `extraDials` more links per
// node to random other nodes, no duplicate links. Same seed, same graph.

/** A small seeded PRNG (mulberry32): () => uniform in [0, 1). */
function mulberry32(a) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Undirected edges [dialer, listener] of an n-node ring + `extraDials` random
 * links per node, drawn from `rand`; with each node's degree and the diameter.
 */
function topology(n, extraDials, rand) {
  const has = new Set();
  const key = (a, b) => (a < b ? `${a}-${b}` : `${b}-${a}`);
  const edges = [];
  const add = (a, b) => {
    if (a === b || has.has(key(a, b))) return false;
    has.add(key(a, b));
    edges.push([a, b]);
    return true;
  };
  for (let i = 0; i < n; i++) add(i, (i + 1) % n);
  for (let i = 0; i < n; i++) {
    let added = 0;
    for (let tries = 0; added < extraDials && tries < 100; tries++) if (add(i, Math.floor(rand() * n))) added++;
  }
  const degree = new Array(n).fill(0);
  for (const [a, b] of edges) {
    degree[a]++;
    degree[b]++;
  }
  // diameter (BFS from every node)
  const adj = Array.from({ length: n }, () => []);
  for (const [a, b] of edges) {
    adj[a].push(b);
    adj[b].push(a);
  }
  let diameter = 0;
  for (let s = 0; s < n; s++) {
    const dist = new Array(n).fill(-1);
    dist[s] = 0;
    const q = [s];
    for (let h = 0; h < q.length; h++) for (const v of adj[q[h]]) if (dist[v] < 0) (dist[v] = dist[q[h]] + 1), q.push(v);
    diameter = Math.max(diameter, ...dist);
  }
  return { edges, degree, diameter };
}

/** Summary of a topology as the results files record it. */
const describeTopology = (t, seed) => ({
  seed,
  edges: t.edges.length,
  degreeMin: Math.min(...t.degree),
  degreeMean: (2 * t.edges.length) / t.degree.length,
  degreeMax: Math.max(...t.degree),
  diameter: t.diameter,
});

module.exports = { mulberry32, topology, describeTopology };
