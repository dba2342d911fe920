// The admin console: plain DOM over the admin API. The token lives in this tab's sessionStorage
// and goes out only as `Authorization: Bearer` to this origin (the server's CSP allows nothing
// else). Every answer that is not a success is shown as the problem+json the API returned.
const TOKEN_KEY = 'tollgate-admin-token';
const API = new URL('../v1/accounts/', window.location.href);

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text: nothing is parsed as HTML). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

async function call(method, path, body, headers = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(new URL(path, API), {
    method,
    headers: {
      ...headers,
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = { detail: text };
  }
  return { ok: response.ok, status: response.status, body: json };
}

function problemView(answer) {
  const { title = 'Error', detail = '' } = answer.body;
  return el(
    'div',
    { class: 'problem', 'data-status': answer.status },
    el('p', {}, el('strong', {}, `${answer.status} ${title}`), detail === '' ? null : `: ${detail}`),
    el('pre', { 'aria-label': 'problem details' }, JSON.stringify(answer.body, null, 2)),
  );
}

function networkProblem(error) {
  return el('div', { class: 'problem' }, el('p', {}, `The admin server did not answer: ${error.message}`));
}

function bar(label, value, max, text, attributes) {
  const id = `bar-${label.replace(/\W+/g, '-')}`;
  return el(
    'li',
    attributes,
    el('span', { id }, `${label}: `),
    el('meter', { min: 0, max: Math.max(max, 1), value, 'aria-labelledby': id }),
    el('span', { class: 'numbers' }, text),
  );
}

function definitions(pairs) {
  return el('dl', {}, ...pairs.flatMap(([term, value, attributes = {}]) => [el('dt', {}, term), el('dd', attributes, value)]));
}

function accountView(account) {
  return el(
    'div',
    {},
    el('h3', {}, `Account ${account.account}`),
    definitions([
      ['Plan', account.plan ?? 'none (the policy default applies)', { 'data-field': 'plan' }],
      ['Status', account.status ?? 'none', { 'data-field': 'status' }],
      ['Paid through', account.paidThrough ?? 'never', { 'data-field': 'paidThrough' }],
      ['Billing period anchor', account.periodAnchor ?? 'calendar', { 'data-field': 'periodAnchor' }],
      ['Credits', String(account.credits), { 'data-field': 'credits' }],
      // The expiring parts of the balance, spent first: soonest-expiring first.
      ['Expiring grants', account.grants === undefined ? 'none' : account.grants.map((g) => `${g.amount} until ${g.expiresAt}`).join(', '), { 'data-field': 'grants' }],
    ]),
  );
}

/** The account's usage as it stands (GET …/usage, nothing counted for any request): quotas and rate windows as bars. */
function usageView(report) {
  const bars = [
    ...report.quotas.map((q) =>
      bar(`quota ${q.unit}`, q.used, q.limit, `${q.used} of ${q.limit} used${q.remaining === 0 ? ' (exhausted)' : ''}; period ends ${q.resetAt}`, { 'data-quota': q.unit, 'data-used': q.used, 'data-limit': q.limit }),
    ),
    ...report.rateLimits.map((w) =>
      bar(`window ${w.window}`, w.limit - w.remaining, w.limit, `${w.remaining} of ${w.limit} left${w.remaining === 0 ? ' (full)' : ''}; resets in ${w.resetSeconds} s`, { 'data-window': w.window, 'data-remaining': w.remaining, 'data-limit': w.limit }),
    ),
  ];
  return el(
    'div',
    { id: 'usage' },
    el('h4', {}, `Usage now${report.plan === undefined ? '' : ` (plan ${report.plan})`}`),
    bars.length === 0 ? el('p', {}, "No window or quota applies to this account's plan.") : el('ul', { class: 'usage' }, ...bars),
  );
}

/** The why trace: subscription, entitlement, the credits this request would draw, then the decision and what to do. */
function traceView(e) {
  const s = e.subscription;
  const c = e.credits;
  // Full when the balance pays for this request; the numbers say how far it goes.
  const credits =
    c === null
      ? el('p', {}, 'This request draws no credits.')
      : el('ul', { class: 'usage' }, bar('credits', c.balance, Math.max(c.balance, c.cost), `balance ${c.balance}, this request costs ${c.cost}${c.drawsCredits ? ' (every request draws credits)' : ''}`, { 'data-credits': c.balance }));
  const verdict = e.decision.kind === 'allow' ? `ALLOW ${e.decision.status}` : `DENY ${e.decision.status} ${e.decision.reason}`;
  const advice = (who, lines) => (lines.length === 0 ? null : el('div', {}, el('h4', {}, who), el('ul', {}, ...lines.map((line) => el('li', {}, line)))));
  return el(
    'div',
    {},
    el('h3', {}, `Why: ${e.request.method} ${e.request.path} under policy ${e.policy}`),
    definitions([
      ['Identity', e.identity === null ? 'nobody: the request identifies no account' : `account ${e.identity.account}`],
      ['Route', e.route ?? 'no route of the policy matches'],
      ['Plan applied', e.plan?.applied ?? 'none', { 'data-field': 'applied-plan' }],
      ['Subscription', s === null ? 'not read' : s.required ? `${s.passes ? 'passes' : 'fails'}: status ${s.status ?? 'none'} (needs ${s.statuses.join(' or ')})` : 'not required'],
      ['Grace until', s?.graceUntil ?? 'no grace period', { 'data-field': 'graceUntil' }],
      ['Entitlement', e.entitlement === null ? 'not read' : e.entitlement.entitled ? 'the plan includes this route' : `${e.entitlement.reason}: plans with this route: ${e.entitlement.plansWithRoute.join(', ') || 'none'}`],
      ['Decision', verdict, { 'data-field': 'decision', class: `decision-${e.decision.kind}` }],
    ]),
    el('h4', {}, 'Credits'),
    credits,
    advice('The caller can', e.advice.caller),
    advice('The operator can', e.advice.operator),
    e.decision.problem === null ? null : el('details', {}, el('summary', {}, 'The problem the caller gets'), el('pre', {}, JSON.stringify(e.decision.problem, null, 2))),
    el('p', {}, 'Nothing was written: this was a dry run.'),
  );
}

function whyRequest() {
  const headers = {};
  for (const line of $('why-headers').value.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  const host = $('why-host').value.trim();
  return { method: $('why-method').value, path: $('why-path').value.trim(), headers, ...(host === '' ? {} : { host }) };
}

const accountPath = (suffix = '') => `${encodeURIComponent($('account').value.trim())}${suffix}`;

async function lookUp() {
  const accountResult = $('account-result');
  const whyResult = $('why-result');
  accountResult.replaceChildren(el('p', {}, 'Looking up…'));
  whyResult.replaceChildren();
  try {
    const [account, usage, trace] = await Promise.all([call('GET', accountPath()), call('GET', accountPath('/usage')), call('POST', accountPath('/why'), whyRequest())]);
    accountResult.replaceChildren(account.ok ? accountView(account.body) : problemView(account), usage.ok ? usageView(usage.body) : problemView(usage));
    whyResult.replaceChildren(trace.ok ? traceView(trace.body) : problemView(trace));
  } catch (error) {
    accountResult.replaceChildren(networkProblem(error));
  }
}

/** 128 random bits as an RFC 9651 sf-string (getRandomValues works on plain-HTTP origins too, unlike randomUUID). */
function newKey() {
  const hex = Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `console-${hex}`;
}

/** The last credit operation: a retry sends exactly this again, key included, so it applies at most once. */
let lastCredit;

async function sendCredit() {
  const result = $('credits-result');
  const { account, operation, amount, key } = lastCredit;
  $('credit-key').value = key;
  $('credit-retry').disabled = false;
  result.replaceChildren(el('p', {}, `Sending ${operation} ${amount}…`));
  try {
    const answer = await call('POST', `${encodeURIComponent(account)}/credits/${operation}`, { amount }, { 'idempotency-key': `"${key}"` });
    result.replaceChildren(
      answer.ok
        ? el('p', { 'data-result': answer.body.result, 'data-balance': answer.body.balance }, `${operation} ${amount} for ${account}: ${answer.body.result === 'duplicate' ? 'already applied with this key, nothing changed' : 'applied'}; balance ${answer.body.balance}`)
        : problemView(answer),
    );
  } catch (error) {
    result.replaceChildren(networkProblem(error), el('p', {}, 'Retry with the same key: it applies at most once.'));
  }
}

function showTokenState() {
  $('token-state').textContent = sessionStorage.getItem(TOKEN_KEY) === null ? 'No token set: every data call will answer 401.' : 'A token is set for this tab.';
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
  $('token').value = '';
  showTokenState();
});
$('forget-token').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  showTokenState();
});
$('lookup-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void lookUp();
});
$('credits-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const operation = new FormData(event.target).get('operation');
  lastCredit = { account: $('account').value.trim(), operation, amount: Number($('credit-amount').value), key: newKey() };
  void sendCredit();
});
$('credit-retry').addEventListener('click', () => void sendCredit());
showTokenState();
