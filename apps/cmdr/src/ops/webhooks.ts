import { type Db, type Prisma, sqlOf, WebhookDeliveryStatus } from '@single/db';
import { requestWebhookReplay } from '@single/db/commands/webhook-replay';
import { CmdrError, ExitCode, notFound } from '../exit-codes.ts';

// webhook_delivery and dispatch_outbox belong to the webhook dispatcher: cmdr reads them, and requests
// replays only through the command @single/db exports for that (the same one the artist API uses).

const DELIVERY_FIELDS = {
  id: true,
  shopDomain: true,
  topic: true,
  webhookId: true,
  status: true,
  receivedAt: true,
  publishedAt: true,
  _count: { select: { outbox: true } },
} as const satisfies Prisma.WebhookDeliverySelect;

/** A delivery as cmdr lists it: the id as text (a bigint), whether it can be replayed, its pending publishes. */
export type DeliveryRow = Omit<
  Prisma.WebhookDeliveryGetPayload<{ select: typeof DELIVERY_FIELDS }>,
  'id' | '_count'
> & {
  id: string;
  replayable: boolean;
  pendingPublishes: number;
};

export interface ListFilter {
  limit: number;
  since?: Date;
  topic?: string;
  shop?: string;
  status?: string;
}

export async function listDeliveries(db: Db, filter: ListFilter): Promise<DeliveryRow[]> {
  // An unknown status matches nothing (as the text comparison did), rather than failing the enum's validation.
  const status = filter.status as WebhookDeliveryStatus | undefined;
  if (status !== undefined && !Object.values(WebhookDeliveryStatus).includes(status)) return [];
  const rows = await db.webhookDelivery.findMany({
    where: {
      ...(filter.since ? { receivedAt: { gte: filter.since } } : {}),
      ...(filter.topic !== undefined ? { topic: filter.topic } : {}),
      ...(filter.shop !== undefined ? { shopDomain: filter.shop } : {}),
      ...(status !== undefined ? { status } : {}),
    },
    orderBy: { id: 'desc' },
    take: filter.limit,
    select: DELIVERY_FIELDS,
  });
  // Which still hold their payload, without reading the payloads (7 KB each) of the page.
  const replayable = new Set(
    (
      await db.webhookDelivery.findMany({
        where: { id: { in: rows.map((r) => r.id) }, payload: { not: null } },
        select: { id: true },
      })
    ).map((r) => r.id),
  );
  return rows.map(({ _count, ...r }) => ({
    ...r,
    id: r.id.toString(),
    replayable: replayable.has(r.id),
    pendingPublishes: _count.outbox,
  }));
}

export interface ReplaySummary {
  queued: string[];
  /** Deliveries whose payload was purged after the retention period: they cannot be replayed. */
  expired: string[];
  notFound: string[];
}

export async function replayOne(db: Db, deliveryId: string, requestedBy: string): Promise<ReplaySummary> {
  if (!/^\d{1,19}$/.test(deliveryId)) throw new CmdrError(`invalid delivery id "${deliveryId}"`, ExitCode.usage);
  const result = await requestWebhookReplay(sqlOf(db), { deliveryId, requestedBy });
  if (result.status === 'not_found') throw notFound(`delivery ${deliveryId} not found`);
  if (result.status === 'payload_expired') {
    throw new CmdrError(`delivery ${deliveryId} can no longer be replayed: its payload was purged`, ExitCode.conflict);
  }
  return { queued: [deliveryId], expired: [], notFound: [] };
}

/** Replays every delivery received since `since` (optionally one topic or shop), one outbox row each. */
export async function replaySince(
  db: Db,
  options: {
    since: Date;
    topic?: string;
    shop?: string;
    requestedBy: string;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<ReplaySummary> {
  const rows = (
    await db.webhookDelivery.findMany({
      where: {
        receivedAt: { gte: options.since },
        ...(options.topic !== undefined ? { topic: options.topic } : {}),
        ...(options.shop !== undefined ? { shopDomain: options.shop } : {}),
      },
      orderBy: { id: 'asc' },
      select: { id: true },
    })
  ).map((r) => ({ id: r.id.toString() }));
  const summary: ReplaySummary = { queued: [], expired: [], notFound: [] };
  for (const [i, { id }] of rows.entries()) {
    const result = await requestWebhookReplay(sqlOf(db), { deliveryId: id, requestedBy: options.requestedBy });
    if (result.status === 'queued') summary.queued.push(id);
    else if (result.status === 'payload_expired') summary.expired.push(id);
    else summary.notFound.push(id); // deleted between the two queries
    options.onProgress?.(i + 1, rows.length);
  }
  return summary;
}
