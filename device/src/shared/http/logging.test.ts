// The request line that reaches the log never carries a websocket's or a recording's ?access_token= (or ?token=), however the
// key is spelled: the query parser decodes keys, so `%61ccess_token=` is a token to auth.ts and
// must be one to the redaction too.
import { describe, expect, it } from 'vitest';
import { stripAccessToken } from './auth.js';
import { loggerOptions } from './logging.js';

const SECRET = 'sEcReT-tOkEn-0123456789';

describe('stripAccessToken', () => {
  it.each([
    ['the plain key', `/sessions/a/vnc?access_token=${SECRET}`],
    ['a percent-encoded letter', `/sessions/a/vnc?%61ccess_token=${SECRET}`],
    ['an encoded underscore, upper-case hex', `/sessions/a/vnc?access%5Ftoken=${SECRET}`],
    ['every letter encoded', `/sessions/a/vnc?${[...'access_token'].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}=${SECRET}`],
    ['after another parameter', `/sessions/a/vnc?x=1&%61ccess_token=${SECRET}&y=2`],
    ['twice', `/sessions/a/vnc?access_token=${SECRET}&%61ccess_token=${SECRET}`],
    ['with an encoded value', `/sessions/a/vnc?access_token=${encodeURIComponent(`${SECRET}/+=`)}`],
    ['with a fragment after it', `/sessions/a/vnc?access_token=${SECRET}#x`],
    ['the connect-and-go spelling ?token=', `/playwright?vnc=true&token=${SECRET}`],
    ['?token= with an encoded letter', `/cdp?%74oken=${SECRET}`],
    ['a recording for a <video> element', `/api/sessions/kiosk-1/a/recording?access_token=${SECRET}`],
  ])('redacts %s', (_name, url) => {
    const out = stripAccessToken(url);
    expect(out).not.toContain(SECRET);
    expect(out).toContain('[redacted]');
  });

  it('keeps the rest of the URL as it was', () => {
    expect(stripAccessToken(`/sessions/a/vnc?x=1&%61ccess_token=${SECRET}&y=%20z`)).toBe('/sessions/a/vnc?x=1&%61ccess_token=[redacted]&y=%20z');
    expect(stripAccessToken('/api/sessions?access_tokenx=1&q=access_token')).toBe('/api/sessions?access_tokenx=1&q=access_token');
    expect(stripAccessToken('/playwright?tokens=1&q=token')).toBe('/playwright?tokens=1&q=token');
    expect(stripAccessToken('/api/sessions')).toBe('/api/sessions');
    // A malformed escape is not a reason to log the value: the key is compared as far as it decodes.
    expect(stripAccessToken(`/x?%zz=1&access_token=${SECRET}`)).toBe('/x?%zz=1&access_token=[redacted]');
  });
});

describe('the request serializer', () => {
  it('logs a websocket URL with an encoded access_token key without the token', () => {
    const opts = loggerOptions('info', 'test') as { serializers: { req: (r: { method: string; url: string }) => { url: string } } };
    const logged = opts.serializers.req({ method: 'GET', url: `/sessions/a/vnc?%61ccess_token=${SECRET}` });
    expect(logged.url).toBe('/sessions/a/vnc?%61ccess_token=[redacted]');
  });
});
