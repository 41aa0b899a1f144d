// Downloads of API files (exports). The API wants the token as a header, which a plain
// <a href download> cannot send: the file is fetched with it, then saved from an object URL.
import { apiBlob } from './api';

/**
 * The file name a Content-Disposition header gives (filename*=UTF-8''… first, then filename=,
 * quoted or not), reduced to its last path segment; `fallback` when it gives none.
 */
export function filenameFromDisposition(header: string | null, fallback: string): string {
  if (!header) return fallback;
  let name: string | undefined;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended?.[1]) {
    try {
      name = decodeURIComponent(extended[1].trim());
    } catch {
      // malformed percent-encoding: try the plain parameter
    }
  }
  if (name === undefined) {
    const plain = /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/i.exec(header);
    name = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2]?.trim();
  }
  const base = name?.split(/[\\/]/).pop()?.trim();
  return base && base !== '.' && base !== '..' ? base : fallback;
}

/** Hand a blob to the browser as a download named `filename`. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has its own reference to the data once started; revoking at once can cancel it
  // in some browsers, so after a moment.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Fetch an API file with the token and save it under the server's file name (or `fallback`). */
export async function downloadFile(path: string, fallback: string): Promise<string> {
  const { blob, headers } = await apiBlob(path);
  const filename = filenameFromDisposition(headers.get('content-disposition'), fallback);
  saveBlob(blob, filename);
  return filename;
}
