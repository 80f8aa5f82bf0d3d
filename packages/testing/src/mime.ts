// A reader of MIME messages for tests (RFC 5322 headers with folding, RFC 2046 multiparts, base64 and
// quoted-printable bodies, RFC 2047 encoded words in UTF-8): enough to assert what a mail client would show of
// the messages nodemailer builds. Stand-in until a full parser (mailparser) is a dependency of the workspace.

export interface MimePart {
  headers: Map<string, string>;
  /** e.g. `text/html` (lower case, no parameters). */
  contentType: string;
  /** The decoded body of a leaf part (UTF-8). */
  body: string;
  /** The children of a multipart. */
  parts: MimePart[];
}

const unfold = (head: string) => head.replace(/\r?\n[ \t]+/g, ' ');

function decodeWords(value: string): string {
  return value.replace(/=\?utf-8\?([BQ])\?([^?]*)\?=/gi, (_, kind: string, text: string) =>
    kind.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(
          text
            .replace(/_/g, ' ')
            .replace(/=([0-9A-F]{2})/gi, (__, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
          'latin1',
        ).toString('utf8'),
  );
}

function decodeBody(body: string, encoding: string): string {
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return Buffer.from(body, 'latin1').toString('utf8');
}

const param = (value: string, name: string) => new RegExp(`;\\s*${name}="?([^";]+)"?`, 'i').exec(value)?.[1];

/** Parses a whole message (a string is taken as UTF-8). */
export function parseMime(raw: string | Buffer): MimePart {
  return parseBytes((typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw).toString('latin1'));
}

/** `text` holds one byte per character (latin1), so bodies decode to UTF-8 once, at the leaves. */
function parseBytes(text: string): MimePart {
  const split = text.search(/\r?\n\r?\n/);
  const head = split === -1 ? text : text.slice(0, split);
  const body = split === -1 ? '' : text.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of unfold(head).split(/\r?\n/)) {
    const at = line.indexOf(':');
    const value = Buffer.from(line.slice(at + 1).trim(), 'latin1').toString('utf8');
    if (at > 0) headers.set(line.slice(0, at).trim().toLowerCase(), decodeWords(value));
  }
  const type = headers.get('content-type') ?? 'text/plain';
  const contentType = type.split(';')[0]!.trim().toLowerCase();
  const boundary = param(type, 'boundary');
  if (contentType.startsWith('multipart/') && boundary) {
    const sections = body.split(`--${boundary}`);
    const parts = sections
      .slice(1)
      .filter((s) => !s.startsWith('--'))
      .map((s) => parseBytes(s.replace(/^\r?\n/, '').replace(/\r?\n$/, '')));
    return { headers, contentType, body: '', parts };
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  return { headers, contentType, body: decodeBody(body, encoding), parts: [] };
}

/** Every leaf part, depth first. */
export function mimeLeaves(part: MimePart): MimePart[] {
  return part.parts.length === 0 ? [part] : part.parts.flatMap(mimeLeaves);
}
