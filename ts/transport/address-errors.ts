/**
 * The system's address and port errors (errno codes from listen and connect)
 * as typed errors that say what happened at which address and what to do;
 * the system's error stays as `cause`. Errors that are not about the address
 * are passed on as they are.
 */
import { AddressInUseError, AddressNotAvailableError, ConnectError, PortAccessDeniedError, type Polyp2pError } from '../base/errors';

const codeOf = (err: unknown) => (err as { code?: unknown } | null)?.code;

/** host:port as a user would type it ([::1]:4444 for IPv6). */
function hostAndPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A listen failure: ERR_ADDRESS_IN_USE, ERR_PORT_ACCESS_DENIED or ERR_ADDRESS_NOT_AVAILABLE, else `err` itself. */
export function listenError(err: unknown, host: string, port: number): unknown {
  const at = hostAndPort(host, port);
  switch (codeOf(err)) {
    case 'EADDRINUSE':
      return new AddressInUseError(
        `cannot listen on ${at}: another program (or node) already listens there (EADDRINUSE); close it, choose another port, or use port 0 for a free one`,
        host,
        port,
        err,
      );
    case 'EACCES':
    case 'EPERM':
      return new PortAccessDeniedError(
        `cannot listen on ${at}: permission denied (${String(codeOf(err))}); ports below 1024 need root or CAP_NET_BIND_SERVICE: use a port from 1024 to 65535, or 0 for a free one`,
        host,
        port,
        err,
      );
    case 'EADDRNOTAVAIL':
      return new AddressNotAvailableError(
        `cannot listen on ${at}: ${host} is not an address of this machine (EADDRNOTAVAIL); use one of its addresses, 127.0.0.1 for this machine only, or 0.0.0.0 for all`,
        host,
        port,
        err,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new AddressNotAvailableError(`cannot listen on ${at}: the host name ${host} does not resolve (${String(codeOf(err))}); check its spelling, or give an IP address`, host, port, err);
    default:
      return err;
  }
}

/** What a failed dial's errno means for the user, and what to check. */
function dialReason(err: unknown, host: string, timeoutMs: number): string {
  const code = codeOf(err);
  const message = (err as { message?: unknown } | null)?.message;
  switch (code) {
    case 'ECONNREFUSED':
      return 'nothing accepts connections there (ECONNREFUSED): check the port, and that the peer is running and listening on that address';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name ${host} does not resolve (${String(code)}): check its spelling and this machine's DNS`;
    case 'ETIMEDOUT':
      return `no answer within ${timeoutMs} ms (connectTimeout; ETIMEDOUT): the host is down, or a firewall drops the connection`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to the host (${String(code)}): check the address and this machine's network`;
    case 'ECONNRESET':
      return 'the peer closed the connection at once (ECONNRESET): it may refuse this node, or speak another encryption';
    default:
      return typeof message === 'string' && message ? message : String(err);
  }
}

/** A failed dial as ConnectError (ERR_CONNECT_FAILED, `unreachable`), the transport's error as `cause`. */
export function dialError(err: unknown, host: string, port: number, timeoutMs: number): Polyp2pError {
  const cause = err instanceof Error ? err : undefined;
  return new ConnectError(`could not connect to ${hostAndPort(host, port)}: ${dialReason(err, host, timeoutMs)}`, true, cause);
}
