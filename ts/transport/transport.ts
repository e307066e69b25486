/**
 * What the mesh needs from a transport: accept connections, dial out, and give
 * byte streams (ByteStream) to the framing layer. TCP ("Plaintext"), TLS
 * ("SSL") and WebSocket ("ws") implement it; so can an in-memory transport.
 */
import type { ByteStream } from '../base/connection';

export interface TransportServer {
  /** The bound port (useful after listening on port 0). */
  readonly port: number;
  close(): Promise<void>;
}

export interface Transport {
  /** The `encryption` name hashed into the protocol ID (PROTOCOL.md §2). */
  readonly name: string;
  listen(host: string, port: number, onConnection: (stream: ByteStream) => void): Promise<TransportServer>;
  dial(host: string, port: number, timeoutMs: number): Promise<ByteStream>;
}
