import { Writable } from 'node:stream';
import { createLogger } from '@single/logger';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogCreator } from './kafka-logging.ts';

describe('kafkaLogCreator', () => {
  it('writes kafkajs lines through our logger with their level and fields', () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const log = kafkaLogCreator(createLogger({ level: 'debug', destination }))(logLevel.DEBUG);
    const entry = (level: logLevel, message: string) => ({
      namespace: 'Connection',
      level,
      label: 'x',
      log: { timestamp: 'ignored', logger: 'kafkajs', message, broker: '127.0.0.1:9092' },
    });
    log(entry(logLevel.ERROR, 'connection error'));
    log(entry(logLevel.WARN, 'slow'));
    log(entry(logLevel.INFO, 'joined'));
    log(entry(logLevel.DEBUG, 'request'));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['error', 'connection error'],
      ['warn', 'slow'],
      ['info', 'joined'],
      ['debug', 'request'],
    ]);
    expect(lines[0]).toMatchObject({ component: 'kafkajs', namespace: 'Connection', broker: '127.0.0.1:9092' });
    expect(lines[0]).not.toHaveProperty('timestamp');
  });
});
