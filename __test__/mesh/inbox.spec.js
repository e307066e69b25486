'use strict';
// MessageInbox: the bounded queue behind recv() and `for await (const msg of mesh)`.
const test = require('ava');
const { MessageInbox } = require('../../dist/mesh/inbox.js');

test('keeps arrival order; when full the oldest is dropped and counted', (t) => {
  let dropped = 0;
  const inbox = new MessageInbox(3, () => dropped++);
  for (let i = 0; i < 5; i++) inbox.push(i);
  t.is(inbox.size, 3);
  t.is(dropped, 2);
  t.deepEqual([inbox.shift(), inbox.shift(), inbox.shift(), inbox.shift()], [2, 3, 4, undefined]);
  t.is(inbox.size, 0);
});

test('many messages through a small window: order and size stay right across compaction', (t) => {
  const inbox = new MessageInbox(4000, () => t.fail('nothing is dropped')); // about 3 334 pile up
  const got = [];
  for (let i = 0; i < 10_000; i++) {
    inbox.push(i);
    if (i % 3 !== 0) got.push(inbox.shift());
  }
  while (inbox.size) got.push(inbox.shift());
  t.deepEqual(got, Array.from({ length: 10_000 }, (_, i) => i));
});

test('an iterator gets queued and later messages, and ends after end() once the queue is empty', async (t) => {
  const inbox = new MessageInbox(10, () => undefined);
  inbox.push('a');
  const seen = [];
  const reading = (async () => {
    for await (const m of inbox.iterate()) seen.push(m);
  })();
  await new Promise((r) => setImmediate(r));
  t.is(inbox.iterators, 1);
  inbox.push('b');
  inbox.push('c');
  inbox.end();
  await reading;
  t.deepEqual(seen, ['a', 'b', 'c']);
  t.is(inbox.iterators, 0);
});

test('when full, the source using the most of the budget loses its oldest messages, not the others', (t) => {
  let dropped = 0;
  const inbox = new MessageInbox(10, () => dropped++, 1000, (m) => m.size, (m) => m.from);
  inbox.push({ from: 'honest', n: 0, size: 50 });
  for (let i = 0; i < 100; i++) inbox.push({ from: 'flood', n: i, size: 10 });
  inbox.push({ from: 'honest', n: 1, size: 50 });
  t.is(inbox.size, 10);
  const got = [];
  for (let m = inbox.shift(); m; m = inbox.shift()) got.push(`${m.from}${m.n}`);
  t.deepEqual(got, ['honest0', 'flood92', 'flood93', 'flood94', 'flood95', 'flood96', 'flood97', 'flood98', 'flood99', 'honest1']);
  t.is(dropped, 92);
  t.is(inbox.bytes, 0);
  // bytes: one large sender is trimmed before a chatty small one
  const b = new MessageInbox(100, () => undefined, 1000, (m) => m.size, (m) => m.from);
  for (let i = 0; i < 5; i++) b.push({ from: 'small', n: i, size: 10 });
  for (let i = 0; i < 5; i++) b.push({ from: 'big', n: i, size: 300 });
  const kept = [];
  for (let m = b.shift(); m; m = b.shift()) kept.push(`${m.from}${m.n}`);
  t.deepEqual(kept, ['small0', 'small1', 'small2', 'small3', 'small4', 'big2', 'big3', 'big4']);
});
