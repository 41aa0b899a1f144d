// A session's identity as chromium takes it at launch (LaunchSpec.identity, checked by
// session-settings.ts): the proxy through Playwright's launch option (which answers the proxy's
// credential challenge, never on a command line), the user agent and language as switches, the
// time zone as the browser's TZ, the allowed extra switches, and the switches extensions need.
// What applies once the browser runs (the position, blocked URLs, loading the extensions) is
// page-policies.ts's.
import type { SessionIdentity } from './session-backend.js';
import { splitSwitch } from '../extra-args.js';

export interface IdentityLaunch {
  /** Options for Playwright's launchServer. */
  options: { proxy?: { server: string; username?: string; password?: string }; ignoreDefaultArgs?: string[] };
  args: string[];
  /** Unpacked extensions to load once the browser runs (page-policies.ts). */
  extensionDirs: string[];
}

/** Chromium keeps only the last of each of these, and Playwright passes its own lists. */
const MERGED_SWITCHES = ['--disable-features', '--enable-features'];

let playwrightDefaults: Promise<string[]> | null = null;

/**
 * Playwright's own --disable-features and --enable-features arguments, exactly as it passes them.
 * Playwright does not publish its default arguments; its server-side defaultArgs() (in the
 * package's exported `lib/coreBundle`) computes them without launching anything. Should a
 * Playwright release change that, sessions with feature switches fail to start with this message,
 * and identity.int.test.ts ('applies the allowed extra switches...') says so.
 */
function playwrightFeatureArgs(): Promise<string[]> {
  playwrightDefaults ??= (async () => {
    const specifier = 'playwright-core/lib/coreBundle';
    try {
      const m = (await import(specifier)) as { default?: unknown; server?: unknown };
      const core = (m.server ? m : m.default) as {
        server: { createPlaywright(o: { sdkLanguage: string }): { chromium: { defaultArgs(o: object, persistent: boolean, userDataDir: string): Promise<string[]> } } };
      };
      const args = await core.server.createPlaywright({ sdkLanguage: 'javascript' }).chromium.defaultArgs({ headless: true, args: [] }, false, '/nonexistent');
      return args.filter((a) => MERGED_SWITCHES.includes(splitSwitch(a).name));
    } catch (err) {
      playwrightDefaults = null;
      throw new Error(`cannot merge feature switches with Playwright's own (${(err as Error).message})`);
    }
  })();
  return playwrightDefaults;
}

/** extra_args with --disable-features/--enable-features merged into Playwright's lists, and the defaults they replace. */
async function mergedExtraArgs(extraArgs: string[]): Promise<{ args: string[]; replaced: string[] }> {
  const asked = extraArgs.filter((a) => MERGED_SWITCHES.includes(splitSwitch(a).name));
  if (asked.length === 0) return { args: extraArgs, replaced: [] };
  const defaults = await playwrightFeatureArgs();
  const args = extraArgs.filter((a) => !asked.includes(a));
  const replaced: string[] = [];
  for (const arg of asked) {
    const { name, value } = splitSwitch(arg);
    const theirs = defaults.find((d) => splitSwitch(d).name === name);
    if (theirs) replaced.push(theirs);
    const names = [...(theirs ? (splitSwitch(theirs).value ?? '').split(',') : []), ...(value ?? '').split(',')].filter(Boolean);
    args.push(`${name}=${[...new Set(names)].join(',')}`);
  }
  return { args, replaced };
}

/**
 * The launch options, switches and environment (`env`, set in place) for a session's identity.
 * `extensionsDir` is `${OUTPOST_DATA_DIR}/extensions`.
 */
export async function identityLaunch(identity: SessionIdentity | null, env: NodeJS.ProcessEnv, extensionsDir: string): Promise<IdentityLaunch> {
  if (!identity) return { options: {}, args: [], extensionDirs: [] };
  const options: IdentityLaunch['options'] = {};
  if (identity.proxy) {
    const u = new URL(identity.proxy);
    options.proxy = {
      server: `${u.protocol}//${u.host}`,
      ...(u.username ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {}),
    };
  }
  const extra = await mergedExtraArgs(identity.extraArgs);
  const args = [...extra.args];
  const ignored = [...extra.replaced];
  if (identity.userAgent) args.push(`--user-agent=${identity.userAgent}`);
  if (identity.locale) {
    args.push(`--lang=${identity.locale}`, `--accept-lang=${identity.locale}`);
    env.LANGUAGE = identity.locale.replace('-', '_');
  }
  if (identity.timezone) env.TZ = identity.timezone;
  const extensionDirs = identity.extensions.map((name) => `${extensionsDir}/${name}`);
  if (extensionDirs.length > 0) {
    if (extensionDirs.some((d) => d.includes(','))) throw new Error(`extensions cannot load from ${extensionsDir}: chromium takes their directories as a comma-separated list`);
    // Playwright turns extensions off. They are loaded over DevTools (page-policies.ts), the only
    // way to allow them in the incognito-like contexts Playwright clients open, which chromium
    // offers with this switch. --disable-extensions-except keeps every other extension a
    // persistent profile remembers from running.
    ignored.push('--disable-extensions');
    args.push('--enable-unsafe-extension-debugging', `--disable-extensions-except=${extensionDirs.join(',')}`);
  }
  if (ignored.length > 0) options.ignoreDefaultArgs = ignored;
  return { options, args, extensionDirs };
}
