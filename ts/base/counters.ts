/** Frames and bytes through one connection (or summed over several), for stats(). */
export interface ConnectionCounters {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
}
