import { describe, expect, test } from 'vitest';
import type { StandaloneDocument } from './model.js';
import { standaloneText } from './emit.js';
import { validateAdc, validateStandalone } from './validate.js';

const upstream = { type: 'roundrobin', scheme: 'http', nodes: [{ host: 'h.internal', port: 80, weight: 1 }], pass_host: 'node' } as const;

function standalone(overrides: Partial<StandaloneDocument> = {}): StandaloneDocument {
  return {
    services: [{ id: 'svc', name: 'svc', upstream: { ...upstream, nodes: [...upstream.nodes] }, plugins: { 'key-auth': { header: 'apikey' } } }],
    routes: [{ id: 'r1', name: 'r1', uris: ['/a*'], service_id: 'svc' }],
    ...overrides,
  };
}

const problemsOf = (doc: StandaloneDocument): string[] => validateStandalone(doc, standaloneText(doc));

describe('validateStandalone', () => {
  test('a service with its routes passes', () => {
    expect(problemsOf(standalone())).toEqual([]);
  });

  test('a route naming a missing service, or none, is reported', () => {
    const doc = standalone({ routes: [{ id: 'r1', name: 'r1', uris: ['/a*'], service_id: 'gone' }, { id: 'r2', name: 'r2', uris: ['/b*'] }] });
    expect(problemsOf(doc)).toEqual(['route r1: service_id "gone" does not exist', 'route r2: service_id "" does not exist']);
  });

  test('duplicate service ids, unknown plugins on a service and a missing #END are reported', () => {
    const [service] = standalone().services;
    const doc = standalone({ services: [service!, { ...service!, plugins: { 'limit-req': {} } }] });
    expect(validateStandalone(doc, 'routes: []\n')).toEqual(['the file does not end with #END', 'service id "svc" is defined twice', 'service svc: unknown plugin limit-req']);
  });
});

describe('validateAdc', () => {
  test('plugins on a service are checked like those on routes', () => {
    const doc = { services: [{ name: 'svc', upstream: { ...upstream, nodes: [...upstream.nodes] }, plugins: { 'limit-count': { count: 1 } }, routes: [{ name: 'r', uris: ['/a*'] }] }] };
    expect(validateAdc(doc)).toEqual(['service svc: limit-count without an explicit policy']);
  });
});
