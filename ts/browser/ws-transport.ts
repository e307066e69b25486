/**
 * The browser's WebSocket as the "ws" transport (client only, as in js2p): a
 * browser node cannot listen; it dials Node (or compatible) ws servers.
 */
import type { ByteStream } from '../base/byte-stream';
import type { Transport, TransportServer } from '../transport/transport';
import { WebSocketStream, WebSocketLike } from '../transport/ws-stream';

interface BrowserWebSocket extends WebSocketLike {
  binaryType: string;
  onopen: (() => void) | null;
  onerror: (() => void) | null;
  onclose: (() => void) | null;
  onmessage: ((ev: { data: ArrayBuffer | string }) => void) | null;
}
declare const WebSocket: new (url: string) => BrowserWebSocket;

export const browserWsTransport: Transport = {
  name: 'ws',
  listen(): Promise<TransportServer> {
    return Promise.reject(new Error('a browser node cannot listen: connect() to a Node polyp2p (or js2p) ws node instead'));
  },
  dial(host: string, port: number, timeoutMs: number): Promise<ByteStream> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${host.includes(':') ? `[${host}]` : host}:${port}/`);
      ws.binaryType = 'arraybuffer';
      const stream = new WebSocketStream(ws, host, port);
      let open = false;
      const timer = setTimeout(() => {
        ws.close();
        reject(new Error(`no WebSocket connection within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.onopen = () => {
        open = true;
        clearTimeout(timer);
        resolve(stream);
      };
      ws.onerror = () => {
        if (!open) {
          clearTimeout(timer);
          reject(new Error(`WebSocket connection to ${host}:${port} failed`));
        } else stream.emit('error', new Error(`WebSocket error on the connection to ${host}:${port}`));
      };
      ws.onclose = () => stream.closed();
      ws.onmessage = (ev) => {
        if (typeof ev.data === 'string') stream.receive(ev.data, false);
        else stream.receive(new Uint8Array(ev.data), true);
      };
    });
  },
};
