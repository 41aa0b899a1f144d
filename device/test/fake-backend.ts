// A session backend that launches nothing, for unit tests: the session manager gets real sessions
// with ids and VNC passwords, but no browser, display or container exists. Its endpoints point at
// the discard port, so a websocket that gets through is relayed to nothing and closed. Tests of
// the manager steer it: hold launches until released, make the next ones fail, crash a browser.
import type { LaunchSpec, LaunchedBrowser, SessionBackend } from '../src/sessions/backends/session-backend.js';

export interface FakeBrowser extends LaunchedBrowser {
  spec: LaunchSpec;
  closed: boolean;
  /** The browser goes away on its own. */
  crash(why?: string): void;
}

export interface FakeBackend extends SessionBackend {
  launched: LaunchSpec[];
  /** Browsers launched and not closed, by session id. */
  browsers: Map<string, FakeBrowser>;
  /** The next `n` launches fail with `message`. */
  failNext(n: number, message?: string): void;
  /** Launches wait until release() (all held ones) from now on, until hold(false). */
  hold(on?: boolean): void;
  release(): void;
  /** Launches waiting for release(). */
  readonly held: number;
  closed: boolean;
}

export function fakeSessionBackend(opts: { slots?: number } = {}): FakeBackend {
  const launched: LaunchSpec[] = [];
  const browsers = new Map<string, FakeBrowser>();
  let failures: string[] = [];
  let holding = false;
  let waiting: Array<() => void> = [];

  function browser(spec: LaunchSpec): FakeBrowser {
    let exit: (why: string) => void = () => undefined;
    const exited = new Promise<string>((resolve) => {
      exit = resolve;
    });
    const b: FakeBrowser = {
      spec,
      closed: false,
      wsEndpoint: 'ws://127.0.0.1:9/fake-browser',
      vnc: spec.vnc ? { host: '127.0.0.1', port: 9, password: `pw${spec.id.slice(0, 6)}` } : null,
      cdp: null,
      downloadsDir: null,
      record: { fake: true },
      exited,
      close: async () => {
        b.closed = true;
        browsers.delete(spec.id);
        exit('closed');
      },
      crash: (why = 'crashed') => exit(why),
      memoryBytes: async () => 0,
    };
    return b;
  }

  const backend: FakeBackend = {
    name: 'process',
    profiles: true,
    sessionSettings: true,
    launched,
    browsers,
    closed: false,
    failNext(n, message = 'chromium exited (1) before it was ready') {
      failures = [...failures, ...Array.from({ length: n }, () => message)];
    },
    hold(on = true) {
      holding = on;
    },
    release() {
      for (const go of waiting.splice(0)) go();
    },
    get held() {
      return waiting.length;
    },
    async launch(spec): Promise<LaunchedBrowser> {
      launched.push(spec);
      if (holding) await new Promise<void>((resolve) => waiting.push(resolve));
      const failure = failures.shift();
      if (failure) throw new Error(failure);
      const b = browser(spec);
      browsers.set(spec.id, b);
      return b;
    },
    recover: async () => [],
    close: async () => {
      backend.closed = true;
      await Promise.all([...browsers.values()].map((b) => b.close()));
    },
  };
  if (opts.slots !== undefined) backend.slots = () => opts.slots!;
  return backend;
}
