/** Cyclic-rotation suffix array by prefix doubling (O(n log n)). */
export function bwtSort(block: Uint8Array, n: number): Int32Array {
  const sa = new Int32Array(n);
  let rank = new Int32Array(n);
  let tmp = new Int32Array(n);
  const sa2 = new Int32Array(n);
  const cnt = new Int32Array(Math.max(256, n) + 1);
  for (let i = 0; i < n; i++) cnt[block[i]]++;
  for (let i = 1; i < 256; i++) cnt[i] += cnt[i - 1];
  for (let i = n - 1; i >= 0; i--) sa[--cnt[block[i]]] = i;
  let classes = 1;
  rank[sa[0]] = 0;
  for (let i = 1; i < n; i++) {
    if (block[sa[i]] !== block[sa[i - 1]]) classes++;
    rank[sa[i]] = classes - 1;
  }
  for (let k = 1; k < n && classes < n; k <<= 1) {
    // order by second key: rotation i+k
    for (let i = 0; i < n; i++) {
      let j = sa[i] - k;
      if (j < 0) j += n;
      sa2[i] = j;
    }
    // stable counting sort by first key
    cnt.fill(0, 0, classes + 1);
    for (let i = 0; i < n; i++) cnt[rank[i]]++;
    for (let i = 1; i < classes; i++) cnt[i] += cnt[i - 1];
    for (let i = n - 1; i >= 0; i--) {
      const j = sa2[i];
      sa[--cnt[rank[j]]] = j;
    }
    tmp[sa[0]] = 0;
    classes = 1;
    for (let i = 1; i < n; i++) {
      const a = sa[i];
      const b = sa[i - 1];
      let ak = a + k;
      if (ak >= n) ak -= n;
      let bk = b + k;
      if (bk >= n) bk -= n;
      if (rank[a] !== rank[b] || rank[ak] !== rank[bk]) classes++;
      tmp[a] = classes - 1;
    }
    const t = rank;
    rank = tmp;
    tmp = t;
  }
  return sa;
}
