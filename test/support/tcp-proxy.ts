// A TCP proxy between a client and a redis-server, to lose a command or a reply on purpose: the
// faults a network really has (a connection reset before the command reached the server, or after
// the server ran it and before its reply came back). Each accepted connection gets its own
// upstream connection; the server's side of it is killed with CLIENT KILL, as an operator or a
// failing network would.
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import type { Redis } from 'ioredis';

/** What to do with the next chunk travelling in one direction. */
export type Fault = 'none' | 'lose-next-command' | 'lose-next-reply';

export class RedisProxy {
  #fault: Fault = 'none';
  readonly #pairs = new Set<{ client: Socket; upstream: Socket }>();
  /** Resolves when the armed fault happened. */
  #happened: (() => void) | undefined;

  private constructor(
    private readonly server: Server,
    private readonly admin: Redis,
    private readonly upstreamPort: number,
  ) {
    server.on('connection', (client) => {
      this.#connect(client);
    });
  }

  /** Listens on a free port in front of the redis-server on `upstreamPort`; `admin` runs CLIENT KILL. */
  static async start(upstreamPort: number, admin: Redis): Promise<RedisProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new RedisProxy(server, admin, upstreamPort);
  }

  get url(): string {
    return `redis://127.0.0.1:${String((this.server.address() as AddressInfo).port)}`;
  }

  /** Arms a fault for the next command (or reply) through any connection; resolves once it happened. */
  arm(fault: Exclude<Fault, 'none'>): Promise<void> {
    this.#fault = fault;
    return new Promise((resolve) => {
      this.#happened = resolve;
    });
  }

  /** Forgets an armed fault that has not happened yet. */
  disarm(): void {
    this.#fault = 'none';
    this.#happened = undefined;
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }

  #connect(client: Socket): void {
    const upstream = new Socket();
    const pair = { client, upstream };
    this.#pairs.add(pair);
    upstream.connect(this.upstreamPort, '127.0.0.1');
    client.on('data', (chunk: Buffer) => {
      if (this.#fault === 'lose-next-command') {
        // The command never reaches the server: the connection is reset under it.
        this.#fault = 'none';
        void this.#kill(pair);
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.#fault === 'lose-next-reply') {
        // The server ran the command; its reply is lost with the connection, killed by the server.
        this.#fault = 'none';
        void this.#kill(pair);
        return;
      }
      client.write(chunk);
    });
    const end = (): void => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }

  async #kill(pair: { client: Socket; upstream: Socket }): Promise<void> {
    const address = `${String(pair.upstream.localAddress)}:${String(pair.upstream.localPort)}`;
    await this.admin.client('KILL', 'ADDR', address);
    pair.client.destroy();
    this.#happened?.();
    this.#happened = undefined;
  }
}
