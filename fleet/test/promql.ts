// Which metrics a PromQL expression reads, and which series a /metrics text exposes: for the
// tests that hold fleet/prometheus/rules.yml and the dashboards in fleet/grafana to metrics that
// exist. A small reader, not a PromQL parser: it drops what cannot be a metric name (strings,
// label matchers, ranges, grouping labels, numbers) and keeps the identifiers not followed by "(".

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan']);

/** The metric names `expr` selects (including recorded ones, `outpost:…`). */
export function metricNamesIn(expr: string): Set<string> {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    // Grafana's variables ($device, ${DS_PROMETHEUS}, $__rate_interval) outside braces and ranges.
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ');
  const names = new Set<string>();
  // Whole identifiers only (no backing off to a shorter one), and none that calls: sum(…), rate(…).
  for (const m of stripped.matchAll(/(?<![\w.:])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()/g)) {
    const name = m[1]!;
    if (!KEYWORDS.has(name.toLowerCase()) && !/^\d/.test(name)) names.add(name);
  }
  return names;
}

/**
 * Every series name a Prometheus text exposition can produce: the samples it holds, and for each
 * family it declares (`# TYPE`) the names it would have with series (a family with no series yet,
 * like outpost_payload_up without a payload, still counts; a histogram's `_bucket`, `_sum` and
 * `_count`).
 */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      names.add(name);
      if (kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
      if (kind === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
    } else if (line !== '' && !line.startsWith('#')) {
      names.add(/^[A-Za-z_:][\w:]*/.exec(line)?.[0] ?? '');
    }
  }
  names.delete('');
  return names;
}

/** Series Prometheus itself adds to every scrape target. */
export const SCRAPE_SERIES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added']);
