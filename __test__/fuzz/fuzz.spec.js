'use strict';
// Short, bounded fuzz run of the TypeScript fallback's byte-facing entry
// points (npm test). Long runs: `npm run fuzz` (scripts/fuzz.js).
const test = require('ava');
const fc = require('fast-check');
const { fuzzers } = require('./fuzzers');
const { backends } = require('../helpers/backends');

const native = backends.find((b) => b.name === 'native');
const RUNS = Number(process.env.POLYP2P_FUZZ_RUNS || 300);
const TIME_LIMIT_MS = 4000;
// Fewer runs than this within the time limit would be a fuzz run in name only.
const MIN_RUNS = Math.min(RUNS, 30);
// A fixed seed per run of npm test would hide nothing new; a random one is printed on failure by fast-check.
for (const [name, prop] of Object.entries(fuzzers(native))) {
  test(`fuzz ${name} (up to ${RUNS} runs or ${TIME_LIMIT_MS / 1000} s)`, (t) => {
    const result = fc.check(prop, { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS });
    if (result.failed) t.fail(fc.defaultReportMessage(result));
    t.log(`${result.numRuns} runs made${result.interrupted ? ` (stopped at the ${TIME_LIMIT_MS / 1000} s limit)` : ''}, seed ${result.seed}`);
    t.true(result.numRuns >= MIN_RUNS, `only ${result.numRuns} runs within ${TIME_LIMIT_MS / 1000} s`);
  });
}
