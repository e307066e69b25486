/**
 * `diagnostics_channel` for the browser bundle: channels that never have
 * subscribers (a page has no diagnostics_channel to subscribe with), so every
 * publishing site's `hasSubscribers` check is false and nothing is built.
 */
class Channel {
  readonly hasSubscribers = false;
  constructor(readonly name: string) {}
  publish(): void {}
}

export function channel(name: string): Channel {
  return new Channel(name);
}

export function subscribe(): void {}
