/** The browser bundle's backend choice (replaces ts/native.ts there): always the pure-TypeScript backend. */
import type { Backend } from '../base/backend';
import { jsBackend } from '../base/js';

export interface BackendChoice {
  backend: Backend;
  source: string;
  loadErrors: string[];
}
export const choice: BackendChoice = { backend: jsBackend, source: 'browser (pure TypeScript)', loadErrors: [] };
export const core: Backend = jsBackend;
export const backend: 'native' | 'js' = 'js';
export function platformTriple(): string {
  return 'browser';
}
export function loadNativeBackend(): { backend: null; source: string; loadErrors: string[] } {
  return { backend: null, source: 'browser', loadErrors: [] };
}
export { jsBackend };
