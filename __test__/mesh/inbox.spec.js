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
