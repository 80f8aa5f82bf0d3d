import { type EventBus, EventBusClosedError, type IncomingEvent } from '@single/events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitUntil } from './wait.ts';

export interface EventsHarness {
  bus: EventBus;
  /** A topic name of this test's own (not created yet: tests call ensureTopics). */
  topic(): string;
  /** A consumer group id of this test's own. */
  groupId(): string;
  /** Closes the bus and removes what the test created. */
  cleanup(): Promise<void>;
}

/** Collects what a handler saw; `failWhen` makes the handler throw for chosen deliveries. */
function recorder(failWhen: (event: IncomingEvent, attempt: number) => boolean = () => false) {
  const seen: IncomingEvent[] = [];
  const attempts = new Map<string, number>();
  return {
    seen,
    values: () => seen.map((e) => e.value.toString()),
    handler: async (event: IncomingEvent) => {
      const id = `${event.partition}/${event.offset}`;
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      seen.push(event);
      if (failWhen(event, attempt)) throw new Error(`handler failed on ${event.value.toString()} (attempt ${attempt})`);
    },
  };
}

/**
 * The behaviour every events adapter (Kafka, in-memory) must have: publish resolves when stored, per-key
 * order, consumer groups with committed offsets, redelivery of what was not committed.
 */
export function eventsContract(name: string, makeHarness: () => Promise<EventsHarness>) {
  describe(`events contract: ${name}`, () => {
    let h: EventsHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('delivers key, value bytes and headers of published messages to a subscriber', async () => {
      const topic = h.topic();
      await h.bus.ensureTopics([topic], 1);
      const binary = Buffer.from([0, 1, 2, 250, 255]);
      await h.bus.publish(topic, [
        {
          key: 'order-1',
          value: binary,
          headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
        },
        { key: null, value: 'plain text' },
      ]);
      const r = recorder();
      await h.bus.subscribe({ topics: [topic], groupId: h.groupId(), fromBeginning: true, handler: r.handler });
      await waitUntil(() => r.seen.length >= 2);
      const [first, second] = r.seen;
      expect(first).toMatchObject({ topic, partition: 0, offset: '0', key: 'order-1' });
      expect(first?.value.equals(binary)).toBe(true);
      expect(first?.headers).toEqual({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
      expect(second).toMatchObject({ offset: '1', key: null, headers: {} });
      expect(second?.value.toString()).toBe('plain text');
    });

    it('keeps messages with the same key on one partition, in publish order', async () => {
      const topic = h.topic();
      await h.bus.ensureTopics([topic], 3);
      const keys = ['shop-a', 'shop-b', 'shop-c', 'shop-d'];
      const batch = Array.from({ length: 24 }, (_, i) => ({ key: keys[i % keys.length] ?? null, value: `${i}` }));
      await h.bus.publish(topic, batch.slice(0, 12));
      await h.bus.publish(topic, batch.slice(12));
      const r = recorder();
      await h.bus.subscribe({ topics: [topic], groupId: h.groupId(), fromBeginning: true, handler: r.handler });
      await waitUntil(() => r.seen.length >= 24);
      expect(r.seen).toHaveLength(24);
      for (const key of keys) {
        const ofKey = r.seen.filter((e) => e.key === key);
        expect(new Set(ofKey.map((e) => e.partition)).size).toBe(1);
        const expected = batch.filter((m) => m.key === key).map((m) => m.value);
        expect(ofKey.map((e) => e.value.toString())).toEqual(expected);
      }
    });

    it('starts a new group at the end unless it asks for the beginning', async () => {
      const topic = h.topic();
      await h.bus.ensureTopics([topic], 1);
      await h.bus.publish(topic, [{ key: 'k', value: 'old' }]);
      const latest = recorder();
      const earliest = recorder();
      await h.bus.subscribe({ topics: [topic], groupId: h.groupId(), fromBeginning: false, handler: latest.handler });
      await h.bus.subscribe({ topics: [topic], groupId: h.groupId(), fromBeginning: true, handler: earliest.handler });
      await h.bus.publish(topic, [{ key: 'k', value: 'new' }]);
      await waitUntil(() => latest.seen.length >= 1 && earliest.seen.length >= 2);
      expect(earliest.values()).toEqual(['old', 'new']);
      expect(latest.values()).toEqual(['new']);
    });

    it('gives every message to every group, and to exactly one member within a group', async () => {
      const topic = h.topic();
      await h.bus.ensureTopics([topic], 3);
      const group = h.groupId();
      const memberA = recorder();
      const memberB = recorder();
      const other = recorder();
      await h.bus.subscribe({ topics: [topic], groupId: group, fromBeginning: true, handler: memberA.handler });
      await h.bus.subscribe({ topics: [topic], groupId: group, fromBeginning: true, handler: memberB.handler });
      await h.bus.subscribe({ topics: [topic], groupId: h.groupId(), fromBeginning: true, handler: other.handler });
      const sent = Array.from({ length: 30 }, (_, i) => `m${i}`);
      await h.bus.publish(
        topic,
        sent.map((value, i) => ({ key: `key-${i}`, value })),
      );
      await waitUntil(() => memberA.seen.length + memberB.seen.length >= 30 && other.seen.length >= 30);
      const inGroup = [...memberA.values(), ...memberB.values()];
      expect(inGroup.toSorted()).toEqual(sent.toSorted());
      expect(other.values().toSorted()).toEqual(sent.toSorted());
    });

    it('delivers a message again when its handler throws, and holds later messages of the partition until then', async () => {
      const topic = h.topic();
      await h.bus.ensureTopics([topic], 1);
      const r = recorder((event, attempt) => event.value.toString() === 'first' && attempt === 1);
      await h.bus.subscribe({ topics: [topic], groupId: h.groupId(), fromBeginning: true, handler: r.handler });
      await h.bus.publish(topic, [
        { key: 'k', value: 'first' },
        { key: 'k', value: 'second' },
      ]);
      await waitUntil(() => r.values().includes('second'));
      expect(r.values()).toEqual(['first', 'first', 'second']);
    });

    it('hands what a stopped member did not commit to the next member; committed messages do not come back', async () => {
      const topic = h.topic();
      await h.bus.ensureTopics([topic], 1);
      const group = h.groupId();
      // The first member handles "done", then fails on "stuck" every time, as if it died mid-message.
      const dying = recorder((event) => event.value.toString() === 'stuck');
      const first = await h.bus.subscribe({
        topics: [topic],
        groupId: group,
        fromBeginning: true,
        handler: dying.handler,
      });
      await h.bus.publish(topic, [{ key: 'k', value: 'done' }]);
      await waitUntil(() => dying.values().includes('done'));
      await h.bus.publish(topic, [{ key: 'k', value: 'stuck' }]);
      await waitUntil(() => dying.values().includes('stuck'));
      await first.stop();
      const seenByFirst = dying.seen.length;

      const next = recorder();
      await h.bus.subscribe({ topics: [topic], groupId: group, fromBeginning: true, handler: next.handler });
      await h.bus.publish(topic, [{ key: 'k', value: 'after' }]);
      await waitUntil(() => next.values().includes('after'));
      expect(next.values()).toEqual(['stuck', 'after']);
      expect(dying.seen.length).toBe(seenByFirst);
    });

    it('reads back exactly what was published after recorded end offsets, headers included', async () => {
      const topic = h.topic();
      await h.bus.ensureTopics([topic], 3);
      const keys = ['order-1', 'order-2', 'order-3', 'order-4'];
      const message = (i: number) => ({ key: keys[i % 4] ?? null, value: `m${i}`, headers: { 'event-id': `e${i}` } });
      await h.bus.publish(topic, [0, 1, 2, 3, 4, 5].map(message));
      const ends = await h.bus.endOffsets(topic);
      expect([...ends.keys()].sort()).toEqual([0, 1, 2]);
      expect([...ends.values()].reduce((sum, o) => sum + Number(o), 0)).toBe(6);
      expect(await h.bus.readFrom(topic, ends)).toEqual([]);

      await h.bus.publish(topic, [6, 7, 8, 9, 10].map(message));
      const after = await h.bus.readFrom(topic, ends);
      expect(after.map((e) => e.headers['event-id']).sort()).toEqual(['e10', 'e6', 'e7', 'e8', 'e9']);
      for (const e of after) {
        expect(BigInt(e.offset)).toBeGreaterThanOrEqual(BigInt(ends.get(e.partition) ?? '0'));
        expect(e.value.toString()).toBe(`m${e.headers['event-id']?.slice(1)}`);
      }
      // Per key, in publish order; a partition missing from `from` is read from its start.
      const all = await h.bus.readFrom(topic, new Map());
      expect(all).toHaveLength(11);
      for (const key of keys) {
        const ofKey = all.filter((e) => e.key === key).map((e) => e.value.toString());
        expect(ofKey).toEqual([...Array(11).keys()].filter((i) => i % 4 === keys.indexOf(key)).map((i) => `m${i}`));
      }
      // A topic that does not exist (deleted, renamed) holds nothing.
      expect(await h.bus.readFrom(h.topic(), ends)).toEqual([]);
      // A subscriber's group is not disturbed by a read-back.
      const r = recorder();
      await h.bus.subscribe({ topics: [topic], groupId: h.groupId(), fromBeginning: true, handler: r.handler });
      await waitUntil(() => r.seen.length >= 11);
      expect(r.seen).toHaveLength(11);
    });

    it('creates topics idempotently and treats an empty publish as done', async () => {
      const topic = h.topic();
      await h.bus.ensureTopics([topic], 2);
      await h.bus.ensureTopics([topic], 2);
      await expect(h.bus.publish(topic, [])).resolves.toBeUndefined();
      const r = recorder();
      await h.bus.subscribe({ topics: [topic], groupId: h.groupId(), fromBeginning: true, handler: r.handler });
      await h.bus.publish(topic, [{ key: 'x', value: 'only' }]);
      await waitUntil(() => r.seen.length >= 1);
      expect(r.values()).toEqual(['only']);
    });

    it('reports healthy while open; after close it is unhealthy and refuses to publish', async () => {
      const topic = h.topic();
      await h.bus.ensureTopics([topic], 1);
      expect(await h.bus.health()).toBe(true);
      await h.bus.close();
      await h.bus.close();
      expect(await h.bus.health()).toBe(false);
      await expect(h.bus.publish(topic, [{ key: 'k', value: 'v' }])).rejects.toBeInstanceOf(EventBusClosedError);
    });
  });
}
