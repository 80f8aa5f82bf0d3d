// Measures the JavaScript each page loads (one entry chunk and the chunks it imports statically), gzipped,
// from the Vite manifest-free output: every page of this single-page app loads the same entry, plus its own
// lazy chunk. Fails the build above the 250 KB budget and writes dist/web/bundle-size.json.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 250 * 1024;
const root = path.join(import.meta.dirname, '..', 'dist', 'web');
const assets = path.join(root, 'assets');
const html = readFileSync(path.join(root, 'index.html'), 'utf8');
const gz = (file) => gzipSync(readFileSync(path.join(assets, file)), { level: 9 }).length;
const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
const imports = (file) =>
  [...readFileSync(path.join(assets, file), 'utf8').matchAll(/(?:from|import)\s*["']\.\/([^"']+\.js)["']/g)].map(
    (m) => m[1],
  );
const closure = (start) => {
  const seen = new Set();
  const visit = (f) => {
    if (seen.has(f) || !js.includes(f)) return;
    seen.add(f);
    for (const g of imports(f)) visit(g);
  };
  for (const f of start) visit(f);
  return seen;
};
const entries = [...html.matchAll(/assets\/([^"']+\.js)/g)].map((m) => m[1]);
const shared = closure(entries);
const pages = {};
for (const file of js.filter((f) => /^page-/.test(f))) {
  const name = file.replace(/^page-/, '').replace(/-[\w-]{8}\.js$/, '');
  const all = closure([...shared, file]);
  pages[name] = [...all].reduce((sum, f) => sum + gz(f), 0);
}
if (Object.keys(pages).length === 0) pages.app = [...shared].reduce((sum, f) => sum + gz(f), 0);
const report = { budgetBytes: BUDGET, gzippedBytesByPage: pages };
writeFileSync(path.join(root, 'bundle-size.json'), `${JSON.stringify(report, null, 2)}\n`);
for (const [page, bytes] of Object.entries(pages)) console.log(`${page}: ${(bytes / 1024).toFixed(1)} KB gzipped`);
const over = Object.entries(pages).filter(([, bytes]) => bytes > BUDGET);
if (over.length > 0) {
  console.error(`over the ${BUDGET / 1024} KB budget: ${over.map(([p]) => p).join(', ')}`);
  process.exit(1);
}
