import { describe, expect, it } from 'vitest';
import { InvalidPluginConfigError, routerFromEnv } from './tollgate-plugin.js';

describe('TOLLGATE_KONG_ROUTER_FLAVOR', () => {
  it.each([
    [undefined, 'kong-atc'],
    ['traditional_compatible', 'kong-atc'],
    ['expressions', 'kong-atc'],
    ['traditional', 'kong-traditional'],
  ])('%s → %s', (flavor, router) => {
    expect(routerFromEnv(flavor === undefined ? {} : { TOLLGATE_KONG_ROUTER_FLAVOR: flavor })).toBe(router);
  });

  it('refuses anything else, naming the accepted values', () => {
    expect(() => routerFromEnv({ TOLLGATE_KONG_ROUTER_FLAVOR: 'atc' })).toThrow(InvalidPluginConfigError);
    expect(() => routerFromEnv({ TOLLGATE_KONG_ROUTER_FLAVOR: 'atc' })).toThrow('"atc" is not a Kong router_flavor (traditional, traditional_compatible, expressions)');
  });
});
