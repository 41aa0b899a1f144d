// WebDriver (Selenium 4, WebdriverIO) at /wd/hub and at the W3C root (/session…): a new session is
// an Outpost session with a chromedriver attached (webdriver-sessions.ts); every other command is
// W3C_RELAYED to that chromedriver as it is, and counts as the session's activity. Errors are W3C's
// shape ({value: {error, message, stacktrace}}), which WebDriver clients read. The token may come as
// a bearer header or as HTTP Basic auth's password (`http://:<token>@device:8080/wd/hub`).
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { W3CAnswer, W3CError, W3C_RELAYED, WEBDRIVER_BODY_LIMIT, WEBDRIVER_ROUTE, WebDriverCommandParams, WebDriverSessionParams } from '../shared/webdriver-schemas.js';
import { AppError, NotFoundError } from '../shared/errors.js';
import { describeValidation } from '../shared/http/validation.js';
import { relayToSession } from '../sessions/session-relay.js';
import { liveViewUrl, publicBase } from '../sessions/session-view.js';
import { SessionNotCreatedError } from './capabilities.js';
import { askDriver, type WebDriverSession } from './webdriver-sessions.js';

const errors = { 400: W3CError, 401: W3CError, 404: W3CError, 429: W3CError, 501: W3CError, 502: W3CError, 503: W3CError };
const upgradeErrors = { 400: W3CError, 401: W3CError, 403: W3CError, 404: W3CError };

/** W3C's error name for an answer of ours (not chromedriver's, which passes through). */
function w3cError(err: unknown, status: number): string {
  if (err instanceof SessionNotCreatedError) return err.w3c;
  if (err instanceof AppError && err.code === 'webdriver_session_not_found') return 'invalid session id';
  if (status === 404) return 'unknown command';
  if (status === 429 || status === 503 || (err instanceof AppError && err.code !== 'validation_failed' && status < 500)) return 'session not created';
  if (status < 500) return 'invalid argument';
  return 'unknown error';
}

function w3cErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  let status: number;
  let message: string;
  let headers: Record<string, string> = {};
  if (err.validation) {
    status = 400;
    message = describeValidation(err.validation, err.validationContext);
  } else if (err instanceof SessionNotCreatedError) {
    status = err.status;
    message = err.message;
  } else if (err instanceof AppError) {
    status = err.statusCode;
    message = err.message;
    headers = err.headers;
  } else if (typeof err.statusCode === 'number' && err.statusCode < 500) {
    status = err.statusCode;
    message = err.message;
  } else {
    req.log.error({ err }, 'WebDriver request failed');
    status = 500;
    message = 'internal server error; see the service log';
  }
  if (status >= 500 && !(err instanceof SessionNotCreatedError)) req.log.error({ err }, message);
  void reply.code(status).headers(headers).send({ value: { error: w3cError(err, status), message, stacktrace: '' } });
}

class WebDriverSessionNotFoundError extends AppError {
  constructor(sid: string) {
    super('webdriver_session_not_found', `no WebDriver session ${JSON.stringify(sid)} on this appliance (ended, or never made here)`, 404);
  }
}

const webdriverRoutes: FastifyPluginAsync<{ prefix: string; status: boolean; version: string; publicUrl?: string }> = async (app, opts) => {
  const sessions = app.webdriver;
  const manager = app.sessionManager;
  app.setErrorHandler(w3cErrorHandler);
  // Under /wd/hub an unknown command is W3C's `unknown command`; the root's 404s stay the app's.
  if (opts.prefix !== '') {
    app.setNotFoundHandler((req, reply) => w3cErrorHandler(new NotFoundError(`no WebDriver command ${req.method} ${req.url.split('?')[0]}`) as FastifyError, req, reply));
  }

  const find = (sid: string): WebDriverSession => {
    const w = sessions.get(sid);
    if (!w) throw new WebDriverSessionNotFoundError(sid);
    return w;
  };

  /** chromedriver's capabilities, made this appliance's: its addresses out, ours in. */
  function publicCapabilities(req: FastifyRequest, w: WebDriverSession, answer: Record<string, unknown>): Record<string, unknown> {
    const base = publicBase(req, opts.publicUrl);
    const { 'goog:chromeOptions': _debugger, webSocketUrl: _bidi, ...caps } = answer;
    const s = w.session;
    const vnc = liveViewUrl(base, s);
    return {
      ...caps,
      'outpost:session': s.id,
      // Selenium's CDP connection (driver.createCDPConnection) and live view, Grid's names.
      'se:cdp': `${base.ws}/sessions/${s.id}/cdp`,
      ...(typeof caps.browserVersion === 'string' ? { 'se:cdpVersion': caps.browserVersion } : {}),
      'se:vncEnabled': vnc !== null,
      ...(vnc !== null ? { 'se:vnc': `${base.ws}/sessions/${s.id}/vnc`, 'outpost:vnc': vnc } : {}),
      ...(w.bidiUrl ? { webSocketUrl: `${base.ws}${opts.prefix}/session/${w.id}/se/bidi` } : {}),
    };
  }

  app.post('/session', { config: WEBDRIVER_ROUTE, bodyLimit: WEBDRIVER_BODY_LIMIT, schema: { response: { 200: W3CAnswer, ...errors } } }, async (req) => {
    const { w, answer } = await sessions.create(req.body ?? {});
    return { value: { sessionId: w.id, capabilities: publicCapabilities(req, w, answer) } };
  });

  if (opts.status) {
    app.get('/status', { config: WEBDRIVER_ROUTE, schema: { response: { 200: W3CAnswer, 401: W3CError } } }, async () => {
      const c = manager.capacityView();
      const ready = !app.drain.active && c.active + c.starting < c.max_sessions;
      return { value: { ready, message: ready ? 'Outpost takes new sessions' : app.drain.active ? 'draining: no new sessions' : 'every session slot is in use', build: { version: opts.version } } };
    });
  }

  app.delete('/session/:sid', { config: WEBDRIVER_ROUTE, schema: { params: WebDriverSessionParams, response: W3C_RELAYED } }, async (req, reply) => {
    const answer = await sessions.delete(find((req.params as { sid: string }).sid));
    return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
  });

  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: '/session/:sid/*',
    config: WEBDRIVER_ROUTE,
    bodyLimit: WEBDRIVER_BODY_LIMIT,
    schema: { params: WebDriverCommandParams, response: W3C_RELAYED },
    handler: async (req, reply) => {
      const { sid, '*': rest } = req.params as { sid: string; '*': string };
      const w = find(sid);
      manager.noteActivity(w.session);
      const body = req.method === 'POST' ? Buffer.from(JSON.stringify(req.body ?? {})) : null;
      // A client that gives up (its own timeout) takes the command with it.
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort());
      let answer;
      try {
        answer = await askDriver(w.driver.port, req.method, `/session/${sid}/${rest}`, body, gone.signal);
      } catch (err) {
        if (gone.signal.aborted) return reply;
        throw new AppError('webdriver_unreachable', `the session's chromedriver did not answer: ${(err as Error).message}`, 502);
      }
      manager.noteActivity(w.session);
      return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
    },
  });

  // WebDriver BiDi (webSocketUrl: true), W3C_RELAYED to chromedriver's socket for the session.
  app.get(
    '/session/:sid/se/bidi',
    {
      websocket: true,
      config: WEBDRIVER_ROUTE,
      schema: { params: WebDriverSessionParams, response: upgradeErrors },
      preValidation: async (req: FastifyRequest) => {
        const w = find((req.params as { sid: string }).sid);
        if (!w.bidiUrl) throw new WebDriverSessionNotFoundError(`${w.id}/se/bidi (the session was not asked for webSocketUrl)`);
      },
    },
    (socket, req) => {
      const w = find((req.params as { sid: string }).sid);
      relayToSession(manager, w.session, socket, w.bidiUrl!);
    },
  );
};

export default webdriverRoutes;
