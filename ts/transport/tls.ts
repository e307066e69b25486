/**
 * TLS transport ("SSL", PROTOCOL.md §2.2). Interoperates with js2p and py2p
 * 0.7.870 (self-signed, unverified certificates) and adds peer
 * authentication: a private CA (`tls.ca` + `rejectUnauthorized`) and node-ID
 * pinning (see TlsOptions.pinning and README "TLS security model").
 */
import * as net from 'net';
import * as tls from 'tls';
import type { ByteStream } from '../base/connection';
import { PeerAuthError } from '../base/errors';
import { js2pNodeIdPreimage, nodeId } from '../base/ids';
import { firstCertificate, pinnedSalt, selfSignedCertificate, spkiFingerprint } from './certificate';
import { closeServer } from './tcp';
import type { PeerClaim, TlsOptions, Transport, TransportConfig, TransportServer } from './transport';

/** The ID a peer with this certificate and handshake address must have if it pins its ID. */
export function pinnedNodeId(addr: [string, number], protocolId: string, cert: import('crypto').X509Certificate): string {
  return nodeId(js2pNodeIdPreimage(addr[0], addr[1], protocolId, pinnedSalt(spkiFingerprint(cert))));
}

export class TlsTransport implements Transport {
  readonly name = 'SSL';
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  readonly idSalt?: string;
  readonly pinning: 'opportunistic' | 'required' | 'off';
  /** IDs that proved their key on some connection: later claims must prove it too. */
  readonly pinnedIds = new Set<string>();
  /** Incoming connections whose client presented a certificate: originals never do, polyp2p always does. */
  private readonly certifiedClients = new WeakSet<object>();

  constructor(readonly options: TlsOptions = {}) {
    if (!!options.key !== !!options.cert) throw new TypeError('tls.key and tls.cert must be given together');
    const kc = options.key && options.cert ? { key: options.key, cert: options.cert } : selfSignedCertificate();
    this.key = kc.key;
    this.cert = kc.cert;
    this.pinning = options.pinning ?? 'opportunistic';
    if (!['opportunistic', 'required', 'off'].includes(this.pinning)) throw new TypeError(`tls.pinning must be 'opportunistic', 'required' or 'off', not ${JSON.stringify(this.pinning)}`);
    if (this.pinning !== 'off') this.idSalt = pinnedSalt(spkiFingerprint(firstCertificate(this.cert)));
  }

  configure(config: TransportConfig): Transport {
    return new TlsTransport(config.tls ?? {});
  }

  listen(host: string, port: number, onConnection: (stream: ByteStream) => void): Promise<TransportServer> {
    const o = this.options;
    return new Promise((resolve, reject) => {
      const server = tls.createServer(
        {
          key: this.key,
          cert: this.cert,
          ca: o.ca,
          // Ask for a client certificate (for pinning and CA checks); the originals send none, which is fine unless rejectUnauthorized.
          requestCert: true,
          rejectUnauthorized: o.rejectUnauthorized ?? false,
        },
        (socket) => {
          if (socket.getPeerX509Certificate()) this.certifiedClients.add(socket);
          socket.setNoDelay(true);
          socket.setKeepAlive(true, 30_000);
          onConnection(socket);
        },
      );
      // A failed TLS handshake (wrong CA, plaintext client) only concerns that client.
      server.on('tlsClientError', (_err, socket) => socket.destroy());
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', () => {});
        resolve({ port: (server.address() as net.AddressInfo).port, close: () => closeServer(server) });
      });
    });
  }

  dial(host: string, port: number, timeoutMs: number): Promise<ByteStream> {
    const o = this.options;
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host,
        port,
        key: this.key,
        cert: this.cert,
        ca: o.ca,
        rejectUnauthorized: o.rejectUnauthorized ?? false,
        ...(o.checkServerIdentity ? { checkServerIdentity: o.checkServerIdentity as tls.ConnectionOptions['checkServerIdentity'] } : {}),
        ...(net.isIP(host) ? {} : { servername: host }),
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no TLS handshake within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', reject);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        resolve(socket);
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  /** A client that presented a certificate is a polyp2p node: answer its connection with our handshake at once. */
  handshakeAtOnce(stream: ByteStream): boolean {
    return this.certifiedClients.has(stream);
  }

  verifyPeer(stream: ByteStream, claim: PeerClaim): { pinned: boolean } {
    if (this.pinning === 'off') return { pinned: false };
    const cert = (stream as tls.TLSSocket).getPeerX509Certificate?.();
    const pinned = !!cert && !!claim.addr && pinnedNodeId(claim.addr, claim.protocolId, cert) === claim.id;
    if (pinned) {
      this.pinnedIds.add(claim.id);
      if (claim.expectedId && claim.expectedId !== claim.id && (this.pinning === 'required' || this.pinnedIds.has(claim.expectedId))) {
        throw new PeerAuthError(`expected node ${claim.expectedId.slice(0, 12)}… but the peer proved ${claim.id.slice(0, 12)}…; connection refused`);
      }
      return { pinned };
    }
    const why = cert ? 'its ID is not derived from its certificate key' : 'it presented no certificate';
    if (this.pinning === 'required') throw new PeerAuthError(`peer ${claim.id.slice(0, 12)}… is not pinned (${why}) and tls.pinning is 'required'; connection refused`);
    for (const id of [claim.id, claim.expectedId]) {
      if (id && this.pinnedIds.has(id)) {
        throw new PeerAuthError(`node ${id.slice(0, 12)}… proved its key before, but this peer cannot (${why}): possible man in the middle; connection refused`);
      }
    }
    return { pinned: false };
  }
}

/** The registered default; MeshNode configures one instance per node (its own key and certificate). */
export const tlsTransport: Transport = {
  name: 'SSL',
  listen: (...a) => lazyDefault().listen(...a),
  dial: (...a) => lazyDefault().dial(...a),
  configure: (config) => new TlsTransport(config.tls ?? {}),
};
let shared: TlsTransport | null = null;
function lazyDefault(): TlsTransport {
  return (shared ??= new TlsTransport());
}
