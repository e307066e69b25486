/**
 * A connection a listener accepted that does not carry the protocol yet: its
 * TLS handshake or WebSocket upgrade is under way. A transport reports it at
 * accept, before reading a byte (see Transport.listen), so that the node counts
 * it against maxPeers and closes it when it is not ready within
 * handshakeTimeout: a peer cannot hold sockets by never finishing a handshake.
 *
 * Life cycle: the transport creates it, and then either calls ready() and hands
 * over the stream, or calls fail() when the socket closed or the handshake
 * failed; the node may destroy() it at any time. 'end' is emitted once, with
 * the error that ended it (if any), unless it became ready.
 */
import { EventEmitter } from 'events';

export class PendingConnection extends EventEmitter {
  readonly acceptedAt = Date.now();
  private settled = false;

  constructor(
    /** What the connection is waiting for, for messages: 'TLS handshake', 'WebSocket upgrade'. */
    readonly stage: string,
    readonly remoteAddress: string | undefined,
    readonly remotePort: number | undefined,
    private readonly closeSocket: () => void,
  ) {
    super();
  }

  /** True once it became ready or ended. */
  get done(): boolean {
    return this.settled;
  }

  /** Transport: the handshake completed. False if the node already ended it (then close the stream). */
  ready(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }

  /** Transport: the socket closed or the handshake failed before it was ready (`error` says why, if it failed). */
  fail(error?: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.closeSocket();
    this.emit('end', error);
  }

  /** Node: close it (timeout, shutdown); `reason` is passed on to 'end'. */
  destroy(reason?: Error): void {
    this.fail(reason);
  }
}
