/** Transport chosen by the protocol's `encryption` name (PROTOCOL.md §2). */
import type { Transport } from './transport';
import { tcpTransport } from './tcp';
import { tlsTransport } from './tls';
import { wsTransport } from './ws';

export type { Transport, TransportServer, TransportConfig, TlsOptions, PeerClaim } from './transport';
export { PendingConnection } from './pending';

const registry = new Map<string, Transport>([tcpTransport, tlsTransport, wsTransport].map((t) => [t.name, t]));

/** Make a transport available under its name. */
export function registerTransport(t: Transport): void {
  registry.set(t.name, t);
}

/** The `encryption` names a node can use without a `transport` option (checked when a node is created). */
export function transportNames(): string[] {
  return [...registry.keys()];
}

export function transportFor(encryption: string): Transport {
  const t = registry.get(encryption);
  if (!t) {
    throw new Error(`Unknown transport protocol ${JSON.stringify(encryption)}: available are ${[...registry.keys()].map((k) => JSON.stringify(k)).join(', ')}`);
  }
  return t;
}
