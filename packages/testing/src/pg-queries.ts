import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parseSync } from 'oxc-parser';

// Issue 16: an app queries through Prisma Client; pg's `query` stays only in the hot paths ARCHITECTURE.md lists
// with their reasons. Each app's data-layer test compares the files that use it with its allow-list.
//
// The scan parses each file (a real parser, so strings and comments cannot hide or fake a call) and reports any
// use of a member named `query`, called or not: `pool.query(...)`, `client['query'](...)`, `pool.query.bind(pool)`,
// `pool.query.call(...)`, `const { query } = pool`. The rule is syntactic: the workspace's TypeScript 7 has no
// in-process compiler API to ask whether the member is pg's. Prisma's `$queryRaw` is another name. Receivers
// known not to be pg are left out by name: fastify's `request.query`/`req.query` and a component's `props`.

const SOURCE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const TEST = /\.test\.[cm]?[jt]sx?$/;
const DECLARATION = /\.d\.[cm]?ts$/;
const NOT_PG = new Set(['request', 'req', 'props']);

type Node = { type: string; [key: string]: unknown };

const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && typeof (value as Node).type === 'string';

const isQueryKey = (key: unknown, computed: unknown) =>
  isNode(key) &&
  ((!computed && key.type === 'Identifier' && key.name === 'query') ||
    (key.type === 'Literal' && key.value === 'query') ||
    (key.type === 'TemplateLiteral' &&
      (key.expressions as unknown[]).length === 0 &&
      (key.quasis as { value: { cooked: string } }[])[0]?.value.cooked === 'query'));

const fromNotPg = (object: unknown) =>
  isNode(object) && object.type === 'Identifier' && NOT_PG.has(object.name as string);

/**
 * Whether `node` reads a member named `query` off something that may be pg's Pool, PoolClient or Client:
 * 'skip' for a destructuring of a receiver known not to be pg, so its pattern is not met on the way down.
 */
function usesQuery(node: Node): boolean | 'skip' {
  if (node.type === 'MemberExpression') return isQueryKey(node.property, node.computed) && !fromNotPg(node.object);
  if (node.type === 'VariableDeclarator' && fromNotPg(node.init)) return 'skip';
  if (node.type === 'AssignmentPattern' && fromNotPg(node.right)) return 'skip';
  return (
    node.type === 'ObjectPattern' &&
    (node.properties as Node[]).some((p) => p.type === 'Property' && isQueryKey(p.key, p.computed))
  );
}

function walk(node: unknown, visit: (node: Node) => boolean | 'skip'): boolean {
  if (Array.isArray(node)) return node.some((child) => walk(child, visit));
  if (!isNode(node)) return false;
  const seen = visit(node);
  if (seen !== false) return seen === true;
  return Object.entries(node).some(
    ([key, child]) => key !== 'parent' && typeof child === 'object' && walk(child, visit),
  );
}

/** Whether the source text uses pg's `query`; a file that does not parse fails loudly rather than pass unseen. */
export function usesPgQuery(fileName: string, text: string): boolean {
  const { program, errors } = parseSync(fileName, text);
  if (errors.length > 0) throw new Error(`${fileName}: ${errors.map((e) => e.message).join('; ')}`);
  return walk(program, usesQuery);
}

function sources(srcDir: string, dir: string, skipped: ReadonlySet<string>): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || skipped.has(toPosix(srcDir, path)) ? [] : sources(srcDir, path, skipped);
    return SOURCE.test(entry.name) && !TEST.test(entry.name) && !DECLARATION.test(entry.name) ? [path] : [];
  });
}

const toPosix = (srcDir: string, path: string) => relative(srcDir, path).split(sep).join('/');

/**
 * The files under `srcDir` (relative, `/`-separated, sorted) that use pg's `query`. `skipped`: folders of test
 * support, by their exact path relative to `srcDir` (e.g. `test-support`), which may seed and check with pg.
 */
export function pgQueryFiles(srcDir: string, skipped: readonly string[] = []): string[] {
  return sources(srcDir, srcDir, new Set(skipped))
    .filter((path) => usesPgQuery(path, readFileSync(path, 'utf8')))
    .map((path) => toPosix(srcDir, path))
    .sort();
}

/**
 * `allowed`: each file that stays on pg, with its reason. `unlisted`: files using pg's `query` that are not
 * allowed; `stale`: allowed files that no longer use it (so the list cannot outlive the code). Both should be [].
 * `skipped`: test-support folders relative to `srcDir`, as for `pgQueryFiles`.
 */
export function auditPgQueries(
  srcDir: string,
  allowed: Readonly<Record<string, string>>,
  skipped: readonly string[] = [],
): { unlisted: string[]; stale: string[] } {
  const found = pgQueryFiles(srcDir, skipped);
  return {
    unlisted: found.filter((path) => !Object.hasOwn(allowed, path)),
    stale: Object.keys(allowed)
      .filter((path) => !found.includes(path))
      .sort(),
  };
}
