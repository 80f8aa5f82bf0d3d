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
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

const root = process.cwd();
const app = process.argv[2];
if (!app) throw new Error('usage: node prune-runtime.mjs <app>');
const store = join(root, 'node_modules', '.pnpm');

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

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
  const names = [
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.optionalDependencies ?? {}),
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

console.log(
  `prune-runtime: kept ${keptStore.size} packages and ${[...keptWorkspace].sort().join(', ')}; ` +
    `removed ${removedStore.length} packages (${removedStore.filter((e) => /^(prisma@|typescript@|@electric-sql)/.test(e)).join(', ')} among them) ` +
    `and ${(freed / 1048576).toFixed(0)} MB`,
);
