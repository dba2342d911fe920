import { github } from './github.js';
import { junit } from './junit.js';
import type { TestFormatter } from './report.js';
import { stylish } from './stylish.js';

export type { TestFormatter, TestReport } from './report.js';

export const TEST_FORMATTERS: Readonly<Record<string, TestFormatter>> = { stylish, junit, github };
