'use strict';
// A WebSocket client written by hand on a TCP socket, for hostile tests: it sends
// frames the `ws` client would never send (a first fragment and then nothing,
// a message dripped byte by byte). Frames from the server are discarded.
const net = require('net');
const crypto = require('crypto');

/** One masked client frame (RFC 6455 §5.2); `length` may announce more than `payload` holds. */
function clientFrame(opcode, payload, { fin = true, length = payload.length } = {}) {
  const head = [(fin ? 0x80 : 0) | opcode, 0x80];
  let ext = Buffer.alloc(0);
  if (length < 126) head[1] |= length;
  else if (length < 65536) {
    head[1] |= 126;
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(length);
  } else {
    head[1] |= 127;
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(length));
  }
  const key = crypto.randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i % 4];
  return { bytes: Buffer.concat([Buffer.from(head), ext, key, body]), key };
}

/** Mask more payload bytes of a frame started with clientFrame (offset: bytes of payload already sent). */
function maskMore(payload, key, offset) {
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[(offset + i) % 4];
  return body;
}

function upgradeRequest(port) {
  return (
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
}

/** A raw ws client that completed the upgrade; closed by t.teardown. */
async function rawWsClient(t, port) {
  const sock = net.connect({ host: '127.0.0.1', port });
  sock.on('error', () => {});
  let closed = false;
  sock.on('close', () => (closed = true));
  t.teardown(() => sock.destroy());
  await new Promise((res, rej) => sock.once('connect', res).once('error', rej));
  sock.write(upgradeRequest(port));
  const response = await new Promise((resolve, reject) => {
    let got = '';
    const onData = (d) => {
      got += d.toString('latin1');
      if (!got.includes('\r\n\r\n')) return;
      sock.off('data', onData);
      resolve(got);
    };
    sock.on('data', onData);
    sock.once('close', () => reject(new Error(`closed during the upgrade: ${got}`)));
    setTimeout(() => reject(new Error('no upgrade response within 3 s')), 3000).unref();
  });
  if (!response.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${response.split('\r\n')[0]}`);
  sock.resume(); // discard the server's frames
  return {
    sock,
    get closed() {
      return closed;
    },
    /** One whole binary message. */
    sendBinary(payload) {
      sock.write(clientFrame(2, payload).bytes);
    },
  };
}

module.exports = { rawWsClient, clientFrame, maskMore, upgradeRequest };
