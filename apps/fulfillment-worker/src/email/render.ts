import { formatChartInstant } from '@single/contracts';
import escapeHtml from 'escape-html';
import type { DownloadEmailPayload } from './outbox.ts';

export const DOWNLOAD_FORMATS = ['MP3', 'WAV', 'FLAC', 'ALAC'] as const;

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface LinkedItem {
  title: string;
  artworkUrl: string;
  /** One link per grant (per unit bought); none for a pre-order with nothing out before its date. */
  links: string[];
  /** Set when the release is not out yet (pre-order): its date. */
  availableAt: Date | null;
  /** A pre-order's tracks out before the release ("instant grat"): the link serves each from its date. */
  early: { title: string; availableAt: Date; out: boolean }[];
  /** The link went out in an earlier email and cannot be shown again (it is stored only as a hash). */
  linkSentBefore?: boolean;
}

export function renderDownloadEmail(
  payload: Pick<DownloadEmailPayload, 'orderName'>,
  items: readonly LinkedItem[],
): RenderedEmail {
  const ready = items.some(
    (i) => i.linkSentBefore || (i.links.length > 0 && (!i.availableAt || i.early.some((e) => e.out))),
  );
  const subject = ready
    ? `Your music from order ${payload.orderName} is ready to download`
    : `Your pre-order ${payload.orderName} is confirmed`;
  const text: string[] = [subject, ''];
  const html: string[] = [`<h1>${escapeHtml(subject)}</h1>`];
  for (const item of items) {
    text.push(item.title, `Artwork: ${item.artworkUrl}`);
    html.push(`<h2>${escapeHtml(item.title)}</h2>`, `<img src="${escapeHtml(item.artworkUrl)}" alt="" width="300">`);
    if (item.linkSentBefore) {
      const note = 'It is ready: use the download link from our earlier email for this order; it has all of it.';
      text.push(note);
      html.push(`<p>${escapeHtml(note)}</p>`);
    } else if (item.availableAt && item.links.length === 0) {
      const when = formatChartInstant(item.availableAt);
      text.push(`Available on ${when}: we will email your download link then.`);
      html.push(`<p>Available on ${escapeHtml(when)}: we will email your download link then.</p>`);
    } else if (item.availableAt) {
      // A pre-order with instant-grat tracks: what the link serves now, what later, and when the rest comes.
      const when = formatChartInstant;
      const tracks = item.early.map((e) => `${e.title}: ${e.out ? 'out now' : `out on ${when(e.availableAt)}`}`);
      const rest = `The full release arrives on ${when(item.availableAt)}: the same link will have it, and we will email you then.`;
      text.push('Before the release:', ...tracks.map((t) => `- ${t}`), rest);
      for (const link of item.links) text.push(`Your link: ${link}`);
      text.push(`Formats: ${DOWNLOAD_FORMATS.join(', ')}`);
      html.push(
        '<p>Before the release:</p>',
        '<ul>',
        ...tracks.map((t) => `<li>${escapeHtml(t)}</li>`),
        '</ul>',
        `<p>${escapeHtml(rest)}</p>`,
        '<ul>',
        ...item.links.map((link) => `<li><a href="${escapeHtml(link)}">Your link</a></li>`),
        '</ul>',
        `<p>Formats: ${DOWNLOAD_FORMATS.join(', ')}</p>`,
      );
    } else {
      for (const link of item.links) text.push(`Download: ${link}`);
      text.push(`Formats: ${DOWNLOAD_FORMATS.join(', ')}`);
      html.push(
        '<ul>',
        ...item.links.map((link) => `<li><a href="${escapeHtml(link)}">Download</a></li>`),
        '</ul>',
        `<p>Formats: ${DOWNLOAD_FORMATS.join(', ')}</p>`,
      );
    }
    text.push('');
  }
  return { subject, text: text.join('\n'), html: html.join('\n') };
}
