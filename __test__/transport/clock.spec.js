'use strict';
// VirtualClock.install(): global timers and Date.now on simulated time, for
// simulations in which every node's own timers must ignore how busy the CPU is.
// Tests that install the clock run serially (the globals are process-wide).
const test = require('ava');
const { VirtualClock, realTimers } = require('../../dist/transport/clock.js');
const { MemoryNetwork } = require('../../dist/transport/memory.js');

/** Run `body` with a virtual clock installed; always uninstalls. */
async function withVirtualTime(body, start = 1_000_000) {
  const clock = new VirtualClock({ start });
  const uninstall = clock.install();
  try {
    return await body(clock);
  } finally {
    uninstall();
  }
}

const realSleep = (ms) => new Promise((r) => realTimers.setTimeout(r, ms));

test.serial('timers fire in time order at their virtual times; an hour passes in far less than an hour', async (t) => {
  const wallStart = realTimers.now();
  await withVirtualTime(async (clock) => {
    const fired = [];
    setTimeout(() => fired.push(['c', Date.now()]), 3_600_000);
    setTimeout(() => fired.push(['a', Date.now()]), 10);
    setTimeout((x) => fired.push([x, Date.now()]), 500, 'b');
    await new Promise((r) => setTimeout(r, 3_600_001));
    t.deepEqual(fired, [
      ['a', 1_000_010],
      ['b', 1_000_500],
      ['c', 4_600_000],
    ]);
    t.is(clock.now(), 4_600_001);
  });
  t.true(realTimers.now() - wallStart < 20_000, 'a virtual hour took under 20 s of wall time');
});

test.serial('a busy CPU does not make a virtual timeout fire early', async (t) => {
  await withVirtualTime(async () => {
    const t0 = Date.now();
    let timedOut = false;
    const timer = setTimeout(() => (timedOut = true), 100);
    // 300 ms of real CPU work, in steps that each schedule the next (as message handling does)
    for (let i = 0; i < 30; i++) {
      const spin = realTimers.now() + 10;
      while (realTimers.now() < spin);
      await new Promise((r) => setTimeout(r, 0));
    }
    t.false(timedOut, 'the work took 0 virtual ms');
    t.is(Date.now() - t0, 0);
    clearTimeout(timer);
  });
});

test.serial('clearTimeout, clearInterval (also from inside the callback), unref/ref/hasRef/refresh', async (t) => {
  await withVirtualTime(async () => {
    const fired = [];
    const never = setTimeout(() => fired.push('never'), 5);
    clearTimeout(never);
    let n = 0;
    const every = setInterval(() => {
      fired.push(`tick${++n}@${Date.now() - 1_000_000}`);
      if (n === 3) clearInterval(every);
    }, 100);
    const u = setTimeout(() => fired.push('unref'), 50).unref();
    t.is(u.hasRef(), false);
    t.is(u.ref(), u);
    t.true(u.hasRef());
    t.is(typeof +u, 'number');
    const r = setTimeout(() => fired.push(`refreshed@${Date.now() - 1_000_000}`), 200);
    await new Promise((res) => setTimeout(res, 150));
    r.refresh(); // 200 ms from now: fires at 350
    await new Promise((res) => setTimeout(res, 1000));
    t.deepEqual(fired, ['unref', 'tick1@100', 'tick2@200', 'tick3@300', 'refreshed@350']);
  });
});

test.serial('timers created before install stay real and can still be cleared; uninstall restores the globals', async (t) => {
  const saved = { setTimeout, setInterval, clearTimeout, clearInterval, now: Date.now };
  let realFired = false;
  const real = setTimeout(() => (realFired = true), 30);
  await withVirtualTime(async () => {
    t.not(setTimeout, saved.setTimeout);
    clearTimeout(real);
  });
  t.is(setTimeout, saved.setTimeout);
  t.is(setInterval, saved.setInterval);
  t.is(clearTimeout, saved.clearTimeout);
  t.is(clearInterval, saved.clearInterval);
  t.is(Date.now, saved.now);
  await realSleep(60);
  t.false(realFired);
  t.true(Math.abs(Date.now() - realTimers.now()) < 5);
});

test.serial('timers pending at uninstall move to real timers with their remaining delay (not lost)', async (t) => {
  let fired = false;
  await withVirtualTime(async () => {
    setTimeout(() => (fired = true), 40);
  });
  t.false(fired);
  await realSleep(150);
  t.true(fired);
});

test.serial('a callback that throws is an uncaught exception, and the clock keeps running', async (t) => {
  const seen = [];
  const onUncaught = (e) => seen.push(e.message);
  const listeners = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', onUncaught);
  try {
    await withVirtualTime(async () => {
      setTimeout(() => {
        throw new Error('boom');
      }, 10);
      await new Promise((r) => setTimeout(r, 20));
    });
  } finally {
    process.removeListener('uncaughtException', onUncaught);
    for (const l of listeners) process.on('uncaughtException', l);
  }
  t.deepEqual(seen, ['boom']);
});

test.serial('installing twice is refused', async (t) => {
  await withVirtualTime(async (clock) => {
    t.throws(() => clock.install(), { message: /already installed/ });
  });
});

test.serial('links and node timers on one installed clock: a reply after a 250 ms timer arrives at 2 latencies + 250 ms', async (t) => {
  await withVirtualTime(async (clock) => {
    const net = new MemoryNetwork({ link: { latencyMs: 30 }, clock });
    let server;
    const srv = await net.transport('a').listen('a', 1, (s) => (server = s));
    const client = await net.transport('b').dial('a', 1);
    const t0 = Date.now();
    const replyAt = new Promise((resolve) => client.on('data', () => resolve(Date.now())));
    while (!server) await new Promise((r) => setTimeout(r, 1));
    server.on('data', () => setTimeout(() => server.write(Buffer.from('pong')), 250));
    client.write(Buffer.from('ping'));
    t.is((await replyAt) - t0, 30 + 250 + 30);
    client.destroy();
    await srv.close();
  }, 0);
});

test.serial('an interval pending at uninstall goes on as a real interval; the virtual clock does not keep spinning', async (t) => {
  let ticks = 0;
  let handle;
  const clock = new VirtualClock({ start: 0 });
  const uninstall = clock.install();
  handle = setInterval(() => ticks++, 20);
  uninstall();
  // bounded wait: a preempted host may fire fewer ticks in any fixed 130 ms
  for (const end = realTimers.now() + 5000; ticks < 3 && realTimers.now() < end; ) await realSleep(10);
  t.true(ticks >= 3, `the interval kept firing on real time (${ticks} ticks)`);
  t.is(clock.pending, 0, 'nothing re-armed on the uninstalled clock');
  handle.close(); // as Node's Timeout.close(); Node's own clearInterval does not know the handle
  const at = ticks;
  await realSleep(80);
  t.is(ticks, at, 'cleared');
});

test.serial('resolutionMs: events within it of the earliest run in one step, in order, at its time; later ones keep theirs', async (t) => {
  const fired = [];
  const exact = new VirtualClock({ start: 0 });
  const coarse = new VirtualClock({ start: 0, resolutionMs: 1 });
  for (const [clock, name] of [
    [exact, 'exact'],
    [coarse, 'coarse'],
  ]) {
    const done = new Promise((resolve) => clock.schedule(5, resolve));
    // 0.2 and 0.9 ms fall within 1 ms of 0.2; 1.5 does not (it starts the next step)
    for (const at of [0.9, 0.2, 1.5]) clock.schedule(at, () => fired.push([name, at, clock.now()]));
    await done;
  }
  t.deepEqual(fired, [
    ['exact', 0.2, 0.2],
    ['exact', 0.9, 0.9],
    ['exact', 1.5, 1.5],
    ['coarse', 0.2, 0.2],
    ['coarse', 0.9, 0.2],
    ['coarse', 1.5, 1.5],
  ]);
});
