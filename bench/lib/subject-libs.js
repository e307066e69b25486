'use strict';
// The network subjects' libraries, loaded and set up the way every network
// benchmark runs them (bench/mesh-worker.js, bench/mesh32-worker.js,
// bench/procs-node.js): polyp2p with the backend the subject names, checked;
// js2p 0.7.870 uncompressed and without automatic dialing; the raw-TCP
// ceiling's pre-encoded frames.
const { requireJs2p } = require('./worker-util');

/**
 * polyp2p's public API, after checking that `subject` ('native' or 'js', the
 * latter under POLYP2P_FORCE_JS=1) got the backend it names.
 */
function loadPolyp2p(subject) {
  const lib = require('../../dist/index.js');
  if (subject === 'native' && lib.backend !== 'native') throw new Error(`native backend not loaded (${lib.backendSource})`);
  if (subject === 'js' && lib.backend === 'native') throw new Error('POLYP2P_FORCE_JS=1 did not select the fallback');
  return lib;
}

/**
 * createMesh options of the benchmarks: loopback, any port, no dialing from
 * peer lists (the topology stays as built), no keep-alives, and compression off
 * (the raw-TCP ceiling sends uncompressed frames, and js2p is set alike).
 */
const POLYP2P_BENCH_OPTIONS = Object.freeze({ host: '127.0.0.1', port: 0, maxOutgoing: 0, keepAliveInterval: 0, compression: [] });

/** js2p 0.7.870's base and mesh modules: uncompressed, as the other subjects, and no dialing from peer lists. */
function loadJs2pMesh() {
  const { base, mesh } = requireJs2p('base', 'mesh');
  base.compression.splice(0);
  mesh.max_outgoing = 0;
  return { base, mesh };
}

/**
 * A builder of raw frames exactly as a mesh node sends them
 * ([mainFlag, sender ID, time, mainFlag, payload], checksummed and framed),
 * for the raw-TCP ceiling, which writes them pre-encoded.
 */
function rawFrameBuilder() {
  const lib = require('../../dist/index.js');
  const id = lib.nodeId(Buffer.from(`(127.0.0.1, 1)${lib.protocolId('mesh', 'Plaintext')}raw-bench`));
  return (mainFlag, payload) => lib.encodeMessage([mainFlag, id, Math.floor(Date.now() / 1000), mainFlag, payload], null).frame;
}

module.exports = { loadPolyp2p, POLYP2P_BENCH_OPTIONS, loadJs2pMesh, rawFrameBuilder };
