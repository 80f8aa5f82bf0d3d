/** Where the integration tests find the servers; `scripts/infra.sh up` starts them at these defaults. */
export const testEnv = {
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://single:single@127.0.0.1:5432/single',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  RABBITMQ_URL: process.env.RABBITMQ_URL ?? 'amqp://single:single@127.0.0.1:5672',
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
} as const;
