import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('./index.ts', import.meta.url));

describe('loadConfigOrExit in a real process', () => {
  it('exits non-zero and names every invalid variable', () => {
    const script = `
      const { loadConfigOrExit, serverEnv, databaseEnv, rabbitmqEnv, kafkaEnv } = await import(${JSON.stringify(entry)});
      loadConfigOrExit({ ...serverEnv, ...databaseEnv, ...rabbitmqEnv, ...kafkaEnv }, process.env);
      console.log('started');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH,
        PORT: 'eighty',
        RABBITMQ_URL: 'http://user:hunter2@broker',
        KAFKA_BROKERS: 'broker',
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.status).toBe(78);
    expect(child.stdout).not.toContain('started');
    for (const name of ['PORT', 'DATABASE_URL', 'RABBITMQ_URL', 'KAFKA_BROKERS']) expect(child.stderr).toContain(name);
    expect(child.stderr).not.toContain('hunter2');
  });
});
