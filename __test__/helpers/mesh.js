'use strict';
// Helpers for mesh tests: nodes on loopback, bounded waits, raw protocol peers.
const net = require('net');
const { createMesh } = require('../../dist/index.js');
const { core } = require('../../dist/native.js');

/**
 * Poll `cond` every 10 ms until true; fail after `ms` with `what`. After the deadline it reads
 * what arrived meanwhile (setImmediate: after a stall, timers run before pending socket data)
 * and asks once more, so one stall longer than the time left does not fail a condition that holds.
 */
async function waitFor(cond, ms = 5000, what = 'condition') {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setImmediate(r));
  if (await cond()) return;
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `count` mesh nodes; all closed by t.teardown. */
async function startNodes(t, count, options = {}) {
  const nodes = [];
  for (let i = 0; i < count; i++) nodes.push(await createMesh({ host: '127.0.0.1', port: 0, keepAliveInterval: 0, ...options }));
  t.teardown(() => Promise.all(nodes.map((n) => n.close())));
  return nodes;
}

/** A raw TCP peer speaking the wire protocol by hand (for probes and hostile input). */
// `localAddress` binds the peer's end (another loopback address, e.g. 127.0.0.2, stands for another host).
async function rawPeer(t, port, { handshake = true, protocolId, id = 'RawPeer1111111111111111111111111111111111111111111111111111111111', compression = [], decodeWith = compression, localAddress } = {}) {
  const sock = net.connect({ host: '127.0.0.1', port, localAddress });
  await new Promise((res, rej) => sock.once('connect', res).once('error', rej));
  const decoder = core.createFrameDecoder(1 << 26);
  const received = [];
  let closed = false;
  sock.on('data', (d) => {
    for (const body of decoder.push(d)) {
      try {
        // Like a real peer (§6.2): try only the methods this peer advertised
        // (decodeWith: the lists it renegotiated to as well).
        received.push(core.decodeBody(body, decodeWith.filter((m) => core.compressionMethods.includes(m)), 1 << 26));
      } catch (e) {
        received.push({ error: e });
      }
    }
  });
  sock.on('error', () => {});
  sock.on('close', () => (closed = true));
  t.teardown(() => sock.destroy());
  const now = () => Math.floor(Date.now() / 1000);
  const peer = {
    sock,
    id,
    received,
    get closed() {
      return closed;
    },
    send(mainFlag, payload, sender = id, time = now()) {
      sock.write(core.encodeMessage([mainFlag, sender, time, ...payload], null).frame);
    },
    handshake(pid) {
      peer.send(2, [5, id, pid, ['127.0.0.1', 1], compression]);
    },
  };
  if (handshake) peer.handshake(protocolId);
  return peer;
}

module.exports = { waitFor, sleep, startNodes, rawPeer };
