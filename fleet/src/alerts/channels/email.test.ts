import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelDeliveryError } from './channel-error.js';
import { createChannelSet } from './channel-set.js';
import { createEmailChannel, parseSmtpUrl } from './email.js';
import { activeResources, fakeSecret, logSink, newHandles, sampleNotification } from './test-support.js';
import type { Channel } from './types.js';

interface ReceivedMail {
  from: string;
  to: string[];
  auth: { username: string; password: string } | null;
  headers: Record<string, string>;
  body: string;
}

interface SmtpReceiver {
  port: number;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

/** Enough of RFC 5322 + quoted-printable to read back what nodemailer wrote. */
function parseMail(raw: string): Pick<ReceivedMail, 'headers' | 'body'> {
  const split = raw.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(split + 4);
  if (headers['content-transfer-encoding'] === 'quoted-printable') {
    body = Buffer.from(
      body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    ).toString('utf8');
  }
  return { headers, body: body.replace(/\r\n/g, '\n') };
}

async function startSmtpReceiver(opts: { onRcptTo?: (address: string) => Error | null; hangOnData?: boolean } = {}): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const auths = new Map<string, { username: string; password: string }>();
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    onAuth(auth, session, callback) {
      auths.set(session.id, { username: auth.username ?? '', password: auth.password ?? '' });
      callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      callback(opts.onRcptTo?.(address.address) ?? null);
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          auth: auths.get(session.id) ?? null,
          ...parseMail(Buffer.concat(chunks).toString('utf8')),
        });
        if (!opts.hangOnData) callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    // server.close() calls back when its grace period ends, before the listening socket is gone.
    close: () =>
      new Promise((resolve) => {
        server.server.once('close', () => resolve());
        server.close();
      }),
  };
}

describe('email channel', () => {
  let smtp: SmtpReceiver | undefined;
  let channel: Channel | undefined;
  afterEach(async () => {
    await channel?.close?.();
    await smtp?.close();
    channel = smtp = undefined;
  });

  it('sends a plain-text mail with the subject and every field, logging in with the URL credentials', async () => {
    smtp = await startSmtpReceiver();
    const user = fakeSecret('user');
    const pass = fakeSecret('pass');
    channel = createEmailChannel({
      smtpUrl: `smtp://${user}:${encodeURIComponent(pass)}@127.0.0.1:${smtp.port}`,
      from: 'Outpost <alerts@outpost.test>',
      to: ['ops@outpost.test', 'oncall@outpost.test'],
      timeoutMs: 3000,
    });

    await channel.send(sampleNotification());

    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.auth).toEqual({ username: user, password: pass });
    expect(mail.from).toBe('alerts@outpost.test');
    expect(mail.to).toEqual(['ops@outpost.test', 'oncall@outpost.test']);
    expect(mail.headers.subject).toBe('[Outpost] CRITICAL kiosk-7 is offline');
    expect(mail.headers['x-outpost-alert-id']).toBe('offline:kiosk-7');
    expect(mail.headers['content-type']).toMatch(/^text\/plain/);
    expect(mail.body).toContain('kiosk-7 is offline\n\nNo status report for 5 minutes (last seen 10:02:11Z).\n');
    for (const line of [
      'Kind:      open',
      'Severity:  critical',
      'Rule:      device_offline',
      'Device:    kiosk-7 (dev-7)',
      'Alert ID:  offline:kiosk-7',
      'Since:     2025-11-22T10:02:11.000Z',
      'At:        2025-11-22T10:07:11.000Z',
      'Dashboard: http://fleet.test/devices/dev-7',
    ]) {
      expect(mail.body).toContain(line);
    }
  });

  it('says RESOLVED in the subject of a resolved notification', async () => {
    smtp = await startSmtpReceiver();
    channel = createEmailChannel({ smtpUrl: `smtp://127.0.0.1:${smtp.port}`, from: 'alerts@outpost.test', to: ['ops@outpost.test'], timeoutMs: 3000 });

    await channel.send(sampleNotification({ kind: 'resolved', title: 'kiosk-7 is back online' }));

    expect(smtp.mails[0]?.headers.subject).toBe('[Outpost] RESOLVED kiosk-7 is back online');
    expect(smtp.mails[0]?.auth).toBeNull();
  });

  it('reports a rejected recipient as a permanent failure without the password', async () => {
    smtp = await startSmtpReceiver({ onRcptTo: (address) => Object.assign(new Error(`no mailbox ${address}`), { responseCode: 550 }) });
    const pass = fakeSecret('pass');
    channel = createEmailChannel({ smtpUrl: `smtp://alerts:${pass}@127.0.0.1:${smtp.port}`, from: 'alerts@outpost.test', to: ['nobody@outpost.test'], timeoutMs: 3000 });

    const err = (await channel.send(sampleNotification()).catch((e: unknown) => e)) as ChannelDeliveryError;

    expect(err).toBeInstanceOf(ChannelDeliveryError);
    expect(err.message).toMatch(/^email: sending failed: .*550/);
    expect(err.message).not.toContain(pass);
    expect(err.retryable).toBe(false);
    expect(smtp.mails).toHaveLength(0);
  });

  it('is aborted by the channel set closing while the server hangs, leaving no handles', async () => {
    const before = activeResources();
    smtp = await startSmtpReceiver({ hangOnData: true });
    const logs = logSink();
    const set = createChannelSet(
      [createEmailChannel({ smtpUrl: `smtp://127.0.0.1:${smtp.port}`, from: 'alerts@outpost.test', to: ['ops@outpost.test'], timeoutMs: 5000 })],
      { log: pino(logs.stream), closeTimeoutMs: 100 },
    );
    const pending = set.send(sampleNotification());
    // Wait until the message is with the server, so close() has a delivery in flight to abort.
    while (smtp.mails.length === 0) await new Promise((r) => setTimeout(r, 10));

    const started = Date.now();
    await set.close();
    const [result] = await pending;

    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toMatchObject({ channel: 'email', ok: false, attempts: 1, error: 'email: sending failed: aborted' });
    await smtp.close();
    smtp = undefined;
    expect(await newHandles(before)).toEqual({});
  });
});

describe('parseSmtpUrl', () => {
  it('speaks plain SMTP to a loopback host and requires STARTTLS elsewhere', () => {
    expect(parseSmtpUrl('smtp://127.0.0.1:2525')).toMatchObject({ host: '127.0.0.1', port: 2525, secure: false, ignoreTLS: true, requireTLS: false, auth: null });
    expect(parseSmtpUrl('smtp://localhost')).toMatchObject({ port: 587, ignoreTLS: true });
    expect(parseSmtpUrl('smtp://u:p%40ss@mail.example.test')).toMatchObject({
      host: 'mail.example.test',
      port: 587,
      secure: false,
      ignoreTLS: false,
      requireTLS: true,
      auth: { user: 'u', pass: 'p@ss' },
    });
    expect(parseSmtpUrl('smtps://mail.example.test')).toMatchObject({ port: 465, secure: true, ignoreTLS: false, requireTLS: false });
    expect(parseSmtpUrl('smtp://relay.lan:25?tls=false')).toMatchObject({ ignoreTLS: true, requireTLS: false });
  });

  it('refuses what it cannot honour, without echoing the URL', () => {
    const pass = fakeSecret('pass');
    const attempts = [
      `http://u:${pass}@mail.example.test`,
      `smtp://u:${pass}@mail.example.test?tls=false`,
      `smtps://u:${pass}@mail.example.test?tls=false`,
      `smtp://u:${pass}@mail.example.test?secure=true`,
      `not a url ${pass}`,
    ];
    for (const url of attempts) {
      let message = '';
      try {
        parseSmtpUrl(url);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, url).not.toBe('');
      expect(message).not.toContain(pass);
    }
  });
});
