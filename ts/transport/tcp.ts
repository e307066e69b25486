/** TCP transport ("Plaintext", §2.1). */
import * as net from 'net';
import type { Transport, TransportServer } from './transport';

export function listenTcp(host: string, port: number, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ noDelay: true }, (socket) => {
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 30_000);
      onConnection(socket);
    });
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      // Later server errors (e.g. EMFILE on accept) must not crash the process.
      server.on('error', () => {});
      resolve(server);
    });
  });
}

export function dialTcp(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      socket.setKeepAlive(true, 30_000);
      // Errors after this point are reported through the connection's 'error' listener.
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Close a net.Server (or tls.Server) and resolve when it is closed. */
export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export const tcpTransport: Transport = {
  name: 'Plaintext',
  async listen(host, port, onConnection): Promise<TransportServer> {
    const server = await listenTcp(host, port, onConnection);
    return { port: (server.address() as net.AddressInfo).port, close: () => closeServer(server) };
  },
  dial: dialTcp,
};
