import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { testEnv } from './env.ts';

const run = promisify(execFile);

/** The management API listens on 15672 of the AMQP host, with the same credentials. */
function management() {
  const amqp = new URL(testEnv.RABBITMQ_URL);
  const user = decodeURIComponent(amqp.username || 'guest');
  const password = decodeURIComponent(amqp.password || 'guest');
  return {
    base: `http://${amqp.hostname}:15672/api`,
    auth: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    user,
    amqp,
  };
}

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  const { base, auth } = management();
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!response.ok && response.status !== 404) {
    throw new Error(`RabbitMQ management ${method} ${path}: ${response.status} ${await response.text()}`);
  }
  return response;
}

const enc = encodeURIComponent;

export interface TestVhost {
  name: string;
  /** AMQP URL of the vhost. */
  url: string;
  /** Names (connection_name client property) of the connections open in the vhost. */
  connectionNames(): Promise<string[]>;
  /** Force-closes the vhost's connections (all, or those with this connection_name); returns how many. */
  closeConnections(connectionName?: string): Promise<number>;
  deleteQueue(name: string): Promise<void>;
  deleteExchange(name: string): Promise<void>;
  queueExists(name: string): Promise<boolean>;
  /** Deletes the vhost with everything in it. */
  dispose(): Promise<void>;
}

/** A fresh vhost `test-<random>` with full permissions for the test user; dispose() deletes it. */
export async function createTestVhost(): Promise<TestVhost> {
  const { user, amqp } = management();
  const name = `test-${randomBytes(6).toString('hex')}`;
  await api('PUT', `/vhosts/${enc(name)}`, { description: 'integration test' });
  await api('PUT', `/permissions/${enc(name)}/${enc(user)}`, { configure: '.*', write: '.*', read: '.*' });
  const url = new URL(amqp.toString());
  url.pathname = `/${enc(name)}`;

  const connections = async (): Promise<{ name: string; client: string | undefined }[]> => {
    const response = await api('GET', `/vhosts/${enc(name)}/connections`);
    if (response.status === 404) return [];
    const list = (await response.json()) as { name: string; client_properties?: { connection_name?: string } }[];
    return list.map((c) => ({ name: c.name, client: c.client_properties?.connection_name }));
  };

  return {
    name,
    url: url.toString(),
    connectionNames: async () => (await connections()).flatMap((c) => (c.client ? [c.client] : [])),
    async closeConnections(connectionName) {
      const victims = (await connections()).filter((c) => connectionName === undefined || c.client === connectionName);
      await Promise.all(victims.map((c) => api('DELETE', `/connections/${enc(c.name)}`)));
      return victims.length;
    },
    async deleteQueue(queue) {
      await api('DELETE', `/queues/${enc(name)}/${enc(queue)}`);
    },
    async deleteExchange(exchange) {
      await api('DELETE', `/exchanges/${enc(name)}/${enc(exchange)}`);
    },
    async queueExists(queue) {
      return (await api('GET', `/queues/${enc(name)}/${enc(queue)}`)).status === 200;
    },
    async dispose() {
      await api('DELETE', `/vhosts/${enc(name)}`);
    },
  };
}

/**
 * Really restarts the RabbitMQ node through the repository's infra script (stop, start, wait until ready).
 * Every connection on the machine drops: only the dedicated restart tests call it. Returns its duration.
 */
export async function restartRabbitMq(): Promise<number> {
  const script = fileURLToPath(new URL('../../../scripts/infra.sh', import.meta.url));
  const started = Date.now();
  await run('bash', [script, 'restart', 'rabbitmq'], { timeout: 120_000 });
  return Date.now() - started;
}
