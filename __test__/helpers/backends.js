'use strict';
// Every backend the tests must cover: the TypeScript fallback always, the
// native addon unless POLYP2P_FORCE_JS=1. Under CI=true a missing addon is a
// failure (reported by loader.spec.js), not a silent skip.
const { jsBackend, loadNativeBackend } = require('../../dist/native.js');

const backends = [jsBackend];
let nativeProblem = null;
if (process.env.POLYP2P_FORCE_JS !== '1') {
  const native = loadNativeBackend();
  // what `core` is when the addon loads: the addon's operations, TypeScript for the rest (hybrid-backend.ts)
  if (native.backend) backends.push(native.backend);
  else nativeProblem = `${native.source}${native.loadErrors.length ? ': ' + native.loadErrors.join('; ') : ''}`;
}

module.exports = { backends, nativeProblem, jsBackend };
