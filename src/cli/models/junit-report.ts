import { writeFile } from 'node:fs/promises';
import * as junitModule from 'junit-report-builder';
import type { Builder } from 'junit-report-builder';
import type { CheckReport } from '../../check/check.ts';
import { cjsExports } from '../../config/cjs-import.ts';
import { UsageError } from '../../errors.ts';

/** One test suite, one test case per deployment (class: the alias), failures and skips with their reason. */
export function junitReport(report: CheckReport, suiteName = 'llmpass models --check'): string {
  // A CommonJS package whose typings say `export default`: the builder is the default export at run time.
  const builder = cjsExports(junitModule as unknown as Builder, 'newBuilder').newBuilder();
  const suite = builder.testSuite().name(suiteName).timestamp(new Date());
  for (const result of report.results) {
    const target = [result.provider && result.model ? `${result.provider}/${result.model}` : result.model, result.apiBase].filter(Boolean).join(' @ ');
    const testCase = suite
      .testCase()
      .className(result.alias)
      .name(`${result.id}${target ? ` ${target}` : ''}`)
      .time((result.latencyMs ?? 0) / 1000);
    if (result.status === 'fail') testCase.failure(result.reason, 'CheckFailed');
    else if (result.status === 'skip') testCase.skipped().standardOutput(result.reason);
    else testCase.standardOutput(result.reason);
  }
  return builder.build();
}

export async function writeJunitReport(path: string, report: CheckReport): Promise<void> {
  try {
    await writeFile(path, `${junitReport(report)}\n`);
  } catch (error) {
    throw new UsageError(`--junit ${path}: cannot write the report (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
}
