/**
 * base/debug-log.ts in the browser bundle: nothing. A page has no NODE_DEBUG
 * and no util.debuglog; its diagnostics channels never have subscribers.
 */
export {};
