// What --explain prints: per policy, what the gateway does itself and what the Tollgate plugin
// does, with the reason for every choice.

export interface Lowered {
  /** What is enforced, e.g. "rate limits of plan free". */
  readonly feature: string;
  /** How (native) or why not natively (Tollgate). */
  readonly detail: string;
}

export interface PolicyExplanation {
  readonly policy: string;
  readonly source: string;
  readonly native: readonly Lowered[];
  readonly tollgate: readonly Lowered[];
}

export function formatExplanations(title: string, explanations: readonly PolicyExplanation[]): string {
  const lines = [title];
  for (const e of explanations) {
    lines.push('', `policy ${e.policy} (${e.source})`);
    lines.push(e.native.length === 0 ? '  native: nothing' : '  native:');
    for (const n of e.native) lines.push(`    - ${n.feature}: ${n.detail}`);
    lines.push(e.tollgate.length === 0 ? '  tollgate plugin: not needed' : '  tollgate plugin:');
    for (const t of e.tollgate) lines.push(`    - ${t.feature}: ${t.detail}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Collects one policy's explanation while a target lowers it. */
export class ExplanationBuilder {
  private readonly nativeItems: Lowered[] = [];
  private readonly tollgateItems: Lowered[] = [];

  constructor(
    private readonly policy: string,
    private readonly source: string,
  ) {}

  native(feature: string, detail: string): void {
    this.nativeItems.push({ feature, detail });
  }

  tollgate(feature: string, detail: string): void {
    this.tollgateItems.push({ feature, detail });
  }

  build(): PolicyExplanation {
    return { policy: this.policy, source: this.source, native: this.nativeItems, tollgate: this.tollgateItems };
  }
}
