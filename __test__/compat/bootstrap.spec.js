'use strict';
// bootstrap() with configured seeds and `polyp2p seed` (issue #19 item 4): programs given only a
// seed's address find each other through the seed's chord ring (subnet 'bootstrap', the key is
// their protocol ID) and exchange broadcasts.
const test = require('ava');
const path = require('path');
const { spawn } = require('child_process');
const polyp2p = require('../../dist/index.js');
const { parseSeeds } = require('../../dist/compat/bootstrap.js');
const { freePort, startNode, closeAll, needing } = require('../interop/harness');
const { waitFor, sleep } = require('../helpers/mesh');

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli', 'index.js');

/** `polyp2p seed 127.0.0.1 <port>` in its own process, killed at the end. */
async function seedProcess(t) {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'seed', '127.0.0.1', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  await waitFor(() => /polyp2p seed \S+ on 127\.0\.0\.1:/.test(out), 10000, `the seed to start (output: ${out})`);
  return port;
}

test.serial('three programs given only a seed (npx polyp2p seed) find each other and exchange broadcasts', async (t) => {
  const seedPort = await seedProcess(t);
  polyp2p.bootstrap.seeds = [['127.0.0.1', seedPort]];
  t.teardown(() => (polyp2p.bootstrap.seeds = []));
  const socks = [];
  for (let i = 0; i < 3; i++) {
    const s = polyp2p.bootstrap(polyp2p.MeshSocket, null, '127.0.0.1', await freePort());
    t.teardown(() => s.close());
    const met = new Promise((resolve) => s.once('bootstrapped', resolve));
    socks.push(s);
    // each one registers, then connects to those registered before it
    t.is((await met).length, i, `program ${i} is given the ${i} registered before it`);
    t.is(s.status, 'Nominal', `program ${i}: ${s.status !== 'Nominal' && s.status.map((e) => e.message)}`);
  }
  await waitFor(() => socks.every((s) => s.routing_table.size === 2), 10000, 'every program linked to the other two');
  socks[0].send(['hello from the first']);
  await waitFor(() => socks.slice(1).every((s) => s.queue > 0), 5000, 'the broadcast at the others');
  for (const s of socks.slice(1)) t.deepEqual(s.recv().packets.slice(1), ['hello from the first']);
});

test.serial('without seeds, bootstrap returns the socket and says why it found nobody (status)', async (t) => {
  polyp2p.bootstrap.seeds = [];
  const s = polyp2p.bootstrap(polyp2p.MeshSocket, null, '127.0.0.1', await freePort());
  t.teardown(() => s.close());
  await waitFor(() => s.status !== 'Nominal', 5000, 'an exception');
  t.regex(s.status[0].message, /no seeds .*bootstrap\.seeds.*POLYP2P_SEEDS/);
});

test.serial('an unreachable seed is reported after the wait, and the socket keeps working', async (t) => {
  polyp2p.bootstrap.seeds = [['127.0.0.1', await freePort()]]; // nothing listens there
  t.teardown(() => (polyp2p.bootstrap.seeds = []));
  const s = polyp2p.bootstrap(polyp2p.MeshSocket, null, '127.0.0.1', await freePort());
  t.teardown(() => s.close());
  await waitFor(() => s.status !== 'Nominal', 15000, 'an exception');
  t.true(s.status.some((e) => /no data-storing seed answered/.test(e.message)), s.status.map((e) => e.message).join('; '));
  await s.ready;
});

test('POLYP2P_SEEDS is host:port,host:port', (t) => {
  t.deepEqual(parseSeeds('seed.example:44565,127.0.0.1:4000'), [['seed.example', 44565], ['127.0.0.1', 4000]]);
  t.deepEqual(parseSeeds(''), []);
  t.throws(() => parseSeeds('nohost'), { message: /not host:port/ });
  t.throws(() => parseSeeds('h:99999'), { message: /not host:port/ });
});


/** A rendered mapping (text keys, or $map with $bin keys from py2p) as an object keyed by text. */
function byText(value) {
  if (!value || !value.$map) return value ?? {};
  return Object.fromEntries(value.$map.map(([k, v]) => [k && k.$bin ? Buffer.from(k.$bin, 'hex').toString() : String(k), v]));
}

for (const impl of ['js2p', 'py2p-0.7.870', 'py2p-0.7.878']) {
  needing(test.serial, impl)(`${impl}'s chord socket on the bootstrap subnet registers through a polyp2p seed as its bootstrap() does (apply_delta on the protocol ID), and polyp2p programs and ${impl} nodes find each other there`, async (t) => {
    const seedPort = await seedProcess(t);
    polyp2p.bootstrap.seeds = [['127.0.0.1', seedPort]];
    t.teardown(() => (polyp2p.bootstrap.seeds = []));
    const protocolId = new polyp2p.base.Protocol('mesh', 'Plaintext').id;
    const first = polyp2p.bootstrap(polyp2p.MeshSocket, null, '127.0.0.1', await freePort());
    t.teardown(() => first.close());
    const registered = new Promise((resolve) => first.once('bootstrapped', resolve));
    // a mesh node of the original, registered by its chord socket on the bootstrap subnet (what its bootstrap() runs)
    const theirMesh = await startNode(impl, { kind: 'mesh' });
    const helper = await startNode(impl, { kind: 'chord', subnet: 'bootstrap' });
    t.teardown(() => closeAll(theirMesh, helper));
    helper.command({ cmd: 'connect', host: '127.0.0.1', port: seedPort });
    await helper.waitFor((e) => e.event === 'connect', 8000);
    t.deepEqual(await registered, [], 'the first program registered, with nobody to meet yet');
    await sleep(1000); // the originals take the seed as data-storing once its meta arrived (300 ms was too short once on a loaded machine)
    const from = helper.events.length;
    // js2p names nodes as text, py2p as bin (its bootstrap applies {self.id: out_addr})
    const ownId = impl === 'js2p' ? theirMesh.id : { $bin: Buffer.from(theirMesh.id).toString('hex') };
    helper.command({ cmd: 'apply_delta', key: protocolId, delta: { $map: [[ownId, ['127.0.0.1', theirMesh.port]]] } });
    const answer = await helper.waitFor((e) => e.event === 'value' && e.key === protocolId, 15000, from);
    t.true(answer.found, `${impl}'s apply_delta: ${answer.error}`);
    const seen = byText(answer.value);
    t.truthy(seen[first.id], `${impl} sees the polyp2p program registered by bootstrap() (${JSON.stringify(answer.value)})`);
    t.truthy(seen[theirMesh.id]);
    // a second polyp2p program finds both: the polyp2p one and the original's node
    const second = polyp2p.bootstrap(polyp2p.MeshSocket, null, '127.0.0.1', await freePort());
    t.teardown(() => second.close());
    await waitFor(() => second.routing_table.has(theirMesh.id) && second.routing_table.has(first.id), 15000, `the second program linked to ${impl} and to the first`);
    t.is(second.status, 'Nominal');
  });
}
