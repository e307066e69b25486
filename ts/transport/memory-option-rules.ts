/** What a MemoryNetwork's options and link profiles may hold (memory.ts), checked when the network is made and when a link is set. */
import type { OptionRule, OptionRules } from '../base/check-options';
import { func, implementing, milliseconds, nonNegative, object } from '../base/option-rules';
import type { LinkProfile, MemoryNetworkOptions } from './memory';

/** A probability below 1: a link that loses every chunk would retransmit for ever. */
const lossProbability: OptionRule = { expected: 'a probability from 0 up to (not including) 1', accepts: (v) => typeof v === 'number' && v >= 0 && v < 1 };

/** Link delays are scheduled on the network's clock, real timers by default. */
const delay = milliseconds({ timer: true });

export const linkProfileRules: OptionRules<LinkProfile> = {
  latencyMs: delay,
  jitterMs: delay,
  bandwidth: nonNegative('bytes per second'),
  loss: lossProbability,
  retransmitMs: milliseconds({ positive: true, timer: true }),
};

export const linkProfile = object('LinkProfile', linkProfileRules);

export const memoryNetworkOptionRules: OptionRules<MemoryNetworkOptions> = {
  link: linkProfile,
  random: func,
  clock: implementing('NetworkClock', ['now', 'schedule']),
};
