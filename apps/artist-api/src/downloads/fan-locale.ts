import { CHART_TIME_ZONE } from '@single/contracts';
import Negotiator from 'negotiator';

// Plain English (formats as en-US does); the page's lang stays `en` for a fan who asked for nothing.
const DEFAULT_LOCALE = 'en';

/**
 * The fan's locale from Accept-Language: the most preferred tag (by q, then order: negotiator's ranking) that
 * Intl can format dates in, else `en`. Malformed tags and `*` are skipped; a long header is read only so far.
 */
export function fanLocale(header: string | undefined): string {
  const ranked = new Negotiator({ headers: { 'accept-language': (header ?? '').slice(0, 1_000) } }).languages();
  for (const tag of ranked) {
    if (tag === '*') continue;
    try {
      const [supported] = Intl.DateTimeFormat.supportedLocalesOf([tag]);
      if (supported) return supported;
    } catch {
      // not a BCP 47 tag: the next one
    }
  }
  return DEFAULT_LOCALE;
}

const isEnglish = (locale: string) => new Intl.Locale(locale).language === 'en';

/**
 * The page's words are English: its `lang` is the fan's own English (en-GB, en-AU) when they asked for one,
 * else `en`, and a date written in another language carries that language's `lang` (`fanInstant`).
 */
export const pageLang = (locale: string) => (isEnglish(locale) ? locale : 'en');

/** What follows every instant on the page, in the page's English (outside the date's own `lang`). */
export const ZONE_NOTE = '(New York time)';

/**
 * An instant as the fan reads it: in their locale's conventions, in the chart's zone (named by `ZONE_NOTE`
 * after it: the page is made before the fan's zone is known; the countdown beside it is relative). `text` is
 * the date alone, in `lang` when that is not the page's English; `rtl` when that language writes right to left.
 */
export function fanInstant(iso: string, locale: string): { text: string; lang: string | undefined; rtl: boolean } {
  const text = new Intl.DateTimeFormat(locale, {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: CHART_TIME_ZONE,
  }).format(new Date(iso));
  return { text, lang: isEnglish(locale) ? undefined : locale, rtl: isRightToLeft(locale) };
}

// Scripts written right to left (Intl.Locale#getTextInfo is not in every engine yet): Arabic, Hebrew,
// Thaana, Syriac, N'Ko, Adlam, Rohingya.
const RTL_SCRIPTS = new Set(['Arab', 'Hebr', 'Thaa', 'Syrc', 'Nkoo', 'Adlm', 'Rohg']);

function isRightToLeft(locale: string): boolean {
  const script = new Intl.Locale(locale).maximize().script;
  return script !== undefined && RTL_SCRIPTS.has(script);
}
