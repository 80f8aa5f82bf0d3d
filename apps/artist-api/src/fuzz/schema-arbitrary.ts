import { EDGE_VALID_DATES, EDGE_VALID_INSTANTS, INVALID_DATES, INVALID_INSTANTS } from '@single/testing';
import fc from 'fast-check';

/** A JSON schema as found in the generated OpenAPI document (the subset zod emits). */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
}

/** Strings that have broken services before: separators, NUL, SQL, huge numbers, unicode, path tricks. */
const NASTY = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  "' OR 1=1 --",
  '"; DROP TABLE release; --',
  '../../etc/passwd',
  '%00',
  '9'.repeat(40),
  '-1',
  '1e309',
  'NaN',
  'null',
  '😀🎵',
  '\ud800',
  'x'.repeat(5000),
  '0036000291452',
  '036000291452',
  'USS1Z2600001',
  '2026-02-30',
  '2026-11-27',
  '2026-11-27T00:00:00Z',
  '9223372036854775808',
  '9223372036854775807',
];

const nasty = fc.constantFrom(...NASTY);
// Dates drawn around the edges as often as from the middle: the range bounds and the day either side of
// them, leap days, impossible days and other spellings (each has answered 500 or been stored wrong before).
const anyDay = fc
  .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2199-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const edgeDate = fc.oneof(
  { weight: 2, arbitrary: anyDay },
  { weight: 2, arbitrary: fc.constantFrom(...EDGE_VALID_DATES) },
  { weight: 3, arbitrary: fc.constantFrom(...INVALID_DATES) },
);
const edgeInstant = fc.oneof(
  { weight: 2, arbitrary: anyDay.map((d) => `${d}T05:00:00Z`) },
  { weight: 1, arbitrary: fc.constantFrom(...EDGE_VALID_INSTANTS) },
  { weight: 2, arbitrary: fc.constantFrom(...INVALID_INSTANTS) },
  { weight: 1, arbitrary: fc.constantFrom(...INVALID_DATES).map((d) => `${d}T00:00:00Z`) },
);

/**
 * Values for a schema: mostly shaped like it (so requests get past validation and reach the database),
 * sometimes just off its bounds, sometimes any JSON at all.
 */
export function arbitraryFor(
  schema: JsonSchema | undefined,
  known: readonly string[] = [],
  depth = 0,
): fc.Arbitrary<unknown> {
  const anyJson = fc.jsonValue({ maxDepth: 2 });
  if (!schema || depth > 4) return anyJson;
  return fc.oneof(
    { weight: 8, arbitrary: shaped(schema, known, depth) },
    { weight: 1, arbitrary: anyJson },
    { weight: 1, arbitrary: nasty },
  );
}

function shaped(schema: JsonSchema, known: readonly string[], depth: number): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.oneof(fc.constantFrom(...schema.enum), fc.string({ maxLength: 8 }));
  if (schema.const !== undefined) return fc.constant(schema.const);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return fc.oneof(...variants.map((v) => arbitraryFor(v, known, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return stringFor(schema, known);
    case 'integer':
    case 'number': {
      const min = Math.max(schema.minimum ?? -1e6, -1e12);
      const max = Math.min(schema.maximum ?? 1e6, 1e12);
      return fc.oneof(
        fc.integer({ min: Math.ceil(min), max: Math.floor(max) }),
        fc.constantFrom(min - 1, max + 1, 0, -1, 2 ** 53, 1.5),
      );
    }
    case 'boolean':
      return fc.oneof(fc.boolean(), fc.constantFrom('true', 0, null));
    case 'array':
      return fc.array(arbitraryFor(schema.items, known, depth + 1), { maxLength: 4 });
    case 'object': {
      const props = schema.properties ?? {};
      const model = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, arbitraryFor(v, known, depth + 1)]));
      return fc.oneof(
        { weight: 6, arbitrary: fc.record(model, { requiredKeys: (schema.required ?? []).filter((k) => k in model) }) },
        { weight: 2, arbitrary: fc.record(model, { requiredKeys: [] }) },
        {
          weight: 1,
          arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }),
        },
      );
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringFor(schema: JsonSchema, known: readonly string[]): fc.Arbitrary<string> {
  const knownIds = known.length > 0 ? fc.constantFrom(...known) : fc.uuid();
  switch (schema.format) {
    case 'uuid':
      return fc.oneof(fc.uuid(), knownIds, nasty);
    case 'date':
      return fc.oneof({ weight: 6, arbitrary: edgeDate }, { weight: 1, arbitrary: nasty });
    case 'date-time':
      return fc.oneof({ weight: 6, arbitrary: edgeInstant }, { weight: 1, arbitrary: nasty });
    default:
      return fc.oneof(
        fc.string({ maxLength: schema.maxLength ?? 64 }),
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        knownIds,
        nasty,
      );
  }
}
