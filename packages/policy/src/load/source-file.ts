import type { Diagnostic } from '../diagnostics.js';
import { START_OF_FILE } from '../diagnostics.js';

export interface SourceFile {
  /** As diagnostics should show it (the CLI passes a cwd-relative path with forward slashes). */
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** Larger files are reported, not parsed: no policy project needs this much text in one file. */
export const MAX_SOURCE_BYTES = 4 * 1024 * 1024;

export type DecodedSource = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly diagnostic: Diagnostic };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Policy files are UTF-8 text; anything else gets one clear finding instead of garbage parse errors. */
export function decodeSource(file: SourceFile): DecodedSource {
  const fail = (code: string, message: string): DecodedSource => ({
    ok: false,
    diagnostic: { code, severity: 'error', message, path: [], source: file.path, range: START_OF_FILE },
  });
  const { bytes } = file;
  if (bytes.length > MAX_SOURCE_BYTES) {
    return fail('file-too-large', `file is larger than ${MAX_SOURCE_BYTES / 1024 / 1024} MiB; split it into several policy files`);
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return fail('file-encoding', 'file is UTF-16 encoded; save it as UTF-8');
  }
  if (bytes.includes(0)) {
    return fail('file-encoding', 'file is binary (contains NUL bytes), not a YAML policy file');
  }
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    return fail('file-encoding', 'file is not valid UTF-8; save it as UTF-8');
  }
}
