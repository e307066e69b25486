/**
 * NODE_DEBUG=polyp2p: one line on stderr for every message of every polyp2p
 * diagnostics channel (base/diagnostics.ts), through util.debuglog, as Node's
 * own modules log. NODE_DEBUG=polyp2p:connection (or polyp2p:frame,
 * polyp2p:sync, polyp2p:chord) logs one subsystem; polyp2p* logs all.
 *
 * Loading this module subscribes only when NODE_DEBUG names a section, so
 * without it every channel stays without subscribers and costs nothing.
 */
import { debuglog, inspect } from 'util';
import { forEachChannel, subscribe } from './diagnostics';

/** Longest value printed in a line: a refused sync value or an error message may be long. */
const MAX_VALUE = 160;

const everything = debuglog('polyp2p');

/** A channel's NODE_DEBUG section: its first two name parts (polyp2p:frame:dropped: polyp2p:frame). */
function sectionOf(name: string): string {
  return name.split(':').slice(0, 2).join(':');
}

/** A short node ID: enough to tell the nodes of one process apart. */
function shortId(id: unknown): string {
  return typeof id === 'string' && id ? id.slice(0, 10) : '?';
}

function formatValue(key: string, v: unknown): string {
  if (key === 'node') return shortId((v as { id?: unknown } | null)?.id);
  if (key === 'peer' && v && typeof v === 'object') {
    const p = v as { id?: unknown; host?: unknown; port?: unknown; outgoing?: unknown };
    return `${shortId(p.id)}@${String(p.host)}:${String(p.port)}${p.outgoing ? '(out)' : '(in)'}`;
  }
  if (typeof v === 'bigint') return `0x${v.toString(16).slice(0, 16)}…`;
  const text = typeof v === 'string' ? (/[\s="]/.test(v) ? JSON.stringify(v) : v) : inspect(v, { breakLength: Infinity, depth: 1 });
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
}

/** One message as `key=value` pairs, in the payload's order, undefined fields left out. */
export function formatMessage(message: object): string {
  const parts: string[] = [];
  for (const [key, v] of Object.entries(message)) if (v !== undefined) parts.push(`${key}=${formatValue(key, v)}`);
  return parts.join(' ');
}

forEachChannel((channel) => {
  const own = debuglog(sectionOf(channel.name));
  const log = own.enabled ? own : everything.enabled ? everything : null;
  if (!log) return;
  const label = channel.name.slice(channel.name.indexOf(':') + 1);
  subscribe(channel, (message) => log('%s %s', label, formatMessage(message)));
});
