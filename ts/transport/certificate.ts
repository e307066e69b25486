/**
 * Self-signed certificates for the TLS transport, made with node-forge (the
 * library js2p uses) over a key from Node's native key generator, and the
 * public-key fingerprint that TLS node-ID pinning hashes into the node ID.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'crypto';
import type * as Forge from 'node-forge';
import { js2pNodeIdPreimage, nodeId } from '../base/ids';

// node-forge is about 1 MiB of JS: loaded on the first certificate, not by every plain-TCP node.
let forgeLib: typeof Forge | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const forge = (): typeof Forge => (forgeLib ??= require('node-forge') as typeof Forge);

export interface KeyAndCertificate {
  key: string;
  cert: string;
}

/** A fresh RSA-2048 key and a self-signed SHA-256 certificate (CN=polyp2p, 1 day back, 10 years ahead). */
export function selfSignedCertificate(commonName = 'polyp2p'): KeyAndCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const cert = forge().pki.createCertificate();
  cert.publicKey = forge().pki.publicKeyFromPem(publicKey);
  const serial = randomBytes(16);
  serial[0] &= 0x7f; // a positive INTEGER
  cert.serialNumber = serial.toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(now + 10 * 365 * 24 * 3600 * 1000);
  const attrs = [{ name: 'commonName', value: commonName }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
  ]);
  // What cert.sign() does, with the RSA signature from OpenSSL instead of forge's
  // JavaScript bignums (35-85 ms of the ~200 ms a new TLS node spent here).
  const f = forge();
  cert.signatureOid = cert.siginfo.algorithmOid = f.pki.oids.sha256WithRSAEncryption;
  // getTBSCertificate is public in node-forge but missing from its type definitions
  const pki = f.pki as unknown as { getTBSCertificate(c: Forge.pki.Certificate): Forge.asn1.Asn1 };
  cert.tbsCertificate = pki.getTBSCertificate(cert);
  const tbs = Buffer.from(f.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, privateKey).toString('binary');
  return { key: privateKey, cert: f.pki.certificateToPem(cert) };
}

/** SHA-256 of the DER SubjectPublicKeyInfo, hex. */
export function spkiFingerprint(cert: X509Certificate): string {
  return createHash('sha256')
    .update(cert.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/**
 * The salt of a pinned node ID: js2p's preimage "(host, port)" + protocolId +
 * salt with this salt makes the ID a commitment to the key. Fixed length, at
 * the end of the preimage, so no other key can yield the same preimage.
 */
export function pinnedSalt(fingerprintHex: string): string {
  return `polyp2p-tls-spki-sha256:${fingerprintHex}`;
}

/** The first certificate of a PEM chain. */
export function firstCertificate(pem: string | Buffer): X509Certificate {
  const text = pem.toString();
  const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text);
  return new X509Certificate(m ? m[0] : text);
}

/** The ID a peer with this certificate and handshake address must have if it pins its ID. */
export function pinnedNodeId(addr: [string, number], protocolId: string, cert: X509Certificate): string {
  return nodeId(js2pNodeIdPreimage(addr[0], addr[1], protocolId, pinnedSalt(spkiFingerprint(cert))));
}
