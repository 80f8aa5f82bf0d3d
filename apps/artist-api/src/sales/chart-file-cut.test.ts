import { describe, expect, it } from 'vitest';
import { cutFile, fileRecords, unitKey } from './chart-file-cut.ts';

// The stored file's records as their exact bytes: an account's cut must equal the lines as they were sent.
const HEADER = 'retailer_account,business_date,record_type,upc,order_line_id,unit_index\r\n';
const line = (type: string, lineId: string, unit: number, upc = '0036000291452') =>
  `acct,2026-12-06,${type},${upc},${lineId},${unit}\r\n`;

describe('cutting a stored chart file', () => {
  it('keeps every record byte for byte, quoted commas, quotes and line breaks included', () => {
    const quoted = 'acct,2026-12-06,S,"Ré, ""live""\r\nédition",L9,0\r\n';
    const content = Buffer.from(HEADER + line('S', 'L1', 0) + quoted + line('R', 'L1', 0).trimEnd());
    const records = fileRecords(content);
    expect(records.map((r) => r.raw.toString('utf8'))).toEqual([
      HEADER,
      line('S', 'L1', 0),
      quoted,
      line('R', 'L1', 0).trimEnd(),
    ]);
    expect(Buffer.concat(records.map((r) => r.raw)).equals(content)).toBe(true);
    expect(records[2]!.fields).toEqual(['acct', '2026-12-06', 'S', 'Ré, "live"\r\nédition', 'L9', '0']);
    expect(records.slice(1).map((r) => unitKey(r.fields))).toEqual(['L1|0|sale', 'L9|0|sale', 'L1|0|return']);
  });

  it('ends a record at LF as at CRLF, wherever it comes', () => {
    const content = Buffer.from(`${HEADER}${line('S', 'L1', 0).replace('\r\n', '\n')}${line('S', 'L2', 1)}`);
    expect(fileRecords(content).map((r) => r.fields.at(-2))).toEqual(['order_line_id', 'L1', 'L2']);
  });

  it("serves the header and only the account's units", () => {
    const content = Buffer.from(HEADER + line('S', 'L1', 0) + line('S', 'L2', 0) + line('R', 'L1', 0));
    const cut = cutFile(fileRecords(content), new Set(['L1|0|sale', 'L1|0|return']));
    expect(cut.lines).toBe(2);
    expect(cut.content.toString('utf8')).toBe(HEADER + line('S', 'L1', 0) + line('R', 'L1', 0));
  });
});
