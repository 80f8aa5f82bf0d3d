import { EventBusClosedError, EventsUnavailableError } from './errors.ts';
import { partitionForKey } from './partition.ts';
import type { EventBus, EventHandler, IncomingEvent, OutgoingEvent, SubscribeOptions, Subscription } from './port.ts';

export interface MemoryEventBusOptions {
  /** Partitions of a topic created implicitly by publishing to it (Kafka's auto-create). */
  defaultPartitions?: number;
  /** Pause before a failed message is delivered again. */
  redeliveryDelayMs?: number;
}

interface StoredEvent {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

interface Member {
  id: number;
  topics: ReadonlySet<string>;
  fromBeginning: boolean;
  handler: EventHandler;
  active: boolean;
  inFlight: Set<Promise<unknown>>;
}

interface Group {
  members: Member[];
  /** Next offset to deliver per "topic/partition": Kafka's committed offset. */
  committed: Map<string, number>;
  owners: Map<string, Member>;
  pumping: Set<string>;
}

const tp = (topic: string, partition: number) => `${topic}/${partition}`;

/**
 * The events port in memory, for the zero-setup demo and fast tests: topics are partitioned by key hash,
 * consumer groups own partitions, offsets advance only after a handler succeeds, and a partition whose
 * member leaves is handed to another member from its committed offset. Same contract as Kafka.
 */
export function createMemoryEventBus(options: MemoryEventBusOptions = {}): EventBus {
  const defaultPartitions = options.defaultPartitions ?? 3;
  const redeliveryDelayMs = options.redeliveryDelayMs ?? 50;
  const topics = new Map<string, StoredEvent[][]>();
  const groups = new Map<string, Group>();
  const roundRobin = new Map<string, number>();
  let nextMemberId = 1;
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new EventBusClosedError('event bus is closed');
  };

  function createTopic(topic: string, partitions: number): StoredEvent[][] {
    const log = Array.from({ length: partitions }, (): StoredEvent[] => []);
    topics.set(topic, log);
    return log;
  }

  function choosePartition(topic: string, key: string | null, count: number): number {
    if (key !== null) return partitionForKey(key, count);
    const next = roundRobin.get(topic) ?? 0;
    roundRobin.set(topic, next + 1);
    return next % count;
  }

  // Hands each partition of each subscribed topic to one active member (round robin in join order), and
  // fixes the start position of partitions the group has never committed.
  function rebalance(group: Group) {
    group.owners.clear();
    const subscribed = new Set(group.members.flatMap((m) => [...m.topics]));
    for (const topic of subscribed) {
      const log = topics.get(topic);
      if (!log) continue;
      const members = group.members.filter((m) => m.topics.has(topic));
      log.forEach((partition, p) => {
        const owner = members[p % members.length];
        if (!owner) return;
        group.owners.set(tp(topic, p), owner);
        if (!group.committed.has(tp(topic, p))) {
          group.committed.set(tp(topic, p), owner.fromBeginning ? 0 : partition.length);
        }
      });
    }
    for (const key of group.owners.keys()) schedule(group, key);
  }

  function schedule(group: Group, key: string) {
    setImmediate(() => void pump(group, key));
  }

  // Delivers one partition to its owner, one message at a time, committing after each success.
  async function pump(group: Group, key: string) {
    if (group.pumping.has(key)) return;
    group.pumping.add(key);
    try {
      for (;;) {
        const owner = group.owners.get(key);
        const [topic, partitionText] = splitKey(key);
        const partition = Number(partitionText);
        const log = topics.get(topic)?.[partition];
        const offset = group.committed.get(key) ?? 0;
        const stored = log?.[offset];
        if (closed || !owner || !stored) return;
        const delivery = Promise.resolve().then(() => owner.handler(toIncoming(topic, partition, offset, stored)));
        owner.inFlight.add(delivery);
        try {
          await delivery;
          group.committed.set(key, offset + 1);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, redeliveryDelayMs));
        } finally {
          owner.inFlight.delete(delivery);
        }
      }
    } finally {
      group.pumping.delete(key);
    }
  }

  function leave(groupId: string, member: Member) {
    const group = groups.get(groupId);
    if (!group || !member.active) return;
    member.active = false;
    group.members = group.members.filter((m) => m !== member);
    rebalance(group);
  }

  const bus: EventBus = {
    async publish(topic, messages: readonly OutgoingEvent[]) {
      assertOpen();
      const log = topics.get(topic) ?? createTopic(topic, defaultPartitions);
      const touched = new Set<number>();
      for (const message of messages) {
        const partition = choosePartition(topic, message.key, log.length);
        log[partition]?.push({
          key: message.key,
          value: Buffer.from(message.value),
          headers: { ...message.headers },
        });
        touched.add(partition);
      }
      for (const group of groups.values()) {
        for (const partition of touched) {
          if (group.owners.has(tp(topic, partition))) schedule(group, tp(topic, partition));
        }
      }
    },

    async subscribe(subscribeOptions: SubscribeOptions): Promise<Subscription> {
      assertOpen();
      const unknown = subscribeOptions.topics.filter((t) => !topics.has(t));
      if (unknown.length > 0) throw new EventsUnavailableError(`unknown topic(s): ${unknown.join(', ')}`);
      const { groupId } = subscribeOptions;
      let group = groups.get(groupId);
      if (!group) {
        group = { members: [], committed: new Map(), owners: new Map(), pumping: new Set() };
        groups.set(groupId, group);
      }
      const member: Member = {
        id: nextMemberId++,
        topics: new Set(subscribeOptions.topics),
        fromBeginning: subscribeOptions.fromBeginning,
        handler: subscribeOptions.handler,
        active: true,
        inFlight: new Set(),
      };
      group.members.push(member);
      rebalance(group);
      let stopping: Promise<void> | undefined;
      return {
        groupId,
        stop() {
          stopping ??= (async () => {
            leave(groupId, member);
            await Promise.allSettled([...member.inFlight]);
          })();
          return stopping;
        },
      };
    },

    async endOffsets(topic) {
      assertOpen();
      const log = topics.get(topic);
      if (!log) throw new EventsUnavailableError(`unknown topic: ${topic}`);
      return new Map(log.map((partition, p) => [p, String(partition.length)]));
    },

    async readFrom(topic, from) {
      assertOpen();
      const log = topics.get(topic);
      if (!log) return [];
      return log.flatMap((partition, p) => {
        const start = Number(from.get(p) ?? 0);
        return partition.slice(start).map((stored, i) => toIncoming(topic, p, start + i, stored));
      });
    },

    async ensureTopics(names, partitions) {
      assertOpen();
      for (const name of names) {
        if (!topics.has(name)) createTopic(name, partitions);
      }
    },

    async health() {
      return !closed;
    },

    async close() {
      if (closed) return;
      closed = true;
      const inFlight = [...groups.values()].flatMap((g) => g.members.flatMap((m) => [...m.inFlight]));
      for (const group of groups.values()) {
        for (const member of group.members) member.active = false;
        group.members = [];
        group.owners.clear();
      }
      await Promise.allSettled(inFlight);
    },
  };
  return bus;
}

function splitKey(key: string): [string, string] {
  const at = key.lastIndexOf('/');
  return [key.slice(0, at), key.slice(at + 1)];
}

function toIncoming(topic: string, partition: number, offset: number, stored: StoredEvent): IncomingEvent {
  return {
    topic,
    partition,
    offset: String(offset),
    key: stored.key,
    // Copies, so a handler cannot change what a later redelivery sees.
    value: Buffer.from(stored.value),
    headers: { ...stored.headers },
  };
}
