import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import type { SASLOptions } from 'kafkajs';
import { z } from 'zod';

/**
 * How the event bus reaches a managed Kafka: TLS (with the provider's CA, or the system's), and SASL over
 * it: SCRAM (Confluent, Aiven, MSK with SCRAM) or AWS IAM (MSK Serverless takes nothing else). Read from
 * the environment by kafkaSecurityFromEnv; handed to createKafkaEventBus as `security`.
 */
export type KafkaSecurity = {
  /** PEM of the CA(s) that sign the brokers' certificates; absent: the system's trust store. */
  readonly ca?: string;
  readonly sasl?:
    | { readonly mechanism: 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string }
    | { readonly mechanism: 'aws'; readonly region: string };
};

/** The Kafka security variables are inconsistent; one line per problem, never a secret's value. */
export class KafkaSecurityConfigError extends Error {
  override readonly name = 'KafkaSecurityConfigError';
  readonly code = 'KAFKA_SECURITY_CONFIG';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid Kafka security configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

const mechanisms = ['scram-sha-256', 'scram-sha-512', 'aws'] as const;
const unset = (v: string | undefined) => v === undefined || v.trim() === '';

const envSchema = z
  .object({
    KAFKA_SSL: z
      .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
      .optional()
      .transform((v) => v === 'true' || v === '1'),
    /** A PEM (starts with -----BEGIN) or the path of a PEM file. */
    KAFKA_SSL_CA: z.string().optional(),
    KAFKA_SASL_MECHANISM: z.enum(mechanisms, { message: `must be one of ${mechanisms.join(', ')}` }).optional(),
    KAFKA_SASL_USERNAME: z.string().optional(),
    KAFKA_SASL_PASSWORD: z.string().optional(),
    /** MSK's region for IAM; AWS_REGION (set by EKS for IRSA pods) when absent. */
    KAFKA_AWS_REGION: z.string().optional(),
    AWS_REGION: z.string().optional(),
  })
  .superRefine((env, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (!env.KAFKA_SSL && !unset(env.KAFKA_SSL_CA)) problem('KAFKA_SSL_CA', 'is set but KAFKA_SSL is not true');
    // SCRAM over plain TCP exposes the exchange to anyone on the path, and IAM is TLS-only at MSK: refuse.
    if (env.KAFKA_SASL_MECHANISM && !env.KAFKA_SSL)
      problem('KAFKA_SASL_MECHANISM', 'SASL is only allowed over TLS: set KAFKA_SSL=true');
    const scram = env.KAFKA_SASL_MECHANISM?.startsWith('scram');
    if (scram && unset(env.KAFKA_SASL_USERNAME)) problem('KAFKA_SASL_USERNAME', 'is required for SCRAM');
    if (scram && unset(env.KAFKA_SASL_PASSWORD)) problem('KAFKA_SASL_PASSWORD', 'is required for SCRAM');
    if (!env.KAFKA_SASL_MECHANISM && (!unset(env.KAFKA_SASL_USERNAME) || !unset(env.KAFKA_SASL_PASSWORD)))
      problem('KAFKA_SASL_MECHANISM', 'is required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set');
    if (env.KAFKA_SASL_MECHANISM === 'aws') {
      if (!unset(env.KAFKA_SASL_USERNAME) || !unset(env.KAFKA_SASL_PASSWORD))
        problem('KAFKA_SASL_MECHANISM', 'aws (IAM) takes the pod role, not KAFKA_SASL_USERNAME/PASSWORD');
      if (unset(env.KAFKA_AWS_REGION) && unset(env.AWS_REGION))
        problem('KAFKA_AWS_REGION', 'is required for aws (IAM) when AWS_REGION is not set');
    }
  });

function readCa(value: string): { pem?: string; problem?: string } {
  const trimmed = value.trim();
  let pem = trimmed;
  if (!trimmed.startsWith('-----BEGIN')) {
    try {
      pem = readFileSync(trimmed, 'utf8');
    } catch (error) {
      // The path is not a secret; the file's content would be, and is never echoed.
      return { problem: `cannot read the CA file ${trimmed} (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
    }
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) return { problem: 'is not a PEM certificate (no BEGIN CERTIFICATE block)' };
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      return { problem: 'holds a PEM block that is not a valid X.509 certificate' };
    }
  }
  return { pem: blocks.join('\n') };
}

/**
 * Reads KAFKA_SSL, KAFKA_SSL_CA, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and
 * KAFKA_AWS_REGION (or AWS_REGION). Undefined when KAFKA_SSL is off (the local plaintext broker).
 * Throws KafkaSecurityConfigError naming every problem; values are never part of a message.
 */
export function kafkaSecurityFromEnv(env: Readonly<Record<string, string | undefined>>): KafkaSecurity | undefined {
  const input: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = envSchema.safeParse(input);
  if (!result.success)
    throw new KafkaSecurityConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const parsed = result.data;
  if (!parsed.KAFKA_SSL) return undefined;
  let ca: string | undefined;
  if (parsed.KAFKA_SSL_CA !== undefined) {
    const read = readCa(parsed.KAFKA_SSL_CA);
    if (read.problem) throw new KafkaSecurityConfigError([`KAFKA_SSL_CA: ${read.problem}`]);
    ca = read.pem;
  }
  const mechanism = parsed.KAFKA_SASL_MECHANISM;
  if (mechanism === 'aws')
    return { ca, sasl: { mechanism, region: (parsed.KAFKA_AWS_REGION ?? parsed.AWS_REGION) as string } };
  if (mechanism) {
    const sasl = { mechanism, username: parsed.KAFKA_SASL_USERNAME as string } as {
      mechanism: typeof mechanism;
      username: string;
      password: string;
    };
    // Not enumerable: a logger, JSON.stringify or util.inspect of the config never shows the password.
    Object.defineProperty(sasl, 'password', { value: parsed.KAFKA_SASL_PASSWORD, enumerable: false });
    return { ca, sasl };
  }
  return { ca };
}

/** For a startup log line: what is used, never a secret. */
export function describeKafkaSecurity(security: KafkaSecurity | undefined): string {
  if (!security) return 'plaintext';
  const tls = security.ca ? 'TLS (configured CA)' : 'TLS (system CAs)';
  if (!security.sasl) return tls;
  if (security.sasl.mechanism === 'aws') return `${tls}, SASL AWS IAM (${security.sasl.region})`;
  return `${tls}, SASL ${security.sasl.mechanism} as ${security.sasl.username}`;
}

/** The kafkajs `ssl` and `sasl` client options for a KafkaSecurity. */
export function kafkajsSecurity(security: KafkaSecurity | undefined): {
  ssl?: { ca?: string[]; rejectUnauthorized: true };
  sasl?: SASLOptions;
} {
  if (!security) return {};
  const ssl = { ...(security.ca ? { ca: [security.ca] } : {}), rejectUnauthorized: true as const };
  const sasl = security.sasl;
  if (!sasl) return { ssl };
  if (sasl.mechanism === 'aws') {
    const region = sasl.region;
    // MSK IAM over OAUTHBEARER: kafkajs asks for a token on each (re)authentication; the signer presigns
    // with the pod's credentials (IRSA / instance role) and the token lives 15 minutes.
    return {
      ssl,
      sasl: {
        mechanism: 'oauthbearer',
        oauthBearerProvider: async () => ({ value: (await generateAuthToken({ region })).token }),
      },
    };
  }
  return { ssl, sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } };
}

/** For main.ts, as loadConfigOrExit: print every problem and exit 78 (EX_CONFIG) instead of starting. */
export function kafkaSecurityFromEnvOrExit(
  env: Readonly<Record<string, string | undefined>>,
  exit: (code: number) => never = process.exit,
): KafkaSecurity | undefined {
  try {
    return kafkaSecurityFromEnv(env);
  } catch (error) {
    if (!(error instanceof KafkaSecurityConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return exit(78);
  }
}
