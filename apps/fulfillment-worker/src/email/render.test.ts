import { describe, expect, it } from 'vitest';
import { type LinkedItem, renderDownloadEmail } from './render.ts';

const at = (iso: string) => new Date(iso);
const released: LinkedItem = {
  title: 'Low Tide',
  artist: 'Neon Harbor',
  artworkUrl: 'https://dl.example/releases/r1/artwork',
  links: ['https://dl.example/d/tokenAAAAAAAAAAAAAAAAAAAA'],
  availableAt: null,
  early: [],
  tracks: [
    { title: 'Undertow', availableAt: at('2026-01-16T05:00:00Z'), out: true },
    { title: 'Low <Tide>', availableAt: at('2026-01-16T05:00:00Z'), out: true },
  ],
};
const preorder: LinkedItem = {
  title: 'Night Ferry',
  artist: 'Neon Harbor',
  artworkUrl: 'https://dl.example/releases/r2/artwork',
  links: ['https://dl.example/d/tokenBBBBBBBBBBBBBBBBBBBB'],
  availableAt: at('2027-01-15T05:00:00Z'),
  early: [{ title: 'Harbor Lights', availableAt: at('2026-12-01T05:00:00Z'), out: true }],
  tracks: [
    { title: 'Harbor Lights', availableAt: at('2026-12-01T05:00:00Z'), out: true },
    { title: 'Night Ferry', availableAt: at('2027-01-15T05:00:00Z'), out: false },
  ],
};

/** WCAG 2 contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => {
      const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe('the download email', () => {
  const email = renderDownloadEmail({ orderName: '#1042' }, [released, preorder]);

  it('is a whole, accessible HTML document: lang, title, alt text on every image, headings, no layout tables', () => {
    expect(email.html).toMatch(/^<!doctype html>\n<html lang="en"/);
    expect(email.html).toContain(`<title>${email.subject}</title>`);
    const images = [...email.html.matchAll(/<img [^>]*>/g)].map((m) => m[0]);
    expect(images).toHaveLength(2);
    expect(images[0]).toContain('alt="Cover art of Low Tide by Neon Harbor"');
    expect(images[1]).toContain('alt="Cover art of Night Ferry by Neon Harbor"');
    expect(email.html).not.toMatch(/<table/i);
    expect(email.html.indexOf('<h1')).toBeLessThan(email.html.indexOf('<h2'));
    // Links say where they go (no bare "click here"), and user text is escaped.
    expect(email.html).toContain('>Download for Low Tide</a>');
    expect(email.html).toContain('>Open your link for Night Ferry</a>');
    expect(email.html).toContain('Low &lt;Tide&gt;');
    expect(email.html).not.toContain('Low <Tide>');
  });

  it('uses text colours that pass WCAG AA (4.5:1) on their background', () => {
    const pairs: [string, string][] = [
      ['#1f2328', '#ffffff'],
      ['#1f2328', '#f3f4f6'],
      ['#4b5563', '#ffffff'],
      ['#4b5563', '#f3f4f6'],
      ['#ffffff', '#1d4ed8'],
    ];
    for (const [fg] of pairs) expect(email.html).toContain(fg);
    for (const [fg, bg] of pairs) expect(contrast(fg, bg), `${fg} on ${bg}`).toBeGreaterThanOrEqual(4.5);
    const used = new Set([...email.html.matchAll(/#[0-9a-f]{6}\b/g)].map((m) => m[0]));
    expect([...used].sort()).toEqual(['#1d4ed8', '#1f2328', '#4b5563', '#d0d7de', '#f3f4f6', '#ffffff']);
  });

  it('says in both parts: artwork, tracks, what is out now, when the rest arrives, the links and formats', () => {
    for (const part of [email.text, email.html]) {
      expect(part).toContain('https://dl.example/releases/r1/artwork');
      expect(part).toContain('Undertow');
      expect(part).toContain('Available now: all of it.');
      expect(part).toContain('Available now: Harbor Lights.');
      expect(part).toMatch(/The full release arrives on [^<\n]+2027/);
      expect(part).toContain('https://dl.example/d/tokenAAAAAAAAAAAAAAAAAAAA');
      expect(part).toContain('https://dl.example/d/tokenBBBBBBBBBBBBBBBBBBBB');
      expect(part).toContain('MP3, WAV, FLAC, ALAC');
    }
    expect(email.text).toMatch(/2\. Night Ferry \(out on [^)]+2027/);
    expect(email.text).toContain('Formats: MP3, WAV, FLAC, ALAC');
    // Said once in the HTML: out now, then in the track list with its date (no second "before the release" list).
    expect(email.html.match(/Harbor Lights/g)).toHaveLength(2);
  });

  it('announces a pre-order with nothing out yet without a link', () => {
    const waiting = renderDownloadEmail({ orderName: '#7' }, [{ ...preorder, links: [], early: [] }]);
    expect(waiting.subject).toBe('Your pre-order #7 is confirmed');
    expect(waiting.text).toMatch(/Available on .+2027.+: we will email your download link then\./);
    expect(waiting.html).not.toContain('/d/');
  });
});
