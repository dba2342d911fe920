import type { Located, Project } from '../load/load-project.js';
import type { PolicyDocument, Route } from '../schema/policy-schema.js';
import type { Rule, RuleFinding } from './rule.js';

interface PlacedRoute {
  readonly policy: Located<PolicyDocument>;
  readonly index: number;
  readonly route: Route;
  /** Position in file order across the project. */
  readonly order: number;
}

/** Kong and APISIX match a path as a plain prefix: `/api` also takes `/apix` and `/api;v=1`. */
function pathsOverlap(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return long.startsWith(short);
}

/** Absent methods or hosts match everything. */
function intersects(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return a === undefined || b === undefined || a.some((x) => b.includes(x));
}

interface PlacedPath extends PlacedRoute {
  readonly path: string;
  readonly pathIndex: number;
}

/** Two paths longer than "/" can only overlap when they share the character after it, so compare within buckets. */
function buckets(routes: readonly PlacedRoute[]): { byFirstChar: Map<string, PlacedPath[]>; root: PlacedPath[] } {
  const byFirstChar = new Map<string, PlacedPath[]>();
  const root: PlacedPath[] = [];
  for (const placed of routes) {
    for (const [pathIndex, path] of (placed.route.paths ?? []).entries()) {
      const first = path.charAt(1);
      const entry = { ...placed, path, pathIndex };
      if (first === '') root.push(entry);
      else byFirstChar.set(first, [...(byFirstChar.get(first) ?? []), entry]);
    }
  }
  return { byFirstChar, root };
}

export const routeOverlap: Rule = {
  id: 'route-overlap',
  severity: 'warn',
  description: 'Routes of different policies should not match the same requests: which policy applies would depend on gateway priorities.',
  *check(project: Project): Iterable<RuleFinding> {
    const routes: PlacedRoute[] = project.policies
      .flatMap((policy) => policy.value.spec.routes.map((route, index) => ({ policy, index, route })))
      .map((placed, order) => ({ ...placed, order }));
    const { byFirstChar, root } = buckets(routes);
    const reported = new Set<string>();
    const compare = function* (a: PlacedPath, b: PlacedPath): Iterable<RuleFinding> {
      if (a.policy === b.policy || !intersects(a.route.methods, b.route.methods) || !intersects(a.route.hosts, b.route.hosts)) return;
      if (!pathsOverlap(a.path, b.path)) return;
      // Report once, on the later of the two (in file order), naming the earlier one.
      const [first, second] = a.order < b.order ? [a, b] : [b, a];
      const key = `${second.order}:${second.pathIndex}`;
      if (reported.has(key)) return;
      reported.add(key);
      yield {
        document: second.policy,
        path: ['spec', 'routes', second.index, 'paths', second.pathIndex],
        message: `path ${second.path} of route "${second.route.name}" overlaps ${first.path} of route "${first.route.name}" in policy "${first.policy.value.metadata.name}"`,
      };
    };
    for (const bucket of byFirstChar.values()) {
      for (const [i, a] of bucket.entries()) for (const b of bucket.slice(i + 1)) yield* compare(a, b);
    }
    const everything = [...byFirstChar.values()].flat();
    for (const [i, a] of root.entries()) {
      for (const b of [...root.slice(i + 1), ...everything]) yield* compare(a, b);
    }
  },
};
