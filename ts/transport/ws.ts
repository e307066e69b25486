/**
 * WebSocket transport ("ws", PROTOCOL.md §2.3) for Node, with the `ws`
 * package: a server (js2p ignores the path; so do we) and a client dialling
 * ws://host:port/. maxPayload follows maxFrameSize. The framing layer checks
 * the frame length header; this caps each message.
 *
 * The server accepts TCP connections itself and reports each one as pending
 * (Transport.listen) before the HTTP parser reads a byte; the upgrade request
 * is parsed by Node's HTTP parser (header block at most MAX_UPGRADE_HEADER
 * bytes; malformed requests are refused with 400, oversized ones with 431).
 */
import type * as http from 'http';
import * as net from 'net';
import type WebSocket = require('ws');

// `ws` (and `http`, ~0.9 MiB) are loaded on the first WebSocket listen or dial, not by every plain-TCP node.
let wsLib: typeof import('ws') | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const wsModule = (): typeof import('ws') => (wsLib ??= require('ws') as typeof import('ws'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const httpModule = (): typeof import('http') => require('http') as typeof import('http');
import type { ByteStream } from '../base/byte-stream';
import { FrameTooLargeError, TransportHandshakeError, WebSocketProtocolError } from '../base/errors';
import type { Transport, TransportConfig, TransportServer } from './transport';
import { PendingConnection } from './pending';
import { WebSocketStream } from './ws-stream';
import { WebSocketMessageWatch } from './ws-message-watch';
import { closeServer, listenTcp } from './tcp';
import { DEFAULT_MAX_FRAME_SIZE } from '../base/api';

/** Largest header block of an upgrade request (Node's default; a WebSocket upgrade request is well under 1 KiB). */
export const MAX_UPGRADE_HEADER = 16 * 1024;

/**
 * A ByteStream over a WebSocket. `socket` is its TCP socket, whose bytes are
 * watched so frameTimeout also bounds a message that ws is still buffering.
 */
function wrap(ws: WebSocket, socket: net.Socket, address?: string, port?: number): WebSocketStream {
  const stream = new WebSocketStream(ws, address, port);
  stream.callsBack = true;
  const watch = new WebSocketMessageWatch();
  socket.on('data', (chunk: Buffer) => {
    watch.push(chunk);
    if (watch.bytes || watch.startedAt) stream.emit('incomplete'); // bytes held by ws count against maxPendingFrameBytes
  });
  stream.messageWatch = watch;
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    stream.receive(buf, isBinary);
  });
  ws.on('error', (e) => stream.emit('error', typedWebSocketError(e)));
  // ws answers each ping with a pong and terminates a peer with 60 pongs pending, silently: say why first
  const pings = { at: 0, count: 0 };
  ws.on('ping', () => {
    const now = Date.now();
    if (now - pings.at >= 1000) Object.assign(pings, { at: now, count: 0 });
    if (++pings.count === PINGS_PER_SECOND + 1) {
      stream.emit('error', new WebSocketProtocolError(`more than ${PINGS_PER_SECOND} WebSocket pings in a second: a ping flood; connection closed`));
      stream.destroy(undefined, 1008);
    }
  });
  ws.on('close', () => stream.closed());
  return stream;
}

/** WebSocket pings accepted per second (ws itself answers each with a pong). */
const PINGS_PER_SECOND = 50;

/** ws reports protocol violations with WS_ERR_* codes: give them ours. */
function typedWebSocketError(e: Error & { code?: string }): Error {
  if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
    return new FrameTooLargeError(`${e.message}: a WebSocket message may hold at most maxFrameSize + 4 bytes`);
  }
  if (e.code?.startsWith('WS_ERR_')) return new WebSocketProtocolError(`${e.message} (${e.code}): the peer broke the WebSocket protocol`);
  return e;
}

/**
 * Answer a failed upgrade with an HTTP status and close the socket at once (as
 * Node's HTTP server does: the short write leaves synchronously), so a client
 * that never closes its end holds nothing.
 */
function refuseUpgrade(socket: net.Socket, status: number): void {
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${httpModule().STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
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

  async listen(host: string, port: number, onConnection: (stream: ByteStream, pending?: PendingConnection) => void, onPending?: (pending: PendingConnection) => boolean): Promise<TransportServer> {
    const pendingOf = new WeakMap<net.Socket, PendingConnection>();
    const upgrades = this.upgradeServer(pendingOf, onConnection);
    const server = await listenTcp(host, port, (socket) => {
      const pending = new PendingConnection('WebSocket upgrade', socket.remoteAddress, socket.remotePort, () => socket.destroy());
      if (onPending && !onPending(pending)) return socket.destroy();
      pendingOf.set(socket, pending);
      socket.once('close', () => pending.fail());
      upgrades.http.emit('connection', socket);
    });
    return {
      port: (server.address() as net.AddressInfo).port,
      close: () => {
        for (const c of upgrades.wss.clients) c.terminate();
        return closeServer(server);
      },
    };
  }

  /**
   * An HTTP server that never listens (accepted sockets are handed to it)
   * and the WebSocket server it upgrades to. Whatever is not a valid upgrade
   * fails the pending connection with a typed reason and is answered with a
   * status line, then closed.
   */
  private upgradeServer(pendingOf: WeakMap<net.Socket, PendingConnection>, onConnection: (stream: ByteStream, pending?: PendingConnection) => void) {
    const wss = new (wsModule().WebSocketServer)({ noServer: true, maxPayload: this.maxPayload, perMessageDeflate: false, clientTracking: true });
    const server = httpModule().createServer({ maxHeaderSize: MAX_UPGRADE_HEADER });
    const fail = (socket: net.Socket, status: number, why: string) => {
      refuseUpgrade(socket, status);
      pendingOf.get(socket)?.fail(new TransportHandshakeError(`${why}; this node runs encryption "ws" and accepts only WebSocket upgrades`));
    };
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      wss.handleUpgrade(req, socket, head, (ws) => {
        const pending = pendingOf.get(socket);
        if (pending && !pending.ready()) return ws.terminate();
        socket.setNoDelay(true);
        onConnection(wrap(ws, socket, socket.remoteAddress, socket.remotePort), pending);
      });
    });
    wss.on('wsClientError', (err: Error, socket: net.Socket) => fail(socket, 400, `invalid WebSocket upgrade request (${err.message})`));
    server.on('request', (req: http.IncomingMessage) => fail(req.socket, 426, `sent an HTTP ${req.method} request without a WebSocket upgrade`));
    server.on('clientError', (err: Error & { code?: string }, socket: net.Socket) => {
      const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
      fail(socket, tooLarge ? 431 : 400, tooLarge ? `sent an HTTP header block over ${MAX_UPGRADE_HEADER} bytes` : `sent bytes that are not an HTTP request (${err.code ?? err.message})`);
    });
    return { http: server, wss };
  }

  dial(host: string, port: number, timeoutMs: number): Promise<ByteStream> {
    return new Promise((resolve, reject) => {
      const url = `ws://${net.isIPv6(host) ? `[${host}]` : host}:${port}/`;
      const ws = new (wsModule().WebSocket)(url, { maxPayload: this.maxPayload, perMessageDeflate: false, handshakeTimeout: timeoutMs });
      const fail = (e: Error) => {
        ws.terminate();
        reject(e);
      };
      ws.once('error', fail);
      let socket: net.Socket | null = null;
      ws.once('upgrade', (res: http.IncomingMessage) => (socket = res.socket));
      // Wrapped on 'open', after ws took the socket over: a 'data' listener added
      // earlier would receive the bytes that followed the 101 response before ws does.
      ws.once('open', () => {
        ws.off('error', fail);
        resolve(wrap(ws, socket as net.Socket, host, port));
      });
    });
  }
}

export const wsTransport: Transport = new WsTransport();
