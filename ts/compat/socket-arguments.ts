/**
 * js2p's positional constructor arguments (shared/JS2P_API.md §2.7-§6):
 * `(addr, port, protocol, out_addr, debug_level)`, and SyncSocket's `leasing`
 * between protocol and out_addr, checked when a socket is created. Every form
 * js2p accepts passes: a port as a number or a numeric string (Node's listen
 * takes both), `null, null` for the address and port (js2p's browser form;
 * here: 127.0.0.1 and a free port), any falsy protocol, out_addr or
 * debug_level for the default. A form js2p would break on later (a port
 * 'abc' listens on a Unix socket file; a protocol `true`, as in js2p's browser
 * tutorial's swapped SyncSocket arguments, throws "Unknown transport protocol"
 * deep inside) throws InvalidOptionError (ERR_INVALID_OPTION) at once, naming
 * the argument.
 */
import type { Protocol } from './base';
import type { MeshOptions } from '../mesh/options';
import { InvalidOptionError } from '../base/errors';
import { checkOption, type OptionRule } from '../base/check-options';
import { port as portRule } from '../base/option-rules';
import { describeValue } from '../base/describe-value';
import { meshOptionRules } from '../mesh/option-rules';

/** Where the socket listens and what it advertises, from js2p's arguments. */
export interface SocketAddress {
  host: string;
  port: number;
  /** out_addr when given (else the socket advertises its own address). */
  outAddr: [string, number] | undefined;
}

/** A port as Node's listen takes it: an integer, or a string holding one ('4444'). */
const portArgument: OptionRule = {
  expected: 'an integer from 0 to 65535, or a string of one',
  accepts: (v) => portRule.accepts(typeof v === 'string' && v.trim() !== '' ? Number(v) : v, {}),
};

const portNumber = (v: unknown): number => (typeof v === 'string' ? Number(v) : (v as number));

/** addr: a string ('' listens on every interface, as Node does), or null/undefined for 127.0.0.1 (the node's default). */
function host(addr: unknown): string {
  if (addr === null || addr === undefined) return '127.0.0.1';
  if (typeof addr !== 'string') throw new InvalidOptionError(`addr must be a string: the address to listen on, e.g. '127.0.0.1' or '0.0.0.0' (got ${describeValue(addr)})`, 'addr');
  return addr === '' ? '0.0.0.0' : addr;
}

/** out_addr: falsy for the listening address, else [host, port]. */
function outAddress(out_addr: unknown): [string, number] | undefined {
  if (!out_addr) return undefined;
  const ok = Array.isArray(out_addr) && out_addr.length === 2 && typeof out_addr[0] === 'string' && out_addr[0] !== '' && portArgument.accepts(out_addr[1], {});
  if (!ok) throw new InvalidOptionError(`out_addr must be [host, port], the address peers are told to connect to (got ${describeValue(out_addr)})`, 'out_addr');
  const [h, p] = out_addr as [string, unknown];
  return [h, portNumber(p)];
}

/** addr, port and out_addr as the node takes them (a null or omitted port: a free one). */
export function socketAddress(addr: unknown, port: unknown, out_addr: unknown): SocketAddress {
  if (port !== null) checkOption(port, portArgument, 'port');
  return { host: host(addr), port: port === null || port === undefined ? 0 : portNumber(port), outAddr: outAddress(out_addr) };
}

/**
 * protocol: falsy for the module's default, else a Protocol (or an object with
 * string `subnet` and `encryption`) whose encryption names a transport
 * (unless `extra` brings its own transport).
 */
export function checkProtocol(protocol: unknown, extra: MeshOptions = {}, hint = ''): asserts protocol is Protocol | null | undefined | false {
  if (!protocol) return;
  const p = protocol as Partial<Protocol>;
  if (typeof protocol !== 'object' || typeof p.subnet !== 'string' || typeof p.encryption !== 'string') {
    throw new InvalidOptionError(`protocol must be a Protocol, e.g. new Protocol('mesh', 'Plaintext'), or null for the default (got ${describeValue(protocol)})${hint}`, 'protocol');
  }
  checkOption(p.encryption, meshOptionRules.encryption, 'protocol.encryption', extra as Record<string, unknown>);
}

/** debug_level: stored only (as in js2p); a number, or falsy for 0. */
export function debugLevel(level: unknown): number {
  if (!level) return 0;
  if (typeof level !== 'number' || !Number.isFinite(level)) throw new InvalidOptionError(`debug_level must be a number (0 for none; got ${describeValue(level)})`, 'debug_level');
  return level;
}

/** js2p's SyncSocket takes the protocol before leasing, while its browser tutorial shows them the other way round. */
export const SYNC_ARGUMENT_ORDER = '; SyncSocket takes (addr, port, protocol, leasing, out_addr, debug_level)';

/** SyncSocket's leasing: true or false, or null/undefined for true (enforced). */
export function checkLeasing(leasing: unknown): asserts leasing is boolean | null | undefined {
  if (leasing === null || leasing === undefined || typeof leasing === 'boolean') return;
  throw new InvalidOptionError(`leasing must be true or false, or omitted for true (got ${describeValue(leasing)})${SYNC_ARGUMENT_ORDER}`, 'leasing');
}
