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
  const text = content.toString('utf8');
  const records: FileRecord[] = [];
  let start = 0;
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      const end = c === '\r' ? i + 2 : i + 1;
      fields.push(field);
      records.push({ raw: Buffer.from(text.slice(start, end), 'utf8'), fields });
      fields = [];
      field = '';
      start = end;
      i = end - 1;
    } else field += c;
  }
  if (start < text.length) {
    fields.push(field);
    records.push({ raw: Buffer.from(text.slice(start), 'utf8'), fields });
  }
  return records;
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
