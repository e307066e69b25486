'use strict';
// The implementations compared side by side in one process.
const { jsBackend, loadNativeBackend } = require('../../dist/native.js');
const { requireJs2p } = require('./worker-util');

function loadJs2p() {
  try {
    const { base, mesh } = requireJs2p('base', 'mesh');
    return { base, mesh, BigInt: require('big-integer') };
  } catch (e) {
    return { error: e.message };
  }
}

const { createHybridBackend } = require('../../dist/base/hybrid-backend.js');
const nativeChoice = loadNativeBackend();
const native = nativeChoice.backend;
// What `core` is when the addon loads: each operation where it measured faster.
const hybrid = native ? createHybridBackend(native, jsBackend) : null;
if (!native) console.log(`native backend not available: ${nativeChoice.source}`);
const js2p = loadJs2p();
if (js2p.error) console.log(`js2p not available: ${js2p.error}`);

module.exports = { native, hybrid, js: jsBackend, js2p: js2p.error ? null : js2p };
