import { Document, isScalar, visit } from 'yaml';

/** decK templates are quoted so that a substituted value with ": " or "#" stays one string. */
const DECK_TEMPLATE = /^\$\{\{ env "[A-Z0-9_]+" \}\}$/;

/**
 * YAML as decK and APISIX read it: YAML 1.1 (so "on", "yes", "no", "y", "3.0" and friends are
 * quoted), no line folding (long JSON strings stay on one line), keys in the order given.
 */
export function toGatewayYaml(value: unknown): string {
  // No anchors/aliases: repeated objects are written out, as a hand-written gateway file would be.
  const doc = new Document(value, { version: '1.1', aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === 'string' && DECK_TEMPLATE.test(node.value)) node.type = 'QUOTE_SINGLE';
    },
  });
  return doc.toString({ lineWidth: 0, minContentWidth: 0 });
}
