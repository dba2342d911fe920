// The engine's configuration: one policy, fully resolved by the compiler (plan catalogue inlined,
// static consumer plans collected, every default explicit). It is what the `tollgate` Kong plugin
// entry and the APISIX ext-plugin conf carry, so it is built from the same TypeBox pieces as the
// policy language and checked once when a gateway hands it over, never per request.
import Type, { type Static } from 'typebox';
import {
  Costs,
  Identity,
  NamePattern,
  Notifications,
  Payment,
  Plan,
  Responses,
  Rewrite,
  Route,
  Store,
  Subscription,
} from '@tollgate/policy/schema';

const closed = { additionalProperties: false } as const;
const Name = Type.String({ pattern: NamePattern });

/**
 * The policy's identity plus what the compiler knows of the gateway: the consumer key-auth hands
 * unauthenticated callers (`anonymous` on Kong, `anonymous_consumer` on APISIX). The engine treats
 * that consumer as no consumer at all, so its callers never share one account.
 */
const EngineIdentity = Type.Object(
  {
    ...Identity.properties,
    anonymousConsumer: Type.Optional(
      Type.String({ pattern: NamePattern, description: 'The gateway consumer standing for unauthenticated callers; required with key-auth and anonymous: true.' }),
    ),
  },
  closed,
);

export const ENGINE_CONFIG_VERSION = 1;

export const EngineConfig = Type.Object(
  {
    version: Type.Literal(ENGINE_CONFIG_VERSION),
    policy: Name,
    routes: Type.Array(Route, { minItems: 1 }),
    identity: EngineIdentity,
    /** Plans in tier order, lowest first: "a higher plan includes it" follows this order. */
    plans: Type.Array(Type.Object({ name: Name, plan: Plan }, closed)),
    defaultPlan: Type.Optional(Name),
    /** Plans assigned statically in Consumers documents; account state in the store overrides them. */
    consumerPlans: Type.Record(Type.String({ pattern: NamePattern }), Name, closed),
    costs: Costs,
    subscription: Type.Optional(Subscription),
    payment: Type.Optional(Payment),
    rewrite: Type.Optional(Rewrite),
    responses: Type.Optional(Responses),
    store: Store,
    notifications: Type.Optional(Notifications),
    /** The path on which the engine answers the caller's own usage (GET, nothing charged). */
    usageEndpoint: Type.Optional(Type.String({ pattern: '^/' })),
  },
  closed,
);
export type EngineConfig = Static<typeof EngineConfig>;
