// Prints the closing line CI reads, `tests: N passed, N failed`, from vitest's JSON report, and exits
// non-zero on any failure (including a crash of vitest itself or a run with no tests). An optional third
// argument is a file whose `images: N passed, N failed` line (docker/build-images.sh) and `registry: …` line
// (docker/registry-check.sh) add their counts.
import { existsSync, readFileSync } from 'node:fs';

const [reportPath, vitestStatus, imagesLog] = process.argv.slice(2);
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
if (imagesLog) {
  // docker/build-images.sh ends with `images: …`, docker/registry-check.sh with `registry: …`.
  const text = existsSync(imagesLog) ? readFileSync(imagesLog, 'utf8') : '';
  for (const name of ['images', 'registry']) {
    const line = text.match(new RegExp(`^${name}: (\\d+) passed, (\\d+) failed\\s*$`, 'm'));
    if (line) {
      passed += Number(line[1]);
      failed += Number(line[2]);
    } else {
      failed += 1; // that check never reported: count it as a failure
    }
  }
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
