'use strict';
// A process that stalls (long GC, CPU starvation, a blocking call) runs its
// timers before it reads the data that queued up meanwhile. The maintenance
// tick must not judge peers silent on that tick. In a file of its own: the
// stall blocks every test in the process.
const test = require('ava');
const { spawn } = require('child_process');
const path = require('path');
const readline = require('readline');
const { startNodes, waitFor, sleep } = require('../helpers/mesh');
const { StallDetector } = require('../../dist/mesh/dispatch.js');

test('StallDetector excuses a late tick, but never two in a row', (t) => {
  const s = new StallDetector(100, 0);
  t.false(s.stalledBefore(100), 'on time');
  t.false(s.stalledBefore(250), 'late by half a period');
  t.true(s.stalledBefore(1250), 'a whole second late');
  t.false(s.stalledBefore(2250), 'late again right after an excused tick: judged');
  t.true(s.stalledBefore(3250), 'late after a judged tick: excused again');
  t.false(s.stalledBefore(3350), 'on time');
});

test('a stalled event loop does not drop peers whose data waits unread (timers run before sockets are read)', async (t) => {
  // the peer lives in another process, so it keeps pinging while this one is blocked
  const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'testnet', 'node-process.js'), JSON.stringify({ host: '127.0.0.1', port: 0, keepAliveInterval: 100, idleTimeout: 60000 })], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  const ready = await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    rl.on('line', (l) => {
      const ev = JSON.parse(l);
      if (ev.ev === 'ready') resolve(ev);
    });
    child.once('exit', () => reject(new Error('peer process exited before it was ready')));
  });
  // idleTimeout leaves the peer process 1 s to be scheduled, even on a loaded machine
  const [a] = await startNodes(t, 1, { keepAliveInterval: 100, idleTimeout: 1000 });
  const errors = [];
  a.on('peerError', (e) => errors.push(e.code));
  await a.connect('127.0.0.1', ready.port);
  await waitFor(() => [...a.peers.values()].some((p) => p.answersPings), 4000, 'pong from the peer process');
  for (let round = 0; round < 2; round++) {
    const end = Date.now() + 2000; // a stall of twice idleTimeout, while the peer's pings queue up in the kernel
    while (Date.now() < end);
    await sleep(500);
  }
  t.deepEqual(errors, [], 'no peer dropped after the stalls');
  t.is(a.peers.size, 1);
  // a peer that really falls silent is still dropped
  child.kill('SIGSTOP');
  await waitFor(() => errors.includes('ERR_IDLE_TIMEOUT'), 4000, 'idle drop of the stopped peer');
  child.kill('SIGCONT');
});
