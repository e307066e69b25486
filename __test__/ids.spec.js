'use strict';
const test = require('ava');
const p = require('../dist/index.js');
const { IMPLS, load, vectorTest } = require('./helpers/vectors');

vectorTest(test, 'node-id preimages of both originals are rebuilt from their inputs', (t) => {
  for (const impl of IMPLS) {
    for (const x of load(`${impl}/node-ids.json`).ids) {
      const pre =
        impl === 'js2p'
          ? p.js2pNodeIdPreimage(x.bind_addr, x.bind_port, x.protocol_id, x.user_salt)
          : p.py2pNodeIdPreimage(...(x.out_addr ? x.out_addr : [x.bind_addr, x.bind_port]), x.protocol_id, x.user_salt);
      t.is(pre, x.preimage_utf8, `${impl} ${x.socket}`);
      t.is(p.nodeId(pre), x.id);
    }
  }
});

test('reply request ids follow §7.4', (t) => {
  const id = p.requestId('sender', 1500000000);
  t.is(id, p.nodeId('sender' + p.base58Encode(1500000000)));
  t.regex(id, /^[1-9A-HJ-NP-Za-km-z]+$/);
});

test('compression negotiation (§6.2)', (t) => {
  t.is(p.negotiateCompression([0x20, 0x13, 0x11], [0x13, 0x11]), 0x13);
  t.is(p.negotiateCompression([0x20, 0x13], []), null);
  t.deepEqual(p.receiveOrder([0x20, 0x13, 0x11, 0x10, 0x12], [0x11, 0x99, 0x20]), [0x11, 0x20]);
});
