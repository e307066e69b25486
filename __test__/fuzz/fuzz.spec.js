'use strict';
// Short, bounded fuzz run of the TypeScript fallback's byte-facing entry
// points (npm test). Long runs: `npm run fuzz` (scripts/fuzz.js).
const test = require('ava');
const fc = require('fast-check');
const { fuzzers } = require('./fuzzers');
const { backends } = require('../helpers/backends');

const native = backends.find((b) => b.name === 'native');
const RUNS = Number(process.env.POLYP2P_FUZZ_RUNS || 300);
// A fixed seed per run of npm test would hide nothing new; a random one is printed on failure by fast-check.
for (const [name, prop] of Object.entries(fuzzers(native))) {
  test(`fuzz ${name} (${RUNS} runs)`, (t) => {
    fc.assert(prop, { numRuns: RUNS, interruptAfterTimeLimit: 4000 });
    t.pass();
  });
}
