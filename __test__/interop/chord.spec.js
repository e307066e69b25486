'use strict';
// polyp2p chord nodes with the real originals (js2p 0.7.870, py2p 0.7.870/0.7.878 as processes):
// a value set on either side is read on the other, through the originals' own protocol.
const test = require('ava');
const { startNode, closeAll, needing, closesOf } = require('./harness');
const { createChord } = require('../../dist/index.js');
const { waitFor, sleep } = require('../helpers/mesh');

const ORIGINALS = ['js2p', 'py2p-0.7.870', 'py2p-0.7.878'];

/** A polyp2p chord node linked to a joined original, speaking the originals' protocol. */
async function legacyPair(t, impl) {
  const theirs = await startNode(impl, { kind: 'chord' });
  t.teardown(() => closeAll(theirs));
  const ours = await createChord({ host: '127.0.0.1', port: 0, keepAliveInterval: 0 });
  t.teardown(() => ours.close());
  const closes = closesOf(t, ours);
  theirs.command({ cmd: 'join' });
  await theirs.waitFor((e) => e.event === 'ok' && e.cmd === 'join', 5000);
  await ours.connect('127.0.0.1', theirs.port);
  await waitFor(() => [...ours.peers.values()].some((p) => p.id === theirs.id && ours.isStoring(p)), 8000, `${impl} announces it stores data`);
  await theirs.waitForPeer(ours.id, 8000);
  t.is(ours.mode, 'legacy', "an original neighbour puts the node in the originals' protocol");
  // the originals record our meta after their own handshake handling (later on a loaded host):
  // until then they read every table from themselves, so wait until one reads a value of ours
  await ours.set('warm-up', 'ready');
  await waitFor(async () => (await theirGet(theirs, 'warm-up', 1).catch(() => null))?.value === 'ready', 15000, `${impl} reads from polyp2p (it took our meta)`);
  // what a failed read names: whether the link to the original is still up, and the original's state
  const why = () => `${closes()}; linked: ${ours.peers.has(theirs.id)}\n${theirs.describe()}`;
  return { theirs, ours, why };
}

for (const impl of ORIGINALS) {
  needing(test, impl)(`polyp2p and ${impl} chord nodes read each other's values`, async (t) => {
    const { theirs, ours, why } = await legacyPair(t, impl);

    // original -> polyp2p
    theirs.command({ cmd: 'set', key: 'from-original', value: { n: 1, s: impl } });
    await theirs.waitFor((e) => e.event === 'ok' && e.cmd === 'set', 5000);
    await sleep(300);
    const read = await ours.get('from-original', { timeout: 5000 }).catch((e) => {
      throw new Error(`${e.code}: ${e.message}; ${why()}`);
    });
    t.deepEqual(read, { n: 1, s: impl });
    await waitFor(() => ours.keys().some((k) => k.toString() === 'from-original'), 3000, 'the notify');

    // polyp2p -> original: once the original applied the stores it was sent (it reads its own
    // tables once, when a get starts; a loaded host delays that), its get finds the value
    await ours.set('from-polyp2p', 'hello ' + impl);
    await waitFor(() => originalHolds(theirs, ours, 'from-polyp2p', 'hello ' + impl), 5000, `${impl} holds its tables of the key`);
    const got = await theirGetAnswered(t, theirs, 'from-polyp2p', 5);
    t.true(got.found, why());
    t.is(got.value, 'hello ' + impl);

    // a missing key: polyp2p answers NotFound instead of waiting for the whole timeout
    await t.throwsAsync(ours.get('never-set', { timeout: 5000 }), { code: 'ERR_NOT_FOUND' });
    t.is(await ours.getOr('never-set', 'fallback', { timeout: 5000 }), 'fallback');
  });
}

// A polyp2p ring next to an original (issue #17): the polyp2p nodes keep reading and writing
// through their overlay (a peer that only claims to store data cannot take their writes), and
// serve the original with its own protocol: its stores and retrieves are routed through the
// overlay, polyp2p writes are mirrored to it for the positions closer to it than to its polyp2p
// neighbour (§15.3), and tables the ring does not hold are asked of it.
for (const impl of ['js2p', 'py2p-0.7.878']) {
  needing(test, impl)(`a polyp2p ring of two next to ${impl}: overlay mode, values readable both ways`, async (t) => {
    const theirs = await startNode(impl, { kind: 'chord' });
    t.teardown(() => closeAll(theirs));
    const opts = { host: '127.0.0.1', port: 0, keepAliveInterval: 0, stabilizeInterval: 200 };
    const a = await createChord(opts);
    const b = await createChord(opts);
    t.teardown(() => Promise.all([a.close({ leave: false }), b.close({ leave: false })]));
    await b.connect('127.0.0.1', a.port);
    await waitFor(() => a.mode === 'overlay' && b.mode === 'overlay', 8000, 'the polyp2p ring');
    theirs.command({ cmd: 'join' });
    await theirs.waitFor((e) => e.event === 'ok' && e.cmd === 'join', 5000);
    await a.connect('127.0.0.1', theirs.port);
    await waitFor(() => [...a.peers.values()].some((p) => p.id === theirs.id && a.isStoring(p)), 8000, `${impl} announces it stores data`);
    await theirs.waitForPeer(a.id, 8000);
    await sleep(300);
    t.is(a.mode, 'overlay', 'an original neighbour no longer moves a ring member to the originals\' protocol');

    // the original's stores go to its find(): the tables it placed on a are routed into the ring,
    // those it kept itself are asked of it when the ring has nothing
    theirs.command({ cmd: 'set', key: 'mixed-from-original', value: 'o' });
    await theirs.waitFor((e) => e.event === 'ok' && e.cmd === 'set', 5000);
    await sleep(500);
    t.is(await a.get('mixed-from-original', { timeout: 5000 }), 'o', "an original's write is read by its neighbour");

    // a's write: through the ring, and mirrored to the original for the positions closer to it
    // (a get that misses, because the original had not applied a mirrored store yet when it
    // started, is made again: at most 3 times, logged)
    await a.set('mixed-from-polyp2p', 'p');
    await sleep(300);
    let got = null;
    for (let attempt = 1; attempt <= 3 && !got?.found; attempt++) {
      got = await theirGetAnswered(t, theirs, 'mixed-from-polyp2p', 3);
      if (!got.found) t.log(`${impl}: get ${attempt} of mixed-from-polyp2p missed it`);
    }
    t.true(got.found, theirs.describe());
    t.is(got.value, 'p');
    // (a write by b, which the original is not linked to, is found by the original for the tables
    // it asks of a; those it reads from itself it never received: as between two originals that
    // are not linked. js2p resolves a get only when all five tables answered)
  });
}

// Issue #19 item 5: in a ring with an original, polyp2p behaves as the originals do among
// themselves. The originals keep no versions: a store replaces what a node holds, and a read
// asks all five tables. polyp2p versions each item with the clock (ms) of the polyp2p node
// the write entered at and the writer's ID, so a write made after another replaces it, within
// the same second too (README, "Replication and consistency").
const { slotsOf } = require('../../dist/chord/positions.js');
const { legacyFind } = require('../../dist/chord/legacy-find.js');

let getIds = 0;

/**
 * The original's get (timeout in seconds; its answer awaited for `waitMs`): { found, value, ms }.
 * The answer is matched by the command's id, never by key: a late answer to an earlier get of
 * the same key is not this one's. Rejects when the original gave no answer at all.
 */
async function theirGet(theirs, key, timeout, waitMs = timeout * 1000 + 5000) {
  const from = theirs.events.length;
  const started = Date.now();
  const id = ++getIds;
  theirs.command({ cmd: 'get', key, timeout, id });
  const ev = await theirs.waitFor((e) => e.event === 'value' && e.id === id, waitMs, from);
  return { found: ev.found, value: textOf(ev.value), ms: Date.now() - started };
}

/**
 * theirGet, made again (at most `tries` times) only when the original gave no answer at all: a
 * loaded host once stalled js2p's process for 7 s in CI. A miss is an answer and is returned.
 */
async function theirGetAnswered(t, theirs, key, timeout, tries = 3) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await theirGet(theirs, key, timeout);
    } catch (e) {
      if (attempt === tries) throw e;
      t.log(`get ${attempt} of ${key} had no answer at all (the original's process stalled); again`);
    }
  }
}

const textOf = (v) => (v && v.$bin ? Buffer.from(v.$bin, 'hex').toString() : v);

/** What the original holds itself at the key's five positions (its own tables: one round trip, no network). */
async function theirHolds(theirs, key) {
  const from = theirs.events.length;
  theirs.command({ cmd: 'holds', key });
  return (await theirs.waitFor((e) => e.event === 'holds' && e.key === key, 3000, from)).values.map(textOf);
}

/** The original holds `value` at every table of `key` this node routes to it (they were stored there). */
async function originalHolds(theirs, ours, key, value) {
  const held = await theirHolds(theirs, key).catch(() => []);
  return held.filter((v) => v === value).length === heldByOriginal(ours, key);
}

/** Tables of `key` whose position the original is responsible for (as this node routes them). */
const heldByOriginal = (ours, key) => slotsOf(key).filter(({ pos }) => legacyFind(ours, pos) !== 'self').length;

/**
 * Wait for the start of a second (plus `offsetMs`), so that two writes a few hundred ms apart
 * share it. Tests that run at once use different offsets, so that their writes do not all start
 * at the same moment on a loaded host.
 */
async function startOfSecond(offsetMs = 20) {
  await sleep(1000 - (Date.now() % 1000) + offsetMs);
  return Math.floor(Date.now() / 1000);
}

for (const impl of ORIGINALS) {
  needing(test, impl)(`chord with ${impl} as among the originals: visible 0.1 s after a set, the later write wins within a second, a delete leaves nothing`, async (t) => {
    const { theirs, ours } = await legacyPair(t, impl);

    // a polyp2p write is visible to the original 0.1 s after the set: a get it starts then finds
    // it (an original reads its own tables once, when the get starts; its answer then takes its
    // own polling, 0.1-0.3 s here, longer on a loaded host, so the get may run up to 2 s)
    // (a get started 0.1 s after the set that misses is made again, at most 5 times, and logged:
    // a loaded host can keep the original's process from reading its socket for that long; once
    // in CI js2p gave no answer at all, not even its own 2 s time-out, for 7 s: that is a stalled
    // process, not a miss, and is logged and made again the same way)
    for (let i = 0; i < 3; i++) {
      await ours.set(`mixed-read-${i}`, 'p');
      const setAt = Date.now();
      let read = null;
      for (let attempt = 0; attempt < 6 && !read?.found; attempt++) {
        await sleep(100);
        read = await theirGet(theirs, `mixed-read-${i}`, 2).catch((e) => ({ found: false, ms: null, stalled: e.message }));
        if (read.stalled) t.log(`${impl}: get ${attempt + 1} of mixed-read-${i} had no answer at all (the original's process stalled):\n${read.stalled}`);
        else if (!read.found) t.log(`${impl}: get ${attempt + 1} of mixed-read-${i} missed it (${Date.now() - setAt} ms after the set)`);
      }
      t.true(read.found, `${impl} found the value (${read.ms} ms)`);
      t.is(read.value, 'p');
      t.log(`${impl} read a polyp2p write ${Date.now() - setAt} ms after the set`);
    }

    // the later of two writes in one second wins for every reader, in both orders. An attempt whose
    // writes could not share a second is made again with a fresh key (at most three): once in CI,
    // js2p left a get of its own unanswered for 5 s (its own 0.3 s timeout did not fire either)
    for (const [first, second] of [
      ['polyp2p', 'original'],
      ['original', 'polyp2p'],
    ]) {
      let decided = false;
      for (let attempt = 0; attempt < 3 && !decided; attempt++) {
        const key = `same-second-${first}-then-${second}-${attempt}`;
        const write = async (who, value) => {
          if (who === 'polyp2p') return ours.set(key, value);
          const from = theirs.events.length; // its own answer, not an earlier write's
          theirs.command({ cmd: 'set', key, value });
          await theirs.waitFor((e) => e.event === 'ok' && e.cmd === 'set', 5000, from);
        };
        const at = await startOfSecond(20 + 150 * ORIGINALS.indexOf(impl));
        await write(first, `by ${first}`);
        // the second write starts once the first is readable at the second writer: it is the later
        // one. The original reads its own tables when a get starts, and asks polyp2p for the rest,
        // which holds the first write already (its set resolved): so the first write is readable
        // there once the original holds it in its tables (asked directly: one round trip, where a
        // get polls the network for a time)
        const readable =
          second === 'original'
            ? () => originalHolds(theirs, ours, key, `by ${first}`)
            : async () => (await ours.getOr(key, null, { timeout: 300 }).catch(() => null)) === `by ${first}`;
        const seen = await waitFor(readable, 3000, `the first write at the ${second}`).then(
          () => true,
          () => false,
        );
        if (seen) await write(second, `by ${second}`);
        if (!seen || Math.floor(Date.now() / 1000) !== at) {
          t.log(`${key}: ${seen ? 'the two writes fell in two seconds' : `the first write was not read back at the ${second} within 3 s`}; again with a fresh key`);
          continue;
        }
        decided = true;
        // every reader comes to the later write: an original applies a store it was sent a while
        // later (py2p 0.7.870 took over 200 ms on a loaded CI host), so each side is read until
        // it shows it, for at most 5 s; a write that lost would never show
        const later = `by ${second}`;
        await waitFor(async () => (await ours.get(key, { timeout: 1000 }).catch(() => null)) === later, 5000, `${key} at polyp2p`).catch(() => {});
        t.is(await ours.get(key, { timeout: 3000 }), later, `${key}: polyp2p reads the later write`);
        await waitFor(async () => (await theirGet(theirs, key, 1).catch(() => null))?.value === later, 5000, `${key} at ${impl}`).catch(() => {});
        t.is((await theirGetAnswered(t, theirs, key, 2)).value, later, `${key}: ${impl} reads the later write`);
      }
      t.true(decided, `${first} then ${second}: in none of three attempts did both writes share a second\n${theirs.describe()}`);
    }

    // a delete made on polyp2p: the original soon holds nothing of the key, and reads it as absent
    const link = () => [...ours.peers.values()].find((p) => p.id === theirs.id);
    t.true(!!link() && ours.isStoring(link()), `still linked to ${impl}, which stores data\n${theirs.describe()}`);
    let key = null;
    // with two nodes the original's arc of the ring can be small (about 1 % of the time under 1 %):
    // search enough keys that one of them has a table there for any arc but a vanishing one
    for (let i = 0; i < 4096 && !key; i++) if (heldByOriginal(ours, `mixed-delete-${i}`) > 0) key = `mixed-delete-${i}`;
    t.truthy(key, `a key with tables on the original (mode ${ours.mode})`);
    await ours.set(key, 'doomed');
    await waitFor(() => originalHolds(theirs, ours, key, 'doomed'), 5000, 'the original holds its tables of the key');
    await ours.delete(key);
    const deletedAt = Date.now();
    // each check is a round trip to the original's process: a loaded host can take 0.5 s for one,
    // so the wait is 5 s and the time it took is logged
    const holdsNothing = async () => (await theirHolds(theirs, key).catch(() => [key])).every((v) => v === null);
    await waitFor(holdsNothing, 5000, `${impl} drops every table of the deleted key`);
    t.log(`${impl} dropped ${heldByOriginal(ours, key)} tables of a deleted key within ${Date.now() - deletedAt} ms`);
    const gone = await theirGetAnswered(t, theirs, key, 1);
    t.false(gone.found, `${impl} reads the deleted key as absent`);
    await t.throwsAsync(ours.get(key, { timeout: 3000 }), { code: 'ERR_NOT_FOUND' });
  });
}
