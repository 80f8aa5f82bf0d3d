import type { Info } from 'csv-parse';
import { parse } from 'csv-parse/sync';

/**
 * Cuts a stored chart file (geo-reporting's report_file: RFC 4180, CRLF, header first; columns record_type
 * third, order_line_id and unit_index last) into records kept as their exact bytes, so that an account's
 * lines are served as they were sent, never re-printed.
 */
export interface FileRecord {
  /** The record's bytes with its line end, as stored. */
  raw: Buffer;
  fields: string[];
}

export function fileRecords(content: Buffer): FileRecord[] {
  // csv-parse's `info.bytes` is the offset just past each record (its line end included): the records' exact
  // bytes are the slices between them. CRLF or LF ends a record anywhere (no auto-detection from the first);
  // a stray quote or a short line is read as it stands (the file's lines are never rewritten); an unclosed quote
  // throws (a corrupt stored file). Its types do not model `info: true`, which wraps each record as {record, info}.
  const rows = parse(content, {
    info: true,
    record_delimiter: ['\r\n', '\n'],
    relax_column_count: true,
    relax_quotes: true,
  }) as unknown as { record: string[]; info: Info }[];
  let start = 0;
  return rows.map(({ record, info }) => {
    const raw = content.subarray(start, info.bytes);
    start = info.bytes;
    return { raw, fields: record };
  });
}

/** A data record's unit key as sale_line keys it: `order_line_id|unit_index|kind`. */
export function unitKey(fields: readonly string[]): string | undefined {
  const [recordType] = fields.slice(2, 3);
  const kind = recordType === 'S' ? 'sale' : recordType === 'R' ? 'return' : undefined;
  if (!kind || fields.length < 3) return undefined;
  return `${fields.at(-2)}|${fields.at(-1)}|${kind}`;
}

/** The header and the records whose unit is in `keys`, byte for byte; `lines` counts the kept records. */
export function cutFile(records: readonly FileRecord[], keys: ReadonlySet<string>) {
  const [header, ...data] = records;
  const kept = data.filter((r) => {
    const key = unitKey(r.fields);
    return key !== undefined && keys.has(key);
  });
  return { content: Buffer.concat([header?.raw ?? Buffer.alloc(0), ...kept.map((r) => r.raw)]), lines: kept.length };
}
