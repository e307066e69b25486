/** The browser bundle's transport registry (replaces ts/transport/index.ts there): "ws" only. */
import type { Transport } from '../transport/transport';
import { browserWsTransport } from './ws-transport';

export type { Transport, TransportServer, TransportConfig, TlsOptions, PeerClaim } from '../transport/transport';

const registry = new Map<string, Transport>([[browserWsTransport.name, browserWsTransport]]);

export function registerTransport(t: Transport): void {
  registry.set(t.name, t);
}

/** The `encryption` names a node can use without a `transport` option (checked when a node is created). */
export function transportNames(): string[] {
  return [...registry.keys()];
}

export function transportFor(encryption: string): Transport {
  const t = registry.get(encryption);
  if (!t) throw new Error(`Unknown transport protocol ${JSON.stringify(encryption)} in the browser: only "ws" (a browser node dials WebSocket servers)`);
  return t;
}
