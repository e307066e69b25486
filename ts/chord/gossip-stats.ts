/** What this node's membership gossip did (in chordStats().gossip; counted by gossip.ts). */
export interface GossipStats {
  /** 0x30 delta messages sent (one per peer per batch), and entries in them. */
  deltasSent: number;
  entriesSent: number;
  /** Full lists sent (anti-entropy or to a joining node). */
  fullListsSent: number;
  digestsSent: number;
  /** Members this node declared dead: its link closed without notice, or its dials kept failing. */
  declaredDeadLinkLost: number;
  declaredDeadUnreachable: number;
  /** Rumours of this node's death it outlived by raising its counter. */
  refuted: number;
  /** Introductions ignored: their peer already had maxUnverifiedPerPeer unverified members pending. */
  introductionsRefused: number;
  /** Reports of other members' death or leaving ignored: a live link says otherwise, or past maxRumoursPerRound. */
  rumoursIgnored: number;
  /** Members introduced but not verified yet (not in the ring). */
  unverified: number;
}
