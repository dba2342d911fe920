// Debian's Chromium for end-to-end tests of the admin console, driven by playwright-core.
import { spawnSync } from 'node:child_process';
import { skipOutsideCi } from './skip.js';

export const CHROMIUM = process.env.CHROMIUM ?? 'chromium';

/** The browser's executable path, or undefined when it is not installed. */
export function chromiumPath(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', CHROMIUM], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : undefined;
}

/** Why the browser tests cannot run here (never under CI, where it throws). */
export function chromiumSkipReason(): string | undefined {
  return chromiumPath() === undefined ? skipOutsideCi(`${CHROMIUM} not found on PATH: browser tests skipped (apt-get install chromium)`) : undefined;
}
