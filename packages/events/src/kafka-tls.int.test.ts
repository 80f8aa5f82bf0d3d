import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventsUnavailableError } from './errors.ts';
import { createKafkaEventBus } from './kafka-event-bus.ts';
import { kafkaSecurityFromEnv } from './kafka-security.ts';
import type { EventBus, IncomingEvent } from './port.ts';

// Kafka over TLS and SASL_SSL/SCRAM against a broker of this test's own (the shared one stays plaintext
// and is never touched): the jars scripts/infra.sh fetched from Maven Central, a CA and server certificate
// made here with openssl, SCRAM credentials written at storage format time (kafka-storage --add-scram).
const kafkaHome = path.join(
  process.env.SINGLE_INFRA_HOME ?? path.join(os.homedir(), '.cache/single-infra'),
  `kafka-${process.env.KAFKA_VERSION ?? '4.1.2'}`,
);
const libs = path.join(kafkaHome, 'libs');
const dir = mkdtempSync(path.join(os.tmpdir(), 'kafka-tls-'));
const SCRAM_USER = 'single-app';
const SCRAM_PASSWORD = 'scram-secret-for-test';
const STORE_PASSWORD = 'changeit';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A CA, a server certificate for 127.0.0.1/localhost signed by it (as PKCS12), and an unrelated CA. */
function makeCertificates() {
  const subj = (cn: string) => ['-subj', `/CN=${cn}`];
  for (const ca of ['ca', 'other-ca']) {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.crt`,
      ...subj(`test ${ca}`),
    );
  }
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', ...subj('localhost'));
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.crt',
  );
  openssl(
    'pkcs12',
    '-export',
    '-in',
    'server.crt',
    '-inkey',
    'server.key',
    '-certfile',
    'ca.crt',
    '-name',
    'kafka',
    '-out',
    'server.p12',
    '-passout',
    `pass:${STORE_PASSWORD}`,
  );
}

const java = (args: string[]) => [
  '-Xms64m',
  '-Xmx256m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Djava.awt.headless=true',
  `-Dlog4j2.configurationFile=${path.join(dir, 'log4j2.properties')}`,
  '-cp',
  `${libs}/*`,
  ...args,
];

let broker: ChildProcess | undefined;
let sslPort = 0;
let saslPort = 0;

async function startBroker(): Promise<void> {
  const [internal, controller] = [await freePort(), await freePort()];
  [sslPort, saslPort] = [await freePort(), await freePort()];
  const tls = [
    `ssl.keystore.type=PKCS12`,
    `ssl.keystore.location=${dir}/server.p12`,
    `ssl.keystore.password=${STORE_PASSWORD}`,
    `ssl.key.password=${STORE_PASSWORD}`,
  ];
  writeFileSync(
    path.join(dir, 'server.properties'),
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=INTERNAL://127.0.0.1:${internal},SSL://127.0.0.1:${sslPort},SASL_SSL://127.0.0.1:${saslPort},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=INTERNAL://127.0.0.1:${internal},SSL://127.0.0.1:${sslPort},SASL_SSL://127.0.0.1:${saslPort}`,
      'listener.security.protocol.map=INTERNAL:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=INTERNAL',
      'sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      ...tls,
      `log.dirs=${dir}/data`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'log4j2.properties'),
    `status = error\nappender.file.type = File\nappender.file.name = FILE\nappender.file.fileName = ${dir}/server.log\nappender.file.layout.type = PatternLayout\nappender.file.layout.pattern = [%d] %p %m (%c)%n\nrootLogger.level = INFO\nrootLogger.appenderRef.file.ref = FILE\n`,
  );
  execFileSync(
    'java',
    java([
      'kafka.tools.StorageTool',
      'format',
      '-t',
      'tls-test-cluster-00001',
      '-c',
      `${dir}/server.properties`,
      '--add-scram',
      `SCRAM-SHA-512=[name=${SCRAM_USER},password=${SCRAM_PASSWORD}]`,
      '--add-scram',
      `SCRAM-SHA-256=[name=${SCRAM_USER},password=${SCRAM_PASSWORD}]`,
    ]),
    { stdio: 'pipe', timeout: 30_000 },
  );
  broker = spawn('java', java(['kafka.Kafka', `${dir}/server.properties`]), { stdio: 'ignore' });
  // Ready when the SASL_SSL listener accepts a TCP connection (the broker binds its listeners last).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(saslPort, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return;
    if (broker.exitCode !== null || Date.now() > deadline)
      throw new Error(`test broker did not start (log: ${dir}/server.log)`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function busFor(port: number, env: Record<string, string>): EventBus {
  return createKafkaEventBus({
    brokers: [`127.0.0.1:${port}`],
    clientId: 'tls-test',
    security: kafkaSecurityFromEnv(env),
    // TLS handshakes on a loaded two-core machine take longer than plaintext connects.
    connectionTimeoutMs: 5_000,
    requestTimeoutMs: 10_000,
    operationTimeoutMs: 15_000,
    adminTimeoutMs: 20_000,
    joinTimeoutMs: 30_000,
  });
}

async function roundTrip(bus: EventBus, topic: string): Promise<IncomingEvent> {
  await bus.ensureTopics([topic], 1);
  await bus.publish(topic, [{ key: 'order-1', value: JSON.stringify({ over: topic }) }]);
  let resolveEvent: (event: IncomingEvent) => void = () => {};
  const received = new Promise<IncomingEvent>((resolve) => {
    resolveEvent = resolve;
  });
  const subscription = await bus.subscribe({
    topics: [topic],
    groupId: `${topic}-group`,
    fromBeginning: true,
    handler: async (event) => resolveEvent(event),
  });
  try {
    return await received;
  } finally {
    await subscription.stop();
  }
}

beforeAll(async () => {
  if (!existsSync(path.join(libs, '.complete')))
    throw new Error(`no Kafka jars at ${libs}: run bash scripts/infra.sh up (it fetches them from Maven Central)`);
  makeCertificates();
  const started = performance.now();
  await startBroker();
  console.info(`TLS test broker up in ${Math.round(performance.now() - started)} ms`);
}, 90_000);

afterAll(async () => {
  if (broker && broker.exitCode === null) {
    const exited = new Promise((r) => broker?.once('exit', r));
    broker.kill('SIGKILL');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('@single/events over TLS on a broker of its own', () => {
  it('produces and consumes over TLS with the CA given as a file path', async () => {
    const bus = busFor(sslPort, { KAFKA_SSL: 'true', KAFKA_SSL_CA: path.join(dir, 'ca.crt') });
    try {
      const event = await roundTrip(bus, 'tls.v1');
      expect(event.value.toString()).toBe(JSON.stringify({ over: 'tls.v1' }));
      expect(event.key).toBe('order-1');
    } finally {
      await bus.close();
    }
  }, 60_000);

  it.each(['scram-sha-512', 'scram-sha-256'])(
    'produces and consumes over SASL_SSL with %s and the CA given inline',
    async (mechanism) => {
      const bus = busFor(saslPort, {
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA: readFileSync(path.join(dir, 'ca.crt'), 'utf8'),
        KAFKA_SASL_MECHANISM: mechanism,
        KAFKA_SASL_USERNAME: SCRAM_USER,
        KAFKA_SASL_PASSWORD: SCRAM_PASSWORD,
      });
      try {
        const topic = `sasl.${mechanism}.v1`;
        const event = await roundTrip(bus, topic);
        expect(event.value.toString()).toBe(JSON.stringify({ over: topic }));
      } finally {
        await bus.close();
      }
    },
    60_000,
  );

  it('refuses a broker whose certificate another CA signed, saying why', async () => {
    const bus = busFor(sslPort, { KAFKA_SSL: 'true', KAFKA_SSL_CA: path.join(dir, 'other-ca.crt') });
    try {
      const outcome = await bus.publish('tls.v1', [{ key: 'k', value: 'v' }]).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(outcome).toBeInstanceOf(EventsUnavailableError);
      // 'kafka: publish to tls.v1 failed: Connection error: self-signed certificate in certificate chain'
      expect((outcome as Error).message).toMatch(/self-signed certificate in certificate chain/);
      expect(await bus.health()).toBe(false);
    } finally {
      await bus.close();
    }
  }, 60_000);

  it('refuses a wrong SCRAM password, saying authentication failed', async () => {
    const bus = busFor(saslPort, {
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA: path.join(dir, 'ca.crt'),
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: SCRAM_USER,
      KAFKA_SASL_PASSWORD: 'not-the-password',
    });
    try {
      const outcome = await bus.publish('tls.v1', [{ key: 'k', value: 'v' }]).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(outcome).toBeInstanceOf(EventsUnavailableError);
      expect((outcome as Error).message).toMatch(/SASL SCRAM SHA512 authentication failed.*invalid credentials/);
      expect((outcome as Error).message).not.toContain('not-the-password');
    } finally {
      await bus.close();
    }
  }, 60_000);

  it('refuses a plaintext client on the TLS listener within its deadline (no hang)', async () => {
    const bus = busFor(sslPort, {});
    try {
      await expect(bus.publish('tls.v1', [{ key: 'k', value: 'v' }])).rejects.toBeInstanceOf(EventsUnavailableError);
    } finally {
      await bus.close();
    }
  }, 60_000);
});
