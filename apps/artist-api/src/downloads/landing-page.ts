import { formatChartInstant } from '@single/contracts';
import escapeHtml from 'escape-html';
import type { LandingView } from './landing-view.ts';

const when = (iso: string) => formatChartInstant(new Date(iso));

/** The headers every download page and file answer carries. The page loads nothing from elsewhere. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'";

function page(title: string, body: string[]): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex, nofollow">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}' +
      'li{margin:.5rem 0}form{display:inline}button{font:inherit}</style>',
    '</head>',
    '<body>',
    '<main>',
    ...body,
    '</main>',
    '</body>',
    '</html>',
  ].join('\n');
}

/**
 * One form per file that is out: the file is sent only when the fan submits it (a POST). Mail scanners and
 * link previews fetch the page (GET) and never submit forms, so they count nothing.
 */
function downloadForm(view: LandingView, label: string, track: number | null): string {
  const id = `format-${track ?? 'all'}`;
  return [
    `<form method="post" action="${escapeHtml(view.download.url)}">`,
    track === null ? '' : `<input type="hidden" name="track" value="${track}">`,
    `<label for="${id}">Format</label> <select id="${id}" name="format">`,
    ...view.formats.map((f) => `<option value="${f}">${f.toUpperCase()}</option>`),
    '</select>',
    ` <button type="submit">${escapeHtml(label)}</button>`,
    '</form>',
  ].join('');
}

/** A file that is out: its button and what is left of it, or that nothing is left. */
function fileEntry(view: LandingView, label: string, track: number | null, left: number): string {
  const counted = `${left} of ${view.downloadLimit} downloads left`;
  if (left === 0) return `no downloads left (${escapeHtml(counted)})`;
  return `${downloadForm(view, label, track)} <small>${escapeHtml(counted)}</small>`;
}

export function renderLandingPage(view: LandingView): string {
  const body: string[] = [`<h1>${escapeHtml(view.release.title)}</h1>`];
  const limit = `Each file may be downloaded ${view.downloadLimit} times`;
  body.push(
    `<p>${escapeHtml(limit)}${view.expiresAt ? `; this link works until ${escapeHtml(when(view.expiresAt))}` : ''}.</p>`,
  );
  if (view.archive) {
    body.push('<h2>The whole release</h2>');
    body.push(
      view.archive.available
        ? `<p>${fileEntry(view, `Download ${view.release.title} (zip)`, null, view.archive.downloadsLeft)}</p>`
        : `<p>Arrives on ${escapeHtml(when(view.archive.availableAt))}. Come back to this page then.</p>`,
    );
  }
  body.push(`<h2>${view.scope === 'track' ? 'Your track' : 'Tracks'}</h2>`, '<ol>');
  for (const t of view.tracks) {
    const title = `${t.position}. ${t.title}`;
    body.push(
      t.available
        ? `<li>${escapeHtml(title)}: ${fileEntry(view, `Download ${title}`, t.position, t.downloadsLeft)}</li>`
        : `<li>${escapeHtml(title)}: arrives on ${escapeHtml(when(t.availableAt))}</li>`,
    );
  }
  body.push('</ol>');
  if (view.nextAvailableAt) {
    body.push(`<p>More arrives on ${escapeHtml(when(view.nextAvailableAt))}; this same link will have it.</p>`);
  }
  body.push('<p>Each time you download a file counts as one download of that file.</p>');
  return page(view.release.title, body);
}

export function renderErrorPage(status: number, title: string): string {
  return page(title, [`<h1>${escapeHtml(title)}</h1>`, `<p>Error ${status}.</p>`]);
}
