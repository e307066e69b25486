'use strict';
const fs = require('fs');
const path = require('path');

// ../shared/vectors next to the project (POLYP2P_VECTORS overrides).
const dir = process.env.POLYP2P_VECTORS || path.join(__dirname, '..', '..', '..', 'shared', 'vectors');
const available = fs.existsSync(dir);
const IMPLS = ['js2p', 'py2p-0.7.870', 'py2p-head'];

function load(rel) {
  return JSON.parse(fs.readFileSync(path.join(dir, rel), 'utf8'));
}

/** Registers `fn` as an ava test, or a skip (a failure under CI=true) when the vectors are absent. */
function vectorTest(test, title, fn) {
  if (available) return test(title, fn);
  if (process.env.CI === 'true') {
    return test(title, (t) => t.fail(`golden vectors not found at ${dir}; CI must run beside shared/`));
  }
  console.log(`skipping "${title}": golden vectors not found at ${dir}`);
  return test.skip(title, () => {});
}

const hex = (h) => Buffer.from(h, 'hex');

/** Typed value of the py2p vectors (["int","5"], ["bin","00ff"], ...) -> polyp2p's decoded JS value. */
function typedToJs(tv) {
  const [kind, a] = tv;
  switch (kind) {
    case 'nil': return null;
    case 'bool': return a;
    case 'int': {
      const n = BigInt(a);
      return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    case 'float': return a;
    case 'str': return a;
    case 'bin': return hex(a);
    case 'array': return a.map(typedToJs);
    case 'map': {
      const o = {};
      for (const [k, v] of a) {
        const key = typedToJs(k);
        o[Buffer.isBuffer(key) ? key.toString('utf8') : String(key)] = typedToJs(v);
      }
      return o;
    }
    default: throw new Error('unknown typed value ' + kind);
  }
}

/** Typed value -> a JS value that encodes to the same msgpack types (for re-encoding tests). */
const typedToEncodable = typedToJs;

module.exports = { dir, available, IMPLS, load, vectorTest, hex, typedToJs, typedToEncodable };
