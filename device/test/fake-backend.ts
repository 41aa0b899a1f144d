// A session backend that launches nothing, for unit tests of the HTTP side (auth, cross-site
// refusals, redirects): the session manager gets real sessions with ids and VNC passwords, but no
// browser, display or container exists. Its endpoints point at the discard port, so a websocket
// that gets through is relayed to nothing and closed.
import type { LaunchSpec, LaunchedBrowser, SessionBackend } from '../src/sessions/backends/session-backend.js';

export interface FakeBackend extends SessionBackend {
  launched: LaunchSpec[];
}

export function fakeSessionBackend(): FakeBackend {
  const launched: LaunchSpec[] = [];
  return {
    name: 'process',
    launched,
    async launch(spec): Promise<LaunchedBrowser> {
      launched.push(spec);
      let exit: (why: string) => void = () => undefined;
      const exited = new Promise<string>((resolve) => {
        exit = resolve;
      });
      return {
        wsEndpoint: 'ws://127.0.0.1:9/fake-browser',
        vnc: spec.vnc ? { host: "127.0.0.1", port: 9, password: `pw${spec.id.slice(0, 6)}` } : null,
        record: {},
        exited,
        close: async () => exit('closed'),
        memoryBytes: async () => 0,
      };
    },
    recover: async () => [],
    close: async () => undefined,
  };
}
