// Runs the local x402 facilitator as its own process (what tests point a gateway's x402 offer at):
//   node <bundle> [--port 0] [--host 127.0.0.1] [--network eip155:84532]… [--require-header 'Authorization: Bearer t'] [--open-redirect]
// Prints one JSON line {"url": "http://127.0.0.1:PORT"} on stdout once listening; exits on SIGTERM.
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { createFacilitator, createFacilitatorServer, parseRequiredHeader } from './x402-facilitator.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    network: { type: 'string', multiple: true },
    'require-header': { type: 'string' },
    'open-redirect': { type: 'boolean', default: false },
  },
  strict: true,
});
const required = values['require-header'];
const server = createFacilitatorServer(createFacilitator(values.network === undefined ? {} : { networks: values.network }), {
  ...(required === undefined ? {} : { requiredHeader: parseRequiredHeader(required) }),
  openRedirect: values['open-redirect'],
});
server.listen(Number(values.port), values.host, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://${values.host}:${port}` })}\n`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
