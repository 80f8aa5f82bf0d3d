import escapeHtml from 'escape-html';

// The HTML part of the download email. Accessible and robust in mail clients: a whole document with
// `lang`, a <title>, headings in order, alt text on the artwork, text at contrast ratios above 7:1 (body
// #1f2328 on #ffffff, muted #4b5563 on #ffffff: 7.6:1, the button's #ffffff on #1d4ed8: 6.7:1, above the 4.5:1
// AA minimum), no layout tables (one centred column of block elements, which clients that drop <style> still
// stack in order), inline styles only, links that say where they go.

export interface HtmlItem {
  title: string;
  artist?: string;
  artworkUrl: string;
  links: string[];
  availableAt: Date | null;
  linkSentBefore?: boolean;
  now: string;
  later: string | null;
  trackLines: { title: string; note: string }[];
  earlyLines: { title: string; note: string }[];
}

const e = (s: string) => escapeHtml(s);
const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const MUTED = 'color:#4b5563';

function list(tag: 'ol' | 'ul', lines: { title: string; note: string }[]): string {
  if (lines.length === 0) return '';
  const items = lines
    .map((l) => `<li style="margin:4px 0">${e(l.title)} <span style="${MUTED}">(${e(l.note)})</span></li>`)
    .join('');
  return `<${tag} style="margin:8px 0 16px;padding-left:24px">${items}</${tag}>`;
}

export function itemHtml(item: HtmlItem, formats: readonly string[]): string {
  const by = item.artist ? ` by ${item.artist}` : '';
  const parts = [
    '<div style="background:#ffffff;border:1px solid #d0d7de;border-radius:8px;padding:20px;margin:0 0 20px">',
    `<img src="${e(item.artworkUrl)}" alt="${e(`Cover art of ${item.title}${by}`)}" width="240" height="240" style="display:block;width:240px;max-width:100%;height:auto;border-radius:4px;margin:0 0 16px">`,
    `<h2 style="font-size:20px;line-height:1.3;margin:0 0 4px">${e(item.title)}</h2>`,
    item.artist ? `<p style="margin:0 0 12px;${MUTED}">${e(item.artist)}</p>` : '',
    `<p style="margin:0 0 8px"><strong>${e(item.now)}</strong></p>`,
  ];
  if (!item.linkSentBefore && item.trackLines.length > 0) {
    parts.push('<h3 style="font-size:16px;margin:16px 0 4px">Tracks</h3>', list('ol', item.trackLines));
  }
  // The track list already says when each track is out; the "before the release" list is for when it is not shown.
  if (item.earlyLines.length > 0 && (item.linkSentBefore || item.trackLines.length === 0)) {
    parts.push('<h3 style="font-size:16px;margin:16px 0 4px">Before the release</h3>', list('ul', item.earlyLines));
  }
  if (item.later) parts.push(`<p style="margin:8px 0">${e(item.later)}</p>`);
  item.links.forEach((link, index) => {
    const label = `${item.availableAt ? 'Open your link' : 'Download'} for ${item.title}${item.links.length > 1 ? ` (copy ${index + 1} of ${item.links.length})` : ''}`;
    parts.push(
      `<p style="margin:16px 0 8px"><a href="${e(link)}" style="display:inline-block;background:#1d4ed8;color:#ffffff;font-weight:bold;text-decoration:none;padding:12px 20px;border-radius:6px">${e(label)}</a></p>`,
    );
  });
  if (item.links.length > 0) {
    parts.push(
      `<p style="margin:8px 0 0;font-size:14px;${MUTED}">Formats: ${e(formats.join(', '))}. Pick one on the page the link opens; a download counts only when you press Download there.</p>`,
    );
  }
  parts.push('</div>');
  return parts.filter(Boolean).join('\n');
}

export function emailDocument(input: { subject: string; intro: string; orderName: string; body: string }): string {
  return [
    '<!doctype html>',
    '<html lang="en" dir="ltr">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    `<title>${e(input.subject)}</title>`,
    '</head>',
    `<body style="margin:0;padding:0;background:#f3f4f6;color:#1f2328;${FONT};font-size:16px;line-height:1.5">`,
    `<div role="article" aria-roledescription="email" aria-label="${e(input.subject)}" lang="en" style="max-width:600px;margin:0 auto;padding:24px 16px">`,
    `<h1 style="font-size:24px;line-height:1.3;margin:0 0 8px">${e(input.subject)}</h1>`,
    `<p style="margin:0 0 4px">${e(input.intro)}</p>`,
    `<p style="margin:0 0 20px;${MUTED}">Order ${e(input.orderName)}</p>`,
    input.body,
    `<p style="margin:20px 0 0;font-size:14px;${MUTED}">You get this email because you bought music from this store. Questions: reply to this email.</p>`,
    '</div>',
    '</body>',
    '</html>',
  ].join('\n');
}
