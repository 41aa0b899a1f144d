// The X authority of a session's display. Without one, Xvfb lets every local user in (the
// abstract socket @/tmp/.X11-unix/X<n> is not even covered by the unit's PrivateTmp), and any of
// them could watch or drive the browser without the VNC password. With `-auth <file>` Xvfb only
// accepts clients that present the cookie in that file; x11vnc (`-auth`) and chromium
// (`XAUTHORITY`) read the same file, which lives in the session's own 0700 directory.
// (held by process-backend.int.test.ts 'takes X clients only with the session's cookie')
//
// The file is written here rather than with `xauth`: the format is five length-prefixed fields, and
// one less program on the device is one less thing to install and to fail.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';

export const MIT_MAGIC_COOKIE = 'MIT-MAGIC-COOKIE-1';

/** Xau family "wild": the record matches whatever host name the client resolves for the display. */
const FAMILY_WILD = 0xffff;

function field(data: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(data.length);
  return Buffer.concat([len, data]);
}

/**
 * One Xauthority record (libXau's format: family, then address, display number, auth name and auth
 * data, each a big-endian 16-bit length and its bytes). The family is wild, not local with the
 * host name that `xauth add` would write: the host name can change under a running session
 * (containers, ProtectHostname) and the file serves one display only.
 */
export function xauthorityRecord(display: number, cookie: Buffer): Buffer {
  const family = Buffer.alloc(2);
  family.writeUInt16BE(FAMILY_WILD);
  return Buffer.concat([
    family,
    field(Buffer.alloc(0)),
    field(Buffer.from(String(display), 'ascii')),
    field(Buffer.from(MIT_MAGIC_COOKIE, 'ascii')),
    field(cookie),
  ]);
}

/** Writes a fresh random cookie for `display` to `file` (mode 0600) and returns the cookie. */
export async function writeXAuthority(file: string, display: number): Promise<Buffer> {
  const cookie = randomBytes(16);
  await writeFile(file, xauthorityRecord(display, cookie), { mode: 0o600 });
  return cookie;
}
