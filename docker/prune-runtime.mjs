// Keeps in /app only what the app runs, after the production install (docker/Dockerfile's builder stage).
//
// `pnpm install --prod` still installs @prisma/client's optional peers (the `prisma` CLI with Studio and
// PGlite, the TypeScript compiler): the workspace's lockfile resolves them because packages/db has
// `prisma` as a devDependency, and a peer that the lockfile resolved is linked like a dependency. Changing
// that resolution would change the frozen lockfile the whole workspace tests with, so the image prunes
// instead: starting from the app's package.json, it follows `dependencies`, `optionalDependencies` and
// the peers a package cannot run without (non-optional ones), the way Node would resolve them, and deletes
// every package in node_modules/.pnpm and every workspace folder that nothing reached. Native add-ons'
// prebuilt binaries for other platforms (darwin, win32, musl, arm64) go too.
//
// Usage: node prune-runtime.mjs <app>   (run in /app; prints what it kept and removed)
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = process.cwd();
const app = process.argv[2];
if (!app) throw new Error('usage: node prune-runtime.mjs <app>');
const store = join(root, 'node_modules', '.pnpm');

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/**
 * Optional dependencies of a package that serve features the platform does not turn on, so they are not
 * followed: dd-trace's profiler (@datadog/pprof), App and API Protection (@datadog/native-appsec) and IAST
 * (taint tracking and its code rewriter). dd-trace loads each only when its feature is enabled
 * (DD_PROFILING_ENABLED, DD_APPSEC_ENABLED, DD_IAST_ENABLED, DD_TRACE_OTEL_CTX_ENABLED), and the charts and
 * projects.yaml enable none (apps/cmdr/src/docker/image-prune.test.ts). About 13 MB.
 */
const UNUSED_OPTIONAL = {
  'dd-trace': [
    '@datadog/pprof',
    '@datadog/native-appsec',
    '@datadog/native-iast-taint-tracking',
    '@datadog/wasm-js-rewriter',
  ],
};

/** Node's lookup of `name` from a package at `from`: node_modules of that folder and each parent. */
function resolvePackage(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

const reached = new Set();
const queue = [realpathSync(join(root, 'apps', app))];
while (queue.length > 0) {
  const dir = queue.pop();
  if (reached.has(dir)) continue;
  reached.add(dir);
  const pkg = readJson(join(dir, 'package.json'));
  const optionalPeers = pkg.peerDependenciesMeta ?? {};
  const unused = UNUSED_OPTIONAL[pkg.name] ?? [];
  const names = [
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.optionalDependencies ?? {}).filter((name) => !unused.includes(name)),
    ...Object.keys(pkg.peerDependencies ?? {}).filter((name) => optionalPeers[name]?.optional !== true),
  ];
  for (const name of names) {
    const found = resolvePackage(name, dir);
    // A missing optional dependency (another platform's binary) or an unmet peer: nothing to keep.
    if (found !== undefined) queue.push(found);
  }
}

const keptStore = new Set();
const keptWorkspace = new Set();
for (const dir of reached) {
  const rel = relative(root, dir).split(sep);
  if (rel[0] === 'node_modules' && rel[1] === '.pnpm') keptStore.add(rel[2]);
  else keptWorkspace.add(rel.slice(0, 2).join('/'));
}

const sizeOf = (path) => {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined || st.isSymbolicLink()) return 0;
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, entry) => sum + sizeOf(join(path, entry)), 0);
};
let freed = 0;
const remove = (path) => {
  freed += sizeOf(path);
  rmSync(path, { recursive: true, force: true });
};

const removedStore = [];
for (const entry of readdirSync(store)) {
  if (entry === 'node_modules' || entry.startsWith('.') || entry.endsWith('.yaml') || keptStore.has(entry)) continue;
  removedStore.push(entry);
  remove(join(store, entry));
}
for (const group of ['apps', 'packages']) {
  for (const entry of readdirSync(join(root, group))) {
    if (!keptWorkspace.has(`${group}/${entry}`)) remove(join(root, group, entry));
  }
}
for (const extra of ['bench']) if (existsSync(join(root, extra))) remove(join(root, extra));

// Prebuilt native add-ons for platforms this image never runs on (linux x64, glibc).
const foreign = /^(darwin|win32|linuxmusl|linux-musl|.*arm64|.*-ia32|android|freebsd)/;
const prebuildDirs = (dir, depth) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    if (entry.name === 'prebuilds') {
      for (const platform of readdirSync(path)) if (foreign.test(platform)) remove(join(path, platform));
    } else if (depth > 0) prebuildDirs(path, depth - 1);
  }
};
for (const entry of keptStore) prebuildDirs(join(store, entry), 4);

// Files nothing loads at run time: source maps, type declarations, and the Prisma query compilers of the
// databases we do not use (the generated client imports only the postgresql one; each is ~7 MB as .js/.mjs).
const idle =
  /(\.map|\.d\.[cm]?ts|\.(mysql|sqlite|cockroachdb|sqlserver)\.(wasm|js|mjs|wasm-base64\.js|wasm-base64\.mjs))$/;
const dropIdle = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) dropIdle(path);
    else if (entry.isFile() && idle.test(entry.name)) remove(path);
  }
};
for (const entry of keptStore) dropIdle(join(store, entry));

// Inside node_modules only (the workspace's TypeScript runs the migrations with --conditions=source): Node
// never loads a package's TypeScript sources (it refuses to strip types under node_modules), its Markdown, or
// the tests, examples, benchmarks and docs folders at a package's root, unless the package's entry points name
// them. LICENSE and NOTICE files stay.
const packageDirs = (dir, depth) => {
  if (existsSync(join(dir, 'package.json'))) return [dir];
  if (depth === 0 || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => packageDirs(join(dir, entry.name), depth - 1));
};
const sourceOrDocs = /(?<!\.d)\.(ts|mts|cts|tsx)$|\.(md|markdown)$/i;
const dropSources = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) dropSources(path);
    else if (entry.isFile() && sourceOrDocs.test(entry.name) && !/^(licen[cs]e|notice|copying)/i.test(entry.name)) {
      remove(path);
    }
  }
};
const notRun = new Set(['test', 'tests', '__tests__', 'example', 'examples', 'benchmark', 'benchmarks', 'docs']);
for (const entry of keptStore) {
  const modules = join(store, entry, 'node_modules');
  for (const pkgDir of packageDirs(modules, 2)) {
    if (realpathSync(pkgDir) !== pkgDir) continue; // a link to another store entry: handled there
    const { main, module, exports, bin, browser } = readJson(join(pkgDir, 'package.json'));
    const entryPoints = JSON.stringify({ main, module, exports, bin, browser });
    for (const folder of readdirSync(pkgDir)) {
      if (notRun.has(folder) && !entryPoints.includes(`${folder}/`)) remove(join(pkgDir, folder));
    }
    dropSources(pkgDir);
  }
}

// AWS SDK packages ship an ES build (dist-es) for bundlers beside the CommonJS one; their exports send Node to
// dist-cjs (the `node` condition comes before `import`). Removed where no export or `main` Node can take leads
// into it, under either the import or the require conditions.
const nodeTargets = (value, conditions) => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap((v) => nodeTargets(v, conditions));
  if (value === null || typeof value !== 'object') return [];
  const keys = Object.keys(value);
  if (keys.some((key) => key.startsWith('.'))) return keys.flatMap((key) => nodeTargets(value[key], conditions));
  const taken = keys.find((key) => conditions.includes(key));
  return taken === undefined ? [] : nodeTargets(value[taken], conditions);
};
for (const entry of keptStore) {
  for (const pkgDir of packageDirs(join(store, entry, 'node_modules'), 2)) {
    if (realpathSync(pkgDir) !== pkgDir || !existsSync(join(pkgDir, 'dist-es'))) continue;
    const { main, exports } = readJson(join(pkgDir, 'package.json'));
    const targets = [
      main ?? 'index.js',
      ...nodeTargets(exports, ['node', 'import', 'module-sync', 'default']),
      ...nodeTargets(exports, ['node', 'require', 'module-sync', 'default']),
    ];
    if (!targets.some((target) => target.includes('dist-es'))) remove(join(pkgDir, 'dist-es'));
  }
}

// The workspace's own build output carries type declarations and source maps nothing loads at run time.
const workspaceIdle = /\.(d\.ts|d\.ts\.map|js\.map)$/;
const dropWorkspaceIdle = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') dropWorkspaceIdle(path);
    else if (entry.isFile() && workspaceIdle.test(entry.name)) remove(path);
  }
};
for (const folder of keptWorkspace) {
  if (existsSync(join(root, folder, 'dist'))) dropWorkspaceIdle(join(root, folder, 'dist'));
}

// Prisma's runtime ships every query compiler twice (CommonJS and ESM, "fast" and "small" builds) and the
// edge runtime's: the generated client (packages/db, `prisma-client` generator) imports one. Keep those.
const generated = ['packages/db/dist/generated', 'packages/db/src/generated']
  .map((dir) => join(root, dir))
  .filter((dir) => existsSync(dir));
const imported = new Set();
const scanImports = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) scanImports(path);
    else
      for (const [, file] of readFileSync(path, 'utf8').matchAll(/@prisma\/client\/runtime\/([\w.-]+)/g))
        imported.add(file);
  }
};
for (const dir of generated) scanImports(dir);
if (generated.length > 0 && [...imported].some((file) => file.startsWith('query_compiler_'))) {
  for (const entry of keptStore.values()) {
    const runtime = join(store, entry, 'node_modules', '@prisma', 'client', 'runtime');
    if (!entry.startsWith('@prisma+client@') || !existsSync(runtime)) continue;
    for (const file of readdirSync(runtime)) {
      if (/^(query_compiler_|wasm-compiler-edge\.)/.test(file) && !imported.has(file)) remove(join(runtime, file));
    }
  }
}

// The GeoLite2 databases (@ip-location-db/*-mmdb, 45 MB) ship gzipped (25 MB): geo-reporting reads them into
// memory anyway, and gunzips a `.mmdb.gz` as it loads it (geoip.ts), so the image loses 20 MB and no start-up
// writes to the read-only root.
for (const entry of keptStore.values()) {
  if (!entry.startsWith('@ip-location-db+')) continue;
  const dir = join(
    store,
    entry,
    'node_modules',
    '@ip-location-db',
    entry.slice('@ip-location-db+'.length).replace(/@[^@]+$/, ''),
  );
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.mmdb')) continue;
    const path = join(dir, file);
    const before = statSync(path).size;
    writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }));
    rmSync(path);
    freed += before - statSync(`${path}.gz`).size;
  }
}

console.log(
  `prune-runtime: kept ${keptStore.size} packages and ${[...keptWorkspace].sort().join(', ')}; ` +
    `removed ${removedStore.length} packages (${removedStore.filter((e) => /^(prisma@|typescript@|@electric-sql)/.test(e)).join(', ')} among them) ` +
    `and ${(freed / 1048576).toFixed(0)} MB`,
);
