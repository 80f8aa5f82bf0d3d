import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { silentLogger } from '@single/logger';
import { Reader } from 'maxmind';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { geoipFixture, MILTON_WA, shippedGeoLite2 } from '../test-support/fixtures.ts';
import { GeoIp } from './geoip.ts';
import { classifyAddress } from './public-address.ts';

const logger = silentLogger();
const open = async (...paths: string[]) => {
  const geo = new GeoIp(paths, { logger });
  await geo.load();
  return geo;
};

describe('GeoIp on a gzipped database (as the images ship GeoLite2)', () => {
  it('answers exactly as from the plain file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geoip-gz-'));
    try {
      const gz = join(dir, 'city.mmdb.gz');
      writeFileSync(gz, gzipSync(readFileSync(geoipFixture('GeoIP2-City-Test'))));
      const [plain, zipped] = [await open(geoipFixture('GeoIP2-City-Test')), await open(gz)];
      expect(zipped.status().every((s) => s.error === null)).toBe(true);
      for (const ip of ['216.160.83.56', '2001:480::1', '81.2.69.142', '8.8.8.8']) {
        expect(zipped.lookup(ip), ip).toEqual(plain.lookup(ip));
      }
      expect(zipped.lookup('216.160.83.56').place.city).toBe('Milton');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('GeoIp on the MaxMind test databases', () => {
  it('locates the fixture buyer IPv4 to Milton, WA 98354 with postal precision and the build date', async () => {
    const geo = await open(geoipFixture('GeoIP2-City-Test'));
    expect(geo.lookup('216.160.83.56')).toEqual({
      place: MILTON_WA,
      flags: [],
      dbBuildDate: '2026-02-04',
    });
    // A dual-stack peer's IPv4-mapped form is the same IPv4 address.
    expect(geo.lookup('::ffff:216.160.83.56').place.city).toBe('Milton');
  });

  it('looks IPv4-mapped IPv6 up as IPv4 in every text form', async () => {
    const geo = await open(geoipFixture('GeoIP2-City-Test'));
    for (const mapped of ['::ffff:216.160.83.56', '::FFFF:d8a0:5338', '0:0:0:0:0:ffff:216.160.83.56']) {
      expect(geo.lookup(mapped), mapped).toEqual({ place: MILTON_WA, flags: [], dbBuildDate: '2026-02-04' });
    }
    expect(geo.lookup('::ffff:10.0.0.1').flags).toEqual(['ip_special']);
    // With an IPv4-only file, only the IPv4 reading finds a place (an IPv6 one would be refused there).
    const v4only = await open(shippedGeoLite2('ipv4'));
    for (const mapped of ['::ffff:8.8.8.8', '::ffff:808:808', '0:0:0:0:0:ffff:8.8.8.8']) {
      expect(v4only.lookup(mapped), mapped).toEqual(v4only.lookup('8.8.8.8'));
    }
    expect(v4only.lookup('8.8.8.8').place.country).toBe('US');
  });

  it('normalises a place once per decoded record and shares it frozen, so no caller can alter another', async () => {
    const geo = await open(geoipFixture('GeoIP2-City-Test'));
    const first = geo.lookup('216.160.83.56');
    const second = geo.lookup('216.160.83.57'); // the same network, so the same record
    expect(second.place).toBe(first.place);
    expect(Object.isFrozen(first.place) && Object.isFrozen(first.flags)).toBe(true);
    expect(() => {
      (first.place as { city: string | null }).city = 'Elsewhere';
    }).toThrow(TypeError);
    expect(geo.lookup('216.160.83.56').place).toEqual(MILTON_WA);
  });

  it('looks IPv6 addresses up in an IPv6 database', async () => {
    const geo = await open(geoipFixture('GeoIP2-City-Test'));
    expect(geo.lookup('2001:480:10::1').place).toMatchObject({
      precision: 'postal',
      country: 'US',
      region: 'CA',
      city: 'San Diego',
      postal: '92101',
    });
  });

  it('keeps a country-only record at country precision and never stores its centroid', async () => {
    const geo = await open(geoipFixture('GeoIP2-City-Test'));
    const result = geo.lookup('2a02:cf40::1');
    expect(result.place).toEqual({
      precision: 'country',
      country: 'NO',
      region: null,
      city: null,
      postal: null,
      latitude: null,
      longitude: null,
      accuracyRadiusKm: null,
    });
    expect(result.flags).toEqual(['country_centroid_dropped']);
    const countryDb = await open(geoipFixture('GeoLite2-Country-Test'));
    expect(countryDb.lookup('216.160.83.56').place).toMatchObject({
      precision: 'country',
      country: 'US',
      latitude: null,
    });
  });

  it('never looks private, loopback or documentation addresses up, and rejects garbage', async () => {
    const geo = await open(geoipFixture('GeoIP2-City-Test'));
    for (const ip of [
      '10.42.1.7',
      '192.168.0.1',
      '100.64.0.1',
      '127.0.0.1',
      '::1',
      'fd00:10::1',
      'fe80::1',
      '2001:db8::1',
    ]) {
      expect(geo.lookup(ip), ip).toMatchObject({ place: { precision: 'none' }, flags: ['ip_special'] });
    }
    expect(geo.lookup('not-an-ip').flags).toEqual(['ip_invalid']);
    expect(geo.lookup('8.8.8.8')).toMatchObject({
      place: { precision: 'none' },
      flags: ['geo_not_found'],
      dbBuildDate: '2026-02-04',
    });
  });
});

describe('GeoIp on the shipped GeoLite2 build (@ip-location-db, one file per family)', () => {
  it('maps the flat layout, names to US state codes, and drops country centroids', async () => {
    const geo = await open(shippedGeoLite2('ipv4'), shippedGeoLite2('ipv6'));
    const milton = geo.lookup('216.160.83.56');
    expect(milton.place).toMatchObject({ precision: 'postal', country: 'US', region: 'WA' });
    expect(milton.place.latitude).not.toBeNull();
    expect(milton.dbBuildDate).toBe('2026-06-17');
    expect(geo.lookup('8.8.8.8')).toMatchObject({
      place: { precision: 'country', country: 'US', latitude: null, longitude: null },
      flags: ['country_centroid_dropped'],
    });
    expect(geo.lookup('2001:480:10::1').place).toMatchObject({ country: 'US', region: 'CA', city: 'San Diego' });
  });

  it('never looks an IPv6 address up in an IPv4-only file, where the raw reader returns a wrong place', async () => {
    const v4only = shippedGeoLite2('ipv4');
    // The trap: mmdb-lib walks the IPv6 bits through the 32-bit tree and "finds" a country.
    expect(new Reader(readFileSync(v4only)).get('2a02:cf40::1')).not.toBeNull();
    const geo = await open(v4only);
    expect(geo.lookup('2a02:cf40::1')).toEqual({
      place: expect.objectContaining({ precision: 'none', country: null }),
      flags: ['ipv6_no_db'],
      dbBuildDate: null,
    });
    expect(geo.available()).toEqual({ ipv4: true, ipv6: false });
  });

  it('prefers the IPv4 file for IPv4 and uses only IPv6 files for IPv6', async () => {
    const geo = await open(geoipFixture('GeoIP2-City-Test'), shippedGeoLite2('ipv4'));
    expect(geo.lookup('216.160.83.56').dbBuildDate).toBe('2026-06-17'); // the IPv4 file answered
    expect(geo.lookup('2001:480:10::1').dbBuildDate).toBe('2026-02-04'); // only the IPv6 file may
  });
});

describe('GeoIp files that are missing, corrupt or replaced', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'geoip-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps working without a file and flags geo_unavailable', async () => {
    const geo = await open(join(dir, 'missing.mmdb'));
    expect(geo.lookup('216.160.83.56')).toMatchObject({ place: { precision: 'none' }, flags: ['geo_unavailable'] });
    expect(geo.lookup('2001:480:10::1').flags).toEqual(['geo_unavailable']);
    expect(geo.status()[0]).toMatchObject({ loaded: false, error: expect.stringContaining('ENOENT') });
  });

  it('refuses a corrupt file and flags geo_unavailable', async () => {
    const corrupt = join(dir, 'corrupt.mmdb');
    writeFileSync(corrupt, Buffer.alloc(4096, 7));
    const geo = await open(corrupt);
    expect(geo.lookup('216.160.83.56').flags).toEqual(['geo_unavailable']);
    expect(geo.status()[0]?.error).toBeTruthy();
  });

  it('reloads without restart, and a failed reload keeps the previous file', async () => {
    const path = join(dir, 'city.mmdb');
    copyFileSync(geoipFixture('GeoLite2-Country-Test'), path);
    const geo = await open(path);
    expect(geo.lookup('216.160.83.56').place.precision).toBe('country');

    copyFileSync(geoipFixture('GeoIP2-City-Test'), path);
    await geo.reload();
    expect(geo.lookup('216.160.83.56').place.precision).toBe('postal');

    writeFileSync(path, 'truncated');
    await geo.reload();
    expect(geo.lookup('216.160.83.56').place.precision).toBe('postal');
    expect(geo.status()[0]).toMatchObject({ loaded: true, databaseType: 'GeoIP2-City', error: expect.any(String) });
  });

  it('notices a replaced file by itself when watching', async () => {
    const path = join(dir, 'city.mmdb');
    copyFileSync(geoipFixture('GeoLite2-Country-Test'), path);
    const geo = await open(path);
    geo.watch(20);
    try {
      copyFileSync(geoipFixture('GeoIP2-City-Test'), path);
      await vi.waitFor(() => expect(geo.lookup('216.160.83.56').place.precision).toBe('postal'), { timeout: 3_000 });
    } finally {
      geo.close();
    }
  });

  it('catches a file replaced between its load and the start of watching', async () => {
    const path = join(dir, 'city.mmdb');
    copyFileSync(geoipFixture('GeoLite2-Country-Test'), path);
    const geo = await open(path);
    copyFileSync(geoipFixture('GeoIP2-City-Test'), path);
    geo.watch(60_000); // no poll within the test: only the check at the start of watching can see it
    try {
      await vi.waitFor(() => expect(geo.lookup('216.160.83.56').place.precision).toBe('postal'), { timeout: 3_000 });
    } finally {
      geo.close();
    }
  });
});

describe('classifyAddress', () => {
  it.each([
    ['216.160.83.56', 'public', 4],
    ['2001:480:10::1', 'public', 6],
    ['172.31.255.255', 'special', 4],
    ['172.32.0.1', 'public', 4],
    ['198.51.100.7', 'special', 4],
    ['fc00::1', 'special', 6],
    ['1.2.3', 'invalid', null],
  ] as const)('%s is %s', (address, kind, family) => {
    expect(classifyAddress(address)).toEqual({ kind, family });
  });
});
