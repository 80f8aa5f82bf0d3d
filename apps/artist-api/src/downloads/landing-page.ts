import escapeHtml from 'escape-html';
import { COUNTDOWN_SCRIPT, COUNTDOWN_SCRIPT_HASH } from './countdown-script.ts';
import { fanInstant, pageLang, ZONE_NOTE } from './fan-locale.ts';
import type { LandingView } from './landing-view.ts';

const e = (s: string) => escapeHtml(s);
/**
 * An instant in the fan's locale, as HTML: the date in its own `lang` when that is not the page's English,
 * isolated (`<bdi>`, and `dir` for a right-to-left language) so that it neither reorders nor is reordered by
 * the English around it; the zone's note, English, after it.
 */
function when(iso: string, locale: string): string {
  const { text, lang, rtl } = fanInstant(iso, locale);
  const date = lang ? `<bdi lang="${e(lang)}"${rtl ? ' dir="rtl"' : ''}>${e(text)}</bdi>` : e(text);
  return `${date} ${ZONE_NOTE}`;
}

/**
 * The headers every download page carries. Nothing loads from elsewhere but the cover art (its bucket's
 * presigned URL, over https), and the one inline script runs by its hash.
 */
export const PAGE_CSP = `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https:; script-src ${COUNTDOWN_SCRIPT_HASH}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

// Contrast: text #1f2328 and muted #4b5563 on #ffffff (15.8:1, 7.6:1), the button's #ffffff on #1d4ed8 (6.7:1),
// a focus ring of 3px. Targets at least 44px high. One column under 40rem.
const STYLE = [
  'body{margin:0;background:#ffffff;color:#1f2328;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5}',
  'main{max-width:44rem;margin:0 auto;padding:1.5rem 1rem 3rem}',
  '.hero{display:flex;flex-wrap:wrap;gap:1.25rem;align-items:flex-end;margin-bottom:1.5rem}',
  '.hero img{width:12rem;height:12rem;max-width:100%;object-fit:cover;border-radius:.5rem;background:#1f2328}',
  'h1{font-size:1.75rem;line-height:1.2;margin:0 0 .5rem}h2{font-size:1.25rem;margin:2rem 0 .75rem}',
  '.muted{color:#4b5563}fieldset{border:1px solid #d0d7de;border-radius:.5rem;padding:.75rem 1rem;margin:0}',
  'legend{font-weight:600;padding:0 .25rem}.formats{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem}',
  '.formats label{display:inline-flex;align-items:center;gap:.4rem;min-height:44px;cursor:pointer}',
  '.formats input{width:1.25rem;height:1.25rem;margin:0}',
  'ol,ul{padding-left:0;list-style:none;margin:0}li{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1rem;',
  'padding:.6rem 0;border-bottom:1px solid #d0d7de}.title{flex:1 1 14rem;font-weight:500}',
  'button{font:inherit;font-weight:600;min-height:44px;padding:.5rem 1.1rem;border:0;border-radius:.4rem;',
  'background:#1d4ed8;color:#ffffff;cursor:pointer}button:hover{background:#1e40af}',
  'button:focus-visible,input:focus-visible{outline:3px solid #1f2328;outline-offset:2px}',
  '.whole{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;margin:.75rem 0 1rem}',
  '.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}',
].join('');

function page(title: string, body: string[], locale: string, script = false): string {
  return [
    '<!doctype html>',
    `<html lang="${e(pageLang(locale))}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex, nofollow">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${e(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    ...body,
    '</main>',
    script ? `<script>${COUNTDOWN_SCRIPT}</script>` : '',
    '</body>',
    '</html>',
  ].join('\n');
}

const FORMAT_NOTES: Record<string, string> = {
  mp3: 'smallest files',
  wav: 'lossless, largest',
  flac: 'lossless',
  alac: 'lossless, for Apple devices',
};

/** What is left of one file, tied to its button by id (read out with the button). */
function leftOf(view: LandingView, id: string, left: number): string {
  const text =
    left === 0
      ? `no downloads left (0 of ${view.downloadLimit} downloads left)`
      : `${left} of ${view.downloadLimit} downloads left`;
  return `<span id="${id}" class="muted">${e(text)}</span>`;
}

/** A file that is out: its submit button (the form's format goes with it) and what is left, or that nothing is. */
function fileButton(view: LandingView, label: string, hidden: string, track: number | null, left: number): string {
  const id = `left-${track ?? 'all'}`;
  if (left === 0) return leftOf(view, id, 0);
  return (
    `<button type="submit" name="track" value="${track ?? ''}" aria-describedby="${id}">${e(label)}` +
    `<span class="vh"> ${e(hidden)}</span></button> ${leftOf(view, id, left)}`
  );
}

const countdown = (iso: string) => `<span class="muted" role="timer" data-countdown="${e(iso)}"></span>`;

/**
 * The fan's page behind the email's link. One form: the format picker, and a submit button per file that is
 * out (the file is sent only when the fan presses one: a POST, which mail scanners and link previews never
 * make, so they count nothing). Works without JavaScript; the script only adds the countdowns.
 */
export function renderLandingPage(view: LandingView, locale = 'en'): string {
  const { release } = view;
  const outTracks = view.tracks.filter((t) => t.available);
  const laterTracks = view.tracks.filter((t) => !t.available);
  const summary =
    laterTracks.length === 0 && (!view.archive || view.archive.available)
      ? 'Everything is out: pick a format and download.'
      : outTracks.length > 0
        ? `Out now: ${outTracks.length} of ${view.tracks.length} tracks. The rest arrives later on this same link.`
        : 'Nothing is out yet: the first files arrive on the date below, on this same link.';
  const limit = `Each file may be downloaded ${view.downloadLimit} times`;
  const body: string[] = [
    '<div class="hero">',
    `<img src="${e(release.artworkUrl)}" alt="${e(`Cover art of ${release.title}`)}" width="192" height="192">`,
    '<div>',
    `<h1>${e(release.title)}</h1>`,
    `<p>${e(summary)}</p>`,
    `<p class="muted">${e(limit)}${view.expiresAt ? `; this link works until ${when(view.expiresAt, locale)}` : ''}.</p>`,
    '</div>',
    '</div>',
    `<form method="post" action="${e(view.download.url)}">`,
    '<fieldset><legend>Format</legend><div class="formats">',
    ...view.formats.map(
      (f, i) =>
        `<label><input type="radio" name="format" value="${f}"${i === 0 ? ' checked' : ''}> ${f.toUpperCase()} <span class="muted">(${FORMAT_NOTES[f] ?? ''})</span></label>`,
    ),
    '</div></fieldset>',
    '<h2 id="now">Available now</h2>',
  ];
  if (view.archive?.available) {
    body.push(
      `<div class="whole">${fileButton(view, 'Download the whole release', `${release.title} (zip)`, null, view.archive.downloadsLeft)}</div>`,
    );
  }
  if (outTracks.length > 0) {
    body.push(`<ol aria-labelledby="now">`);
    for (const t of outTracks) {
      const title = `${t.position}. ${t.title}`;
      body.push(
        `<li><span class="title">${e(title)}</span> ${fileButton(view, 'Download', title, t.position, t.downloadsLeft)}</li>`,
      );
    }
    body.push('</ol>');
  } else if (!view.archive?.available) {
    body.push('<p>Nothing to download yet.</p>');
  }
  body.push('</form>');
  const later = [
    ...(view.archive && !view.archive.available
      ? [{ title: `The whole release (zip)`, at: view.archive.availableAt }]
      : []),
    ...laterTracks.map((t) => ({ title: `${t.position}. ${t.title}`, at: t.availableAt })),
  ];
  if (later.length > 0) {
    body.push('<h2 id="later">Coming later</h2>');
    if (view.nextAvailableAt) {
      body.push(
        `<p>Next on <time datetime="${e(view.nextAvailableAt)}">${when(view.nextAvailableAt, locale)}</time> ${countdown(view.nextAvailableAt)}; this same link will have it.</p>`,
      );
    }
    body.push('<ul aria-labelledby="later">');
    for (const f of later) {
      body.push(
        `<li><span class="title">${e(f.title)}</span> <span>Arrives on ${when(f.at, locale)} ${countdown(f.at)}</span></li>`,
      );
    }
    body.push('</ul>');
  }
  body.push('<p class="muted">Each time you download a file counts as one download of that file.</p>');
  return page(release.title, body, locale, later.length > 0);
}

/** An error page for the fan; `detailHtml` (markup: `fanAdvice`'s) says what to do, `back` links to the download page (the form's refusals). */
export function renderErrorPage(
  status: number,
  title: string,
  options: { detailHtml?: string; back?: string; locale?: string } = {},
): string {
  return page(
    title,
    [
      `<h1>${e(title)}</h1>`,
      ...(options.detailHtml ? [`<p>${options.detailHtml}</p>`] : []),
      `<p class="muted">Error ${status}.</p>`,
      ...(options.back ? [`<p><a href="${e(options.back)}">Back to your download page</a></p>`] : []),
    ],
    options.locale ?? 'en',
  );
}

/** What a fan can do about a refused download (the form's post), as HTML: the problem's code decides. */
export function fanAdvice(
  error: { code: string; extensions: Record<string, unknown> },
  locale = 'en',
): string | undefined {
  const at = error.extensions.availableAt;
  switch (error.code) {
    case 'not_available_yet':
      return typeof at === 'string'
        ? `It arrives on ${when(at, locale)}; this same link will have it then.`
        : 'It is not out yet; this same link will have it.';
    case 'file_unavailable':
      return 'This file is not available in that format right now: go back and pick another format, or try again later.';
    case 'download_limit_reached':
      return 'This file has no downloads left on this link. Other files of the link may still have some.';
    case 'download_expired':
      return 'This download link has expired.';
    case 'download_link_expired':
      return 'This file link has expired: go back to your download page and download it again.';
    case 'validation_failed':
    case 'payload_too_large':
    case 'unsupported_media_type':
    case 'invalid_content_type':
      return 'Go back to your download page, pick a format and press a download button.';
    case 'rate_limited':
      return 'Too many requests: wait a moment, then try again.';
    default:
      return undefined;
  }
}
