/**
 * The lease rule of PROTOCOL.md §14.4, exactly as js2p and py2p check it:
 * who may change a key, given the key's metadata and the change's metadata.
 * Owners are compared as text (js2p's semantics; polyp2p normalises every
 * ID to text, so a str and a bin owner with the same bytes are one owner).
 */

/** A lease lasts this long after the owner's last write; exactly 3600 s old is still leased. */
export const LEASE_SECONDS = 3600;

export interface Meta {
  /** Node ID of the writer, as text. */
  owner: string;
  /** Unix time of the write, whole seconds. */
  timestamp: number;
}

export interface LeaseContext {
  /** Is lease enforcement on? */
  leasing: boolean;
  /** Is the change a delta (apply_delta) rather than a store? */
  delta: boolean;
  /** The receiver's clock, Unix seconds. */
  now: number;
}

/**
 * Why the change is allowed (the first rule of §14.4 that holds), or null when it is refused.
 * `existing` is the key's current metadata (null/undefined: the key has none).
 */
export function leaseRuleThatAllows(existing: Meta | null | undefined, change: Meta, ctx: LeaseContext): string | null {
  if (!existing) return 'no metadata';
  if (existing.owner === change.owner) return 'same owner';
  if (ctx.delta && !ctx.leasing) return 'delta without leasing';
  if (existing.timestamp < ctx.now - LEASE_SECONDS) return 'lease expired';
  if (existing.timestamp === change.timestamp && existing.owner > change.owner) return 'same second, smaller ID wins';
  if (existing.timestamp < change.timestamp && !ctx.leasing) return 'newer write without leasing';
  return null;
}

/** True when §14.4 allows the change. */
export function leaseAllows(existing: Meta | null | undefined, change: Meta, ctx: LeaseContext): boolean {
  return leaseRuleThatAllows(existing, change, ctx) !== null;
}

/** A sentence saying why §14.4 refuses the change (for LeaseError and 'refused' events). */
export function refusalReason(existing: Meta, change: Meta, ctx: LeaseContext): string {
  if (ctx.leasing) {
    const until = existing.timestamp + LEASE_SECONDS;
    return `${existing.owner} holds the lease (last write at ${existing.timestamp}, leased until ${until}, ${Math.max(0, until - ctx.now)} s from now)`;
  }
  if (existing.timestamp === change.timestamp) return `same-second write by ${existing.owner}, whose ID sorts lower, wins`;
  return `the stored write by ${existing.owner} at ${existing.timestamp} is newer than this one (${change.timestamp})`;
}
