'use strict';
// Docs that run (issue #20): every code block of README.md and docs/*.md that is meant to run is
// run here as pasted, one child `node` process per block.
//
// The convention, read from each fence's info string:
// - ```js (also javascript, cjs, mjs): runs. It is written to a file inside this package, so that
//   `require('polyp2p')` and `import … from 'polyp2p'` resolve to this checkout (Node's package
//   self-reference through "exports"), and must exit 0 within 60 s: it ends on its own, closing
//   every node it creates. A block whose first line names an .mjs file (or a ```mjs fence) runs as
//   an ES module (top-level await allowed); any other block runs as CommonJS (.cjs).
// - ```ts (typescript, mts, cts): type-checked with tsc against the package's types, not run.
// - ```js no-run: <reason>: not run; the reason is required and the test lists the block as
//   skipped under its reason.
// - any other language (sh, text, …): not code to run. A fence without a language fails, so that
//   nothing is left out silently.
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { execFile } = require('child_process');
const { createRequire } = require('module');

const root = path.join(__dirname, '..', '..');
// inside the package (its package.json is the nearest one), removed after the run
const tmp = path.join(__dirname, `tmp-snippets-${process.pid}`);
const RUN_TIMEOUT = 60_000;
const JS = new Set(['js', 'javascript', 'cjs', 'mjs']);
const TS = new Set(['ts', 'typescript', 'mts', 'cts']);

const docs = [
  'README.md',
  ...fs
    .readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Fenced blocks of one Markdown file: { file, line (of the opening fence), lang, marker, code }. */
function fences(file) {
  const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, fence, info] = open;
    const close = new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end])) end++;
    const [lang = '', ...rest] = info.trim().split(/\s+/);
    blocks.push({ file, line: i + 1, lang: lang.toLowerCase(), marker: rest.join(' '), code: lines.slice(i + 1, end).join('\n') + '\n' });
    i = end;
  }
  return blocks;
}

const blocks = docs.flatMap(fences);
const code = blocks.filter((b) => JS.has(b.lang) || TS.has(b.lang));
const noRun = (b) => /^no-run\b/.test(b.marker);
const reason = (b) => b.marker.replace(/^no-run\b:?/, '').trim();
const where = (b) => `${b.file}:${b.line}`;

/** File name for a block: .mjs when its first line names an .mjs file (or the fence says mjs), else .cjs. */
function fileFor(b) {
  const base = path.join(tmp, `${b.file.replace(/[/.]/g, '-')}-${b.line}`);
  if (TS.has(b.lang)) return base + (b.lang === 'cts' ? '.cts' : '.mts');
  const firstLine = b.code.split('\n')[0];
  return base + (b.lang === 'mjs' || /^\s*\/\/.*\.mjs\b/.test(firstLine) ? '.mjs' : '.cjs');
}

/** Names destructured from require() calls (`const { a, b: c } = require('x')`), which would otherwise be undefined silently. */
function requiredNames(source) {
  const found = [];
  for (const m of source.matchAll(/(?:const|let|var)\s*\{([^}]*)\}\s*=\s*require\(\s*(['"])([^'"]+)\2\s*\)/g)) {
    const names = m[1]
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s && !s.startsWith('...'))
      .map((s) => s.split(/[:=]/)[0].trim());
    found.push({ module: m[3], names });
  }
  return found;
}

function run(file, args, options = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [...args, file], { cwd: path.dirname(file), timeout: RUN_TIMEOUT, killSignal: 'SIGKILL', maxBuffer: 16 << 20, ...options }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.killed ? `killed after ${RUN_TIMEOUT / 1000} s (does the block close every node it creates?)` : (error.code ?? error.signal)) : 0, stdout, stderr });
    });
  });
}

test.before(() => fs.mkdirSync(tmp, { recursive: true }));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('every fence names its language, and every no-run block gives its reason', (t) => {
  t.true(code.length > 0, 'code blocks found');
  const problems = [
    ...blocks.filter((b) => !b.lang).map((b) => `${where(b)}: fence without a language (\`\`\`text for diagrams and listings)`),
    ...code.filter((b) => b.marker && !noRun(b)).map((b) => `${where(b)}: unknown marker "${b.marker}" (only "no-run: <reason>")`),
    ...code.filter((b) => noRun(b) && reason(b).length < 10).map((b) => `${where(b)}: no-run without a reason`),
  ];
  t.deepEqual(problems, []);
});

test.serial("'polyp2p' resolves to this checkout from the snippets' folder, for require and import", async (t) => {
  const probe = path.join(tmp, 'resolve-probe.mjs');
  fs.writeFileSync(probe, "import { createRequire } from 'module';\nconsole.log(JSON.stringify([import.meta.resolve('polyp2p'), createRequire(import.meta.url).resolve('polyp2p')]));\n");
  const { code: exit, stdout, stderr } = await run(probe, []);
  t.is(exit, 0, stderr);
  const [imported, required] = JSON.parse(stdout);
  const main = path.join(root, 'dist', 'index.js');
  t.is(new URL(imported).pathname, main);
  t.is(required, main);
});

for (const b of code) {
  if (noRun(b)) {
    test.skip(`${where(b)} (no-run: ${reason(b)})`, () => {});
    continue;
  }
  if (TS.has(b.lang)) {
    test.serial(`${where(b)} type-checks`, async (t) => {
      t.timeout(RUN_TIMEOUT + 10_000);
      const file = fileFor(b);
      fs.writeFileSync(file, b.code);
      const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      const flags = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node'];
      const { code: exit, stdout, stderr } = await run(file, [tsc, ...flags]);
      t.is(exit, 0, `tsc on ${where(b)}:\n${stdout}${stderr}`);
    });
    continue;
  }
  test.serial(`${where(b)} runs`, async (t) => {
    t.timeout(RUN_TIMEOUT + 10_000);
    const file = fileFor(b);
    fs.writeFileSync(file, b.code);
    const req = createRequire(file);
    for (const { module, names } of requiredNames(b.code)) {
      const exported = req(module);
      const missing = names.filter((n) => exported[n] === undefined);
      t.deepEqual(missing, [], `${where(b)}: not exported by '${module}'`);
    }
    const { code: exit, stdout, stderr } = await run(file, []);
    t.is(exit, 0, `${where(b)} as ${path.basename(file)}:\n--- stdout\n${stdout}--- stderr\n${stderr}`);
  });
}
