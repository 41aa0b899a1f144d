// A WebDriver new-session request (W3C `capabilities` with alwaysMatch/firstMatch, or the legacy
// `desiredCapabilities`) read as an Outpost session and what chromedriver is asked for when it
// attaches to that session's browser. The browser already runs (it may come from the warm pool), so
// most chromium command-line switches cannot be applied to it: `goog:chromeOptions.args` takes
// switches that say what Outpost does anyway, switches that map to session fields (--window-size,
// --headless), and those of the create field extra_args' allow-list (extra-args.ts), which make the
// session start cold with them. Everything Outpost-specific goes in `outpost:options`.
import { checkValue } from '../shared/http/validation.js';
import type { createSessionBody, CreateSessionBody } from '../shared/session-schemas.js';
import { extraArgsProblem } from '../sessions/extra-args.js';

/**
 * Refused with W3C's `session not created` (or `invalid argument`), a message naming what is wrong.
 * The HTTP status is 400 for what the client asked, 502 when chromedriver or the browser failed
 * (W3C would say 500; Outpost keeps 500 for its own bugs).
 */
export class SessionNotCreatedError extends Error {
  constructor(
    message: string,
    readonly w3c: 'session not created' | 'invalid argument' = 'session not created',
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Switches a Selenium user passes by habit, all true of an Outpost browser already. */
const HARMLESS_ARGS = new Set([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-extensions',
  '--disable-infobars',
  '--disable-popup-blocking',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-notifications',
  '--start-maximized',
  '--remote-allow-origins=*',
]);
/** Keys of goog:chromeOptions that change nothing here (Selenium and WebdriverIO send some of them). */
const IGNORED_CHROME_OPTIONS = new Set(['args', 'excludeSwitches', 'useAutomationExtension', 'w3c', 'prefs', 'extensions']);
/** W3C and chromedriver capabilities that apply to the WebDriver session itself: passed on. */
const PASSED_ON = new Set([
  'acceptInsecureCerts',
  'pageLoadStrategy',
  'timeouts',
  'unhandledPromptBehavior',
  'strictFileInteractability',
  'webSocketUrl',
  'goog:loggingPrefs',
]);

export interface SessionRequest {
  /** The Outpost session to make. */
  create: CreateSessionBody;
  /** Capabilities for chromedriver besides the browser to attach to. */
  passOn: Record<string, unknown>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The first capability set that Outpost can serve, or why none can. */
function chooseCapabilities(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw new SessionNotCreatedError('the body must be a JSON object with "capabilities"', 'invalid argument');
  const w3c = body.capabilities;
  if (w3c !== undefined) {
    if (!isObject(w3c)) throw new SessionNotCreatedError('"capabilities" must be an object', 'invalid argument');
    const always = w3c.alwaysMatch ?? {};
    const first = w3c.firstMatch ?? [{}];
    if (!isObject(always)) throw new SessionNotCreatedError('"capabilities.alwaysMatch" must be an object', 'invalid argument');
    if (!Array.isArray(first) || first.length === 0 || !first.every(isObject)) {
      throw new SessionNotCreatedError('"capabilities.firstMatch" must be a non-empty array of objects', 'invalid argument');
    }
    const reasons: string[] = [];
    for (const f of first as Array<Record<string, unknown>>) {
      const merged = { ...always, ...f };
      const why = browserProblem(merged);
      if (why === null) return merged;
      reasons.push(why);
    }
    throw new SessionNotCreatedError(reasons.join('; '));
  }
  // Selenium 3 and older clients.
  const legacy = body.desiredCapabilities ?? {};
  if (!isObject(legacy)) throw new SessionNotCreatedError('"desiredCapabilities" must be an object', 'invalid argument');
  const why = browserProblem(legacy);
  if (why !== null) throw new SessionNotCreatedError(why);
  return legacy;
}

function browserProblem(caps: Record<string, unknown>): string | null {
  const name = caps.browserName;
  if (name === undefined || name === null || name === '' || name === 'chrome' || name === 'chromium') return null;
  return `Outpost serves chromium: browserName ${JSON.stringify(name)} cannot be matched (use "chrome" or "chromium")`;
}

/** `sessionSchema`: the create body's schema (createSessionBody), made once with the appliance's limits. */
export function readSessionRequest(body: unknown, sessionSchema: ReturnType<typeof createSessionBody>): SessionRequest {
  const caps = chooseCapabilities(body);
  const create: CreateSessionBody = {};
  const chrome = caps['goog:chromeOptions'];
  if (chrome !== undefined) {
    if (!isObject(chrome)) throw new SessionNotCreatedError('"goog:chromeOptions" must be an object', 'invalid argument');
    for (const key of Object.keys(chrome)) {
      if (!IGNORED_CHROME_OPTIONS.has(key)) {
        throw new SessionNotCreatedError(`goog:chromeOptions.${key} is not supported: the session's browser is started by Outpost (binary, profile and debugger address are its own)`);
      }
    }
    const args = chrome.args ?? [];
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new SessionNotCreatedError('goog:chromeOptions.args must be an array of strings', 'invalid argument');
    for (const arg of args as string[]) {
      const size = /^--window-size=(\d+),(\d+)$/.exec(arg);
      if (size) {
        create.width = Number(size[1]);
        create.height = Number(size[2]);
      } else if (arg === '--headless' || arg === '--headless=new' || arg === '--headless=old') create.headless = true;
      else if (!HARMLESS_ARGS.has(arg)) {
        const problem = extraArgsProblem([arg]);
        if (problem !== null) {
          throw new SessionNotCreatedError(
            `goog:chromeOptions.args: ${problem.replace(/^extra_args: /, '')}; besides those, --window-size=W,H, --headless and ${[...HARMLESS_ARGS].join(', ')} are taken (use "outpost:options" for the session's settings)`,
          );
        }
        (create.extra_args ??= []).push(arg);
      }
    }
  }
  const outpost = caps['outpost:options'];
  if (outpost !== undefined) {
    const problem = checkValue(sessionSchema, outpost, 'outpost:options');
    if (problem !== null) throw new SessionNotCreatedError(problem, 'invalid argument');
    const fromArgs = create.extra_args ?? [];
    Object.assign(create, outpost as CreateSessionBody);
    if (fromArgs.length > 0) create.extra_args = [...fromArgs, ...((outpost as CreateSessionBody).extra_args ?? [])];
  }
  // --window-size may be out of range too.
  const problem = checkValue(sessionSchema, create, 'the session (goog:chromeOptions.args)');
  if (problem !== null) throw new SessionNotCreatedError(problem, 'invalid argument');
  const passOn: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(caps)) if (PASSED_ON.has(k)) passOn[k] = v;
  return { create, passOn };
}
