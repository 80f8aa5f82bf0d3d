import { createTestDatabase } from '@single/testing';
import pg from 'pg';
import { DownloadTokens } from '../../apps/fulfillment-worker/src/grants/tokens.ts';
import { applySnapshots } from '../../apps/fulfillment-worker/src/handlers/order-snapshot/apply-snapshots.ts';
import { paidOrder, SHOP, seedCatalogue } from '../../apps/fulfillment-worker/src/test-support/fixtures.ts';

const database = await createTestDatabase();
const pool = new pg.Pool({ connectionString: database.url, max: 4 });
await seedCatalogue(database.db);
const stats = new Map<string, { n: number; ms: number }>();
const orig = pg.Client.prototype.query;
// biome-ignore lint: temp
(pg.Client.prototype as any).query = function (this: any, text: any, values: any) {
  const key = (typeof text === 'string' ? text : text.text).replace(/\s+/g, ' ').trim().slice(0, 60);
  const t = performance.now();
  const p = orig.call(this, text, values) as Promise<unknown>;
  return p.then((r) => { const s = stats.get(key) ?? { n: 0, ms: 0 }; s.n++; s.ms += performance.now() - t; stats.set(key, s); return r; });
};
const tokens = new DownloadTokens(['x'.repeat(40)]);
const template = paidOrder();
let n = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let b = 0; b < 40; b++) {
  const work = Array.from({ length: 250 }, () => ({ shopDomain: SHOP, snapshot: { ...template, id: String(9_000_000_000 + n++), name: `#${n}` } }));
  await applySnapshots({ pool, tokens, now: () => new Date() }, work);
}
const ms = performance.now() - t0;
const { readFileSync } = await import('node:fs');
const { rows: be } = await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
let pgCpu = 0;
for (const b of be) { const f = readFileSync(`/proc/${b.pid}/stat`, 'utf8').split(') ')[1]!.split(' '); pgCpu += (Number(f[11]) + Number(f[12])) * 10; }
console.log(`pg backends cpu ${pgCpu} ms = ${(pgCpu / n).toFixed(3)} ms/order`);
const cpu = process.cpuUsage(cpu0);
console.log(`${n} orders in ${ms.toFixed(0)} ms = ${(n / ms * 1000).toFixed(0)}/s serial; client cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`);
for (const [k, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms)) console.log(s.ms.toFixed(0).padStart(6), String(s.n).padStart(4), k);
await pool.end();
await database.drop();
