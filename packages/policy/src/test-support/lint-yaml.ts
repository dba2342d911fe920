import { lint, type Diagnostic } from '../index.js';

/** Lints in-memory files: `{ 'a.yaml': text }`. */
export function lintYaml(files: Record<string, string>): readonly Diagnostic[] {
  const encoder = new TextEncoder();
  return lint(Object.entries(files).map(([path, text]) => ({ path, bytes: encoder.encode(text) }))).diagnostics;
}

/** What a rule test compares: rule, 1-based position, and the message. */
export function findings(diagnostics: readonly Diagnostic[], code?: string): string[] {
  return diagnostics
    .filter((d) => code === undefined || d.code === code)
    .map((d) => `${d.source}:${d.range.start.line + 1}:${d.range.start.character + 1} ${d.code} ${d.message}`);
}

/** A valid policy whose spec lines can be replaced or extended; one spec key per line. */
export function policy(name: string, specLines: readonly string[]): string {
  return ['apiVersion: tollgate.dev/v1', 'kind: Policy', `metadata: { name: ${name} }`, 'spec:', ...specLines.map((l) => `  ${l}`), ''].join('\n');
}

export const ROUTES = 'routes: [{ name: r1, paths: [/a], methods: [GET] }]';
export const KEY_AUTH = 'identity: { auth: key-auth, limitBy: consumer }';
export const UPGRADE = 'payment: { upgradeUrl: "https://pay.example.com", topUpUrl: "https://pay.example.com/top-up", billingUrl: "https://pay.example.com/billing" }';
