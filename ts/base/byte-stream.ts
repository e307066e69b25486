/** The part of a stream a connection (connection.ts) needs: net.Socket, tls.TLSSocket, a ws adapter. */
export interface ByteStream {
  /** `done` is called once the data left the stream's queue (in write order); a stream that cannot tell calls it at once. */
  write(data: Uint8Array, done?: (err?: Error | null) => void): boolean;
  /** Present on streams whose writes are worth batching (TCP, TLS): the frames of one tick are joined into one write. */
  cork?(): void;
  /** Stop and restart 'data' events (TCP then slows the sender down). */
  pause?(): unknown;
  resume?(): unknown;
  destroy(error?: Error): void;
  /** Half-close after the queued data (TCP: FIN); without it, closing is destroy(). */
  end?(): unknown;
  readonly writableLength: number;
  readonly destroyed: boolean;
  on(event: 'data', fn: (chunk: Buffer) => void): this;
  on(event: 'close', fn: () => void): this;
  on(event: 'error', fn: (err: Error) => void): this;
  on(event: 'incomplete', fn: () => void): this;
  off?(event: 'data', fn: (chunk: Buffer) => void): unknown;
  remoteAddress?: string;
  remotePort?: number;
  /**
   * When a transport-level unit that carries frames (a WebSocket message) began
   * to arrive and is still incomplete, in ms since the epoch; 0 or absent when
   * none is. The transport buffers such a unit out of the framing layer's
   * sight, so frameTimeout counts it as a frame in progress.
   */
  readonly incompleteSince?: number;
  /** Bytes of that incomplete unit the transport holds (counted against maxPendingFrameBytes); announced by an 'incomplete' event. */
  readonly incompleteBytes?: number;
}
