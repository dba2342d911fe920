// The rule tables of the metered-route rules: rules/rules.test.ts runs them with the others.
import { KEY_AUTH, policy, ROUTES } from './lint-yaml.js';

interface Case {
  readonly name: string;
  readonly files: Record<string, string>;
  readonly expected: readonly string[];
}

const CREDITS = 'plans: { payg: { credits: true } }';
const UNITS_QUOTA = 'plans: { free: { quota: { units: 100, per: month } } }';
const PRICES = 'prices: { "*": { input: 1, output: 1 } }';
const metered = (plans: string, route: string, costs = '') => policy('p', [ROUTES, KEY_AUTH, plans, `costs: { ${costs}metered: { r1: ${route} } }`]);

export const METERED_CASES: Record<string, readonly Case[]> = {
  'metered-source': [
    { name: 'a cost header', files: { 'p.yaml': metered(CREDITS, '{ estimate: 5, header: X-Cost }') }, expected: [] },
    { name: 'token usage', files: { 'p.yaml': metered(CREDITS, `{ estimate: 5, usage: openai, ${PRICES} }`) }, expected: [] },
    {
      name: 'both, and neither',
      files: {
        'p.yaml': metered(CREDITS, `{ estimate: 5, header: X-Cost, usage: openai, ${PRICES} }`),
        'q.yaml': metered(CREDITS, '{ estimate: 5 }').replace('name: p', 'name: q'),
      },
      expected: [
        'p.yaml:8:58 metered-source metered route "r1" has both a cost header and a token usage: keep one',
        'q.yaml:8:23 metered-source metered route "r1" says nowhere where its cost comes from: add header (units the upstream states) or usage with prices (tokens)',
      ],
    },
  ],
  'metered-prices-missing': [
    { name: 'priced usage and estimate', files: { 'p.yaml': metered(CREDITS, `{ estimate: { requestField: max_tokens, fallback: 5 }, usage: anthropic, ${PRICES}, model: route }`) }, expected: [] },
    {
      name: 'usage and a computed estimate without prices',
      files: { 'p.yaml': metered(CREDITS, '{ estimate: { requestField: max_tokens, fallback: 5 }, usage: openai }') },
      expected: [
        'p.yaml:8:55 metered-prices-missing metered route "r1" estimates from max_tokens tokens but has no prices to turn them into units: add prices or give a fixed estimate',
        'p.yaml:8:82 metered-prices-missing metered route "r1" counts tokens but has no prices to turn them into units: add prices (e.g. "*": { input: 1, output: 1 })',
      ],
    },
    {
      name: 'model: route without a "*" price',
      files: { 'p.yaml': metered(CREDITS, '{ estimate: 5, usage: openai, prices: { gpt-4o: { input: 1, output: 4 } }, model: route }') },
      expected: ['p.yaml:8:109 metered-prices-missing metered route "r1" prices every request at "*" (model: route) but has no "*" price: every request would be charged its estimate'],
    },
  ],
  'metered-prices-unused': [
    { name: 'a header alone; a total at one rate', files: { 'p.yaml': metered(CREDITS, '{ estimate: 5, header: X-Cost }'), 'q.yaml': metered(CREDITS, '{ estimate: 5, usage: { total: usage.total_tokens }, prices: { "*": { input: 2, output: 2 } } }').replace('name: p', 'name: q') }, expected: [] },
    {
      name: 'prices with a header; an output rate under a total',
      files: {
        'p.yaml': metered(CREDITS, `{ estimate: 5, header: X-Cost, ${PRICES}, per: 1000 }`),
        'q.yaml': metered(CREDITS, '{ estimate: 5, usage: { total: usage.total_tokens }, prices: { "*": { input: 2, output: 8 } } }').replace('name: p', 'name: q'),
      },
      expected: [
        'p.yaml:8:58 metered-prices-unused metered route "r1" takes its cost in units from header X-Cost: prices never applies',
        'p.yaml:8:100 metered-prices-unused metered route "r1" takes its cost in units from header X-Cost: per never applies',
        'q.yaml:8:115 metered-prices-unused metered route "r1" reads a total of tokens, priced at the input rate: the output rate 8 of "*" never applies (give input and output the same rate)',
      ],
    },
    {
      name: 'a model\'s own price under model: route',
      files: { 'p.yaml': metered(CREDITS, '{ estimate: 5, usage: openai, prices: { gpt-4o: { input: 3, output: 12 }, "*": { input: 1, output: 1 } }, model: route }') },
      expected: ['p.yaml:8:67 metered-prices-unused metered route "r1" prices every request at "*" (model: route): the price of "gpt-4o" never applies'],
    },
  ],
  'metered-estimate-zero': [
    { name: 'zero without credits', files: { 'p.yaml': metered(UNITS_QUOTA, '{ estimate: 0, header: X-Cost }') }, expected: [] },
    {
      name: 'zero under credits, fixed and as the fallback',
      files: {
        'p.yaml': metered(CREDITS, '{ estimate: 0, header: X-Cost }'),
        'q.yaml': metered(CREDITS, `{ estimate: { requestField: max_tokens, fallback: 0 }, usage: openai, ${PRICES} }`).replace('name: p', 'name: q'),
      },
      expected: [
        'p.yaml:8:39 metered-estimate-zero metered route "r1" holds 0 units, so a caller without credits is let through and its cost overdraws the balance or is written off: hold what a typical request costs',
        'q.yaml:8:77 metered-estimate-zero metered route "r1" holds 0 units when the request has no max_tokens, so a caller without credits is let through and its cost overdraws the balance or is written off: hold what a typical request costs',
      ],
    },
  ],
  'metered-nothing-charged': [
    { name: 'a unit quota charges', files: { 'p.yaml': metered(UNITS_QUOTA, '{ estimate: 1, header: X-Cost }') }, expected: [] },
    {
      name: 'rate limits only; a requests quota billed per request',
      files: {
        'p.yaml': metered('plans: { free: { rateLimit: { minute: 5 } } }', '{ estimate: 1, header: X-Cost }'),
        'q.yaml': metered('plans: { pro: { quota: { requests: 100, per: month }, overage: bill } }', '{ estimate: 1, header: X-Cost }').replace('name: p', 'name: q'),
      },
      expected: [
        'p.yaml:8:12 metered-nothing-charged policy "p" meters r1, but no plan charges units (credits: true, quota.units or overage: credits; a requests quota counts 1 per request): the costs read from responses change nothing',
        'q.yaml:8:12 metered-nothing-charged policy "q" meters r1, but no plan charges units (credits: true, quota.units or overage: credits; a requests quota counts 1 per request): the costs read from responses change nothing',
      ],
    },
  ],
  'overdraft-unused': [
    { name: 'metered under credits', files: { 'p.yaml': metered(CREDITS, '{ estimate: 1, header: X-Cost }', 'overdraft: 10, ') }, expected: [] },
    {
      name: 'nothing metered; no credits',
      files: {
        'p.yaml': policy('p', [ROUTES, KEY_AUTH, CREDITS, 'costs: { overdraft: 10 }']),
        'q.yaml': metered(UNITS_QUOTA, '{ estimate: 1, header: X-Cost }', 'overdraft: 10, ').replace('name: p', 'name: q'),
      },
      expected: [
        'p.yaml:8:23 overdraft-unused costs.overdraft never applies: no route is metered (only a settlement above its estimate overdraws)',
        'q.yaml:8:23 overdraft-unused costs.overdraft never applies: no plan draws credits (credits: true or overage: credits)',
      ],
    },
  ],
  'metered-fixed-cost': [
    { name: 'a fixed cost on another route', files: { 'p.yaml': policy('p', ['routes: [{ name: r1, paths: [/a] }, { name: r2, paths: [/b] }]', KEY_AUTH, CREDITS, 'costs: { routes: { r2: 3 }, metered: { r1: { estimate: 1, header: X-Cost } } }']) }, expected: [] },
    {
      name: 'a fixed cost on the metered route',
      files: { 'p.yaml': metered(CREDITS, '{ estimate: 1, header: X-Cost }', 'routes: { r1: 3 }, ') },
      expected: ['p.yaml:8:22 metered-fixed-cost route "r1" is metered: its fixed cost 3 never applies (its admission holds costs.metered.r1.estimate)'],
    },
  ],
};
