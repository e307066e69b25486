/**
 * js2p's `bootstrap(socket_class, protocol, addr, port, ...args)` (shared/JS2P_API.md
 * §7; docs/protocol.md §13.6): returns the socket at once and, in the
 * background, finds other nodes of its protocol through bootstrap seeds: a
 * helper chord socket on the subnet `bootstrap` joins the seeds' ring, applies
 * the delta `{own ID: [host, port]}` to the key *protocol ID*, and the socket
 * connects to up to MAX_CONNECTS of the addresses the key then holds.
 *
 * The originals' seed hosts are gone, so the seeds are configured:
 * `bootstrap.seeds` (module-wide, `[host, port]` pairs, as js2p programs set
 * module settings) or POLYP2P_SEEDS="host:port,host:port". A seed is a joined
 * chord node on the subnet `bootstrap`: `npx polyp2p seed <addr> <port>`.
 * Failures land in the socket's `exceptions` (its `status`), as js2p's; a
 * socket registered with the seeds emits `'bootstrapped'` (polyp2p's addition)
 * with the IDs it connects to.
 */
import { Protocol } from './base';
import { ChordSocket } from './chord';
import type { MeshSocket } from './mesh';

export const BOOTSTRAP_SUBNET = 'bootstrap';
/** Connections the socket opens to nodes the seeds know. */
const MAX_CONNECTS = 5;
/** How long the helper waits for a data-storing seed. */
const SEED_WAIT_MS = 10_000;

type SocketClass<S> = new (addr: string, port: number, protocol: Protocol | null | undefined, ...args: never[]) => S;

/** POLYP2P_SEEDS as [host, port] pairs (malformed entries are an error, at load). */
export function parseSeeds(text: string | undefined): [string, number][] {
  if (!text) return [];
  return text.split(',').map((entry) => {
    const at = entry.lastIndexOf(':');
    const port = Number(entry.slice(at + 1));
    if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new TypeError(`POLYP2P_SEEDS: "${entry}" is not host:port`);
    return [entry.slice(0, at), port];
  });
}

export function bootstrap<S extends MeshSocket>(socket_class: SocketClass<S>, protocol: Protocol | null | undefined, addr: string, port: number, ...args: never[]): S {
  const sock = new socket_class(addr, port, protocol, ...args);
  const seeds = bootstrap.seeds.map(([h, p]) => [String(h), Number(p)] as [string, number]);
  register(sock, seeds).catch((e: Error) => sock.noteError(e));
  return sock;
}
/** Where bootstrap() looks for other nodes: `[host, port]` pairs. */
bootstrap.seeds = parseSeeds(process.env.POLYP2P_SEEDS);

async function register(sock: MeshSocket, seeds: [string, number][]): Promise<void> {
  if (!seeds.length) throw new Error("bootstrap: no seeds (set bootstrap.seeds = [[host, port]] or POLYP2P_SEEDS=host:port; the originals' seed hosts no longer exist)");
  await sock.ready;
  const helper = new ChordSocket(sock.addr[0], 0, new Protocol(BOOTSTRAP_SUBNET, sock.protocol.encryption));
  try {
    await helper.ready;
    const joined = new Promise<void>((resolve) => helper.once('connect', () => resolve()));
    for (const [host, port] of seeds) helper.connect(host, port);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`bootstrap: no data-storing seed answered within ${SEED_WAIT_MS / 1000} s (seeds: ${seeds.map((s) => s.join(':')).join(', ')})`)), SEED_WAIT_MS);
    });
    await Promise.race([joined, timeout]).finally(() => clearTimeout(timer));
    const known = await helper.apply_delta(sock.protocol.id, { [sock.id]: sock.out_addr });
    sock.emit('bootstrapped', connectTo(sock, known));
  } finally {
    await helper.close();
  }
}

/** Connect to up to MAX_CONNECTS of the nodes the key holds (`{id: [host, port]}`), not to itself. */
function connectTo(sock: MeshSocket, known: Record<string, unknown>): string[] {
  const opened: string[] = [];
  for (const [id, addr] of Object.entries(known)) {
    if (opened.length >= MAX_CONNECTS) break;
    if (id === sock.id || !Array.isArray(addr) || typeof addr[0] !== 'string' || !Number.isInteger(addr[1])) continue;
    sock.connect(addr[0], addr[1] as number, id);
    opened.push(id);
  }
  return opened;
}
