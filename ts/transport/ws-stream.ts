/**
 * A WebSocket as a ByteStream (PROTOCOL.md §2.3): every write is one binary
 * message (the framing layer writes one whole frame per call); incoming binary
 * messages are appended to the byte stream, so frames split across messages
 * or several frames in one message parse as on TCP. Text messages are refused
 * (js2p re-encoded them lossily). Works over `ws` in Node and the browser's
 * WebSocket: both have send/close/readyState/bufferedAmount.
 */
import { EventEmitter } from 'events';
import { TextMessageError } from '../base/errors';

/** The part of a WebSocket (ws or the browser's) the stream uses. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate?(): void;
}

const OPEN = 1;

export class WebSocketStream extends EventEmitter {
  destroyed = false;
  private closeTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * Where the socket's bytes are watched (Node): tells since when a message
   * has been incomplete. The browser's WebSocket shows no bytes: none there.
   */
  messageWatch: { readonly startedAt: number; readonly bytes: number } | null = null;

  constructor(
    readonly ws: WebSocketLike,
    public remoteAddress?: string,
    public remotePort?: number,
  ) {
    super();
  }

  /** ByteStream.incompleteSince: when the incomplete WebSocket message began to arrive (0: none). */
  get incompleteSince(): number {
    return this.messageWatch?.startedAt ?? 0;
  }

  /** ByteStream.incompleteBytes: bytes of the incomplete WebSocket message that ws holds. */
  get incompleteBytes(): number {
    return this.messageWatch?.bytes ?? 0;
  }

  get writableLength(): number {
    return this.ws.bufferedAmount;
  }

  /** `done` runs once ws handed the message to the socket (Node), or at once (the browser cannot tell). */
  write(data: Uint8Array, done?: (err?: Error | null) => void): boolean {
    if (this.destroyed || this.ws.readyState !== OPEN) return false;
    if (this.callsBack) this.ws.send(data, done);
    else {
      this.ws.send(data);
      done?.();
    }
    return true;
  }

  /** Whether ws.send takes a callback (the `ws` package does; the browser's WebSocket does not). */
  callsBack = false;

  /** Called by the adapter for each incoming message. */
  receive(data: Uint8Array | string, isBinary: boolean): void {
    if (this.destroyed) return;
    if (!isBinary || typeof data === 'string') {
      this.destroy(undefined, 1003); // 1003: unsupported data
      this.emit('error', new TextMessageError('received a text WebSocket message; polyp2p frames travel only as binary messages'));
      return;
    }
    this.emit('data', Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  /** Close the WebSocket (close frame, then a hard close after 1 s if the peer does not answer). */
  destroy(_error?: Error, code = 1000): void {
    if (this.destroyed) return;
    this.destroyed = true;
    try {
      if (this.ws.readyState <= OPEN) this.ws.close(code);
    } catch {
      // already closing
    }
    if (this.ws.terminate) {
      this.closeTimer = setTimeout(() => this.ws.terminate?.(), 1000);
      (this.closeTimer as { unref?: () => void }).unref?.();
    }
  }

  /** Called by the adapter when the WebSocket has closed. */
  closed(): void {
    this.destroyed = true;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.emit('close');
  }
}
