'use strict';
// A victim node in its own process (so that a crash is observable): prints its
// port and protocol ID as one JSON line. argv[2]: JSON options for createMesh.
const path = require('path');
const { createMesh } = require(path.join(__dirname, '../../dist/index.js'));
(async () => {
  const options = JSON.parse(process.argv[2] || '{}');
  const node = await createMesh({ host: '127.0.0.1', port: 0, ...options });
  node.on('peerError', () => {});
  process.stdout.write(JSON.stringify({ port: node.port, protocolId: node.protocolId, id: node.id }) + '\n');
})();
