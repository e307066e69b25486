'use strict';
// TLS test helpers: a private CA (node-forge) and a man-in-the-middle proxy.
const tls = require('tls');
const net = require('net');
const forge = require('node-forge');
const { generateKeyPairSync } = require('crypto');
const { selfSignedCertificate } = require('../../dist/transport/certificate.js');

function rsaKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  return forge.pki.privateKeyFromPem(privateKey);
}

function makeCert({ subject, issuer, issuerKey, publicKey, ca, serial }) {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial;
  cert.validity.notBefore = new Date(Date.now() - 3600e3);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600e3);
  cert.setSubject([{ name: 'commonName', value: subject }]);
  cert.setIssuer([{ name: 'commonName', value: issuer }]);
  cert.setExtensions(
    ca
      ? [{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true }]
      : [{ name: 'basicConstraints', cA: false }, { name: 'extKeyUsage', serverAuth: true, clientAuth: true }, { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  );
  cert.sign(issuerKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** A private CA that issues node certificates valid for 127.0.0.1. */
function privateCa() {
  const caKey = rsaKey();
  const caPub = forge.pki.setRsaPublicKey(caKey.n, caKey.e);
  const ca = makeCert({ subject: 'polyp2p test CA', issuer: 'polyp2p test CA', issuerKey: caKey, publicKey: caPub, ca: true, serial: '01' });
  let serial = 2;
  return {
    ca,
    issue(name) {
      const key = rsaKey();
      const cert = makeCert({ subject: name, issuer: 'polyp2p test CA', issuerKey: caKey, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), serial: (serial++).toString(16).padStart(2, '0') });
      return { key: forge.pki.privateKeyToPem(key), cert };
    },
  };
}

/**
 * A man in the middle: terminates TLS with its own certificate on both sides
 * and copies the bytes between the client and `target`. Closed by t.teardown.
 */
async function mitmProxy(t, targetPort) {
  const own = selfSignedCertificate('mitm');
  const sockets = new Set();
  const server = tls.createServer({ ...own, requestCert: true, rejectUnauthorized: false }, (client) => {
    const upstream = tls.connect({ host: '127.0.0.1', port: targetPort, ...own, rejectUnauthorized: false });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => (client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });
  return { port: server.address().port, sockets };
}

module.exports = { privateCa, mitmProxy };
