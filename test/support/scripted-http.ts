// An HTTP server answering JSON as a test scripts it, for clients of services Tollgate calls (the x402
// facilitator: packages/engine/src/x402/facilitator.test.ts, cdp-auth.test.ts, test/x402-options.test.ts).
// Each request is read whole and handed to the script, which answers with a status and a JSON body.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The request body as text, '' when none. */
  readonly body: string;
}

export interface ScriptedAnswer {
  readonly status: number;
  readonly body: unknown;
}

export class ScriptedJsonServer {
  private constructor(
    private readonly server: Server,
    /** http://127.0.0.1:<port>, no trailing slash. */
    readonly url: string,
  ) {}

  static async start(answer: (request: ScriptedRequest) => ScriptedAnswer): Promise<ScriptedJsonServer> {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const { status, body: json } = answer({ path: req.url ?? '', headers: req.headers, body });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new ScriptedJsonServer(server, `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
