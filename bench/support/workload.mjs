// The request mix the engine benchmarks share: one GET on the forecast route per consumer, as the
// gateway adapters would hand it over after authentication.
export function forecastRequests(consumers) {
  return Array.from({ length: consumers }, (_, i) => ({
    method: 'GET',
    path: '/v1/forecast',
    route: 'forecast',
    headers: {},
    query: {},
    clientIp: '192.0.2.1',
    consumer: { username: `consumer-${i}` },
  }));
}
