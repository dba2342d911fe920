import type { Formatter } from './formatter.js';
import { github } from './github.js';
import { json } from './json.js';
import { sarif } from './sarif.js';
import { stylish } from './stylish.js';
import { text } from './text.js';

export type { FormatContext, Formatter } from './formatter.js';

export const FORMATTERS: Readonly<Record<string, Formatter>> = { stylish, text, json, sarif, github };
