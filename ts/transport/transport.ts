/**
 * What the mesh needs from a transport: accept connections, dial out, and give
 * byte streams (ByteStream) to the framing layer. TCP ("Plaintext"), TLS
 * ("SSL") and WebSocket ("ws") implement it; so can an in-memory transport.
 */
import type { ByteStream } from '../base/byte-stream';
import type { PendingConnection } from './pending';

export type { PendingConnection } from './pending';

export interface TransportServer {
  /** The bound port (useful after listening on port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** TLS options (encryption "SSL"); see docs/transports.md. */
export interface TlsOptions {
  /** PEM private key; with `cert`. Default: a fresh RSA-2048 key and self-signed certificate. */
  key?: string | Buffer;
  /** PEM certificate (chain) for `key`. */
  cert?: string | Buffer;
  /** CA certificate(s) that peers' certificates must chain to (a private CA). */
  ca?: string | Buffer | Array<string | Buffer>;
  /**
   * Refuse peers whose certificate does not verify against `ca` (both
   * directions: servers then require client certificates). Default false,
   * as the originals verify nothing.
   */
  rejectUnauthorized?: boolean;
  /** Passed to tls.connect: hostname check for servers (default Node's; only used with rejectUnauthorized). */
  checkServerIdentity?: (host: string, cert: unknown) => Error | undefined;
  /**
   * Node-ID pinning: this node's ID is derived from its certificate's public
   * key, and peers' IDs are checked against theirs.
   *  - 'opportunistic' (default): peers whose ID matches are marked pinned and
   *    remembered; a later connection claiming a remembered pinned ID (or
   *    dialled expecting one) without the matching key is refused. Originals
   *    (js2p, py2p) are accepted, unauthenticated.
   *  - 'required': every peer must prove its ID, and a dial made with an
   *    expected ID must reach that ID. Only polyp2p TLS nodes can join.
   *  - 'off': IDs use the ordinary salt; nothing is checked.
   */
  pinning?: 'opportunistic' | 'required' | 'off';
}

/** Per-node settings a transport may use (from MeshOptions). */
export interface TransportConfig {
  maxFrameSize: number;
  tls?: TlsOptions;
}

/** What a transport knows about a peer's handshake, for identity checks. */
export interface PeerClaim {
  id: string;
  addr: [string, number] | null;
  protocolId: string;
  /** ID the dialler expected (from a peer list or connect({ id })). */
  expectedId: string | null;
}

export interface Transport {
  /** The `encryption` name hashed into the protocol ID (PROTOCOL.md §2). */
  readonly name: string;
  /**
   * Accept connections on host:port. A transport whose connections need a
   * handshake of their own before they carry frames (TLS, the WebSocket
   * upgrade) reports each socket at accept through `onPending`, before
   * reading from it: if that returns false the transport closes the socket at
   * once; otherwise it hands over the stream with `onConnection(stream,
   * pending)` when its handshake completes, or calls `pending.fail()` when it
   * does not. The caller counts pending connections against its peer limit
   * and may `destroy()` them (handshakeTimeout). Transports whose streams are
   * ready at accept (TCP, in-memory) just call `onConnection(stream)`, and
   * callers that pass no `onPending` get every stream when it is ready.
   */
  listen(host: string, port: number, onConnection: (stream: ByteStream, pending?: PendingConnection) => void, onPending?: (pending: PendingConnection) => boolean): Promise<TransportServer>;
  dial(host: string, port: number, timeoutMs: number): Promise<ByteStream>;
  /** A transport instance for one node, configured from its options (TLS keys, ws maxPayload). */
  configure?(config: TransportConfig): Transport;
  /** Salt for this node's ID preimage when the transport binds IDs to a key (TLS pinning). */
  readonly idSalt?: string;
  /**
   * Check a peer's handshake against what the transport authenticated.
   * Returns whether the ID is pinned to the peer's key; throws PeerAuthError to refuse.
   */
  verifyPeer?(stream: ByteStream, claim: PeerClaim): { pinned: boolean };
  /**
   * True when the peer on this stream is known to accept either protocol-ID
   * form (a polyp2p node), so the handshake need not wait to mirror the peer's.
   */
  handshakeAtOnce?(stream: ByteStream): boolean;
}
