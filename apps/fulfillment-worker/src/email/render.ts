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
  /** One link per active grant (per unit bought). */
  links: string[];
  /** Set when the music is not available yet (pre-order): no links, the date instead. */
  availableAt: Date | null;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const dateFormat = new Intl.DateTimeFormat('en-US', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: 'America/New_York',
});

export function renderDownloadEmail(
  payload: Pick<DownloadEmailPayload, 'orderName'>,
  items: readonly LinkedItem[],
): RenderedEmail {
  const ready = items.some((i) => i.links.length > 0);
  const subject = ready
    ? `Your music from order ${payload.orderName} is ready to download`
    : `Your pre-order ${payload.orderName} is confirmed`;
  const text: string[] = [subject, ''];
  const html: string[] = [`<h1>${escapeHtml(subject)}</h1>`];
  for (const item of items) {
    text.push(item.title, `Artwork: ${item.artworkUrl}`);
    html.push(`<h2>${escapeHtml(item.title)}</h2>`, `<img src="${escapeHtml(item.artworkUrl)}" alt="" width="300">`);
    if (item.availableAt) {
      const when = `${dateFormat.format(item.availableAt)} (New York time)`;
      text.push(`Available on ${when}: we will email your download link then.`);
      html.push(`<p>Available on ${escapeHtml(when)}: we will email your download link then.</p>`);
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
