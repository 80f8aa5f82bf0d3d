import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  describeKafkaSecurity,
  KafkaSecurityConfigError,
  kafkajsSecurity,
  kafkaSecurityFromEnv,
} from './kafka-security.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kafka-security-'));
const caPath = path.join(dir, 'ca.crt');
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=test',
    '-keyout',
    path.join(dir, 'ca.key'),
    '-out',
    caPath,
  ],
  { stdio: 'pipe' },
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(env: Record<string, string>): readonly string[] {
  try {
    kafkaSecurityFromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(KafkaSecurityConfigError);
    return (error as KafkaSecurityConfigError).problems;
  }
  throw new Error('expected a KafkaSecurityConfigError');
}

describe('kafkaSecurityFromEnv', () => {
  it('is plaintext (undefined) with nothing set, as the local broker', () => {
    expect(kafkaSecurityFromEnv({})).toBeUndefined();
    expect(kafkaSecurityFromEnv({ KAFKA_SSL: 'false', KAFKA_SSL_CA: '' })).toBeUndefined();
    expect(kafkajsSecurity(undefined)).toEqual({});
  });

  it('reads the CA from a path or inline, and verifies the broker always', () => {
    const fromPath = kafkaSecurityFromEnv({ KAFKA_SSL: 'true', KAFKA_SSL_CA: caPath });
    const inline = kafkaSecurityFromEnv({ KAFKA_SSL: 'true', KAFKA_SSL_CA: readFileSync(caPath, 'utf8') });
    expect(fromPath?.ca).toContain('BEGIN CERTIFICATE');
    expect(inline?.ca).toBe(fromPath?.ca);
    expect(kafkajsSecurity(fromPath).ssl).toEqual({ ca: [fromPath?.ca], rejectUnauthorized: true });
    expect(kafkajsSecurity(kafkaSecurityFromEnv({ KAFKA_SSL: 'true' })).ssl).toEqual({ rejectUnauthorized: true });
  });

  it('builds SCRAM and AWS IAM (oauthbearer) options', () => {
    const scram = kafkaSecurityFromEnv({
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'app',
      KAFKA_SASL_PASSWORD: 'pw-secret',
    });
    expect(kafkajsSecurity(scram).sasl).toEqual({ mechanism: 'scram-sha-512', username: 'app', password: 'pw-secret' });
    const iam = kafkajsSecurity(
      kafkaSecurityFromEnv({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'aws', AWS_REGION: 'eu-west-1' }),
    );
    expect(iam.sasl?.mechanism).toBe('oauthbearer');
    expect(typeof (iam.sasl as { oauthBearerProvider?: unknown }).oauthBearerProvider).toBe('function');
    expect(
      describeKafkaSecurity(
        kafkaSecurityFromEnv({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'aws', KAFKA_AWS_REGION: 'us-east-1' }),
      ),
    ).toBe('TLS (system CAs), SASL AWS IAM (us-east-1)');
  });

  it('signs an MSK IAM token (SigV4 presigned kafka-cluster:Connect) with the credentials of the environment', async () => {
    // AWS's signer presigns locally; with static credentials in the environment nothing is fetched.
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    try {
      const iam = kafkajsSecurity(
        kafkaSecurityFromEnv({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'aws', AWS_REGION: 'eu-west-1' }),
      );
      const provider = (iam.sasl as { oauthBearerProvider: () => Promise<{ value: string }> }).oauthBearerProvider;
      const url = new URL(Buffer.from((await provider()).value, 'base64url').toString());
      expect(url.host).toBe('kafka.eu-west-1.amazonaws.com');
      expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
      expect(url.searchParams.get('X-Amz-Credential')).toMatch(
        /^AKIDEXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/,
      );
      expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      for (const [name, value] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('never shows the password when the configuration is logged, printed or serialised', () => {
    const scram = kafkaSecurityFromEnv({
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'app',
      KAFKA_SASL_PASSWORD: 'pw-secret',
    });
    expect(JSON.stringify(scram)).not.toContain('pw-secret');
    expect(inspect(scram, { depth: 5 })).not.toContain('pw-secret');
    expect(describeKafkaSecurity(scram)).toBe('TLS (system CAs), SASL scram-sha-256 as app');
  });

  it('names every inconsistent variable, never a value', () => {
    expect(problems({ KAFKA_SSL: 'yes' })).toEqual(['KAFKA_SSL: must be true or false']);
    expect(problems({ KAFKA_SSL_CA: caPath })).toEqual(['KAFKA_SSL_CA: is set but KAFKA_SSL is not true']);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'plain' })).toEqual([
      'KAFKA_SASL_MECHANISM: must be one of scram-sha-256, scram-sha-512, aws',
    ]);
    expect(
      problems({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'pw-secret' }),
    ).toEqual(['KAFKA_SASL_MECHANISM: SASL is only allowed over TLS: set KAFKA_SSL=true']);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-256' })).toEqual([
      'KAFKA_SASL_USERNAME: is required for SCRAM',
      'KAFKA_SASL_PASSWORD: is required for SCRAM',
    ]);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SASL_PASSWORD: 'pw-secret' })).toEqual([
      'KAFKA_SASL_MECHANISM: is required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set',
    ]);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'aws' })).toEqual([
      'KAFKA_AWS_REGION: is required for aws (IAM) when AWS_REGION is not set',
    ]);
    const all = problems({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'pw-secret' });
    expect(all.join('\n')).not.toContain('pw-secret');
  });

  it('says what is wrong with the CA: a missing file, or text that is no certificate', () => {
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA: path.join(dir, 'missing.crt') })).toEqual([
      `KAFKA_SSL_CA: cannot read the CA file ${path.join(dir, 'missing.crt')} (ENOENT)`,
    ]);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA: path.join(dir, 'ca.key') })).toEqual([
      'KAFKA_SSL_CA: is not a PEM certificate (no BEGIN CERTIFICATE block)',
    ]);
    expect(
      problems({
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----',
      }),
    ).toEqual(['KAFKA_SSL_CA: holds a PEM block that is not a valid X.509 certificate']);
  });
});
