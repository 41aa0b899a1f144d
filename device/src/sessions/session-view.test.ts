// Where the URLs a session reports and the /access redirect point: API answers may use the Host
// the client sent (a Playwright client needs an absolute ws_endpoint), a redirect that carries the
// live view's password never does. With the real appliance and a forged Host:
// cross-site.int.test.ts.
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Session } from './session-manager.js';
import { liveViewUrl, publicBase, redirectBase } from './session-view.js';

const session = { id: 'abc123', vnc: true, browser: { vnc: { password: 'pw/+1234' } } } as unknown as Session;
const forged = { protocol: 'http', host: 'evil.example' } as FastifyRequest;

describe('session URLs', () => {
  it('redirects relatively when no public URL is configured, whatever the Host', () => {
    expect(liveViewUrl(redirectBase(undefined), session)).toBe('/vnc/?session=abc123#password=pw%2F%2B1234');
  });

  it('redirects to the configured public URL when there is one', () => {
    expect(liveViewUrl(redirectBase('https://kiosk-7.example/'), session)).toBe('https://kiosk-7.example/vnc/?session=abc123#password=pw%2F%2B1234');
  });

  it('gives API clients absolute URLs: the public URL when configured, else the Host they used', () => {
    expect(publicBase(forged, 'https://kiosk-7.example')).toEqual({ http: 'https://kiosk-7.example', ws: 'wss://kiosk-7.example' });
    expect(publicBase(forged)).toEqual({ http: 'http://evil.example', ws: 'ws://evil.example' });
  });
});
