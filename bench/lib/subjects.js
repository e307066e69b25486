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

const nativeChoice = loadNativeBackend();
// What `core` is when the addon loads: the addon's operations, TypeScript for the rest (ts/base/hybrid-backend.ts).
const native = nativeChoice.backend;
if (!native) console.log(`native backend not available: ${nativeChoice.source}`);
const js2p = loadJs2p();
if (js2p.error) console.log(`js2p not available: ${js2p.error}`);

module.exports = { native, js: jsBackend, js2p: js2p.error ? null : js2p };
