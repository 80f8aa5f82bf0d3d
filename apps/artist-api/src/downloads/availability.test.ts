import { describe, expect, it } from 'vitest';
import { checkFile, type GrantScope, grantContents, type TrackTerms } from './availability.ts';

const at = (iso: string) => new Date(iso);
const release = at('2026-03-06T05:00:00Z');
const track = (position: number, instant: string | null): TrackTerms => ({
  id: `t${position}`,
  position,
  title: `Track ${position}`,
  isrc: `USS1Z260000${position}`,
  releaseInstant: instant ? at(instant) : null,
});
// Listed out of order on purpose: contents are by position.
const tracks = [track(3, '2026-03-01T05:00:00Z'), track(1, '2026-02-01T05:00:00Z'), track(2, null)];
const whole: GrantScope = { releaseInstant: release, tracks, trackId: null };

describe('grantContents', () => {
  it('before anything is out: nothing available, the next instant is the earliest track', () => {
    const c = grantContents(whole, at('2026-01-15T00:00:00Z'));
    expect(c.tracks.map((t) => [t.position, t.available])).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
    expect(c.archive).toEqual({ available: false, availableAt: release });
    expect(c.nextAvailableAt).toEqual(at('2026-02-01T05:00:00Z'));
  });

  it('each track from its own instant (null = the release), exactly at the instant', () => {
    const c = grantContents(whole, at('2026-03-01T05:00:00Z'));
    expect(c.tracks.map((t) => [t.position, t.available, t.availableAt.toISOString()])).toEqual([
      [1, true, '2026-02-01T05:00:00.000Z'],
      [2, false, '2026-03-06T05:00:00.000Z'],
      [3, true, '2026-03-01T05:00:00.000Z'],
    ]);
    expect(c.tracks[0]).toMatchObject({ id: 't1', isrc: 'USS1Z2600001', title: 'Track 1' });
    expect(c.nextAvailableAt).toEqual(release);
    expect(grantContents(whole, new Date(release.getTime() - 1)).archive?.available).toBe(false);
  });

  it('the archive from the latest of the release and its tracks; nothing pending once all is out', () => {
    expect(grantContents(whole, release)).toMatchObject({ archive: { available: true }, nextAvailableAt: null });
    // A track (wrongly) later than its release holds the archive back: it contains that track.
    const late: GrantScope = { ...whole, tracks: [...tracks, track(4, '2026-04-01T04:00:00Z')] };
    const c = grantContents(late, release);
    expect(c.archive).toEqual({ available: false, availableAt: at('2026-04-01T04:00:00Z') });
    expect(c.nextAvailableAt).toEqual(at('2026-04-01T04:00:00Z'));
  });

  it('a track grant covers that track only, never the archive', () => {
    const c = grantContents({ ...whole, trackId: 't3' }, release);
    expect(c.archive).toBeNull();
    expect(c.tracks.map((t) => t.id)).toEqual(['t3']);
    expect(grantContents({ ...whole, trackId: 't2' }, at('2026-01-01T00:00:00Z')).nextAvailableAt).toEqual(release);
  });
});

describe('checkFile', () => {
  const c = grantContents(whole, at('2026-03-02T00:00:00Z'));
  it('by position (the button) or by track id (a counted download), or the archive (null)', () => {
    expect(checkFile(c, { position: 1 })).toMatchObject({ state: 'available', track: { id: 't1' } });
    expect(checkFile(c, { id: 't3' })).toMatchObject({ state: 'available', track: { position: 3 } });
    expect(checkFile(c, { position: 2 })).toEqual({ state: 'not_yet', availableAt: release });
    expect(checkFile(c, null)).toEqual({ state: 'not_yet', availableAt: release });
    expect(checkFile(grantContents(whole, release), null)).toEqual({ state: 'available', track: null });
  });
  it('a position or id the grant does not cover, or the archive of a track grant, is no file', () => {
    expect(checkFile(c, { position: 9 })).toEqual({ state: 'no_such_file' });
    expect(checkFile(c, { id: 'gone' })).toEqual({ state: 'no_such_file' });
    const single = grantContents({ ...whole, trackId: 't1' }, release);
    expect(checkFile(single, null)).toEqual({ state: 'no_such_file' });
    expect(checkFile(single, { position: 2 })).toEqual({ state: 'no_such_file' });
  });
});
