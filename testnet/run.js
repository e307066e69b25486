#!/usr/bin/env node
'use strict';
// `npm run testnet -- --nodes 64 [--seconds 60] [--churn 0.2] [--kinds mesh,sync,chord] [--loopback] [--seed 1]
//   [--rate 6] [--sync-writes 2] [--chord-sets 2] [--chord-gets 4] [--quiet 30] [--json FILE]`
// One polyp2p process per node, in network namespaces where the machine allows it (root and ip netns),
// else on loopback (--loopback forces it); see testnet/testnet.js for what runs and what is counted.
// Prints a table and merges the figures into bench/results/testnet.json (one row per nodes, churn,
// kinds, seconds and network). Exits 1 when an invariant failed, 2 on a usage error.
const fs = require('fs');
const path = require('path');
const { parseArgs } = require('util');
const { runTestnet, format, DEFAULTS, KINDS } = require('./testnet');

const USAGE = `usage: npm run testnet -- [--nodes 64] [--seconds 60] [--churn 0.2] [--kinds mesh,sync,chord] [--loopback] [--seed 1]
         [--rate 6 (broadcasts per node per minute)] [--sync-writes 2] [--chord-sets 2] [--chord-gets 4 (per second)]
         [--quiet 30 (seconds of upkeep measured after the run)] [--json bench/results/testnet.json]`;

function options() {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string' },
      seconds: { type: 'string' },
      churn: { type: 'string' },
      kinds: { type: 'string' },
      loopback: { type: 'boolean' },
      seed: { type: 'string' },
      rate: { type: 'string' },
      'sync-writes': { type: 'string' },
      'chord-sets': { type: 'string' },
      'chord-gets': { type: 'string' },
      quiet: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name, min, max, fallback) => {
    if (values[name] === undefined) return fallback;
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max} (got ${values[name]})`);
    return n;
  };
  const kinds = values.kinds ? values.kinds.split(',').map((k) => k.trim()) : DEFAULTS.kinds;
  const unknown = kinds.filter((k) => !KINDS.includes(k));
  if (unknown.length) throw new Error(`--kinds: unknown ${unknown.join(', ')} (mesh, sync, chord)`);
  const nodes = num('nodes', 2, 60000, DEFAULTS.nodes);
  if (!Number.isInteger(nodes)) throw new Error('--nodes must be a whole number');
  return {
    nodes,
    seconds: num('seconds', 5, 86400, DEFAULTS.seconds),
    churn: num('churn', 0, 1, DEFAULTS.churn),
    kinds,
    loopback: Boolean(values.loopback),
    seed: num('seed', 0, 2 ** 31, DEFAULTS.seed),
    broadcastsPerNodePerMinute: num('rate', 0.1, 6000, DEFAULTS.broadcastsPerNodePerMinute),
    syncWritesPerSecond: num('sync-writes', 0.1, 1000, DEFAULTS.syncWritesPerSecond),
    chordSetsPerSecond: num('chord-sets', 0.1, 1000, DEFAULTS.chordSetsPerSecond),
    chordGetsPerSecond: num('chord-gets', 0.1, 1000, DEFAULTS.chordGetsPerSecond),
    quietSeconds: num('quiet', 0, 3600, DEFAULTS.quietSeconds),
    json: values.json || path.join(__dirname, '..', 'bench', 'results', 'testnet.json'),
  };
}

function save(file, r) {
  const keyOf = (x) => [x.nodes, x.churn, [...x.kinds].sort().join('+'), x.seconds, x.network].join('|');
  let kept = [];
  try {
    kept = JSON.parse(fs.readFileSync(file, 'utf8')).filter((x) => keyOf(x) !== keyOf(r));
  } catch {
    /* a first run */
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const rows = [...kept, { ...r, date: new Date().toISOString().slice(0, 10) }].sort((a, b) => a.nodes - b.nodes || keyOf(a).localeCompare(keyOf(b)));
  fs.writeFileSync(file, JSON.stringify(rows, null, 2) + '\n');
}

(async () => {
  let o;
  try {
    o = options();
  } catch (e) {
    console.error(`${e.message}\n${USAGE}`);
    process.exit(2);
  }
  const { json, ...opts } = o;
  console.log(`testnet: ${o.nodes} nodes, ${o.kinds.join('+')}, ${o.seconds} s of workload, churn ${o.churn}${o.loopback ? ', loopback' : ''}`);
  const r = await runTestnet({ ...opts, log: (m) => console.log(m) });
  console.log(`\n${format(r)}\n`);
  save(json, r);
  console.log(`results merged into ${path.relative(process.cwd(), json)}`);
  process.exit(r.violations.length ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
