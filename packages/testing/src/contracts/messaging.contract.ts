import {
  BrokerUnavailableError,
  type MessageContext,
  type Messaging,
  PermanentError,
  type Topology,
  TopologyError,
  UnroutableError,
} from '@single/messaging';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessagingHarness } from './messaging.harness.ts';
import { waitUntil } from './wait.ts';

const EXCHANGE = 'single.events';
const QUEUE = 'contract.orders.paid';
const DLQ = 'contract.dlq';
const PAID = 'shopify.orders.paid';
const LADDER = [50, 150];

function topology(): Topology {
  return {
    exchanges: [{ name: EXCHANGE, type: 'topic' }],
    queues: [
      {
        name: QUEUE,
        bindings: [{ exchange: EXCHANGE, routingKey: PAID }],
        retryPolicy: 'transient',
        deadLetterQueue: DLQ,
      },
      { name: DLQ },
    ],
    retryPolicies: { transient: { delaysMs: LADDER } },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise the test resolves when it wants held handlers to finish. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

async function connected(client: Messaging): Promise<Messaging> {
  await client.waitUntilConnected(15_000);
  return client;
}

/** Publishing during an outage may reject (the outcome is then unknown): callers retry, as the outbox relay does. */
async function publishUntilConfirmed(client: Messaging, routingKey: string, body: string, messageId: string) {
  await waitUntil(
    () =>
      client.publish(EXCHANGE, routingKey, Buffer.from(body), { messageId, timeoutMs: 2000 }).then(
        () => true,
        (err: unknown) => {
          if (err instanceof BrokerUnavailableError || err instanceof UnroutableError) return false;
          throw err;
        },
      ),
    { timeoutMs: 30_000, message: `publish of ${messageId} confirmed` },
  );
}

/**
 * The behaviour every messaging adapter (RabbitMQ, in-memory) must have: confirmed publishing, consume and
 * ack, the retry ladder ending in the dead-letter queue, DLQ peek and redrive, redelivery of what a dead
 * consumer held, bounded windows, and recovery (topology and consumers) after the broker restarts.
 */
export function messagingContract(name: string, makeHarness: () => Promise<MessagingHarness>) {
  describe(`messaging contract: ${name}`, () => {
    let h: MessagingHarness;
    // Only what beforeEach really created gets disposed (it may have failed half-way).
    let created: MessagingHarness | undefined;
    beforeEach(async () => {
      created = h = await makeHarness();
    });
    afterEach(async () => {
      await created?.dispose();
      created = undefined;
    });

    it('publishes with confirm; the consumer gets body, id, routing key and headers, and acks', async () => {
      const client = await connected(h.connect(topology()));
      const received: MessageContext[] = [];
      const consumer = await client.consume(QUEUE, (m) => void received.push(m), { prefetch: 5 });
      await client.publish(EXCHANGE, PAID, Buffer.from('{"order":1}'), {
        messageId: 'msg-1',
        headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
        contentType: 'application/json',
      });
      await waitUntil(() => received.length === 1, { message: 'delivery' });
      expect(received[0]).toMatchObject({
        messageId: 'msg-1',
        routingKey: PAID,
        exchange: EXCHANGE,
        queue: QUEUE,
        redelivered: false,
        retryCount: 0,
        contentType: 'application/json',
      });
      expect(received[0]?.body.toString()).toBe('{"order":1}');
      expect(received[0]?.headers.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
      // Cancelling closes the consumer's channel: an unacked delivery would be back in the queue now.
      await consumer.cancel();
      expect(await client.inspectQueue(QUEUE)).toEqual({ messageCount: 0, consumerCount: 0 });
      expect(client.health()).toMatchObject({ connected: true, unconfirmedPublishes: 0 });
    });

    it('rejects an unroutable mandatory publish and an undeclared exchange, and keeps publishing after', async () => {
      const client = await connected(h.connect(topology()));
      await expect(client.publish(EXCHANGE, 'shopify.orders.unknown', Buffer.from('x'))).rejects.toBeInstanceOf(
        UnroutableError,
      );
      await expect(client.publish('no.such.exchange', PAID, Buffer.from('x'))).rejects.toBeInstanceOf(TopologyError);
      await client.publish(EXCHANGE, PAID, Buffer.from('still fine'));
      expect(await client.inspectQueue(QUEUE)).toMatchObject({ messageCount: 1 });
    });

    it('sends transient failures up the retry ladder, then to the dead-letter queue with the error recorded', async () => {
      const client = await connected(h.connect(topology()));
      const attempts: { retryCount: number; routingKey: string; at: number }[] = [];
      await client.consume(QUEUE, (m) => {
        attempts.push({ retryCount: m.retryCount, routingKey: m.routingKey, at: Date.now() });
        throw new Error('database timeout');
      });
      await client.publish(EXCHANGE, PAID, Buffer.from('{"order":2}'), { messageId: 'msg-retry' });
      await waitUntil(async () => (await client.inspectQueue(DLQ)).messageCount === 1, { message: 'dead letter' });

      expect(attempts.map((a) => a.retryCount)).toEqual([0, 1, 2]);
      expect(attempts.every((a) => a.routingKey === PAID)).toBe(true);
      // Each step waited at least its delay (small tolerance for timer granularity).
      expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(LADDER[0]! - 5);
      expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(LADDER[1]! - 5);

      const [letter] = await client.listDeadLetters(DLQ, 10);
      expect(letter).toMatchObject({
        messageId: 'msg-retry',
        originalExchange: EXCHANGE,
        originalRoutingKey: PAID,
        originalQueue: QUEUE,
        errorClass: 'Error',
        errorMessage: 'database timeout',
        reason: 'retries-exhausted',
        retryCount: 2,
      });
      expect(letter?.body.toString()).toBe('{"order":2}');
      // Never an endless loop: nothing more arrives once the message is dead-lettered.
      await sleep(LADDER[1]! * 2);
      expect(attempts).toHaveLength(3);
      expect(await client.inspectQueue(QUEUE)).toMatchObject({ messageCount: 0 });
    });

    it('sends a permanent failure straight to the dead-letter queue', async () => {
      const client = await connected(h.connect(topology()));
      let attempts = 0;
      await client.consume(QUEUE, () => {
        attempts++;
        throw new PermanentError('order payload is invalid');
      });
      await client.publish(EXCHANGE, PAID, Buffer.from('{}'), { messageId: 'msg-invalid' });
      await waitUntil(async () => (await client.inspectQueue(DLQ)).messageCount === 1, { message: 'dead letter' });
      await sleep(LADDER[0]! * 2);
      expect(attempts).toBe(1);
      const [letter] = await client.listDeadLetters(DLQ, 10);
      expect(letter).toMatchObject({
        messageId: 'msg-invalid',
        errorClass: 'PermanentError',
        errorMessage: 'order payload is invalid',
        reason: 'permanent',
        retryCount: 0,
        originalQueue: QUEUE,
      });
    });

    it('peeks at dead letters without removing them and redrives each exactly once to its queue', async () => {
      const client = await connected(h.connect(topology()));
      let failing = true;
      const handled: MessageContext[] = [];
      await client.consume(QUEUE, (m) => {
        if (failing) throw new PermanentError('rejected for now');
        handled.push(m);
      });
      for (const id of ['dl-1', 'dl-2', 'dl-3'])
        await client.publish(EXCHANGE, PAID, Buffer.from(id), { messageId: id });
      await waitUntil(async () => (await client.inspectQueue(DLQ)).messageCount === 3, {
        message: 'three dead letters',
      });

      const ids = async () => (await client.listDeadLetters(DLQ, 10)).map((l) => l.messageId).sort();
      expect(await ids()).toEqual(['dl-1', 'dl-2', 'dl-3']);
      expect(await ids()).toEqual(['dl-1', 'dl-2', 'dl-3']);
      expect(await client.listDeadLetters(DLQ, 2)).toHaveLength(2);
      // Peeked messages return to the queue when the peek's channel closes; the broker's count follows shortly.
      await waitUntil(async () => (await client.inspectQueue(DLQ)).messageCount === 3, {
        message: 'peeked messages back in the dead-letter queue',
      });

      failing = false;
      expect(await client.redrive(DLQ, { limit: 2 })).toEqual({ redriven: 2, skipped: 0 });
      await waitUntil(() => handled.length === 2, { message: 'two redriven messages handled' });
      expect(await client.inspectQueue(DLQ)).toMatchObject({ messageCount: 1 });
      expect(await client.redrive(DLQ, { limit: 10 })).toEqual({ redriven: 1, skipped: 0 });
      await waitUntil(() => handled.length === 3, { message: 'last redriven message handled' });
      await sleep(100);
      expect(handled.map((m) => m.messageId).sort()).toEqual(['dl-1', 'dl-2', 'dl-3']);
      expect(handled.every((m) => m.routingKey === PAID && m.retryCount === 0)).toBe(true);
      expect(await client.inspectQueue(DLQ)).toMatchObject({ messageCount: 0 });
    });

    it('scans a whole dead-letter queue in one pass and redrives only the letters selected', async () => {
      const client = await connected(h.connect(topology()));
      let failing = true;
      const handled: string[] = [];
      await client.consume(QUEUE, (m) => {
        if (failing) throw new PermanentError('rejected for now');
        handled.push(m.messageId ?? '');
      });
      const ids = Array.from({ length: 30 }, (_, n) => `${n % 2 === 0 ? 'a' : 'b'}-${n}`);
      for (const id of ids) await client.publish(EXCHANGE, PAID, Buffer.from(id), { messageId: id });
      await waitUntil(async () => (await client.inspectQueue(DLQ)).messageCount === 30, {
        message: 'thirty dead letters',
      });
      const ofA = (letter: { messageId: string | undefined }) =>
        letter.messageId?.startsWith('a-') ? letter.messageId : undefined;
      const all = await client.scanDeadLetters(DLQ, { max: 100, pick: ofA });
      expect(all).toEqual({ items: ids.filter((id) => id.startsWith('a-')), scanned: 30, truncated: false });
      // Two scans at once from one client both see every letter (a peek holds what it read until it is done).
      const [one, two] = await Promise.all([
        client.scanDeadLetters(DLQ, { max: 100, pick: ofA }),
        client.scanDeadLetters(DLQ, { max: 100, pick: (l) => l.messageId }),
      ]);
      expect(one.items).toHaveLength(15);
      expect(two.items).toHaveLength(30);
      // Back to back, each scan sees every letter: the previous one's are back in the queue before it counts.
      for (let round = 0; round < 10; round++) {
        const again = await client.scanDeadLetters(DLQ, { max: 100, pick: (l) => l.messageId });
        expect(again.items, `scan ${round}`).toHaveLength(30);
      }
      const first = await client.scanDeadLetters(DLQ, { max: 10, pick: (l) => l.messageId });
      expect(first).toEqual({ items: ids.slice(0, 10), scanned: 10, truncated: true });
      await waitUntil(async () => (await client.inspectQueue(DLQ)).messageCount === 30, {
        message: 'scanned letters back in the dead-letter queue',
      });

      failing = false;
      const none = await client.redriveSelected(DLQ, { max: 100, select: (l) => l.messageId === 'c-0' });
      expect(none).toEqual({ redriven: 0, skipped: 0 });
      const one28 = await client.redriveSelected(DLQ, { max: 100, select: (l) => l.messageId === 'a-28' });
      expect(one28).toEqual({ redriven: 1, skipped: 0 });
      await waitUntil(() => handled.length === 1, { message: 'the selected letter handled' });
      expect(handled).toEqual(['a-28']);
      await waitUntil(async () => (await client.inspectQueue(DLQ)).messageCount === 29, {
        message: 'the others back in the dead-letter queue',
      });
      const left = await client.scanDeadLetters(DLQ, { max: 100, pick: (l) => l.messageId });
      expect(left.items.sort()).toEqual(ids.filter((id) => id !== 'a-28').sort());
      await sleep(100);
      expect(handled).toEqual(['a-28']);
    });

    it('redelivers what a consumer held unacked when its process dies', async () => {
      const held = gate();
      const processed: MessageContext[] = [];
      let firstDeliveries = 0;
      const dying = await connected(h.connect(topology(), { connectionName: 'worker-a' }));
      // Worker A takes first deliveries and never finishes them; redeliveries it handles normally.
      await dying.consume(
        QUEUE,
        async (m) => {
          if (!m.redelivered) {
            firstDeliveries++;
            await held.opened;
            return;
          }
          processed.push(m);
        },
        { prefetch: 10 },
      );
      await dying.publish(EXCHANGE, PAID, Buffer.from('a'), { messageId: 'held-1' });
      await dying.publish(EXCHANGE, PAID, Buffer.from('b'), { messageId: 'held-2' });
      await waitUntil(() => firstDeliveries === 2, { message: 'worker A holding both messages' });

      const survivor = await connected(h.connect(topology(), { connectionName: 'worker-b' }));
      await survivor.consume(QUEUE, (m) => void processed.push(m));
      await h.killConnection('worker-a');

      await waitUntil(() => processed.length === 2, { message: 'both messages redelivered' });
      expect(processed.map((m) => m.messageId).sort()).toEqual(['held-1', 'held-2']);
      expect(processed.every((m) => m.redelivered)).toBe(true);

      // Worker A's stale handlers finish after the fact: their acks must not disturb the new channel.
      held.open();
      await waitUntil(() => dying.health().consumers.active === 1, { message: 'worker A consuming again' });
      await survivor.publish(EXCHANGE, PAID, Buffer.from('c'), { messageId: 'after' });
      await waitUntil(() => processed.some((m) => m.messageId === 'after') || firstDeliveries === 3, {
        message: 'a later message handled',
      });
      await waitUntil(async () => (await survivor.inspectQueue(QUEUE)).messageCount === 0, {
        message: 'queue drained',
      });
      expect(dying.health().connected).toBe(true);
    });

    it('bounds unconfirmed publishes and the deliveries a consumer holds', async () => {
      const client = await connected(h.connect(topology(), { maxInFlight: 3 }));
      let maxUnconfirmed = 0;
      const sample = () => {
        maxUnconfirmed = Math.max(maxUnconfirmed, client.health().unconfirmedPublishes);
      };
      const sampler = setInterval(sample, 1);
      const publishes = Array.from({ length: 30 }, (_, i) => {
        const p = client.publish(EXCHANGE, PAID, Buffer.from(String(i)), { messageId: `w-${i}` });
        sample();
        return p;
      });
      await Promise.all(publishes);
      clearInterval(sampler);
      expect(maxUnconfirmed).toBeGreaterThan(0);
      expect(maxUnconfirmed).toBeLessThanOrEqual(3);

      const release = gate();
      let running = 0;
      let maxRunning = 0;
      let done = 0;
      await client.consume(
        QUEUE,
        async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await release.opened;
          running--;
          done++;
        },
        { prefetch: 2 },
      );
      await waitUntil(() => running === 2, { message: 'two deliveries in hand' });
      await sleep(100);
      expect(running).toBe(2);
      release.open();
      await waitUntil(() => done === 30, { message: 'all deliveries handled' });
      expect(maxRunning).toBe(2);
    });

    it('runs messages with the same serialisation key one at a time, in order', async () => {
      const client = await connected(h.connect(topology()));
      const runningByKey = new Map<string, number>();
      const order: string[] = [];
      let overlapSameKey = false;
      let running = 0;
      let maxRunning = 0;
      await client.consume(
        QUEUE,
        async (m) => {
          const [key] = m.body.toString().split(':') as [string];
          const mine = (runningByKey.get(key) ?? 0) + 1;
          runningByKey.set(key, mine);
          if (mine > 1) overlapSameKey = true;
          running++;
          maxRunning = Math.max(maxRunning, running);
          await sleep(20);
          order.push(m.body.toString());
          running--;
          runningByKey.set(key, mine - 1);
        },
        { prefetch: 10, serializeBy: (m) => m.body.toString().split(':')[0] },
      );
      const bodies = ['o1:1', 'o2:1', 'o1:2', 'o2:2', 'o1:3', 'o2:3'];
      for (const body of bodies) await client.publish(EXCHANGE, PAID, Buffer.from(body));
      await waitUntil(() => order.length === 6, { message: 'six messages handled' });
      expect(overlapSameKey).toBe(false);
      expect(maxRunning).toBeGreaterThanOrEqual(2);
      expect(order.filter((b) => b.startsWith('o1:'))).toEqual(['o1:1', 'o1:2', 'o1:3']);
      expect(order.filter((b) => b.startsWith('o2:'))).toEqual(['o2:1', 'o2:2', 'o2:3']);
    });

    it('fails a publish fast with BrokerUnavailableError when the broker cannot be reached', async () => {
      const client = h.connectUnreachable(topology());
      const started = Date.now();
      await expect(client.publish(EXCHANGE, PAID, Buffer.from('x'), { timeoutMs: 300 })).rejects.toBeInstanceOf(
        BrokerUnavailableError,
      );
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(2000);
      expect(client.health().connected).toBe(false);
    });

    it('after a broker restart reconnects, declares lost topology again and resumes consuming', async () => {
      const client = await connected(h.connect(topology()));
      const received: string[] = [];
      await client.consume(QUEUE, (m) => void received.push(m.messageId ?? ''));
      await client.publish(EXCHANGE, PAID, Buffer.from('before'), { messageId: 'before' });
      await waitUntil(() => received.includes('before'), { message: 'delivery before the restart' });

      // The exchange (with its bindings) and the DLQ vanish, as on a broker rebuilt from scratch.
      await h.deleteExchange(EXCHANGE);
      await h.deleteQueue(DLQ);
      expect(await h.queueExists(DLQ)).toBe(false);
      await h.restartBroker();

      await publishUntilConfirmed(client, PAID, 'after', 'after');
      await waitUntil(() => received.includes('after'), { message: 'delivery after the restart' });
      expect(await h.queueExists(DLQ)).toBe(true);
      expect(client.health()).toMatchObject({ connected: true, consumers: { registered: 1, active: 1 } });
    });
  });
}
