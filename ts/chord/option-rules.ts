/**
 * What each chord option may be (ChordOptions): the mesh's rules and the
 * ring's own, checked when a ChordNode is created. The ring's durations and
 * sizes must be above 0, as they always had to be (a replica count, a store
 * or a stabilisation interval of 0 leaves a ring that does nothing).
 */
import type { OptionRules } from '../base/check-options';
import { boolean, milliseconds, oneOf, positiveCount, string } from '../base/option-rules';
import { meshOptionRules } from '../mesh/option-rules';
import type { ChordOptions } from './options';

const positiveMs = milliseconds({ positive: true });
/** Durations handed to setTimeout/setInterval (the others are compared with the clock). */
const positiveTimer = milliseconds({ positive: true, timer: true });

export const chordOptionRules: OptionRules<ChordOptions> = {
  ...meshOptionRules,
  subnet: string,
  join: boolean,
  replicas: positiveCount,
  stabilizeInterval: positiveTimer,
  repairInterval: positiveMs,
  failureTimeout: positiveMs,
  timeout: positiveTimer,
  missGrace: positiveMs,
  tombstoneTtl: positiveMs,
  maxItems: positiveCount,
  maxStoreBytes: positiveCount,
  maxBytesPerWriter: positiveCount,
  maxBytesPerLink: positiveCount,
  maxAnnouncedKeyBytes: positiveCount,
  maxClockSkew: positiveMs,
  maxUnverifiedPerPeer: positiveCount,
  maxRumoursPerRound: positiveCount,
  maxPendingLookups: positiveCount,
  announceKeys: boolean,
  overlay: oneOf(['full', 'log']),
};
