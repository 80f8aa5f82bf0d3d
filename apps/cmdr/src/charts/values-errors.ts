import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { mergeValues } from '../deploy/deploy.ts';

// helm validates values against the chart's values.schema.json and reports what failed in the schema
// library's shorthand ("at '': invalid propertyName 'API_TOKEN' / 'allOf' failed / 'not' failed"). helm stays
// the validator; this module only rewrites each finding in words: the setting as a dotted path, the rule
// that failed, and the schema's own description of the setting or rule.

type Schema = Record<string, unknown>;

const HEADER = "values don't meet the specifications of the schema(s)";

interface Finding {
  depth: number;
  pointer: string;
  message: string;
}

function findings(stderr: string): Finding[] {
  const out: Finding[] = [];
  for (const line of stderr.split('\n')) {
    const match = /^(\s*)- at '([^']*)': (.*)$/.exec(line);
    if (match) out.push({ depth: (match[1] ?? '').length, pointer: match[2] ?? '', message: match[3] ?? '' });
  }
  return out;
}

function segments(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function dotted(parts: readonly string[]): string {
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(the values)';
}

function resolve(root: Schema, node: unknown): Schema | undefined {
  let current = node as Schema | undefined;
  for (let hops = 0; current && typeof current.$ref === 'string' && hops < 10; hops++) {
    const path = (current.$ref as string).replace(/^#\//, '').split('/');
    current = path.reduce<unknown>((n, key) => (n as Schema | undefined)?.[key], root) as Schema | undefined;
  }
  return current;
}

/** The schema of the setting at `parts`, looking through $ref, if/then and allOf as the validator does. */
function schemaAt(root: Schema, parts: readonly string[]): Schema | undefined {
  let node = resolve(root, root);
  for (const part of parts) {
    if (node === undefined) return undefined;
    const candidates = [node, node.then, ...((node.allOf as unknown[]) ?? [])].map((n) => resolve(root, n));
    let next: Schema | undefined;
    for (const c of candidates) {
      const props = c?.properties as Record<string, unknown> | undefined;
      if (props?.[part] !== undefined) next = resolve(root, props[part]);
      else if (/^\d+$/.test(part) && c?.items !== undefined) next = resolve(root, c.items);
      else if (typeof c?.additionalProperties === 'object') next = resolve(root, c.additionalProperties);
      if (next !== undefined) break;
    }
    node = next;
  }
  return node;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The values at a dotted path's segments (undefined where there is nothing). */
function valueAt(values: unknown, parts: readonly string[]): unknown {
  return parts.reduce<unknown>(
    (node, part) => (isObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[part] : undefined),
    values,
  );
}

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

function describe(node: Schema | undefined): string {
  return typeof node?.description === 'string' ? ` (${node.description})` : '';
}

/** Which rule of a propertyNames schema a key breaks, in the words of that rule's description. */
function brokenNameRules(root: Schema, names: Schema, key: string): string[] {
  const rules = (names.allOf as unknown[] | undefined) ?? [names];
  const broken: string[] = [];
  for (const raw of rules) {
    const rule = raw as Schema;
    const target = resolve(root, rule.not ?? rule) as Schema;
    const matches =
      (typeof target.pattern !== 'string' || new RegExp(target.pattern).test(key)) &&
      (!Array.isArray(target.enum) || target.enum.includes(key));
    const fails = rule.not !== undefined ? matches : !matches;
    if (!fails) continue;
    if (typeof rule.description === 'string') broken.push(rule.description);
    else if (rule.not === undefined && typeof target.pattern === 'string')
      broken.push(`a name must match ${target.pattern}`);
    else broken.push('a name this setting does not allow');
  }
  return broken;
}

/** Objects in `values` that hold `key` and whose schema restricts their key names. */
function keyHolders(root: Schema, values: unknown, key: string, parts: string[] = []): string[][] {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) return [];
  const here = Object.hasOwn(values, key) && schemaAt(root, parts)?.propertyNames !== undefined ? [parts] : [];
  return [...here, ...Object.entries(values).flatMap(([k, v]) => keyHolders(root, v, key, [...parts, k]))];
}

interface Context {
  root: Schema;
  values: unknown;
  parts: string[];
  where: string;
  node: Schema | undefined;
}

const BOUNDS: Record<string, (want: string) => string> = {
  minimum: (want) => `must be at least ${want}`,
  maximum: (want) => `must be at most ${want}`,
  exclusiveMinimum: (want) => `must be more than ${want}`,
  exclusiveMaximum: (want) => `must be less than ${want}`,
  minLength: (want) => `must be at least ${want} character${want === '1' ? '' : 's'} long`,
  maxLength: (want) => `must be at most ${want} characters long`,
  minItems: (want) => `must list at least ${want} item${want === '1' ? '' : 's'}`,
  maxItems: (want) => `must list at most ${want} items`,
};

/** helm's (the jsonschema library's) finding, by its wording, and the same finding in words. */
const RULES: [RegExp, (m: string[], c: Context) => string[]][] = [
  [
    /^got (\S+), want (.+)$/,
    ([, got = '', want = ''], c) => [
      `${c.where} must be ${want.split(' or ').map(article).join(' or ')}, not ${article(got)}${describe(c.node)}`,
    ],
  ],
  [
    /^(minimum|maximum|exclusiveMinimum|exclusiveMaximum|minLength|maxLength|minItems|maxItems): got (.+), want (.+)$/,
    ([, rule = '', got = '', want = ''], c) => [`${c.where} ${BOUNDS[rule]?.(want)} (it is ${got})${describe(c.node)}`],
  ],
  [
    /^additional propert(?:y|ies) (.+) not allowed$/,
    ([, list = ''], c) => {
      const allowed = Object.keys((c.node?.properties as object | undefined) ?? {});
      const prefix = c.parts.length ? `${c.where}.` : '';
      const names = list.split(', ').map((n) => `${prefix}${n.replaceAll("'", '')}`);
      const takes = allowed.length
        ? ` (${c.parts.length ? `${c.where} takes` : 'settings are'}: ${allowed.join(', ')})`
        : '';
      return [
        `${names.join(', ')} ${names.length > 1 ? 'are not settings' : 'is not a setting'} of this chart${takes}`,
      ];
    },
  ],
  [
    /^missing propert(?:y|ies) (.+)$/,
    ([, list = ''], c) => {
      // A `null` in the values (projects.yaml's `autoscaling: null`) deletes the chart's default block in helm: the
      // setting is then missing, though the operator wrote it. Said as what it is.
      const holder = valueAt(c.values, c.parts);
      const names = list.replaceAll("'", '').split(', ');
      const nulled = names.filter((n) => isObject(holder) && Object.hasOwn(holder, n) && holder[n] === null);
      const absent = names.filter((n) => !nulled.includes(n));
      const prefix = c.parts.length ? `${c.where}.` : '';
      return [
        ...nulled.map(
          (n) =>
            `${prefix}${n} is null: a null removes the chart's default ${prefix}${n} settings, which the chart needs ` +
            `(leave ${prefix}${n} out to keep the defaults, or give its settings)`,
        ),
        ...(absent.length > 0 ? [`${c.where} needs ${absent.join(', ')}${describe(c.node)}`] : []),
      ];
    },
  ],
  [
    /^'(.*)' does not match pattern '(.*)'$/,
    ([, value, pattern], c) => [`${c.where} "${value}" is not of the form ${pattern}${describe(c.node)}`],
  ],
  [/^value must be one of (.+)$/, ([, list], c) => [`${c.where} must be one of ${list}${describe(c.node)}`]],
  [
    /^'(.*)' is not valid (\S+): (.+)$/,
    ([, value, format, why], c) => [`${c.where} "${value}" is not a valid ${format}: ${why}`],
  ],
  [
    /^invalid propertyName '(.+)'$/,
    ([, key = ''], c) => {
      const holders = keyHolders(c.root, c.values, key);
      if (holders.length === 0) return [`${key} is not an allowed name here`];
      return holders.map((holder) => {
        const names = schemaAt(c.root, holder)?.propertyNames as Schema;
        const why = brokenNameRules(c.root, names, key);
        return `${dotted([...holder, key])} is not allowed: ${why.join('; ') || 'its name breaks a naming rule'}`;
      });
    },
  ],
  // The combinators only say that a nested rule failed: the nested finding says which.
  [/^'(allOf|anyOf|oneOf|not|if|then|else)' failed$|^validation failed$/, () => []],
];

function explain(root: Schema, values: unknown, finding: Finding): string[] {
  const parts = segments(finding.pointer);
  const context: Context = { root, values, parts, where: dotted(parts), node: schemaAt(root, parts) };
  for (const [pattern, words] of RULES) {
    const match = pattern.exec(finding.message);
    if (match) return words([...match], context);
  }
  return [`${context.where}: ${finding.message}`];
}

/**
 * helm's values-schema failure in words, one line per broken rule, or undefined when `stderr` is not one.
 * `values` are the release's values (merged over the chart's values.yaml here).
 */
export function explainValuesError(
  stderr: string,
  chartDir: string,
  values: Record<string, unknown>,
): string[] | undefined {
  if (!stderr.includes(HEADER)) return undefined;
  const schemaFile = join(chartDir, 'values.schema.json');
  if (!existsSync(schemaFile)) return undefined;
  const root = JSON.parse(readFileSync(schemaFile, 'utf8')) as Schema;
  const defaults = (parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) ?? {}) as Record<string, unknown>;
  const merged = mergeValues(defaults, values);
  const lines = findings(stderr).flatMap((f) => explain(root, merged, f));
  return lines.length > 0 ? [...new Set(lines)] : undefined;
}

/**
 * A rule the chart's templates enforce with `fail` (one the schema cannot state, such as
 * `autoscaling.minReplicas` not above `autoscaling.maxReplicas`), as helm reports it: `Error: execution error
 * at (<chart>/templates/<file>:<line>:<col>): <the rule, in the chart's words>`, then a hint about --debug.
 * Returns the rule alone and where helm says it failed; undefined for any other helm failure.
 */
export function explainChartRule(stderr: string): { rule: string; at: string } | undefined {
  const match = /execution error at \(([^)]*)\): (.+)/.exec(stderr);
  if (!match) return undefined;
  return { rule: (match[2] ?? '').trim(), at: match[1] ?? '' };
}
