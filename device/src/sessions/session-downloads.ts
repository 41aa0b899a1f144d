// Downloads of a session (issue 15): whatever a page downloads, in any context and whoever drives it,
// is kept under its own name in the session's artifacts (artifacts.ts), listed and served by
// GET /api/sessions/:id/downloads[/:name].
//
// The browser writes each download into the session's downloads directory named by its id
// (Playwright's downloads path for the contexts its clients make; for the default context, which
// CDP and WebDriver clients use, the appliance sets the same directory). Over its own DevTools
// connection the appliance hears when one completes, and hard-links the file into the artifacts
// under the page's suggested name: Playwright deletes its copy when the client's context closes,
// the link stays.
import { copyFile, link, readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type WebSocket from 'ws';
import { watchBrowser } from './devtools.js';
import type { Session } from './session-manager.js';

export interface DownloadsOptions {
  /** Where the session's kept downloads go. */
  targetDir: (id: string) => string;
  /** A line for the session's logs. */
  note: (s: Session, message: string, level?: string) => void;
}

/** A file name of one path segment that a shell, a URL and a browser all take. */
export function safeFileName(suggested: string): string {
  // eslint-disable-next-line no-control-regex
  const name = basename(suggested.replace(/\\/g, '/')).replace(/[\x00-\x1f\x7f]/g, '_').replace(/^\.+/, '_').trim();
  return (name || 'download').slice(0, 200);
}

/** `name`, or `name (2).ext` and on when taken. */
export function freeName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let i = 2; ; i += 1) {
    const candidate = `${stem} (${i})${ext}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function createSessionDownloads(opts: DownloadsOptions) {
  const sockets = new Map<string, WebSocket>();

  async function keep(s: Session, from: string, suggested: string, url: string): Promise<void> {
    const dir = opts.targetDir(s.id);
    const taken = new Set(await readdir(dir).catch(() => []));
    const name = freeName(safeFileName(suggested), taken);
    const to = join(dir, name);
    // Same file system (both under the data directory): a link, no copy; a copy where it is not.
    await link(from, to).catch(() => copyFile(from, to));
    opts.note(s, `downloaded ${JSON.stringify(name)} from ${url}`);
  }

  async function watch(s: Session, downloadsDir: string): Promise<void> {
    const pending = new Map<string, { name: string; url: string }>();
    const socket = await watchBrowser(s, {
      // The default context (CDP and WebDriver clients); Playwright's contexts get the same directory
      // from Playwright. eventsEnabled: this connection hears of downloads in every context.
      onOpen: (send) => send('Browser.setDownloadBehavior', { behavior: 'allowAndName', downloadPath: downloadsDir, eventsEnabled: true }),
      onMessage(msg) {
        const p = msg.params ?? {};
        if (msg.method === 'Browser.downloadWillBegin') {
          if (pending.size < 1000) pending.set(String(p.guid), { name: String(p.suggestedFilename ?? 'download'), url: String(p.url ?? '') });
        } else if (msg.method === 'Browser.downloadProgress' && (p.state === 'completed' || p.state === 'canceled')) {
          const d = pending.get(String(p.guid));
          pending.delete(String(p.guid));
          if (!d) return;
          if (p.state === 'canceled') {
            opts.note(s, `download of ${JSON.stringify(d.name)} from ${d.url} was canceled`, 'warning');
            return;
          }
          const from = typeof p.filePath === 'string' ? p.filePath : join(downloadsDir, String(p.guid));
          keep(s, from, d.name, d.url).catch((err: unknown) => opts.note(s, `download of ${JSON.stringify(d.name)} could not be kept: ${(err as Error).message}`, 'warning'));
        }
      },
    });
    // The session may have ended while the connection opened.
    if (s.status === 'closing' || s.status === 'closed') socket.terminate();
    else sockets.set(s.id, socket);
    socket.on('close', () => {
      if (sockets.get(s.id) === socket) sockets.delete(s.id);
    });
  }

  return {
    /** Starts keeping the session's downloads (client sessions whose browser writes them on this host). */
    started(s: Session): void {
      const dir = s.browser?.downloadsDir;
      if (!dir || !s.browser?.cdp) return;
      watch(s, dir).catch((err: unknown) => opts.note(s, `downloads are not kept: ${(err as Error).message}`, 'warning'));
    },
    ended(s: Session): void {
      sockets.get(s.id)?.terminate();
      sockets.delete(s.id);
    },
    close(): void {
      for (const socket of sockets.values()) socket.terminate();
      sockets.clear();
    },
  };
}

export type SessionDownloads = ReturnType<typeof createSessionDownloads>;
