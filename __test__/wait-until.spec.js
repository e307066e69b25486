'use strict';
// waitUntil: a condition re-checked after the events that may change it, never on a polling timer.
const test = require('ava');
const { EventEmitter } = require('events');
const { waitUntil, onEvent, Notifier } = require('../dist/base/wait-until.js');

test('resolves true at once when the condition holds, false after the timeout when it never does', async (t) => {
  t.true(await waitUntil(() => true, [], 1000));
  const started = Date.now();
  t.false(await waitUntil(() => false, [], 50));
  t.true(Date.now() - started >= 45);
});

test('re-checks after each event, once the code that fired it has run; listeners are removed at the end', async (t) => {
  const emitter = new EventEmitter();
  const notifier = new Notifier();
  let state = 0;
  let checks = 0;
  const waiting = waitUntil(() => (checks++, state >= 2), [onEvent(emitter, 'change'), notifier.trigger], 5000);
  const started = Date.now();
  emitter.emit('change'); // state still 0
  await new Promise((r) => setImmediate(r));
  t.is(checks, 2, 'checked at once and after the event');
  state = 1;
  notifier.notify();
  state = 2; // the same change, completed after the notice
  t.true(await waiting);
  t.true(Date.now() - started < 1000, 'no timer needed');
  t.is(emitter.listenerCount('change'), 0);
  state = 0;
  t.false(await waitUntil(() => state === 1, [notifier.trigger], 20));
});
