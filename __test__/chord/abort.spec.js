'use strict';
// `{ signal }` on the chord table's calls (issue 21, point 2): get, getOr, set, delete,
// applyDelta and unjoin reject with an AbortError (code ABORT_ERR) when the signal fires; a
// signal that already fired sends nothing; getOr does not turn an abort into its fallback.
const test = require('ava');
const { AbortError } = require('../../dist/index.js');
const { ring } = require('./helpers');

const rejection = (p) =>
  p.then(
    () => null,
    (e) => e,
  );

function isAbort(t, err, reason) {
  t.true(err instanceof AbortError, `an AbortError, got ${err && err.stack}`);
  t.is(err.code, 'ABORT_ERR');
  if (reason !== undefined) t.is(err.cause, reason);
}

test('a signal that already fired: set/delete/applyDelta/get reject and nothing is written', async (t) => {
  const [a, b] = await ring(t, 2);
  const signal = AbortSignal.abort('stop');
  isAbort(t, await rejection(a.set('k', 'v', { signal })), 'stop');
  isAbort(t, await rejection(a.applyDelta('m', { x: 1 }, { signal })), 'stop');
  isAbort(t, await rejection(a.delete('k', { signal })), 'stop');
  isAbort(t, await rejection(b.get('k', { signal })), 'stop');
  t.is((await rejection(b.get('k'))).code, 'ERR_NOT_FOUND', 'the aborted set sent nothing');
  t.is((await rejection(b.get('m'))).code, 'ERR_NOT_FOUND', 'the aborted applyDelta sent nothing');
});

test('an abort while a get or a set is under way rejects it with the AbortError', async (t) => {
  const [a, b] = await ring(t, 2);
  await a.set('k', 'v');
  const ac = new AbortController();
  const read = b.get('k', { signal: ac.signal });
  const write = a.set('k2', 'v2', { signal: ac.signal });
  const reason = new Error('user left the page');
  ac.abort(reason);
  isAbort(t, await rejection(read), reason);
  isAbort(t, await rejection(write), reason);
  t.is(await b.get('k'), 'v', 'the node still works');
});

test('getOr() does not swallow an abort into its fallback', async (t) => {
  const [a] = await ring(t, 2);
  isAbort(t, await rejection(a.getOr('missing', 'fallback', { signal: AbortSignal.abort() })));
  t.is(await a.getOr('missing', 'fallback'), 'fallback');
});

test('unjoin({ signal }) and close({ signal }) reject when aborted; the node ends closed', async (t) => {
  const [a, b] = await ring(t, 2);
  await a.set('k', 'v');
  isAbort(t, await rejection(b.unjoin({ signal: AbortSignal.abort() })));
  t.true(b.storing, 'an unjoin aborted before it started hands nothing over');
  isAbort(t, await rejection(a.close({ signal: AbortSignal.abort() })));
  t.true(a.closed);
});
