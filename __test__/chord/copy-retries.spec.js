'use strict';
// CopyRetries: a copy a member answered without holding is due again at most RETRIES times, counted
// per copy, so that pushes that keep coming (writes, repairs) cannot restart the count.
const test = require('ava');
const { CopyRetries, RETRIES } = require('../../dist/chord/copy-retries.js');
const { NOT_HELD, REFUSED, KEEPS } = require('../../dist/chord/wire.js');

const member = { id: 'M', host: 'h', port: 1 };
const item = (pos, at) => ({ table: 'sha1', pos: BigInt(pos), value: 'v', ver: [at, 'writer'] });
const dueCount = (r) => r.take().reduce((n, d) => n + d.copies.length, 0);

test('a copy not held is due again RETRIES times; the same copy refused again by a later push does not restart the count', (t) => {
  const r = new CopyRetries();
  const a = item(1, 100);
  r.note(member, [a], [NOT_HELD]);
  for (let round = 0; round < RETRIES; round++) {
    t.is(dueCount(r), 1, `round ${round + 1}`);
    r.note(member, [a], [REFUSED]); // a write or repair pushes it again meanwhile, refused again
  }
  t.is(dueCount(r), 0, 'after RETRIES tries it is left to the full repair');
  r.clear(); // the full repair
  r.note(member, [a], [REFUSED]);
  t.is(dueCount(r), 1, 'counting starts over after the full repair');
});

test('a copy the member holds, or a newer version, ends or restarts its retries; unanswered and unsent copies are not noted', (t) => {
  const r = new CopyRetries();
  const a = item(1, 100);
  r.note(member, [a, item(2, 100), item(3, 100)], [NOT_HELD, undefined, KEEPS]);
  t.is(dueCount(r), 1, 'only the copy answered "not held"');
  r.note(member, [a], [KEEPS]);
  t.is(dueCount(r), 0, 'held now: no more retries');
  r.note(member, [a], [NOT_HELD]);
  for (let i = 0; i < RETRIES; i++) r.take();
  t.is(dueCount(r), 0);
  r.note(member, [item(1, 200)], [NOT_HELD]);
  const [due] = r.take();
  t.is(due.copies.length, 1, 'a newer version is a new copy');
  t.deepEqual(due.copies[0].ver, [200, 'writer']);
  r.note(member, [item(1, 100)], [NOT_HELD]);
  t.deepEqual(r.take()[0].copies[0].ver, [200, 'writer'], 'an older version does not replace it');
});

test('copies remembered are capped per member and in members', (t) => {
  const r = new CopyRetries();
  r.note(member, Array.from({ length: 1500 }, (_, i) => item(i, 1)), Array(1500).fill(NOT_HELD));
  t.is(dueCount(r), 1000);
  const many = new CopyRetries();
  for (let m = 0; m < 100; m++) many.note({ id: `M${m}`, host: 'h', port: 1 }, [item(1, 1)], [NOT_HELD]);
  t.is(many.take().length, 64);
});
