'use strict';
// polyp2p chord nodes with the real originals (js2p 0.7.870, py2p 0.7.870/0.7.878 as processes):
// a value set on either side is read on the other, through the originals' own protocol.
const test = require('ava');
const { startNode, closeAll } = require('./harness');
const { createChord } = require('../../dist/index.js');
const { waitFor, sleep } = require('../helpers/mesh');

const ORIGINALS = ['js2p', 'py2p-0.7.870', 'py2p-0.7.878'];

for (const impl of ORIGINALS) {
  test(`polyp2p and ${impl} chord nodes read each other's values`, async (t) => {
    const theirs = await startNode(impl, { kind: 'chord' });
    if (theirs.skip) return t.pass(theirs.skip);
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
