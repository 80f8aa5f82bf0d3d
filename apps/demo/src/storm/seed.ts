import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '@single/db';
import { writeReleaseAudio } from './audio.ts';
import { requestJson } from './http.ts';
import type { DemoLine } from './shopify.ts';

export const SHOP_DOMAIN = 'harbour-lights.myshopify.com';
export const SHOP_ID = 61_000_001;
/** What an artist's dashboard user holds: admin of its own account, not `ops`. */
export const DASHBOARD_SCOPES = ['read', 'write', 'admin'] as const;

export interface SeededRelease {
  id: string;
  title: string;
  upc: string;
  releaseInstant: string;
  preorder: boolean;
  line: DemoLine;
}

export interface Seeded {
  accountId: string;
  /** The storm's key (`read, write`), also in the printed curl lines. */
  apiKey: string;
  /** The key behind the dashboard's one-time sign-in link: DASHBOARD_SCOPES. */
  dashboardKey: string;
  artistId: string;
  outNow: SeededRelease;
  preorder: SeededRelease;
}

/** EAN-13 check digit (GS1 mod 10). */
function ean13(body12: string): string {
  const sum = [...body12].reduce((acc, digit, i) => acc + Number(digit) * (i % 2 === 0 ? 1 : 3), 0);
  return `${body12}${(10 - (sum % 10)) % 10}`;
}

/**
 * What onboarding leaves behind: the label's account, an API key and the installed shop are written the
 * way cmdr and the app install write them; the artist, the releases and the product mappings are created
 * through the artist API with that key, like a label's dashboard would; the audio archives are generated.
 */
export async function seed(options: {
  db: Db;
  artistApiUrl: string;
  audioDir: string;
  preorderInstant: Date;
}): Promise<Seeded> {
  const { db } = options;
  const { id: accountId } = await db.account.create({
    data: { kind: 'label', name: 'Harbour Lights Records' },
    select: { id: true },
  });
  // Two keys, as a label would hold them: the storm's and the printed curl lines' (`read, write`: what a script
  // needs), and the dashboard's, behind the one-time sign-in link: an artist's dashboard user is the admin of its
  // own account (API keys, connecting a store), never `ops` (cross-account, issued by cmdr only).
  const key = async (name: string, scopes: readonly string[]) => {
    const secret = `sgl_${randomBytes(32).toString('base64url')}`;
    await db.apiKey.create({
      data: { accountId, name, hash: createHash('sha256').update(secret).digest('hex'), scopes: [...scopes] },
    });
    return secret;
  };
  const apiKey = await key('demo', ['read', 'write']);
  const dashboardKey = await key('dashboard', DASHBOARD_SCOPES);
  await db.shop.create({ data: { domain: SHOP_DOMAIN, accountId, accessToken: 'shpat_demo_token' } });

  const api = options.artistApiUrl;
  const auth = { authorization: `Bearer ${apiKey}` };
  const artist = await requestJson<{ id: string }>(`${api}/v1/artists`, {
    headers: auth,
    body: { name: 'Neon Harbor' },
    expect: 201,
  });
  const tracks = ['Low Tide', 'Salt Lines', 'Harbour Lights'];
  const now = Date.now();
  const release = async (input: {
    title: string;
    upc: string;
    instant: Date;
    preorder: boolean;
    isrcBase: number;
    line: DemoLine;
  }): Promise<SeededRelease> => {
    // Stored audio is keyed by ISRC (the track's identity), as the artist API reads it.
    const catalogueTracks = tracks.map((title, i) => ({
      position: i + 1,
      title,
      isrc: `USS1Z26${input.isrcBase + i}`,
    }));
    const created = await requestJson<{ id: string; upc: string; releaseInstant: string }>(`${api}/v1/releases`, {
      headers: auth,
      expect: 201,
      body: {
        artistId: artist.id,
        title: input.title,
        upc: input.upc,
        releaseInstant: input.instant.toISOString(),
        preorder: input.preorder,
        ...(input.preorder ? { preorderStartsAt: new Date(now - 7 * 86_400_000).toISOString() } : {}),
        downloadLimit: 5,
        tracks: catalogueTracks,
      },
    });
    await requestJson(`${api}/v1/product-mappings`, {
      headers: auth,
      expect: 201,
      body: {
        shopDomain: SHOP_DOMAIN,
        productId: String(input.line.productId),
        variantId: String(input.line.variantId),
        sku: input.line.sku,
        releaseId: created.id,
      },
    });
    await writeReleaseAudio(options.audioDir, created.id, catalogueTracks);
    return {
      id: created.id,
      title: input.title,
      upc: created.upc,
      releaseInstant: created.releaseInstant,
      preorder: input.preorder,
      line: input.line,
    };
  };
  const outNow = await release({
    title: 'Low Tide',
    upc: ean13('019628000001'),
    instant: new Date(now - 3 * 86_400_000),
    preorder: false,
    isrcBase: 10_001,
    line: {
      lineId: 0,
      productId: 8_100_001,
      variantId: 45_000_001,
      sku: 'NH-LT-DIG',
      title: 'Low Tide (Digital Album)',
      price: '9.99',
    },
  });
  const preorder = await release({
    title: 'High Water',
    upc: ean13('019628000002'),
    instant: options.preorderInstant,
    preorder: true,
    isrcBase: 20_001,
    line: {
      lineId: 0,
      productId: 8_100_002,
      variantId: 45_000_002,
      sku: 'NH-HW-DIG',
      title: 'High Water (Digital Album, pre-order)',
      price: '10.99',
    },
  });
  return { accountId, apiKey, dashboardKey, artistId: artist.id, outNow, preorder };
}
