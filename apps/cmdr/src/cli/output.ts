import { CHART_TIME_ZONE, isCalendarDate, isInstantInRange, parseInstant, zonedMidnight } from '@single/contracts';
/** Where a command writes: injected so tests capture it and `--json` stays machine-readable. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Progress bars only on an interactive terminal. */
  errIsTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export function processIo(): Io {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    errIsTTY: process.stderr.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
}

export class Output {
  readonly json: boolean;
  private readonly io: Io;
  constructor(io: Io, json: boolean) {
    this.io = io;
    this.json = json;
  }

  /** The command's result: JSON (one document on stdout) or the human rendering. */
  result(data: unknown, human: () => string): void {
    if (this.json) this.io.out(`${JSON.stringify(data, jsonReplacer, 2)}\n`);
    else {
      const text = human();
      if (text) this.io.out(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  info(text: string): void {
    if (!this.json) this.io.err(`${text}\n`);
  }

  /** A progress bar on stderr, redrawn in place; silent when stderr is not a terminal or with --json. */
  progress(label: string): (done: number, total: number) => void {
    if (this.json || !this.io.errIsTTY) return () => undefined;
    return (done, total) => {
      this.io.err(`\r${renderBar(label, done, total)}`);
      if (done >= total) this.io.err('\n');
    };
  }
}

export function renderBar(label: string, done: number, total: number, width = 30): string {
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${Math.round(ratio * 100)}%`;
}

function jsonReplacer(_key: string, value: unknown) {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** A plain text table (columns padded to their widest cell). */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cell = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? '-' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

/**
 * `2h`, `30m`, `7d` (ago), a calendar date (the start of that New York business day, 00:00
 * America/New_York, as the charts and the artist API name days) or an RFC 3339 instant with offset; the
 * result, relative forms included, must lie in 1900-01-01..2199 (no year -271764 or Invalid Date is ever
 * sent to a service).
 */
export function parseSince(value: string, now: Date = new Date()): Date {
  const invalid = () =>
    new Error(
      `invalid --since "${value}" (use 30m, 2h, 7d, a date YYYY-MM-DD or an instant with offset, within 1900-2199)`,
    );
  const relative = /^(\d+)([mhd])$/.exec(value);
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd'];
    const at = new Date(now.getTime() - Number(relative[1]) * unit);
    if (!isInstantInRange(at)) throw invalid();
    return at;
  }
  // The shared calendar types, not new Date(value): that takes 0050-01-01 as 1950 and 2026-02-30 as March 2.
  const parsed = isCalendarDate(value) ? zonedMidnight(value, CHART_TIME_ZONE) : parseInstant(value);
  if (!parsed || !isInstantInRange(parsed)) throw invalid();
  return parsed;
}
