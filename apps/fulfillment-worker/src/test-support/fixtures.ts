import { readFileSync } from 'node:fs';
import type { WebhookEnvelopeV1 } from '@single/contracts';
import type { Db } from '@single/db';
import { sharedFixture } from '@single/testing';
import { type OrderSnapshot, orderSnapshot, type RefundCreated, refundCreated } from '../shopify/payloads.ts';

// Test data: the Shopify fixtures of @single/testing (packages/testing/fixtures/shopify) and a catalogue that maps their
// lines: 45000001 a released album, 45000002 a pre-order, 45000003 a tee bundled with another album.

export const SHOP = 'single-demo.myshopify.com';
const fixturesDir = sharedFixture('shopify/');

export function shopifyFixture(topic: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${fixturesDir}${topic.replace('/', '-')}.json`, 'utf8')) as Record<string, unknown>;
}

export function paidOrder(overrides: Partial<Record<string, unknown>> = {}): OrderSnapshot {
  return orderSnapshot.parse({ ...shopifyFixture('orders/paid'), ...overrides });
}

export function refundFixture(overrides: Partial<Record<string, unknown>> = {}): RefundCreated {
  return refundCreated.parse({ ...shopifyFixture('refunds/create'), ...overrides });
}

export function envelope(topic: string, payload: Record<string, unknown>, webhookId: string): WebhookEnvelopeV1 {
  return {
    version: 1,
    source: 'shopify',
    topic,
    shopDomain: SHOP,
    webhookId,
    eventId: null,
    triggeredAt: null,
    receivedAt: new Date().toISOString(),
    apiVersion: '2026-10',
    payload,
  };
}

export interface Catalogue {
  releasedAlbum: string;
  preorderAlbum: string;
  bundleAlbum: string;
  preorderInstant: Date;
  trackInstant: Date;
}

/** Seeds an artist, three releases and the product mappings of the fixture's lines. */
export async function seedCatalogue(db: Db, options: { now?: Date; shopDomain?: string } = {}): Promise<Catalogue> {
  const now = options.now ?? new Date();
  const shopDomain = options.shopDomain ?? SHOP;
  const account = await db.account.create({ data: { kind: 'label', name: 'Harbor Records' } });
  const artist = await db.artist.create({ data: { accountId: account.id, name: 'Neon Harbor' } });
  const upc = () =>
    `0${Math.floor(Math.random() * 1e12)
      .toString()
      .padStart(12, '0')}`;
  const preorderInstant = new Date(now.getTime() + 10 * 86_400_000);
  const trackInstant = new Date(now.getTime() + 3 * 86_400_000);
  const released = await db.release.create({
    data: {
      artistId: artist.id,
      title: 'Low Tide',
      upc: upc(),
      releaseInstant: new Date(now.getTime() - 86_400_000),
      territories: [],
    },
  });
  const preorder = await db.release.create({
    data: {
      artistId: artist.id,
      title: 'Night Ferry',
      upc: upc(),
      releaseInstant: preorderInstant,
      preorder: true,
      downloadLimit: 3,
      downloadExpiryDays: 0,
      territories: [],
      tracks: {
        create: [
          { position: 1, title: 'Harbor Lights', isrc: 'USABC2600001', releaseInstant: trackInstant },
          { position: 2, title: 'Night Ferry', isrc: 'USABC2600002' },
        ],
      },
    },
  });
  const bundle = await db.release.create({
    data: {
      artistId: artist.id,
      title: 'Tour Live',
      upc: upc(),
      releaseInstant: new Date(now.getTime() - 86_400_000),
      territories: [],
    },
  });
  await db.productMapping.createMany({
    data: [
      { shopDomain, productId: 8100001n, variantId: 45000001n, sku: 'NH-LP1-DIG', releaseId: released.id },
      { shopDomain, productId: 8100002n, variantId: 45000002n, releaseId: preorder.id },
      { shopDomain, sku: 'NH-TEE-M-BUNDLE', releaseId: bundle.id },
    ],
  });
  return {
    releasedAlbum: released.id,
    preorderAlbum: preorder.id,
    bundleAlbum: bundle.id,
    preorderInstant,
    trackInstant,
  };
}
