'use strict';
// Helpers for the chord hostile catalogue (__test__/hostile/chord.spec.js): a victim ring of
// three honest polyp2p chord nodes, an honest workload that writes and reads *through the
// victim* while an attack runs, raw attacker peers that speak the wire protocol by hand, and
// memory sampling. In the spirit of arena() in ./hostile.js.
const net = require('net');
const { once } = require('events');
const { isDeepStrictEqual } = require('util');
const { createChord } = require('../../dist/index.js');
const { core } = require('../../dist/native.js');
const { slotsOf } = require('../../dist/chord/positions.js');
const { settledMemory, MiB } = require('./hostile');
const { waitFor, sleep } = require('./mesh');

const FALLBACK = core.name === 'js';
const BASE = { host: '127.0.0.1', port: 0, keepAliveInterval: 0, stabilizeInterval: 200, failureTimeout: 8000 };
const now = () => Math.floor(Date.now() / 1000);

/**
 * A raw attacker peer: handshakes with `id` and then sends whatever the test
 * builds, with backpressure (a flood never piles up in this process). It never
 * answers pings (so it is not a polyp2p node), and only counts what it receives
 * by sub-flag, so its own memory stays out of the measurements.
 */
async function attacker(t, port, protocolId, id) {
  const sock = net.connect({ host: '127.0.0.1', port });
  await once(sock, 'connect');
  sock.on('error', () => {});
  const decoder = core.createFrameDecoder(1 << 26);
  const received = new Map();
  let closed = false;
  sock.on('close', () => (closed = true));
  sock.on('data', (d) => {
    for (const body of decoder.push(d)) {
      try {
        const p = core.decodeBody(body, [], 1 << 26).packets;
        const sub = p[0] === 2 || p[0] === 0 ? p[3] : `main ${p[0]}`;
        received.set(sub, (received.get(sub) || 0) + 1);
      } catch {
        // compressed frames: this peer advertised no compression, so there are none
      }
    }
  });
  t.teardown(() => sock.destroy());
  const peer = {
    id,
    received,
    get closed() {
      return closed;
    },
    /** Send one message; resolves once the socket can take more (backpressure). */
    async send(mainFlag, payload, sender = id) {
      if (sock.write(core.encodeMessage([mainFlag, sender, now(), ...payload], null).frame)) return;
      // wait for drain or close; the loser's listener is removed (concurrent sends would pile them up)
      const stop = new AbortController();
      const waits = [once(sock, 'drain', { signal: stop.signal }), once(sock, 'close', { signal: stop.signal })].map((p) => p.catch(() => {}));
      await Promise.race(waits);
      stop.abort();
    },
  };
  await peer.send(2, [5, id, protocolId, ['127.0.0.1', 1], []]);
  return peer;
}

/** An ID (base58 text) at a chosen ring position: what an attacker picks to sit next to a victim. */
const idAt = (pos) => core.base58EncodeInt(pos % (1n << 384n));

/** Peak RSS and heapUsed, sampled every 50 ms until stop(). */
function memorySampler() {
  const peak = { rss: 0, heapUsed: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 50);
  timer.unref();
  return { peak, stop: () => clearInterval(timer) };
}

/**
 * Victim + honest nodes a and b, a ring of three (r = 3: every node holds every
 * table of every key). The workload, through the victim: every `opMs` a set of a
 * new key, then a get of an earlier acknowledged one. check() stops it and
 * asserts the victim is up and still in its ring, no honest operation paused
 * longer than `maxPauseMs` since attack() was called, no operation failed
 * (except set failures whose codes `allowSetCodes` lists), and every
 * acknowledged key reads back with its value from every node.
 */
async function chordArena(t, { victim: victimOptions = {}, ring: ringOptions = {}, maxPauseMs = FALLBACK ? 6000 : 3000, opMs = 50 } = {}) {
  const victim = await createChord({ ...BASE, ...ringOptions, ...victimOptions });
  const a = await createChord({ ...BASE, ...ringOptions });
  const b = await createChord({ ...BASE, ...ringOptions });
  const nodes = [victim, a, b];
  let stopped = false;
  t.teardown(async () => {
    stopped = true;
    await Promise.all(nodes.map((n) => n.close({ leave: false })));
  });
  await a.connect('127.0.0.1', victim.port);
  await b.connect('127.0.0.1', victim.port);
  await waitFor(() => nodes.every((n) => n.chordStats().ringSize === 3 && n.mode === 'overlay') && nodes.every((n) => n.peers.size === 2), 15000, 'the honest ring of three');
  const peerErrors = [];
  victim.on('peerError', (e) => peerErrors.push(e.code));

  const acked = new Map();
  const done = [];
  const failures = [];
  const setFailures = [];
  let n = 0;
  const workload = (async () => {
    while (!stopped) {
      const key = `honest-${n}`;
      const value = { n, text: `value ${n}`, pad: Buffer.alloc(32, n % 256) };
      try {
        await victim.set(key, value);
        acked.set(key, value);
      } catch (e) {
        setFailures.push({ key, code: e.code, message: e.message, at: Date.now() });
      }
      done.push(Date.now());
      const keys = [...acked.keys()];
      if (keys.length) {
        const k = keys[(n * 7919) % keys.length];
        try {
          const v = await victim.get(k);
          if (!isDeepStrictEqual(v, acked.get(k))) failures.push(`get ${k} through the victim: a different value`);
        } catch (e) {
          failures.push(`get ${k} through the victim: ${e.code} ${e.message}`);
        }
        done.push(Date.now());
      }
      n++;
      await sleep(opMs);
    }
  })();
  await waitFor(() => acked.size >= 5, 10000, 'honest writes flowing');

  let attackAt = 0;
  let sampler = null;
  let before = null;
  const arena = {
    victim,
    honest: [a, b],
    nodes,
    acked,
    peerErrors,
    /** Positions of honest keys already acknowledged (the five slots of each). */
    honestSlots: (count = 5) => [...acked.keys()].slice(0, count).flatMap((k) => slotsOf(k)),
    /** Mark the start of the attack: memory is measured from here, pauses too. */
    async attack() {
      before = await settledMemory();
      sampler = memorySampler();
      t.teardown(() => sampler.stop());
      attackAt = Date.now();
    },
    /** Stop the workload and assert the outcome (see above); returns the figures measured. */
    async check({ allowSetCodes = [] } = {}) {
      // a little honest traffic after the attack, then stop
      const mark = done.length;
      await waitFor(() => done.length >= mark + 4, 3 * maxPauseMs, 'honest operations after the attack');
      stopped = true;
      await workload;
      sampler.stop();
      let pause = 0;
      for (let i = 1; i < done.length; i++) if (done[i] >= attackAt) pause = Math.max(pause, done[i] - Math.max(done[i - 1], attackAt));
      t.true(pause < maxPauseMs, `largest pause between honest operations through the victim: ${pause} ms (bound ${maxPauseMs})`);
      t.deepEqual(failures, [], 'every honest read through the victim returned the acknowledged value');
      const unexpected = setFailures.filter((f) => !allowSetCodes.includes(f.code));
      t.deepEqual(unexpected.map((f) => `${f.key}: ${f.code} ${f.message}`), [], 'honest writes through the victim succeeded');
      t.false(victim.closed);
      t.true(victim.peers.has(a.id) && victim.peers.has(b.id), 'the victim is still linked to the honest nodes');
      t.true(nodes.every((x) => x.chordStats().ringSize === 3 && x.mode === 'overlay'), `ring views: ${nodes.map((x) => `${x.chordStats().ringSize}/${x.mode}`)}`);
      // no acknowledged key lost or overwritten: every one reads back from every node
      for (const [key, value] of acked) {
        for (const x of nodes) t.deepEqual(await x.get(key), value, `${key} from ${x === victim ? 'the victim' : 'an honest node'}`);
      }
      const after = await settledMemory();
      const figures = {
        honestOps: done.length,
        acked: acked.size,
        setsRefused: setFailures.length,
        maxPauseMs: pause,
        peakRssGrowthMiB: +((sampler.peak.rss - before.rss) / MiB).toFixed(1),
        peakHeapGrowthMiB: +((sampler.peak.heapUsed - before.heapUsed) / MiB).toFixed(1),
        settledHeapGrowthMiB: +((after.heapUsed - before.heapUsed) / MiB).toFixed(1),
      };
      t.log(JSON.stringify(figures));
      return figures;
    },
  };
  return arena;
}

module.exports = { chordArena, attacker, idAt, memorySampler, FALLBACK, BASE, MiB, now, waitFor, sleep, slotsOf, core };
