'use strict';
// Builds the browser bundle dist/browser/polyp2p.mjs (ESM) with esbuild from the
// TypeScript sources: the pure-TS backend, mesh, sync (and chord when ts/chord/index.ts
// exists), over the browser's WebSocket. Node-only modules are swapped at bundle time:
//   ts/native.ts          -> ts/browser/native.ts      (always the TS backend)
//   ts/transport/index.ts -> ts/browser/transports.ts  ("ws" via the browser WebSocket)
//   ts/base/debug-log.ts  -> ts/browser/debug-log.ts   (no NODE_DEBUG in a page)
//   crypto, zlib          -> ts/browser/shims/*        (@noble/hashes, pako)
//   diagnostics_channel   -> ts/browser/shims/diagnostics-channel.ts (channels without subscribers)
//   Buffer, process, timers with unref()               (ts/browser/shims/globals.ts, injected)
// Node builds are unaffected. Run by `npm run build:browser` (part of build and prepare).
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const ts = (p) => path.join(root, 'ts', p);
const outDir = path.join(root, 'dist', 'browser');

const swaps = new Map([
  [ts('native.ts'), ts('browser/native.ts')],
  [ts('transport/index.ts'), ts('browser/transports.ts')],
  [ts('base/debug-log.ts'), ts('browser/debug-log.ts')],
]);

const swapPlugin = {
  name: 'polyp2p-browser-swaps',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (!args.resolveDir) return undefined;
      const base = path.resolve(args.resolveDir, args.path);
      for (const candidate of [base + '.ts', path.join(base, 'index.ts'), base]) {
        if (swaps.has(candidate)) return { path: swaps.get(candidate) };
      }
      return undefined;
    });
  },
};

async function main() {
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch (e) {
    console.error('build-browser: esbuild is not installed (devDependency); run npm install');
    process.exit(1);
  }
  const hasChord = fs.existsSync(ts('chord/index.ts'));
  const entry = [`export * from './ts/browser/index.ts';`];
  if (hasChord) entry.push(`export * as chord from './ts/chord/index.ts';`);
  fs.mkdirSync(outDir, { recursive: true });
  const result = await esbuild.build({
    stdin: { contents: entry.join('\n'), resolveDir: root, sourcefile: 'polyp2p-browser-entry.ts', loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    outfile: path.join(outDir, 'polyp2p.mjs'),
    alias: { crypto: ts('browser/shims/crypto.ts'), zlib: ts('browser/shims/zlib.ts'), diagnostics_channel: ts('browser/shims/diagnostics-channel.ts') },
    inject: [ts('browser/shims/globals.ts')],
    plugins: [swapPlugin],
    // Minified: a page can load it as is, and bundlers lose nothing. The map stays in the
    // checkout for debugging, with no sourceMappingURL comment: the package leaves *.map out (it
    // points at ts/, which is not shipped), and a comment naming a missing map makes devtools fetch a 404.
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
    legalComments: 'eof',
    logLevel: 'warning',
    metafile: true,
  });
  // Explicit extensions: an ES module's relative imports need them under moduleResolution node16/nodenext.
  const types = [`export * from './index.js';`];
  if (hasChord) types.push(`export * as chord from '../chord/index.js';`);
  fs.writeFileSync(path.join(outDir, 'polyp2p.d.mts'), types.join('\n') + '\n');
  const bytes = fs.statSync(path.join(outDir, 'polyp2p.mjs')).size;
  const inputs = Object.keys(result.metafile.inputs);
  const nodeOnly = inputs.filter((f) => /ts\/transport\/(tcp|tls|ws|certificate)\.ts$|ts\/native\.ts$/.test(f));
  if (nodeOnly.length) throw new Error(`Node-only modules leaked into the browser bundle: ${nodeOnly.join(', ')}`);
  console.log(`build-browser: dist/browser/polyp2p.mjs (${(bytes / 1024).toFixed(0)} KiB; mesh, sync${hasChord ? ', chord' : ''})`);
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
