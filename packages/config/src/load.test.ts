import { describe, expect, it } from 'vitest';
import { databaseEnv, kafkaEnv, loggingEnv, rabbitmqEnv, serverEnv, trustedProxiesEnv } from './fragments.ts';
import { ConfigError, loadConfig } from './load.ts';

const shape = { ...serverEnv, ...loggingEnv, ...databaseEnv, ...rabbitmqEnv, ...kafkaEnv, ...trustedProxiesEnv };
const valid = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
  RABBITMQ_URL: 'amqp://u:p@127.0.0.1:5672',
  KAFKA_BROKERS: '127.0.0.1:9092, 10.0.0.2:9092',
};

describe('loadConfig', () => {
  it('applies defaults and parses lists', () => {
    const config = loadConfig(shape, { ...valid, PORT: '', TRUSTED_PROXIES: '10.0.0.0/8, ,192.168.1.1' });
    expect(config.PORT).toBe(3000);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', '10.0.0.2:9092']);
    expect(config.TRUSTED_PROXIES).toEqual(['10.0.0.0/8', '192.168.1.1']);
  });

  it('treats a value of only spaces as not set (a templated .env), so the default applies', () => {
    const config = loadConfig(shape, { ...valid, PORT: '  ', LOG_LEVEL: '\t' });
    expect(config.PORT).toBe(3000);
    expect(config.LOG_LEVEL).toBe(loadConfig(shape, valid).LOG_LEVEL);
  });

  it('names every invalid variable at once and never echoes values', () => {
    const secret = 'amqp-but-not-really://user:hunter2@host';
    try {
      loadConfig(shape, { PORT: '99999', LOG_LEVEL: 'loud', RABBITMQ_URL: secret, KAFKA_BROKERS: 'nope' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const { problems, message } = error as ConfigError;
      const names = problems.map((p) => p.split(':')[0]);
      expect(names).toEqual(
        expect.arrayContaining(['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'RABBITMQ_URL', 'KAFKA_BROKERS.0']),
      );
      expect(problems).toContain('DATABASE_URL: is required');
      expect(message).not.toContain('hunter2');
    }
  });
});
