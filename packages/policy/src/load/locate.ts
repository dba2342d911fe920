import { isMap, isNode, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { PathSegment, Range } from '../diagnostics.js';

export type Target = 'key' | 'value';

/** Maps document paths to source ranges: every diagnostic gets the offending node's own position. */
export class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  /**
   * The range of the node at `path`: the value, or with `target: 'key'` the key that names it.
   * A path that does not exist (a missing property) falls back to the nearest existing ancestor.
   */
  range(path: readonly PathSegment[], target: Target = 'value'): Range {
    for (let depth = path.length; depth >= 0; depth -= 1) {
      const prefix = path.slice(0, depth);
      const wantKey = target === 'key' || depth < path.length;
      const keyNode = wantKey && prefix.length > 0 ? this.keyNode(prefix) : undefined;
      const node = keyNode ?? this.valueNode(prefix);
      if (node?.range) return this.toRange(node.range[0], node.range[1]);
    }
    return this.toRange(0, 0);
  }

  private valueNode(path: readonly PathSegment[]): Node | undefined {
    if (path.length === 0) return isNode(this.doc.contents) ? this.doc.contents : undefined;
    const found: unknown = this.doc.getIn(path, true);
    return isNode(found) ? found : undefined;
  }

  private keyNode(path: readonly PathSegment[]): Node | undefined {
    const parent = this.valueNode(path.slice(0, -1));
    const last = path[path.length - 1];
    if (!isMap(parent)) return isSeq(parent) ? this.valueNode(path) : undefined;
    const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(last));
    return pair && isNode(pair.key) ? pair.key : undefined;
  }

  private toRange(startOffset: number, endOffset: number): Range {
    const start = this.lineCounter.linePos(startOffset);
    const end = this.lineCounter.linePos(endOffset);
    return { start: { line: start.line - 1, character: start.col - 1 }, end: { line: end.line - 1, character: end.col - 1 } };
  }
}

