import { escapeData, github as lintGithub } from '../formatters/github.js';
import { allFindings, summary, type TestFormatter } from './report.js';

/** Workflow annotations at each failing expectation (as lint's), then the summary as a notice. */
export const github: TestFormatter = (report, context) =>
  `${lintGithub(allFindings(report), context)}::notice title=tollgate test::${escapeData(summary(report))}\n`;
