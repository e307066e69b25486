/**
 * The channels polyp2p publishes what it does on (node:diagnostics_channel):
 * each layer defines its own (mesh/diagnostics.ts, sync/diagnostics.ts,
 * chord/diagnostics.ts) through defineChannel, so that NODE_DEBUG=polyp2p
 * (debug-log.ts) finds every one without knowing the layers.
 *
 * Nothing is published while nobody subscribes, and nothing is built either:
 * every publishing site checks `hasSubscribers` before it makes the message
 * object (the relay path runs at about 1 µs per frame; an object per drop
 * would show).
 */
import * as dc from 'diagnostics_channel';

/**
 * A diagnostics_channel Channel whose messages have the type `T` (the same
 * object as `diagnostics_channel.channel(name)`: subscribers use either).
 */
export interface TypedChannel<T> {
  readonly name: string;
  /** True while someone subscribes: check it before building a message. */
  readonly hasSubscribers: boolean;
  publish(message: T): void;
}

type DefinedListener = (channel: TypedChannel<object>) => void;

const defined: TypedChannel<object>[] = [];
const listeners: DefinedListener[] = [];

/** The channel `name`, registered as one of polyp2p's. */
export function defineChannel<T extends object>(name: string): TypedChannel<T> {
  // kept in `defined` for the process: diagnostics_channel holds channels weakly,
  // and a subscriber must find the one this module publishes on
  const channel = dc.channel(name) as unknown as TypedChannel<T>;
  defined.push(channel);
  for (const fn of listeners) fn(channel);
  return channel;
}

/** Call `fn` for every polyp2p channel, those defined so far and those defined later (modules load lazily). */
export function forEachChannel(fn: DefinedListener): void {
  listeners.push(fn);
  for (const channel of defined) fn(channel);
}

/** Subscribe `fn` to a channel (a module-level function: the subscription lives as long as the process). */
export function subscribe(channel: TypedChannel<object>, fn: (message: object, name: string) => void): void {
  const listener = fn as (message: unknown, name: string | symbol) => void;
  // diagnostics_channel.subscribe() came in Node 18.7; the channel's own method is older (engines: >=18)
  if (typeof dc.subscribe === 'function') dc.subscribe(channel.name, listener);
  else (channel as unknown as dc.Channel).subscribe(listener);
}
