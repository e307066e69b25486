/**
 * TLS transport ("SSL", PROTOCOL.md §2.2). Interoperates with js2p and py2p
 * 0.7.870 (self-signed, unverified certificates) and adds peer
 * authentication: a private CA (`tls.ca` + `rejectUnauthorized`) and node-ID
 * pinning (see TlsOptions.pinning and docs/transports.md).
 */
import * as net from 'net';
import * as tls from 'tls';
import type { ByteStream } from '../base/byte-stream';
import { PeerAuthError, TransportHandshakeError } from '../base/errors';
import { firstCertificate, pinnedNodeId, pinnedSalt, selfSignedCertificate, spkiFingerprint } from './certificate';

export { pinnedNodeId } from './certificate';
import { closeServer, listenTcp } from './tcp';
import { PendingConnection } from './pending';
import type { PeerClaim, TlsOptions, Transport, TransportConfig, TransportServer } from './transport';

export class TlsTransport implements Transport {
  readonly name = 'SSL';
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  readonly idSalt?: string;
  readonly pinning: 'opportunistic' | 'required' | 'off';
  /** IDs that proved their key on some connection: later claims must prove it too. */
  readonly pinnedIds = new Set<string>();
  /** IDs remembered as pinned, at most (the oldest forgotten first): peers can prove many IDs with one key. */
  maxPinnedIds = 4096;
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

  /**
   * Accepts TCP connections itself and reports each one as pending before the
   * TLS server sees a byte of it (Transport.listen): refused connections cost
   * no TLS state, and a handshake that never completes is the node's to time out.
   */
  async listen(host: string, port: number, onConnection: (stream: ByteStream, pending?: PendingConnection) => void, onPending?: (pending: PendingConnection) => boolean): Promise<TransportServer> {
    const pendingOf = new WeakMap<net.Socket, PendingConnection>();
    const tlsServer = this.handshakeServer();
    tlsServer.on('secureConnection', (socket: tls.TLSSocket) => {
      const pending = pendingOf.get(acceptedSocketOf(socket));
      if (pending && !pending.ready()) return socket.destroy();
      if (socket.getPeerX509Certificate()) this.certifiedClients.add(socket);
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 30_000);
      onConnection(socket, pending);
    });
    // A failed TLS handshake (wrong CA, plaintext client) only concerns that client.
    tlsServer.on('tlsClientError', (err, socket) => {
      pendingOf.get(acceptedSocketOf(socket))?.fail(tlsHandshakeFailure(err));
      socket.destroy();
    });
    const server = await listenTcp(host, port, (raw) => {
      const pending = new PendingConnection('TLS handshake', raw.remoteAddress, raw.remotePort, () => raw.destroy());
      if (onPending && !onPending(pending)) return raw.destroy();
      pendingOf.set(raw, pending);
      raw.once('close', () => pending.fail());
      tlsServer.emit('connection', raw);
    });
    return { port: (server.address() as net.AddressInfo).port, close: () => closeServer(server) };
  }

  /** A TLS server that never listens: accepted sockets are handed to it (its 'connection' event). */
  private handshakeServer(): tls.Server {
    const o = this.options;
    return tls.createServer({
      key: this.key,
      cert: this.cert,
      ca: o.ca,
      // Ask for a client certificate (for pinning and CA checks); the originals send none, which is fine unless rejectUnauthorized.
      requestCert: true,
      rejectUnauthorized: o.rejectUnauthorized ?? false,
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
        ...(o.checkServerIdentity ? { checkServerIdentity: o.checkServerIdentity } : {}),
        ...(net.isIP(host) ? {} : { servername: host }),
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(Object.assign(new Error(`no TLS handshake within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      }, timeoutMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', reject);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        resolve(socket);
      });
      socket.once('error', (e: Error) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  /** A client that presented a certificate is a polyp2p node: answer its connection with our handshake at once. */
  handshakeAtOnce(stream: ByteStream): boolean {
    return this.certifiedClients.has(stream);
  }

  /** Remember `id` as pinned, most recent last; the oldest is forgotten past MAX_PINNED_IDS. */
  private rememberPinned(id: string): void {
    this.pinnedIds.delete(id);
    this.pinnedIds.add(id);
    if (this.pinnedIds.size > this.maxPinnedIds) this.pinnedIds.delete(this.pinnedIds.values().next().value as string);
  }

  verifyPeer(stream: ByteStream, claim: PeerClaim): { pinned: boolean } {
    if (this.pinning === 'off') return { pinned: false };
    const cert = (stream as tls.TLSSocket).getPeerX509Certificate?.();
    const pinned = !!cert && !!claim.addr && pinnedNodeId(claim.addr, claim.protocolId, cert) === claim.id;
    if (pinned) {
      this.rememberPinned(claim.id);
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

/**
 * The TCP socket a server-side TLSSocket wraps. Node's TLS server keeps it as
 * `_parent` (since Node 0.11; undocumented, so the TLS tests cover it).
 */
function acceptedSocketOf(socket: tls.TLSSocket): net.Socket {
  return (socket as unknown as { _parent: net.Socket })._parent;
}

/** Why a client's TLS handshake failed, or undefined when it just closed the connection. */
function tlsHandshakeFailure(err: Error & { code?: string; reason?: string }): Error | undefined {
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return undefined;
  return new TransportHandshakeError(`TLS handshake failed (${err.reason ?? err.code ?? err.message}): the client does not speak TLS, or its certificate was refused; this node runs encryption "SSL"`);
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
