'use strict';
// polyp2p chord nodes with the real originals (js2p 0.7.870, py2p 0.7.870/0.7.878 as processes):
// a value set on either side is read on the other, through the originals' own protocol.
const test = require('ava');
const { startNode, closeAll, needing } = require('./harness');
const { createChord } = require('../../dist/index.js');
const { waitFor, sleep } = require('../helpers/mesh');

const ORIGINALS = ['js2p', 'py2p-0.7.870', 'py2p-0.7.878'];

for (const impl of ORIGINALS) {
  needing(test, impl)(`polyp2p and ${impl} chord nodes read each other's values`, async (t) => {
    const theirs = await startNode(impl, { kind: 'chord' });
    t.teardown(() => closeAll(theirs));
    const ours = await createChord({ host: '127.0.0.1', port: 0, keepAliveInterval: 0 });
    t.teardown(() => ours.close());
    theirs.command({ cmd: 'join' });
    await theirs.waitFor((e) => e.event === 'ok' && e.cmd === 'join', 5000);
    await ours.connect('127.0.0.1', theirs.port);
    await waitFor(() => [...ours.peers.values()].some((p) => p.id === theirs.id && ours.isStoring(p)), 8000, `${impl} announces it stores data`);
    await theirs.waitForPeer(ours.id, 8000);
    await sleep(300); // the originals record our meta after their own handshake handling
    t.is(ours.mode, 'legacy', 'an original neighbour puts the node in the originals\' protocol');

    // original -> polyp2p
    theirs.command({ cmd: 'set', key: 'from-original', value: { n: 1, s: impl } });
    await theirs.waitFor((e) => e.event === 'ok' && e.cmd === 'set', 5000);
    await sleep(300);
    t.deepEqual(await ours.get('from-original', { timeout: 5000 }), { n: 1, s: impl });
    await waitFor(() => ours.keys().some((k) => k.toString() === 'from-original'), 3000, 'the notify');

    // polyp2p -> original
    await ours.set('from-polyp2p', 'hello ' + impl);
    await sleep(300);
    const from = theirs.events.length;
    theirs.command({ cmd: 'get', key: 'from-polyp2p', timeout: 5 });
    const ev = await theirs.waitFor((e) => e.event === 'value' && e.key === 'from-polyp2p', 8000, from);
    t.true(ev.found, ev.error);
    const v = ev.value && ev.value.$bin ? Buffer.from(ev.value.$bin, 'hex').toString() : ev.value;
    t.is(v, 'hello ' + impl);

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
    await a.set('mixed-from-polyp2p', 'p');
    await sleep(300);
    const from = theirs.events.length;
    theirs.command({ cmd: 'get', key: 'mixed-from-polyp2p', timeout: 5 });
    const ev = await theirs.waitFor((e) => e.event === 'value' && e.key === 'mixed-from-polyp2p', 8000, from);
    t.true(ev.found, ev.error);
    const v = ev.value && ev.value.$bin ? Buffer.from(ev.value.$bin, 'hex').toString() : ev.value;
    t.is(v, 'p');
    // (a write by b, which the original is not linked to, is found by the original for the tables
    // it asks of a; those it reads from itself it never received: as between two originals that
    // are not linked. js2p resolves a get only when all five tables answered)
  });
}
