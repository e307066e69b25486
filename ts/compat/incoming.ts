/**
 * js2p's `socket.incoming` (shared/JS2P_API.md §2.7): the listening server as
 * js2p programs use it: the `'listening'` and `'error'` events, `listening`,
 * `address()` and `close(cb)`. polyp2p's node owns the real server (TCP, TLS
 * or ws); this is its face, driven by the socket's `ready`.
 */
import { EventEmitter } from 'events';

export class IncomingServer extends EventEmitter {
  listening = false;

  constructor(
    private readonly host: string,
    private readonly portOf: () => number,
    private readonly closeSocket: () => Promise<void>,
  ) {
    super();
  }

  /** Called once the socket listens, or failed to. */
  settle(error: Error | null): void {
    if (error) {
      // as a net.Server with no 'error' listener, but without ending the process: the error is in `status`
      if (this.listenerCount('error')) this.emit('error', error);
      return;
    }
    this.listening = true;
    this.emit('listening');
  }

  address(): { address: string; family: string; port: number } | null {
    return this.listening ? { address: this.host, family: this.host.includes(':') ? 'IPv6' : 'IPv4', port: this.portOf() } : null;
  }

  /** Stops listening and, unlike js2p, closes the socket's connections too (polyp2p's node listens for its lifetime). */
  close(cb?: (err?: Error) => void): this {
    this.listening = false;
    this.closeSocket().then(
      () => {
        this.emit('close');
        cb?.();
      },
      (e: Error) => cb?.(e),
    );
    return this;
  }
}
