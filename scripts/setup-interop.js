#!/usr/bin/env node
'use strict';
// Sets up the Python environments the interop tests run the original py2p in:
//
//   .interop/venv-878   py2p 0.7.878 from PyPI (the py2p repository HEAD: base58 >= 1,
//                       protocol IDs go out as msgpack bin)
//   .interop/venv-870   py2p 0.7.870 from the wheel inside the js2p 0.7.870 tarball
//                       (node_modules/js2p/dist/), with the dependency versions its
//                       requirements.txt pins (base58 0.2.5: protocol IDs as msgpack str)
//
// Every package is pinned and installed with --no-deps, so both venvs are the same on every
// machine. The `typing` backport that py2p declares is left out on purpose: Python 3 ships
// `typing` in the standard library (and the 3.5-era backport is only dead weight there).
//
// Idempotent: a marker file in each venv records what was installed; a re-run whose marker
// matches only prints the versions. Set PYTHON to choose the interpreter (default python3).
// Exits non-zero, with the reason, if a venv cannot be set up.

const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const interopDir = path.join(root, '.interop');
const wheel870 = path.join(root, 'node_modules', 'js2p', 'dist', 'py2p-0.7.870-py2.py3-none-any.whl');
const MARKER = '.polyp2p-interop.json';
const MARKER_FORMAT = 1;

// async-promises is what py2p imports (`async_promises`); if it cannot be installed, the
// `promise` package (same API) stands in behind a one-line `async_promises` shim.
const ASYNC_PROMISES = ['async-promises==1.1.1'];
const PROMISE_FALLBACK = ['promise==2.3', 'six==1.16.0'];

const VENVS = [
  {
    name: 'venv-878',
    impl: 'py2p-0.7.878',
    packages: [
      'py2p==0.7.878',
      'base58==2.1.1',
      'u-msgpack-python==2.8.0',
      'pyee==13.0.1',
      'typing-extensions==4.12.2', // pyee 13's only dependency
      'custom-inherit==2.4.1',
    ],
  },
  {
    name: 'venv-870',
    impl: 'py2p-0.7.870',
    packages: [
      wheel870,
      'base58==0.2.5',
      'u-msgpack-python==2.3.0',
      'pyee==3.0.3',
      'custom-inherit==2.1.1',
      // py2p's TLS ("SSL") transport makes its certificate with cryptography (+ cffi, pycparser).
      'cryptography==43.0.3',
      'cffi==1.17.1',
      'pycparser==2.22',
    ],
  },
];

// Versions reported after install (distribution name -> import check is done separately).
const REPORT = ['py2p', 'base58', 'u-msgpack-python', 'pyee', 'async-promises', 'promise', 'custom-inherit'];

// Python run inside each venv to check that py2p imports (with the same compatibility aliases
// the drivers apply) and to report versions as JSON.
const CHECK_PY = `
import collections, collections.abc, json, sys
for _n in ('Hashable', 'Mapping', 'MutableMapping', 'Sequence', 'Iterable', 'Callable'):
    if not hasattr(collections, _n):
        setattr(collections, _n, getattr(collections.abc, _n))
import py2p, py2p.mesh, py2p.sync, async_promises, umsgpack
umsgpack.unpackb(umsgpack.packb({'a': [1, b'x']}))
from importlib import metadata
v = {}
for name in ${JSON.stringify(REPORT)}:
    try:
        v[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        pass
v['python'] = '.'.join(map(str, sys.version_info[:3]))
print(json.dumps(v))
`;

function fail(msg) {
  console.error(`setup-interop: ${msg}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 110000, ...opts });
  return { ok: !r.error && r.status === 0, out: (r.stdout || '') + (r.stderr || ''), stdout: r.stdout || '', error: r.error };
}

function findPython() {
  const candidates = process.env.PYTHON ? [process.env.PYTHON] : ['python3', 'python'];
  for (const py of candidates) {
    const r = run(py, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3]); sys.exit(0 if sys.version_info >= (3, 6) else 1)']);
    if (r.ok) return { py, version: r.stdout.trim() };
  }
  return null;
}

function venvPython(dir) {
  return process.platform === 'win32' ? path.join(dir, 'Scripts', 'python.exe') : path.join(dir, 'bin', 'python');
}

function specKey(spec, python) {
  const pkgs = spec.packages.map((p) => (p === wheel870 ? 'py2p-0.7.870-py2.py3-none-any.whl' : p));
  return JSON.stringify({ format: MARKER_FORMAT, python: python.version, packages: pkgs, async: [ASYNC_PROMISES, PROMISE_FALLBACK] });
}

function readMarker(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
  } catch {
    return null;
  }
}

function describe(spec, versions) {
  const order = ['py2p', 'base58', 'u-msgpack-python', 'pyee', 'async-promises', 'promise', 'custom-inherit'];
  const parts = order.filter((n) => versions[n]).map((n) => `${n} ${versions[n]}`);
  return `${spec.name}: Python ${versions.python}, ${parts.join(', ')} (.interop/${spec.name})`;
}

function pipInstall(py, pkgs) {
  return run(py, ['-m', 'pip', 'install', '--no-deps', '--disable-pip-version-check', '--no-input', '-q', ...pkgs], {
    env: { ...process.env, PIP_NO_INPUT: '1' },
  });
}

function setupVenv(spec, python) {
  const dir = path.join(interopDir, spec.name);
  const key = specKey(spec, python);
  const py = venvPython(dir);
  const marker = readMarker(dir);
  if (marker && marker.key === key && fs.existsSync(py)) {
    // Fast path: trust the marker, but make sure the interpreter still starts.
    if (run(py, ['-c', 'pass']).ok) return { versions: marker.versions, cached: true };
  }

  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(interopDir, { recursive: true });
  let r = run(python.py, ['-m', 'venv', dir]);
  if (!r.ok) {
    fail(`could not create ${dir} with "${python.py} -m venv" (on Debian/Ubuntu: apt-get install python3-venv):\n${r.out}`);
  }
  r = pipInstall(py, [...spec.packages, ...ASYNC_PROMISES]);
  if (!r.ok) {
    // Maybe only async-promises is missing: install the rest plus the `promise` stand-in.
    const r2 = pipInstall(py, [...spec.packages, ...PROMISE_FALLBACK]);
    if (!r2.ok) fail(`pip install failed for ${spec.name}:\n${r.out}\n--- retry with the promise stand-in:\n${r2.out}`);
    const site = run(py, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])']);
    if (!site.ok) fail(`cannot locate site-packages of ${spec.name}:\n${site.out}`);
    fs.writeFileSync(
      path.join(site.stdout.trim(), 'async_promises.py'),
      '# polyp2p interop: async-promises was not installable; `promise` has the same API.\nfrom promise import *  # noqa\nfrom promise import Promise  # noqa\n',
    );
  }
  const check = run(py, ['-c', CHECK_PY]);
  if (!check.ok) fail(`py2p does not import in ${spec.name}:\n${check.out}`);
  let versions;
  try {
    versions = JSON.parse(check.stdout.trim().split('\n').pop());
  } catch {
    fail(`unexpected output from the ${spec.name} check:\n${check.out}`);
  }
  const wanted = spec.impl.replace('py2p-', '');
  if (versions.py2p !== wanted) fail(`${spec.name} has py2p ${versions.py2p}, expected ${wanted}`);
  fs.writeFileSync(path.join(dir, MARKER), JSON.stringify({ key, impl: spec.impl, versions, created: new Date().toISOString() }, null, 2) + '\n');
  return { versions, cached: false };
}

function main() {
  if (!fs.existsSync(wheel870)) fail(`missing ${path.relative(root, wheel870)}: run "npm install" first (js2p is a devDependency)`);
  const python = findPython();
  if (!python) fail('no Python >= 3.6 found (tried $PYTHON, python3, python)');
  const check = run(python.py, ['-m', 'venv', '--help']);
  if (!check.ok) fail(`"${python.py} -m venv" is not available (on Debian/Ubuntu: apt-get install python3-venv)`);
  for (const spec of VENVS) {
    const { versions, cached } = setupVenv(spec, python);
    console.log(describe(spec, versions) + (cached ? ' [cached]' : ''));
  }
}

main();
