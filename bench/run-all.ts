// `pnpm bench`: every benchmark in bench/, one after the other (they would skew each other side by side), each
// measured against its own baseline in the same run as it always is (a bare fastify route, the raw MaxMind
// reader, a naive header split) or against its fixed target where it has no baseline to run. Writes
// bench/results/latest.json and latest.md. Needs the local servers (`bash scripts/infra.sh up`).
//
//   pnpm bench                 the full runs (about 10 minutes on the 2-core machine)
//   BENCH_QUICK=1 pnpm bench   shorter rounds and fewer orders, for a smoke run
//   pnpm bench dispatcher geo-captures   only those
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Benchmark, benchmarks, type Row } from './results.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const quickEnv: Record<string, string> = quick ? { BENCH_SECONDS: '5', BENCH_ROUNDS: '2', BENCH_ORDERS: '5000' } : {};

interface Run {
  name: string;
  command: string;
  exitCode: number | null;
  seconds: number;
  rows: Row[];
  /** The last lines it printed when it failed or when nothing could be read from it. */
  tail?: string;
}

function runOne(bench: Benchmark): Promise<Run> {
  const started = Date.now();
  const args = ['--conditions=source', bench.script];
  process.stderr.write(`── ${bench.name}: node ${args.join(' ')}\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: here,
      env: { ...process.env, ...quickEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      process.stderr.write(chunk);
      output += chunk.toString();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('exit', (code) => {
      const rows = bench.parse(output);
      const failed = code !== 0 || rows.length === 0;
      resolve({
        name: bench.name,
        command: `node ${args.join(' ')}`,
        exitCode: code,
        seconds: (Date.now() - started) / 1000,
        rows,
        ...(failed ? { tail: output.split('\n').slice(-15).join('\n') } : {}),
      });
    });
  });
}

function markdown(runs: Run[], meta: Record<string, string>): string {
  const lines = [
    '# Benchmarks: latest run',
    '',
    ...Object.entries(meta).map(([k, v]) => `- ${k}: ${v}`),
    '',
    '| benchmark | measure | measured | baseline (same run) | ratio | target | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const run of runs) {
    if (run.rows.length === 0) {
      lines.push(`| ${run.name} | (no figures: exit ${run.exitCode}) | | | | | failed |`);
      continue;
    }
    for (const r of run.rows)
      lines.push(
        `| ${run.name} | ${r.measure} | ${r.value} | ${r.baseline ?? ''} | ${r.ratio ?? ''} | ${r.target ?? ''} | ${r.verdict} |`,
      );
  }
  lines.push('', '| benchmark | exit code | duration |', '| --- | --- | --- |');
  for (const run of runs) lines.push(`| ${run.name} | ${run.exitCode} | ${run.seconds.toFixed(0)} s |`);
  return `${lines.join('\n')}\n`;
}

const only = process.argv.slice(2);
const selected = benchmarks.filter((b) => only.length === 0 || only.includes(b.name));
const runs: Run[] = [];
for (const bench of selected) runs.push(await runOne(bench));

const meta = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GB`,
  node: process.version,
  mode: quick ? 'quick (BENCH_QUICK=1: short rounds, 5,000 orders)' : 'full',
};
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/latest.json', import.meta.url), `${JSON.stringify({ ...meta, runs }, null, 2)}\n`);
await writeFile(new URL('./results/latest.md', import.meta.url), markdown(runs, meta));
process.stderr.write(`\n${markdown(runs, meta)}\nwritten: bench/results/latest.json, bench/results/latest.md\n`);
// A benchmark that could not run fails the command; one below its target is in the table, and fails it too.
process.exitCode = runs.some((r) => r.exitCode !== 0 || r.rows.length === 0) ? 1 : 0;
