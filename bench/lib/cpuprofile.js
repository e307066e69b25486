'use strict';
// Reading a V8 .cpuprofile (written by `node --cpu-prof`): self time per
// function, aggregated by function name + url:line, over the samples taken
// inside a time window. Profile timestamps are µs on the same monotonic clock
// as process.hrtime(), so a window marked in the profiled process applies as is.

/** "name url:line" of a call frame (line 1-based; native and VM frames have no url). */
function frameKey(cf) {
  const name = cf.functionName || '(anonymous)';
  if (!cf.url) return name;
  const url = cf.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|dist|bench)\//, '$1/');
  return `${name} ${url}:${cf.lineNumber + 1}`;
}

/**
 * Top `top` frames by self samples within [fromUs, toUs] (whole profile when
 * not given): [{ frame, samples, share, busyShare, selfMs }], where share is
 * of all samples in the window and busyShare of those not idle (the JS
 * thread doing anything: (program) and (garbage collector) count as busy).
 */
function topFrames(profile, { fromUs = -Infinity, toUs = Infinity, top = 10 } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n);
  // Frames without a url (native functions, V8 builtins) are told apart by their caller.
  const keyOf = (node) => {
    const key = frameKey(node.callFrame);
    if (node.callFrame.url || node.callFrame.functionName.startsWith('(')) return key;
    const p = parent.get(node.id);
    return p && p.callFrame.url ? `${key} ← ${frameKey(p.callFrame)}` : key;
  };
  const counts = new Map();
  const ms = new Map();
  let total = 0;
  let idle = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < fromUs || t > toUs) continue;
    const next = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] : 0;
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    const key = keyOf(node);
    total++;
    if (node.callFrame.functionName === '(idle)') idle++;
    counts.set(key, (counts.get(key) || 0) + 1);
    ms.set(key, (ms.get(key) || 0) + Math.max(0, next) / 1000);
  }
  const busy = total - idle;
  const frames = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, samples]) => ({
      frame,
      samples,
      share: total ? samples / total : 0,
      busyShare: busy && frame !== '(idle)' ? samples / busy : null,
      selfMs: ms.get(frame),
    }));
  return { samples: total, idleSamples: idle, windowMs: Number.isFinite(fromUs) && Number.isFinite(toUs) ? (toUs - fromUs) / 1000 : null, frames };
}

module.exports = { topFrames, frameKey };
