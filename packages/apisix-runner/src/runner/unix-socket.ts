// Binding a unix socket for the nginx workers to connect to; shared by the APISIX runner and the
// Lua adapters' sidecar.
import { chmod, lstat, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { isMainThread } from 'node:worker_threads';

/** A listening socket whose connections wait, unread, until someone serves them. */
export interface HeldListener {
  readonly server: Server;
  /** Which socket file is ours (fileIdentity): a successor that binds the same path replaces it. */
  readonly identity: string;
  /** Hands every connection to `onConnection`, those accepted so far first, and starts reading them. */
  serve(onConnection: (socket: Socket) => void): void;
}

/**
 * Binds `path` before the process has loaded what answers on it (a process entry calls this
 * first, then imports the engine): on an APISIX reload the successor must take over the path
 * while its predecessor still drains, not seconds later once Node has loaded everything. Until
 * `serve` is called, accepted connections stay paused: what the gateway sends waits in the kernel
 * and is read, in order, once the process is ready.
 */
export async function listenAndHold(path: string, mode: number): Promise<HeldListener> {
  const held: Socket[] = [];
  let onConnection: ((socket: Socket) => void) | undefined;
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    if (onConnection === undefined) {
      held.push(socket);
      return;
    }
    onConnection(socket);
    socket.resume();
  });
  await listenOnUnixSocket(server, path, mode);
  const identity = await fileIdentity(path);
  if (identity === undefined) throw new Error(`${path} vanished right after it was bound`);
  return {
    server,
    identity,
    serve(handler) {
      onConnection = handler;
      for (const socket of held.splice(0)) {
        handler(socket);
        socket.resume();
      }
    },
  };
}

/**
 * Tells one file at `path` from another that replaced it: the inode number alone does not (a
 * successor's socket, bound right after ours was unlinked, often gets the same number), the
 * inode's change time in nanoseconds with it does. Undefined when nothing is there.
 */
export async function fileIdentity(path: string): Promise<string | undefined> {
  const stat = await lstat(path, { bigint: true }).catch(() => undefined);
  return stat === undefined ? undefined : `${stat.ino}:${stat.ctimeNs}`;
}

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
