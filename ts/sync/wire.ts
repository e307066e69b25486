/**
 * Sync messages. The originals' messages (§14.3, §14.5) plus three polyp2p
 * extension messages for anti-entropy, sent only to peers that answered a
 * capability ping (polyp2p nodes; the originals never see them). Sub-flags
 * 0x30-0x32 are outside the originals' reserved range (0x00-0x2f).
 *
 *   store          [0x0B, key(bin), value]                          broadcast, nil = delete
 *   initial store  [0x0B, key(bin), value, owner, timestamp]         whisper, after the peer list
 *   delta          [0x11, key(bin), mapping]                        broadcast
 *   digest         [0x30, [[key(bin), owner, timestamp, deleted, hash(bin16)], ...]]   whisper
 *   entries        [0x31, [[key(bin), value, owner, timestamp, deleted], ...]]          whisper
 *   want           [0x32, [key(bin), ...]]                          whisper
 *
 * How they are cut into messages sized to each peer: pieces.ts.
 */
import type { DecodedBody } from '../base/codec-types';
import { flags } from '../base/flags';

export const SUB_DIGEST = 0x30;
export const SUB_ENTRIES = 0x31;
export const SUB_WANT = 0x32;

/** Is this decoded frame a sync delete (a store of nil)? js2p drops the link on one (§14.6). */
export function isStoreOfNil(decoded: DecodedBody): boolean {
  const p = decoded.packets; // [main flag, sender, time, sub-flag, key, value]
  return p.length === 6 && p[3] === flags.store && (p[5] === null || p[5] === undefined);
}

/** A timestamp field: a finite number (int, or float64 from js2p after 2038). */
export function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
