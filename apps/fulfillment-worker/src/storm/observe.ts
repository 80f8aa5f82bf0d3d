import { readTopicToEnd } from '@single/testing';
import { stormServers } from './servers.ts';
import type { SalesEvent } from './verify.ts';

// Reading the platform from outside after the drain: the sales stream as a new consumer group sees it, and
// RabbitMQ's queues as the management API lists them.

/** Every event on `topic`, up to each partition's end as it stands after the drain. */
export async function readSalesTopic(topic: string, timeoutMs: number): Promise<SalesEvent[]> {
  const values = await readTopicToEnd([stormServers.KAFKA_BROKERS], topic, timeoutMs);
  return values.map((value) => JSON.parse(value.toString()) as SalesEvent);
}

export interface QueueState {
  name: string;
  /** Ready plus unacknowledged, as of the management API's last statistics round (every 5 s). */
  messages: number;
  ready: number;
  unacked: number;
  consumers: number;
}

/** The storm broker's queues (management API), to find dead letters and anything left undelivered. */
export async function rabbitQueues(): Promise<QueueState[]> {
  const url = new URL(stormServers.RABBITMQ_MANAGEMENT_URL);
  const auth = Buffer.from(`${url.username}:${url.password}`).toString('base64');
  const response = await fetch(
    `${url.origin}${url.pathname}/queues?columns=name,messages,messages_ready,messages_unacknowledged,consumers`,
    {
      headers: { authorization: `Basic ${auth}` },
    },
  );
  if (!response.ok) throw new Error(`RabbitMQ management answered ${response.status}`);
  type Listed = {
    name: string;
    messages?: number;
    messages_ready?: number;
    messages_unacknowledged?: number;
    consumers?: number;
  };
  return ((await response.json()) as Listed[]).map((q) => ({
    name: q.name,
    messages: q.messages ?? 0,
    ready: q.messages_ready ?? 0,
    unacked: q.messages_unacknowledged ?? 0,
    consumers: q.consumers ?? 0,
  }));
}
