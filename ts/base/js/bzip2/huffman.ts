/** bzip2 Huffman tables: decode tables (decoder) and length-limited code lengths (encoder). */
import { MAX_ALPHA, MAX_CODE_LEN } from './format';

export interface HuffTable {
  minLen: number;
  maxLen: number;
  limit: Int32Array;
  base: Int32Array;
  perm: Int32Array;
}

export function makeDecodeTable(lengths: Uint8Array, alphaSize: number): HuffTable {
  let minLen = 32;
  let maxLen = 0;
  for (let i = 0; i < alphaSize; i++) {
    if (lengths[i] > maxLen) maxLen = lengths[i];
    if (lengths[i] < minLen) minLen = lengths[i];
  }
  const perm = new Int32Array(MAX_ALPHA);
  const base = new Int32Array(MAX_CODE_LEN + 2);
  const limit = new Int32Array(MAX_CODE_LEN + 2).fill(-1);
  let pp = 0;
  for (let i = minLen; i <= maxLen; i++) for (let j = 0; j < alphaSize; j++) if (lengths[j] === i) perm[pp++] = j;
  for (let i = 0; i < alphaSize; i++) base[lengths[i] + 1]++;
  for (let i = 1; i < base.length; i++) base[i] += base[i - 1];
  let vec = 0;
  for (let i = minLen; i <= maxLen; i++) {
    vec += base[i + 1] - base[i];
    limit[i] = vec - 1;
    vec <<= 1;
  }
  for (let i = minLen + 1; i <= maxLen; i++) base[i] = ((limit[i - 1] + 1) << 1) - base[i];
  return { minLen, maxLen, limit, base, perm };
}

/** Huffman code lengths (all >= 1, at most maxLen) for the given frequencies. */
export function huffmanLengths(freq: Int32Array, alphaSize: number, maxLen: number, out: Uint8Array): void {
  const w = new Float64Array(alphaSize);
  for (let i = 0; i < alphaSize; i++) w[i] = freq[i] === 0 ? 1 : freq[i];
  for (;;) {
    // nodes: leaves 0..alphaSize-1, internal after
    const parent = new Int32Array(alphaSize * 2);
    const weight: number[] = [];
    const heap: number[] = [];
    const push = (node: number): void => {
      heap.push(node);
      let i = heap.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (weight[heap[p]] <= weight[heap[i]]) break;
        [heap[p], heap[i]] = [heap[i], heap[p]];
        i = p;
      }
    };
    const pop = (): number => {
      const top = heap[0];
      const last = heap.pop() as number;
      if (heap.length > 0) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && weight[heap[l]] < weight[heap[m]]) m = l;
          if (r < heap.length && weight[heap[r]] < weight[heap[m]]) m = r;
          if (m === i) break;
          [heap[m], heap[i]] = [heap[i], heap[m]];
          i = m;
        }
      }
      return top;
    };
    for (let i = 0; i < alphaSize; i++) {
      weight.push(w[i]);
      push(i);
    }
    let next = alphaSize;
    while (heap.length > 1) {
      const a = pop();
      const b = pop();
      weight.push(weight[a] + weight[b]);
      parent[a] = next;
      parent[b] = next;
      push(next++);
    }
    const root = next - 1;
    let tooLong = false;
    for (let i = 0; i < alphaSize; i++) {
      let d = 0;
      for (let j = i; j !== root; j = parent[j]) d++;
      out[i] = d;
      if (d > maxLen) tooLong = true;
    }
    if (!tooLong) return;
    for (let i = 0; i < alphaSize; i++) w[i] = 1 + Math.floor(w[i] / 2);
  }
}
