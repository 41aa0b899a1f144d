// Reading a WebDriver new-session request as an Outpost session (capabilities.ts).
import { describe, expect, it } from 'vitest';
import { createSessionBody } from '../shared/session-schemas.js';
import { readSessionRequest, SessionNotCreatedError } from './capabilities.js';

const schema = createSessionBody({ maxTtlS: 7200, maxIdleS: 600 });
const read = (body: unknown) => readSessionRequest(body, schema);
const refusal = (body: unknown) => {
  try {
    read(body);
  } catch (err) {
    if (err instanceof SessionNotCreatedError) return { w3c: err.w3c, status: err.status, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('readSessionRequest', () => {
  it('takes W3C alwaysMatch merged with the first firstMatch Outpost can serve', () => {
    const r = read({
      capabilities: {
        alwaysMatch: { pageLoadStrategy: 'eager', 'outpost:options': { vnc: true, client_id: 'ci-42', ttl_s: 600 } },
        firstMatch: [{ browserName: 'firefox' }, { browserName: 'chrome', acceptInsecureCerts: true }],
      },
    });
    expect(r).toEqual({ create: { vnc: true, client_id: 'ci-42', ttl_s: 600 }, passOn: { pageLoadStrategy: 'eager', acceptInsecureCerts: true } });
  });

  it('takes legacy desiredCapabilities and an empty request', () => {
    expect(read({ desiredCapabilities: { browserName: 'chromium' } })).toEqual({ create: {}, passOn: {} });
    expect(read({ capabilities: {} })).toEqual({ create: {}, passOn: {} });
  });

  it('maps --window-size and --headless, and accepts the switches Outpost already runs with', () => {
    const r = read({ capabilities: { alwaysMatch: { 'goog:chromeOptions': { args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=1024,700'], excludeSwitches: ['enable-automation'] } } } });
    expect(r.create).toEqual({ headless: true, width: 1024, height: 700 });
  });

  it('takes the switches of extra_args\' allow-list as the session\'s extra_args, with those of outpost:options', () => {
    const r = read({
      capabilities: { alwaysMatch: { 'goog:chromeOptions': { args: ['--disable-blink-features=AutomationControlled', '--no-sandbox'] }, 'outpost:options': { extra_args: ['--mute-audio'], ttl_s: 60 } } },
    });
    expect(r.create).toEqual({ extra_args: ['--disable-blink-features=AutomationControlled', '--mute-audio'], ttl_s: 60 });
  });

  it('refuses other browsers, other switches, other chrome options and bad outpost:options, naming them', () => {
    expect(refusal({ capabilities: { firstMatch: [{ browserName: 'firefox' }, { browserName: 'safari' }] } })).toMatchObject({ w3c: 'session not created', status: 400, message: expect.stringMatching(/firefox.*safari/) });
    expect(refusal({ capabilities: { alwaysMatch: { 'goog:chromeOptions': { args: ['--load-extension=/x'] } } } }).message).toMatch(/^goog:chromeOptions\.args: --load-extension is not allowed: use "extensions"/);
    expect(refusal({ capabilities: { alwaysMatch: { 'goog:chromeOptions': { args: ['--remote-debugging-port=9222'] } } } }).message).toMatch(/--remote-debugging-port is not allowed/);
    expect(refusal({ capabilities: { alwaysMatch: { 'goog:chromeOptions': { binary: '/bin/sh' } } } }).message).toMatch(/goog:chromeOptions\.binary is not supported/);
    expect(refusal({ capabilities: { alwaysMatch: { 'goog:chromeOptions': { debuggerAddress: '10.0.0.1:9222' } } } }).message).toMatch(/debuggerAddress/);
    expect(refusal({ capabilities: { alwaysMatch: { 'outpost:options': { ttl_s: 99999 } } } })).toMatchObject({ w3c: 'invalid argument', message: expect.stringMatching(/outpost:options\.ttl_s/) });
    expect(refusal({ capabilities: { alwaysMatch: { 'outpost:options': { colour: 'red' } } } }).message).toMatch(/unknown field "colour"/);
    expect(refusal({ capabilities: { alwaysMatch: { 'goog:chromeOptions': { args: ['--window-size=99999,10'] } } } }).message).toMatch(/width/);
    expect(refusal('nope')).toMatchObject({ w3c: 'invalid argument' });
    expect(refusal({ capabilities: { firstMatch: [] } })).toMatchObject({ w3c: 'invalid argument' });
  });
});
