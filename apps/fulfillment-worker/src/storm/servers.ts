import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The storm's own PostgreSQL, Redis, RabbitMQ and Kafka: a second instance of each on ports of its own, with
// its own data (SINGLE_INFRA_HOME, a PostgreSQL cluster named `storm`, RabbitMQ node storm@localhost), started
// and restarted by scripts/infra.sh exactly as the shared servers are. The storm restarts these; the shared
// servers on the default ports, which every other test uses at the same time, are never touched.

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../../scripts/infra.sh', import.meta.url));

export type StormService = 'postgres' | 'redis' | 'rabbitmq' | 'kafka';

/** Ports chosen clear of the shared servers'; RabbitMQ's distribution port is its AMQP port + 20000. */
const PORTS = { postgres: 5442, redis: 6389, rabbitmq: 5682, rabbitmqManagement: 15682, kafka: 9192 } as const;

export const stormServers = {
  DATABASE_URL: `postgres://single:single@127.0.0.1:${PORTS.postgres}/single`,
  REDIS_URL: `redis://127.0.0.1:${PORTS.redis}`,
  RABBITMQ_URL: `amqp://single:single@127.0.0.1:${PORTS.rabbitmq}`,
  RABBITMQ_MANAGEMENT_URL: `http://single:single@127.0.0.1:${PORTS.rabbitmqManagement}/api`,
  KAFKA_BROKERS: `127.0.0.1:${PORTS.kafka}`,
} as const;

const home = process.env.STORM_INFRA_HOME ?? '/tmp/single-storm-infra';
const kafkaVersion = process.env.KAFKA_VERSION ?? '4.1.2';

function infraEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...stormServers,
    SINGLE_INFRA_HOME: home,
    RABBITMQ_NODENAME: 'storm@localhost',
    PG_CLUSTER_NAME: 'storm',
    KAFKA_VERSION: kafkaVersion,
  };
}

/**
 * The Kafka jars are the shared install's (fetched once from Maven Central); only config, data and logs are
 * the storm broker's own.
 */
function shareKafkaJars(): void {
  const shared = path.join(process.env.SINGLE_INFRA_HOME ?? path.join(homedir(), '.cache/single-infra'));
  const sharedLibs = path.join(shared, `kafka-${kafkaVersion}`, 'libs');
  const ownHome = path.join(home, `kafka-${kafkaVersion}`);
  mkdirSync(ownHome, { recursive: true });
  if (existsSync(path.join(sharedLibs, '.complete')) && !existsSync(path.join(ownHome, 'libs'))) {
    symlinkSync(sharedLibs, path.join(ownHome, 'libs'));
  }
}

async function infra(...args: string[]): Promise<string> {
  try {
    const { stderr } = await run('bash', [script, ...args], { env: infraEnv(), timeout: 180_000 });
    return stderr;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`infra.sh ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

/** Starts whatever of the storm's servers is not running yet (reused when it is). */
export async function stormServersUp(): Promise<void> {
  shareKafkaJars();
  await infra('up');
}

/** Stops every storm server this machine's storm started (the shared servers are another SINGLE_INFRA_HOME). */
export async function stormServersDown(): Promise<void> {
  await infra('down');
}

export const stopServer = (service: StormService) => infra('stop', service);
export const startServer = (service: StormService) => infra('start', service);
export const restartServer = (service: StormService) => infra('restart', service);
