// Binding a unix socket for the nginx workers to connect to; shared by the APISIX runner and the
// Lua adapters' sidecar.
import { chmod, lstat, unlink } from 'node:fs/promises';
import type { Server } from 'node:net';
import { isMainThread } from 'node:worker_threads';

/**
 * Listens on `path` with the file mode `mode`, first removing a socket a previous process left
 * there (never anything that is not a socket).
 */
export async function listenOnUnixSocket(server: Server, path: string, mode: number): Promise<void> {
  await removeStaleSocket(path);
  await listen(server, path, mode);
}

async function removeStaleSocket(path: string): Promise<void> {
  const stat = await lstat(path).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  });
  if (stat === undefined) return;
  if (!stat.isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  await unlink(path);
}

/**
 * bind() creates the socket file synchronously inside server.listen(), so narrowing the umask for
 * that call makes the file appear with its final mode: no window where nginx workers are refused,
 * or where it is more open than asked. The umask is per process and worker threads may not set it;
 * there the mode is set right after listening instead.
 */
async function listen(server: Server, path: string, mode: number): Promise<void> {
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const listenNow = () =>
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    if (!isMainThread) {
      listenNow();
      return;
    }
    const previous = process.umask(0o777 & ~mode);
    try {
      listenNow();
    } finally {
      process.umask(previous);
    }
  });
  await listening;
  if (!isMainThread) await chmod(path, mode);
}
