/** TCP transport ("Plaintext", §2.1). */
import * as net from 'net';

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
      reject(new Error(`no answer within ${timeoutMs} ms`));
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
