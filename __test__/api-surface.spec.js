'use strict';
// The main entry's surface (issue 21, point 5): the typed API, the js2p-compatible modules and
// classes, typed errors, the base layer's protocol tools and documented constants; internals
// stay in their modules. The whole typed surface is recorded in etc/polyp2p.api.md, which
// `npm test` checks with API Extractor (a change shows in review); this file checks the values.
const test = require('ava');
const polyp2p = require('../dist/index.js');
const errors = require('../dist/base/errors.js');

test('every typed error class is exported from the main entry', (t) => {
  const classes = Object.entries(errors).filter(([, v]) => typeof v === 'function' && (v === errors.Polyp2pError || v.prototype instanceof errors.Polyp2pError));
  t.true(classes.length > 30);
  t.deepEqual(
    classes.filter(([name]) => polyp2p[name] !== errors[name]).map(([name]) => name),
    [],
  );
});

test('internals are not exported from the main entry', (t) => {
  const internals = ['core', 'hex', 'toTypedError', 'asConnectionError', 'encodeFrame', 'chordPositions', 'ringDistance', 'ringBetween', 'fingerTargets', 'closestPreceding', 'leaseAllows', 'compareVersions', 'transportFor', 'TlsTransport', 'WsTransport', 'spkiFingerprint', 'pinnedSalt'];
  t.deepEqual(
    internals.filter((name) => name in polyp2p),
    [],
  );
});

test('the main entry exports the typed API, the compat modules and the test network', (t) => {
  for (const name of ['createMesh', 'createSync', 'createChord', 'MeshNode', 'SyncNode', 'ChordNode', 'MeshSocket', 'SyncSocket', 'ChordSocket', 'base', 'mesh', 'sync', 'chord', 'ford', 'bootstrap', 'MemoryNetwork', 'AbortError', 'backend', 'version']) {
    t.truthy(polyp2p[name], name);
  }
  const values = Object.keys(polyp2p);
  const errorClasses = values.filter((k) => typeof polyp2p[k] === 'function' && /Error$/.test(k));
  t.log(`${values.length} exported values (${errorClasses.length} error classes)`);
});
