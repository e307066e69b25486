/**
 * Picks the base-layer backend once, at load. Order (the contract):
 *   1. a local build in the package root (`npm run build:native`),
 *   2. the per-platform npm package (polyp2p-<platform>),
 *   3. a prebuildify-style file in prebuilds/<platform>-<arch>/,
 *   4. the pure-TypeScript fallback.
 * POLYP2P_FORCE_JS=1 skips 1-3.
 */
import { existsSync, readdirSync } from 'fs';
import { join } from 'path';
import type { Backend } from './base/backend';
import { jsBackend } from './base/js';
import { createNativeOps, NativeAddon } from './base/native-backend';
import { createHybridBackend } from './base/hybrid-backend';

const root = join(__dirname, '..');

function isMusl(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const report = process.report?.getReport() as unknown as { header?: { glibcVersionRuntime?: string } };
    return !report?.header?.glibcVersionRuntime;
  } catch {
    return false;
  }
}

/** napi-rs platform suffix, e.g. linux-x64-gnu, darwin-arm64, win32-x64-msvc. */
export function platformTriple(): string {
  const { platform, arch } = process;
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

interface Candidate {
  where: string;
  load: () => unknown;
}

function candidates(): Candidate[] {
  const triple = platformTriple();
  const out: Candidate[] = [];
  const local = join(root, `polyp2p.${triple}.node`);
  out.push({ where: local, load: () => (existsSync(local) ? require(local) : undefined) });
  const pkg = `polyp2p-${triple}`;
  out.push({
    where: `npm package ${pkg}`,
    load: () => {
      try {
        return require(pkg);
      } catch (e) {
        if ((e as { code?: string }).code === 'MODULE_NOT_FOUND') return undefined;
        throw e;
      }
    },
  });
  const prebuildDir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  out.push({
    where: prebuildDir,
    load: () => {
      if (!existsSync(prebuildDir)) return undefined;
      // prebuildify tags: prefer this libc's build (polyp2p.napi.glibc.node / .musl.node), then an untagged one.
      const files = readdirSync(prebuildDir).filter((f) => f.endsWith('.node'));
      const libc = process.platform === 'linux' ? (isMusl() ? '.musl.' : '.glibc.') : null;
      const file = (libc && files.find((f) => f.includes(libc))) || files.find((f) => !/\.(glibc|musl)\./.test(f));
      return file ? require(join(prebuildDir, file)) : undefined;
    },
  });
  return out;
}

export interface BackendChoice {
  backend: Backend;
  /** Where the native addon came from, or why the fallback is in use. */
  source: string;
  /** Errors met while trying native candidates (empty when none failed). */
  loadErrors: string[];
}

/** Try the native candidates only (ignores POLYP2P_FORCE_JS); tests use this to run both backends. The backend is the addon's operations with TypeScript for the rest (hybrid-backend.ts). */
export function loadNativeBackend(): BackendChoice | { backend: null; source: string; loadErrors: string[] } {
  const loadErrors: string[] = [];
  for (const c of candidates()) {
    try {
      const addon = c.load();
      if (addon) return { backend: createHybridBackend(createNativeOps(addon as NativeAddon), jsBackend), source: c.where, loadErrors };
    } catch (e) {
      loadErrors.push(`${c.where}: ${(e as Error).message}`);
    }
  }
  return { backend: null, source: 'no native addon found for ' + platformTriple(), loadErrors };
}

function choose(): BackendChoice {
  if (process.env.POLYP2P_FORCE_JS === '1') {
    return { backend: jsBackend, source: 'POLYP2P_FORCE_JS=1', loadErrors: [] };
  }
  const native = loadNativeBackend();
  if (native.backend) return native;
  warnFallback(native.source, native.loadErrors);
  return { backend: jsBackend, source: native.source, loadErrors: native.loadErrors };
}

/** Once per process (this module loads once): the user did not ask for the fallback, so say why it runs. */
function warnFallback(source: string, loadErrors: string[]): void {
  const why = loadErrors.length ? `${source}; load errors: ${loadErrors.join('; ')}` : source;
  process.emitWarning(
    `${why}. Running the pure-TypeScript backend (same bytes, about 2x the CPU per message). ` +
      `Install with optional dependencies (npm install --include=optional) to get the prebuilt binary, ` +
      `or set POLYP2P_FORCE_JS=1 to choose the fallback and silence this warning.`,
    { type: 'Polyp2pWarning', code: 'POLYP2P_NATIVE_MISSING' },
  );
}

export const choice: BackendChoice = choose();
export const core: Backend = choice.backend;
/** Which implementation of the base layer is running. */
export const backend: 'native' | 'js' = core.name;
export { jsBackend };
