// The chromium switches a create may add (`extra_args`): an allow-list, because a switch can take
// the browser out of the appliance's hands (its DevTools endpoint, its sandbox, its profile, its
// proxy). README.md, "Identity, egress and browser settings", lists the same switches.

interface SwitchRule {
  /** What the value must be, for the message; null: a switch without a value. */
  takes: string | null;
  valid?: (value: string) => boolean;
}

const FEATURE_NAMES = /^[A-Za-z][A-Za-z0-9_]*(,[A-Za-z][A-Za-z0-9_]*)*$/;
/** Feature names that touch site isolation or the sandbox stay the appliance's to decide. */
const GUARDED_FEATURES = /sandbox|isolat|siteperprocess/i;

const flag: SwitchRule = { takes: null };
const oneOf = (...values: string[]): SwitchRule => ({ takes: `one of ${values.join(', ')}`, valid: (v) => values.includes(v) });
const features: SwitchRule = {
  takes: 'a comma-separated list of feature names (letters, digits, _), none about the sandbox or site isolation',
  valid: (v) => FEATURE_NAMES.test(v) && !v.split(',').some((name) => GUARDED_FEATURES.test(name)),
};

/** The switches extra_args may carry, and the value each takes. */
export const EXTRA_ARGS_ALLOWED: ReadonlyMap<string, SwitchRule> = new Map([
  ['--disable-gpu', flag],
  ['--disable-dev-shm-usage', flag],
  ['--disable-notifications', flag],
  ['--disable-popup-blocking', flag],
  ['--disable-smooth-scrolling', flag],
  ['--disable-lcd-text', flag],
  ['--disable-background-timer-throttling', flag],
  ['--disable-backgrounding-occluded-windows', flag],
  ['--disable-renderer-backgrounding', flag],
  ['--disable-infobars', flag],
  ['--hide-scrollbars', flag],
  ['--mute-audio', flag],
  ['--ignore-certificate-errors', flag],
  ['--force-dark-mode', flag],
  ['--start-maximized', flag],
  ['--no-first-run', flag],
  ['--no-default-browser-check', flag],
  ['--force-device-scale-factor', { takes: 'a number from 0.25 to 5', valid: (v) => /^\d+(\.\d+)?$/.test(v) && Number(v) >= 0.25 && Number(v) <= 5 }],
  ['--font-render-hinting', oneOf('none', 'slight', 'medium', 'full')],
  ['--force-color-profile', oneOf('srgb', 'display-p3-d65', 'generic-rgb')],
  ['--autoplay-policy', oneOf('no-user-gesture-required', 'user-gesture-required', 'document-user-activation-required')],
  // Merged with Playwright's own lists (chromium keeps only the last of each: identity-launch.ts).
  ['--disable-features', features],
  ['--enable-features', features],
  ['--disable-blink-features', features],
  ['--enable-blink-features', features],
]);

/** Switches asked for by habit that a create field or the appliance covers: why each is refused. */
const REFUSED: ReadonlyArray<[RegExp, string]> = [
  [/^--remote-debugging-|^--remote-allow-origins$/, "the appliance serves the browser's DevTools itself (the session's cdp_endpoint)"],
  [/sandbox|^--no-zygote$/, "chromium's sandbox is the appliance's to decide"],
  [/^--user-data-dir$|^--profile-directory$/, 'use "profile"'],
  [/^--disable-extensions$/, 'extensions are off unless "extensions" names some'],
  [/^--load-extension$|^--disable-extensions-except$/, 'use "extensions"'],
  [/^--proxy-|^--no-proxy-server$/, 'use "proxy"'],
  [/^--lang$|^--accept-lang$/, 'use "locale"'],
  [/^--user-agent$/, 'use "user_agent"'],
  [/^--window-size$|^--window-position$/, 'use "width" and "height"'],
  [/^--headless$/, 'use "headless"'],
];

/** The switch's name (`--name`) and value (null without `=`). */
export function splitSwitch(arg: string): { name: string; value: string | null } {
  const eq = arg.indexOf('=');
  return eq < 0 ? { name: arg, value: null } : { name: arg.slice(0, eq), value: arg.slice(eq + 1) };
}

/** Why extra_args cannot carry these switches, or null when every one is allowed. */
export function extraArgsProblem(args: readonly string[]): string | null {
  const seen = new Set<string>();
  for (const arg of args) {
    const shown = JSON.stringify(arg);
    // No spaces, quotes-and-spaces tricks or control characters: one switch is one printable word.
    if (!/^[\x21-\x7e]+$/.test(arg)) return `extra_args: ${shown} may hold only printable ASCII without spaces`;
    const { name, value } = splitSwitch(arg);
    if (!/^--[a-z0-9][a-z0-9-]*$/.test(name)) return `extra_args: ${shown} is not a chromium switch (--name or --name=value)`;
    const refused = REFUSED.find(([pattern]) => pattern.test(name));
    if (refused) return `extra_args: ${name} is not allowed: ${refused[1]}`;
    const rule = EXTRA_ARGS_ALLOWED.get(name);
    if (!rule) return `extra_args: ${name} is not on the allow-list (${[...EXTRA_ARGS_ALLOWED.keys()].join(', ')})`;
    if (rule.takes === null && value !== null) return `extra_args: ${name} takes no value`;
    if (rule.takes !== null && (value === null || !rule.valid!(value))) return `extra_args: ${name} needs =<value>, ${rule.takes}`;
    if (seen.has(name)) return `extra_args: ${name} is given twice`;
    seen.add(name);
  }
  return null;
}
