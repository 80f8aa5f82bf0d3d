import { type Stats, unwatchFile, watchFile } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Logger } from '@single/logger';
import { fromIPv6, type IpAddress, parseIPv4, parseIPv6 } from '@single/trusted-proxy';
import { Reader, type Response } from 'maxmind';
import { isSpecialIPv4, isSpecialIPv6 } from './public-address.ts';
import { NOWHERE, type Place, type PlaceFlag, placeFromRecord } from './record.ts';
import { recordReader, TreeIndex } from './tree-index.ts';

export type GeoFlag =
  | PlaceFlag
  /** No database could answer: every file for that address family is missing or corrupt. */
  | 'geo_unavailable'
  /** An IPv6 address while only IPv4-only files are loaded: never looked up in those (it would find a wrong place). */
  | 'ipv6_no_db'
  | 'ip_invalid'
  /** Private, loopback, CGNAT, documentation...: a proxy or an internal caller, never a fan's place. */
  | 'ip_special'
  | 'geo_not_found'
  | 'geo_lookup_failed';

export interface GeoResult {
  /** Shared between lookups of the same place (frozen): copy before changing. */
  place: Place;
  flags: readonly GeoFlag[];
  /** Build date (UTC, YYYY-MM-DD) of the database that answered, or of the first one asked. */
  dbBuildDate: string | null;
}

export interface GeoDatabaseStatus {
  path: string;
  loaded: boolean;
  databaseType: string | null;
  ipVersion: 4 | 6 | null;
  buildDate: string | null;
  loadedAt: string | null;
  /** The last load or reload error; a reload that fails keeps the previous file in service. */
  error: string | null;
}

interface LoadedDatabase {
  reader: Reader<Response>;
  /** The search tree indexed for IPv4 addresses (from the root of an IPv4 file, from ::/96 in an IPv6 one). */
  v4Index: TreeIndex;
  /** The same for IPv6 addresses, in IPv6 files only. */
  v6Index: TreeIndex | null;
  /** The decoded record a data pointer of the tree leads to (through the reader's decoder cache). */
  recordAt: (pointer: number) => Response;
  nodeCount: number;
  ipVersion: 4 | 6;
  databaseType: string;
  buildDate: string;
  loadedAt: Date;
}

interface Slot {
  path: string;
  current: LoadedDatabase | null;
  error: string | null;
  reloading: Promise<void> | null;
  /** Size and modification time of the file when it was last read ('' before the first read). */
  readVersion: string;
}

const versionOf = (stats: Pick<Stats, 'mtimeMs' | 'size'>) => `${stats.mtimeMs}:${stats.size}`;

/**
 * An mmdb file's bytes; a `.gz` one (the images ship the GeoLite2 databases gzipped: 25 MB instead of 45) is
 * gunzipped in memory, where the reader keeps the whole database anyway.
 */
export async function readDatabase(path: string): Promise<Buffer> {
  const bytes = await readFile(path);
  return path.endsWith('.gz') ? gunzipAsync(bytes) : bytes;
}

const gunzipAsync = promisify(gunzip);

/** A bounded decoder cache for mmdb-lib: cleared when full, which is cheaper than LRU bookkeeping per hit. */
class DecoderCache {
  private readonly entries = new Map<string | number, unknown>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  get(key: string | number): unknown {
    return this.entries.get(key);
  }
  set(key: string | number, value: unknown): void {
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(key, value);
  }
}

/**
 * The place of a decoded record, kept on the record itself (frozen: every lookup of that place shares it).
 * mmdb-lib's decoder cache hands back the same object for the same data offset, so a city that many fans
 * buy from is normalised once per cache lifetime instead of on every capture.
 */
const PLACE = Symbol('place');
type RecordPlace = { readonly place: Place; readonly flags: readonly PlaceFlag[] };
function placeOf(record: Response): RecordPlace {
  const holder = record as { [PLACE]?: RecordPlace };
  let cached = holder[PLACE];
  if (cached === undefined) {
    const { place, flags } = placeFromRecord(record);
    cached = Object.freeze({ place: Object.freeze(place), flags: Object.freeze(flags) });
    holder[PLACE] = cached;
  }
  return cached;
}

/**
 * An address text as the trees are walked with it: IPv4, and IPv4-mapped IPv6 in any text form (`::ffff:1.2.3.4`,
 * `::ffff:102:304`, `0:0:0:0:0:ffff:...`), as a 32-bit number (@single/trusted-proxy's rule); other IPv6 as its
 * groups; null when it is not an address.
 */
function parseLookupAddress(text: string): IpAddress | null {
  const v4 = parseIPv4(text);
  if (v4 >= 0) return { kind: 4, value: v4 };
  const groups = parseIPv6(text);
  return groups === null ? null : fromIPv6(groups);
}

/** Bits resolved by each tree's first-level table: 2^16 slots (256 KB); most GeoLite2 networks are /14 to /24. */
const INDEX_BITS = 16;

/** Indexes a loaded reader's search tree (see TreeIndex); the records themselves are still mmdb-lib's to decode. */
function indexTree(reader: Reader<Response>, bytes: Buffer) {
  const { nodeCount, recordSize, ipVersion } = reader.metadata;
  const read = recordReader(bytes, recordSize);
  // IPv4 addresses sit under ::/96 of an IPv6 tree: 96 left turns from the root.
  let v4Start = 0;
  for (let depth = 0; ipVersion === 6 && depth < 96 && v4Start < nodeCount; depth++) v4Start = read(v4Start, 0);
  // mmdb-lib keeps data-pointer resolution private; this pinned version's method resolves it through the
  // reader's decoder and cache (a test fails if an upgrade renames it).
  const resolver = reader as unknown as { resolveDataPointer(pointer: number): Response };
  if (typeof resolver.resolveDataPointer !== 'function') throw new Error('mmdb-lib has no resolveDataPointer');
  return {
    v4Index: new TreeIndex({ read, nodeCount, startNode: v4Start, bits: INDEX_BITS }),
    v6Index: ipVersion === 6 ? new TreeIndex({ read, nodeCount, startNode: 0, bits: INDEX_BITS }) : null,
    recordAt: (pointer: number) => resolver.resolveDataPointer(pointer),
    nodeCount,
  };
}

export interface GeoIpOptions {
  logger: Logger;
  cacheSize?: number;
}

/**
 * GeoIP over one or more mmdb files (MaxMind layout or ip-location-db's flat one). Each address is looked up
 * only in files that hold its family: IPv4 in IPv4 files first, then IPv6 files (which embed IPv4); IPv6 only
 * in IPv6 files, never in an IPv4-only tree, where mmdb-lib would walk 128 bits through a 32-bit tree and
 * answer with an unrelated place. Files load and reload independently; one that is missing or corrupt leaves
 * the service running (lookups flag `geo_unavailable`), and a failed reload keeps the previous file.
 */
export class GeoIp {
  private readonly slots: Slot[];
  private readonly logger: Logger;
  private readonly cacheSize: number;
  private v4: LoadedDatabase[] = [];
  private v6: LoadedDatabase[] = [];
  private watching = false;

  constructor(paths: readonly string[], options: GeoIpOptions) {
    this.slots = paths.map((path) => ({ path, current: null, error: null, reloading: null, readVersion: '' }));
    this.logger = options.logger;
    this.cacheSize = options.cacheSize ?? 20_000;
  }

  /** Loads (or reloads) every file. Never rejects: problems are logged and shown by `status()`. */
  async load(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.reloadSlot(slot)));
  }

  /** Reloads one configured file (or all), e.g. after a database update was copied into place. */
  async reload(path?: string): Promise<void> {
    await Promise.all(this.slots.filter((s) => path === undefined || s.path === path).map((s) => this.reloadSlot(s)));
  }

  private reloadSlot(slot: Slot): Promise<void> {
    // Serialised per file: a watcher tick during a reload waits for it and then reads the newest bytes.
    const previous = slot.reloading ?? Promise.resolve();
    const next = previous.then(() => this.readSlot(slot));
    slot.reloading = next.finally(() => {
      if (slot.reloading === next) slot.reloading = null;
    });
    return next;
  }

  private async readSlot(slot: Slot): Promise<void> {
    try {
      // Stat before reading: a replacement landing in between is seen by the next check, never missed.
      slot.readVersion = versionOf(await stat(slot.path));
      const bytes = await readDatabase(slot.path);
      const reader = new Reader<Response>(bytes, { cache: new DecoderCache(this.cacheSize) });
      const { ipVersion, buildEpoch, databaseType } = reader.metadata;
      if (ipVersion !== 4 && ipVersion !== 6) throw new Error(`unsupported ipVersion ${ipVersion}`);
      // Probe the tree once so that a file with valid metadata and a damaged body is refused here.
      reader.get(ipVersion === 4 ? '1.1.1.1' : '2001:4860::1');
      slot.current = {
        reader,
        ...indexTree(reader, bytes),
        ipVersion,
        databaseType,
        buildDate: buildEpoch.toISOString().slice(0, 10),
        loadedAt: new Date(),
      };
      slot.error = null;
      this.logger.info(
        { path: slot.path, databaseType, ipVersion, buildDate: slot.current.buildDate },
        'geoip database loaded',
      );
    } catch (error) {
      slot.error = error instanceof Error ? error.message : String(error);
      this.logger.error(
        { path: slot.path, error: slot.error, keptPrevious: slot.current !== null },
        'geoip database not loaded',
      );
    }
    this.index();
  }

  private index() {
    const loaded = this.slots.flatMap((s) => (s.current ? [s.current] : []));
    this.v4 = [...loaded.filter((d) => d.ipVersion === 4), ...loaded.filter((d) => d.ipVersion === 6)];
    this.v6 = loaded.filter((d) => d.ipVersion === 6);
  }

  lookup(ip: string): GeoResult {
    const address = parseLookupAddress(ip.trim());
    if (address === null) return { place: NOWHERE, flags: ['ip_invalid'], dbBuildDate: null };
    const v4 = address.kind === 4;
    if (v4 ? isSpecialIPv4(address.value) : isSpecialIPv6(address.groups)) {
      return { place: NOWHERE, flags: ['ip_special'], dbBuildDate: null };
    }
    const databases = v4 ? this.v4 : this.v6;
    if (databases.length === 0) {
      const v4Only = !v4 && this.v4.length > 0 && this.slots.every((s) => s.error === null);
      return { place: NOWHERE, flags: [v4Only ? 'ipv6_no_db' : 'geo_unavailable'], dbBuildDate: null };
    }
    let failed = false;
    for (const database of databases) {
      let record: Response | null;
      try {
        const pointer = v4 ? database.v4Index.lookupIPv4(address.value) : database.v6Index!.lookupIPv6(address.groups);
        record = pointer > database.nodeCount ? database.recordAt(pointer) : null;
      } catch {
        failed = true;
        continue;
      }
      if (record === null || typeof record !== 'object') continue;
      const { place, flags } = placeOf(record);
      if (place.precision === 'none') continue;
      return { place, flags, dbBuildDate: database.buildDate };
    }
    return {
      place: NOWHERE,
      flags: [failed ? 'geo_lookup_failed' : 'geo_not_found'],
      dbBuildDate: databases[0]!.buildDate,
    };
  }

  /** True when at least one file is loaded for each address family. */
  available(): { ipv4: boolean; ipv6: boolean } {
    return { ipv4: this.v4.length > 0, ipv6: this.v6.length > 0 };
  }

  status(): GeoDatabaseStatus[] {
    return this.slots.map((s) => ({
      path: s.path,
      loaded: s.current !== null,
      databaseType: s.current?.databaseType ?? null,
      ipVersion: s.current?.ipVersion ?? null,
      buildDate: s.current?.buildDate ?? null,
      loadedAt: s.current?.loadedAt.toISOString() ?? null,
      error: s.error,
    }));
  }

  /** Reloads a file when its size or modification time changes (stat polling: works on any volume). */
  watch(intervalMs: number): void {
    if (this.watching) return;
    this.watching = true;
    for (const slot of this.slots) {
      // Compared with the file as last read, not with the watcher's previous poll: a file replaced between
      // the load and the watcher's first poll is caught by the check below instead of never.
      watchFile(slot.path, { interval: intervalMs, persistent: false }, (current: Stats) => {
        if (versionOf(current) !== slot.readVersion) void this.reloadSlot(slot);
      });
      void stat(slot.path).then(
        (current) => (versionOf(current) !== slot.readVersion ? this.reloadSlot(slot) : undefined),
        () => undefined, // missing: the watcher reloads once it appears
      );
    }
  }

  close(): void {
    if (!this.watching) return;
    this.watching = false;
    for (const slot of this.slots) unwatchFile(slot.path);
  }
}
