import { open, readdir, stat } from 'node:fs/promises';
import { MAX_SOURCE_BYTES, type SourceFile } from '@tollgate/policy';
import { join, relative, resolve } from 'node:path';
import { CliError } from './io.js';

const POLICY_FILE = /\.ya?ml$/i;

/** Reads the policy files named by `paths` (files, or folders searched recursively), sorted by path. */
export async function readSources(paths: readonly string[], cwd: string): Promise<SourceFile[]> {
  const files = new Set<string>();
  for (const path of paths) {
    const absolute = resolve(cwd, path);
    const info = await stat(absolute).catch(() => {
      throw new CliError(`no such file or directory: ${path}`);
    });
    if (info.isDirectory()) {
      for (const file of await listPolicyFiles(absolute)) files.add(file);
    } else {
      files.add(absolute);
    }
  }
  const sorted = [...files].sort();
  return Promise.all(sorted.map(async (absolute) => ({ path: displayPath(absolute, cwd), bytes: await readHead(absolute) })));
}

/** Reads at most MAX_SOURCE_BYTES + 1 bytes: enough for the loader to tell a file is too large. */
async function readHead(absolute: string): Promise<Uint8Array> {
  const handle = await open(absolute, 'r').catch((error: unknown) => {
    throw new CliError(`cannot read ${absolute}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  });
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.allocUnsafe(Math.min(size, MAX_SOURCE_BYTES + 1));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function listPolicyFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && POLICY_FILE.test(e.name) && !e.parentPath.split(/[\\/]/).includes('node_modules'))
    .map((e) => join(e.parentPath, e.name));
}

function displayPath(absolute: string, cwd: string): string {
  const rel = relative(cwd, absolute);
  return (rel.startsWith('..') ? absolute : rel).split('\\').join('/');
}
