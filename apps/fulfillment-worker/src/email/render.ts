import { formatChartInstant } from '@single/contracts';
import type { DownloadEmailPayload } from './outbox.ts';
import { emailDocument, type HtmlItem, itemHtml } from './render-html.ts';

export const DOWNLOAD_FORMATS = ['MP3', 'WAV', 'FLAC', 'ALAC'] as const;

export interface RenderedEmail {
  subject: string;
  /** The plain-text part: everything the HTML part says, for clients (and people) that read text only. */
  text: string;
  /** The HTML part: a whole document (lang, title, alt text, readable contrast, no layout tables). */
  html: string;
}

export interface LinkedTrack {
  title: string;
  availableAt: Date;
  out: boolean;
}

export interface LinkedItem {
  title: string;
  /** Shown under the title when known. */
  artist?: string;
  artworkUrl: string;
  /** One link per grant (per unit bought); none for a pre-order with nothing out before its date. */
  links: string[];
  /** Set when the release is not out yet (pre-order): its date. */
  availableAt: Date | null;
  /** A pre-order's tracks out before the release ("instant grat"): the link serves each from its date. */
  early: { title: string; availableAt: Date; out: boolean }[];
  /** The tracks the grant covers, in order, each with when it is out (all of them for a released album). */
  tracks?: LinkedTrack[];
  /** The link went out in an earlier email and cannot be shown again (it is stored only as a hash). */
  linkSentBefore?: boolean;
}

const when = formatChartInstant;

/** What is out now and what comes later, as sentences, for one item (the same in both parts). */
function availability(item: LinkedItem): { now: string; later: string | null } {
  if (item.linkSentBefore) {
    return {
      now: 'It is ready: use the download link from our earlier email for this order; it has all of it.',
      later: null,
    };
  }
  if (item.availableAt && item.links.length === 0) {
    return {
      now: 'Nothing to download yet.',
      later: `Available on ${when(item.availableAt)}: we will email your download link then.`,
    };
  }
  if (item.availableAt) {
    const out = item.early.filter((e) => e.out).map((e) => e.title);
    return {
      now: out.length > 0 ? `Available now: ${out.join(', ')}.` : 'Nothing to download yet: your link is below.',
      later: `The full release arrives on ${when(item.availableAt)}: the same link will have it, and we will email you then.`,
    };
  }
  return { now: 'Available now: all of it.', later: null };
}

function itemText(item: LinkedItem): string[] {
  const lines = [item.artist ? `${item.title}, by ${item.artist}` : item.title, `Artwork: ${item.artworkUrl}`];
  const { now, later } = availability(item);
  lines.push(now);
  if (item.tracks && item.tracks.length > 0 && !item.linkSentBefore) {
    lines.push('Tracks:');
    for (const [i, t] of item.tracks.entries()) {
      lines.push(`${i + 1}. ${t.title}${t.out ? '' : ` (out on ${when(t.availableAt)})`}`);
    }
  }
  if (item.availableAt && item.links.length > 0) {
    lines.push(
      'Before the release:',
      ...item.early.map((e) => `- ${e.title}: ${e.out ? 'out now' : `out on ${when(e.availableAt)}`}`),
    );
  }
  if (later) lines.push(later);
  for (const link of item.links) lines.push(`${item.availableAt ? 'Your link' : 'Download'}: ${link}`);
  if (item.links.length > 0) {
    lines.push(`Formats: ${DOWNLOAD_FORMATS.join(', ')}`);
    lines.push('Pick a format on the page the link opens; a download counts only when you press Download there.');
  }
  return lines;
}

/**
 * The download email: a text part and an HTML part saying the same things, per release: the artwork, the
 * tracks, what can be downloaded now and when the rest arrives, the links (one per unit bought) and the formats.
 */
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
  const intro = ready
    ? 'Thank you for your order. Your music is ready: open your link, pick a format and download.'
    : 'Thank you for your pre-order. Here is when your music arrives; we will email you the moment it does.';
  const text = [subject, '', intro, ''];
  const htmlItems: HtmlItem[] = [];
  for (const item of items) {
    text.push(...itemText(item), '');
    const { now, later } = availability(item);
    htmlItems.push({
      ...item,
      now,
      later,
      trackLines: (item.tracks ?? []).map((t) => ({
        title: t.title,
        note: t.out ? 'out now' : `out on ${when(t.availableAt)}`,
      })),
      earlyLines:
        item.availableAt && item.links.length > 0
          ? item.early.map((e) => ({ title: e.title, note: e.out ? 'out now' : `out on ${when(e.availableAt)}` }))
          : [],
    });
  }
  text.push('You get this email because you bought music from this store. Questions: reply to this email.');
  const html = emailDocument({
    subject,
    intro,
    orderName: payload.orderName,
    body: htmlItems.map((i) => itemHtml(i, DOWNLOAD_FORMATS)).join('\n'),
  });
  return { subject, text: text.join('\n'), html };
}
