// URL rules shared by the channel factories and channelsFromEnv. Problems are phrased as predicates
// ("must use https …") so the caller can prefix the setting's name, and never echo the URL: Slack
// webhook URLs and Telegram API paths are secrets.

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export class EndpointUrlError extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'EndpointUrlError';
  }
}

/**
 * Parses an http(s) endpoint. `plainHttp: 'loopback-only'` is for hosted services (Slack, Telegram)
 * whose URL or path carries a credential: http is accepted only for a local receiver or test double.
 */
export function parseEndpointUrl(value: string, opts: { plainHttp: 'allowed' | 'loopback-only' }): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EndpointUrlError('must be an absolute http(s) URL (it does not parse as a URL)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new EndpointUrlError(`must be an http(s) URL (got the scheme ${url.protocol.replace(/:$/, '')})`);
  }
  if (url.protocol === 'http:' && opts.plainHttp === 'loopback-only' && !isLoopbackHost(url.hostname)) {
    throw new EndpointUrlError('must use https (plain http is accepted only for a loopback host)');
  }
  return url;
}
