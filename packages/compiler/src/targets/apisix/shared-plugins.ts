// Splits the plugins of a policy's routes into those every route has with the same conf (they go
// on the policy's service once) and what is left per route. APISIX merges a service's plugins into
// each of its routes, a route's own plugin of the same name winning, so the split changes nothing
// at run time; it keeps the shared confs out of every route.
import { isDeepStrictEqual } from 'node:util';
import type { PluginMap } from './model.js';

export interface SplitPlugins {
  readonly shared: PluginMap;
  /** In the order of the input routes; an empty map when a route has nothing of its own. */
  readonly perRoute: readonly PluginMap[];
}

export function splitSharedPlugins(routes: readonly PluginMap[]): SplitPlugins {
  const [first, ...rest] = routes;
  if (!first) return { shared: {}, perRoute: [] };
  const shared: PluginMap = {};
  for (const [name, conf] of Object.entries(first)) {
    if (rest.every((plugins) => name in plugins && isDeepStrictEqual(plugins[name], conf))) shared[name] = conf;
  }
  const perRoute = routes.map((plugins) => Object.fromEntries(Object.entries(plugins).filter(([name]) => !(name in shared))));
  return { shared, perRoute };
}
