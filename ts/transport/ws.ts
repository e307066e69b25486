/**
 * WebSocket transport ("ws", PROTOCOL.md §2.3) for Node, with the `ws`
 * package: a server (js2p ignores the path; so do we) and a client dialling
 * ws://host:port/. maxPayload follows maxFrameSize. The framing layer checks
 * the frame length header; this caps each message.
 */
import * as net from 'net';
import type WebSocket from 'ws';

// `ws` is loaded on the first WebSocket listen or dial, not by every plain-TCP node.
let wsLib: typeof import('ws') | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const wsModule = (): typeof import('ws') => (wsLib ??= require('ws') as typeof import('ws'));
import type { ByteStream } from '../base/connection';
import type { Transport, TransportConfig, TransportServer } from './transport';
import { WebSocketStream } from './ws-stream';
import { DEFAULT_MAX_FRAME_SIZE } from '../base/api';

function wrap(ws: WebSocket, address?: string, port?: number): WebSocketStream {
  const stream = new WebSocketStream(ws, address, port);
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    stream.receive(buf, isBinary);
  });
  ws.on('error', (e) => stream.emit('error', e));
  ws.on('close', () => stream.closed());
  return stream;
}

export class WsTransport implements Transport {
  readonly name = 'ws';
  /** Largest WebSocket message accepted: one frame plus its 4-byte header. */
  readonly maxPayload: number;

  constructor(maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {
    this.maxPayload = maxFrameSize + 4;
  }

  configure(config: TransportConfig): Transport {
    return new WsTransport(config.maxFrameSize);
  }

  listen(host: string, port: number, onConnection: (stream: ByteStream) => void): Promise<TransportServer> {
    return new Promise((resolve, reject) => {
      const wss = new (wsModule().WebSocketServer)({ host, port, maxPayload: this.maxPayload, perMessageDeflate: false, clientTracking: true });
      wss.on('connection', (ws, req) => {
        (req.socket as net.Socket).setNoDelay(true);
        onConnection(wrap(ws, req.socket.remoteAddress, req.socket.remotePort));
      });
      wss.once('error', reject);
      wss.once('listening', () => {
        wss.off('error', reject);
        wss.on('error', () => {});
        resolve({
          port: (wss.address() as net.AddressInfo).port,
          close: () =>
            new Promise<void>((res) => {
              for (const c of wss.clients) c.terminate();
              wss.close(() => res());
            }),
        });
      });
    });
  }

  dial(host: string, port: number, timeoutMs: number): Promise<ByteStream> {
    return new Promise((resolve, reject) => {
      const url = `ws://${net.isIPv6(host) ? `[${host}]` : host}:${port}/`;
      const ws = new (wsModule().WebSocket)(url, { maxPayload: this.maxPayload, perMessageDeflate: false, handshakeTimeout: timeoutMs });
      const stream = wrap(ws, host, port);
      const fail = (e: Error) => {
        ws.terminate();
        reject(e);
      };
      stream.once('error', fail);
      ws.once('open', () => {
        stream.off('error', fail);
        resolve(stream);
      });
    });
  }
}

export const wsTransport: Transport = new WsTransport();
