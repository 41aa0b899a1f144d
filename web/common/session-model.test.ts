// The create form's body (session-model.ts): filled fields only, trimmed; numbers checked.
import { describe, expect, it } from 'vitest';
import { EMPTY_CREATE_FORM, buildCreateBody } from './session-model';

describe('buildCreateBody', () => {
  it('sends the kind always and the other fields when filled in, the profile among them', () => {
    expect(buildCreateBody(EMPTY_CREATE_FORM)).toEqual({ ok: true, body: { headless: true, vnc: false } });
    expect(buildCreateBody({ ...EMPTY_CREATE_FORM, kind: 'vnc', clientId: ' kiosk ', profile: ' shop ', width: '800', height: '600', ttl: '60' })).toEqual({
      ok: true,
      body: { headless: false, vnc: true, client_id: 'kiosk', profile: 'shop', width: 800, height: 600, ttl_s: 60 },
    });
    expect(buildCreateBody({ ...EMPTY_CREATE_FORM, width: 'wide' })).toEqual({ ok: false, error: 'Width must be a whole number' });
  });

  it('asks for a recording of a VNC session only (a headless one has no screen)', () => {
    expect(buildCreateBody({ ...EMPTY_CREATE_FORM, kind: 'vnc', record: true })).toEqual({ ok: true, body: { headless: false, vnc: true, record: true } });
    expect(buildCreateBody({ ...EMPTY_CREATE_FORM, kind: 'vnc', record: false })).toEqual({ ok: true, body: { headless: false, vnc: true } });
    expect(buildCreateBody({ ...EMPTY_CREATE_FORM, record: true })).toEqual({ ok: true, body: { headless: true, vnc: false } });
  });

  it('sends blocked URLs split at spaces and extensions at spaces or commas, only when given', () => {
    expect(buildCreateBody({ ...EMPTY_CREATE_FORM, kind: 'vnc', blockUrls: ' *.png\n/track?a=1,2 ', extensions: 'stamp, other' })).toEqual({
      ok: true,
      body: { headless: false, vnc: true, block_urls: ['*.png', '/track?a=1,2'], extensions: ['stamp', 'other'] },
    });
    expect(buildCreateBody({ ...EMPTY_CREATE_FORM, blockUrls: '  ', extensions: ' , ' })).toEqual({ ok: true, body: { headless: true, vnc: false } });
  });
});
