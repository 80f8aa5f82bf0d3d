// Prints the closing line CI reads, `tests: N passed, N failed`, from vitest's JSON report, and exits
// non-zero on any failure (including a crash of vitest itself or a run with no tests).
import { existsSync, readFileSync } from 'node:fs';

const [reportPath, vitestStatus] = process.argv.slice(2);
let passed = 0;
let failed = 0;
if (existsSync(reportPath)) {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  passed = report.numPassedTests ?? 0;
  // Files that failed to load count as failures too: their tests never ran.
  const brokenFiles = (report.testResults ?? []).filter(
    (f) => f.status === 'failed' && f.assertionResults.length === 0,
  ).length;
  failed = (report.numFailedTests ?? 0) + brokenFiles;
}
if (Number(vitestStatus) !== 0 && failed === 0) failed = 1;
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
