// The admin console: a static page (HTML, one ES module, one stylesheet) in this package's
// console/ folder, served without a token — every data call the page makes carries the bearer
// token. Read once when the handler is made; sent with a strict Content-Security-Policy (no inline
// script or style, nothing from another origin) so a token typed into the page can only ever go
// back to this server.
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';

export const CONSOLE_PATH = '/console/';
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Relative to this module in src/admin and in dist/admin alike. */
const CONSOLE_DIR = new URL('../../console/', import.meta.url);
const FILES: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '': { file: 'index.html', type: 'text/html; charset=utf-8' },
  'console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  'console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
};

export interface ConsoleFile {
  readonly body: Buffer;
  readonly type: string;
}

/** The console's files by request path (`/console/…`); `/console` itself redirects to `/console/`. */
export function loadConsoleFiles(): ReadonlyMap<string, ConsoleFile> {
  return new Map(Object.entries(FILES).map(([name, { file, type }]) => [`${CONSOLE_PATH}${name}`, { body: readFileSync(new URL(file, CONSOLE_DIR)), type }]));
}

/** Answers GET or HEAD for a console path: true when it did. */
export function sendConsole(files: ReadonlyMap<string, ConsoleFile>, method: string | undefined, pathname: string, res: ServerResponse): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (pathname === CONSOLE_PATH.slice(0, -1)) {
    res.writeHead(308, { location: CONSOLE_PATH, 'content-length': 0 });
    res.end();
    return true;
  }
  const file = files.get(pathname);
  if (file === undefined) return false;
  res.writeHead(200, {
    'content-type': file.type,
    'content-length': file.body.length,
    'content-security-policy': CONSOLE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
  res.end(method === 'HEAD' ? undefined : file.body);
  return true;
}
