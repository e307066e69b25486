/** What each sync option may be (SyncOptions): the mesh's rules and the table's own, checked when a SyncNode is created. */
import type { OptionRules } from '../base/check-options';
import { boolean, count, milliseconds, nonNegative, string } from '../base/option-rules';
import { meshOptionRules } from '../mesh/option-rules';
import type { SyncOptions } from './sync-node';

export const syncOptionRules: OptionRules<SyncOptions> = {
  ...meshOptionRules,
  leasing: boolean,
  subnet: string,
  tombstoneTtl: nonNegative('seconds'),
  maxTombstones: count,
  antiEntropyInterval: milliseconds({ timer: true }),
  maxTableBytes: count,
  maxBytesPerOwner: count,
  maxClockSkew: nonNegative('seconds'),
  maxAntiEntropyItems: count,
};
