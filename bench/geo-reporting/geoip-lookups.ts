// GeoIP lookups per second on the shipped GeoLite2 City build (@ip-location-db, one file per family), through
// GeoIp.lookup (family routing, address classification, record normalisation) next to mmdb-lib's raw
// Reader.get on the same file as the baseline. Run: pnpm --filter @single/bench geoip
import { readFileSync } from 'node:fs';
import { silentLogger } from '@single/logger';
import { Reader } from 'maxmind';
import { shippedGeoLite2Paths } from '../../apps/geo-reporting/src/config.ts';
import { GeoIp } from '../../apps/geo-reporting/src/geoip/geoip.ts';
import { publicAddresses } from './addresses.ts';

const MEASURE_MS = 1_000;
const ROUNDS = 3;
const [v4Path, v6Path] = shippedGeoLite2Paths() as [string, string];
const geo = new GeoIp([v4Path, v6Path], { logger: silentLogger() });
await geo.load();
const rawV4 = new Reader(readFileSync(v4Path));
const rawV6 = new Reader(readFileSync(v6Path));

// 4,096 distinct addresses per family: more than a hot cache line, fewer than the decoder cache holds.
const { v4, v6 } = publicAddresses(4_096);
let sink = 0;

function measure(addresses: string[], operation: (ip: string) => number): number {
  let best = 0;
  for (let round = -1; round < ROUNDS; round++) {
    let operations = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(MEASURE_MS) * 1_000_000n;
    let now = start;
    while (now < deadline) {
      for (const ip of addresses) sink += operation(ip);
      operations += addresses.length;
      now = process.hrtime.bigint();
    }
    if (round >= 0) best = Math.max(best, operations / (Number(now - start) / 1e9)); // round -1 warms up
  }
  return best;
}

const ours = (ip: string) => geo.lookup(ip).place.country?.length ?? 0;
const raw = (reader: Reader<never>) => (ip: string) => (reader.get(ip) === null ? 0 : 1);
const located = (addresses: string[]) => addresses.filter((ip) => geo.lookup(ip).place.precision !== 'none').length;

const format = (n: number) => `${Math.round(n).toLocaleString('en-US')} lookups/s`.padStart(20);
console.log(`node ${process.version}; ${v4.length} addresses per family, best of ${ROUNDS} x ${MEASURE_MS} ms`);
console.log(
  `database build ${geo
    .status()
    .map((s) => `${s.databaseType} ${s.buildDate}`)
    .join(', ')}`,
);
for (const [name, addresses, reader] of [
  ['IPv4', v4, rawV4],
  ['IPv6', v6, rawV6],
] as const) {
  console.log(
    `${name}  GeoIp.lookup ${format(measure(addresses, ours))}   raw Reader.get ${format(measure(addresses, raw(reader as Reader<never>)))}   located ${located(addresses)}/${addresses.length}`,
  );
}
const mixed = v4.flatMap((ip, i) => [ip, v6[i]!]);
console.log(`mixed GeoIp.lookup ${format(measure(mixed, ours))}`);
if (sink === 0) console.log('(unreachable: keeps results observable)');
