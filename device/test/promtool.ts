// promtool (Debian package `prometheus`, installed by `node scripts/bootstrap.mjs test`) for the
// metrics and rules tests: the linter Prometheus itself ships, run on what the services expose.
import { spawnSync } from 'node:child_process';

export interface PromtoolResult {
  status: number | null;
  output: string;
}

/** `promtool <args…>`, with `input` on stdin; stdout and stderr together. */
export function promtool(args: string[], input?: string): PromtoolResult {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`promtool could not run (${r.error.message}); install the Debian package prometheus (npm test's bootstrap does)`);
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/** The metric families a Prometheus text exposition declares (its `# TYPE` lines), by name. */
export function metricFamilies(text: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(m[1]!, m[2]!);
  return families;
}
