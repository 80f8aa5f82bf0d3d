import { describe, expect, it } from 'vitest';
import { fanInstant, fanLocale, pageLang, ZONE_NOTE } from './fan-locale.ts';

describe("the fan's locale", () => {
  it('is the most preferred tag of Accept-Language that Intl formats, by q then order', () => {
    expect(fanLocale('de-DE,de;q=0.9,en;q=0.8')).toBe('de-DE');
    expect(fanLocale('en;q=0.5, fr-CA')).toBe('fr-CA');
    expect(fanLocale('fr;q=0.7,ja;q=0.7')).toBe('fr');
    expect(fanLocale('*, not a tag!, en-GB')).toBe('en-GB');
    expect(fanLocale('de;q=0, pt-BR;q=0.1')).toBe('pt-BR');
  });

  it('is plain English when the header is absent, empty or names nothing usable', () => {
    expect(fanLocale(undefined)).toBe('en');
    expect(fanLocale('')).toBe('en');
    expect(fanLocale('*;q=0.1, ???')).toBe('en');
  });

  it("keeps the page's language English, the fan's own English when asked for", () => {
    expect(pageLang('en-GB')).toBe('en-GB');
    expect(pageLang('en')).toBe('en');
    expect(pageLang('de-DE')).toBe('en');
  });

  it("writes an instant in the locale's conventions in New York time, its lang when not English", () => {
    const at = '2026-12-04T02:00:00Z'; // Dec 3, 9 pm in New York
    // ICU versions differ on the space before AM/PM (a narrow no-break space or a plain one).
    const read = (locale: string) => {
      const { text, lang, rtl } = fanInstant(at, locale);
      return { text: text.replaceAll(/\s/gu, ' '), lang, rtl };
    };
    // The date alone: the zone's note is the page's English, written after it (outside the date's lang).
    expect(read('en')).toEqual({ text: 'December 3, 2026 at 9:00 PM', lang: undefined, rtl: false });
    expect(read('en-GB')).toEqual({ text: '3 December 2026 at 21:00', lang: undefined, rtl: false });
    expect(read('de-DE')).toEqual({ text: '3. Dezember 2026 um 21:00', lang: 'de-DE', rtl: false });
    expect(ZONE_NOTE).toBe('(New York time)');
  });

  it('says which languages write right to left, so the page can isolate their dates', () => {
    const rtl = (locale: string) => fanInstant('2026-12-04T02:00:00Z', locale).rtl;
    expect([rtl('ar'), rtl('ar-EG'), rtl('he'), rtl('fa-IR'), rtl('ur')]).toEqual([true, true, true, true, true]);
    expect([rtl('en'), rtl('de'), rtl('ja'), rtl('az-Latn')]).toEqual([false, false, false, false]);
    expect(fanInstant('2026-12-04T02:00:00Z', 'ar').text).not.toContain('New York');
  });
});
