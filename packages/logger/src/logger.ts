import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { redact, redactedKeys } from './redaction.ts';

export type { Logger } from 'pino';

export interface LoggerSettings {
  level?: string;
  service?: string;
  /** Only the geo pipeline may log client IPs. */
  allowIps?: boolean;
  /** Extra fields on every line (e.g. env, version). */
  base?: Record<string, unknown>;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  /** Adds fields to every line, e.g. the active trace ids (see @single/tracing). */
  mixin?: () => Record<string, unknown>;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const keys = redactedKeys({ allowIps: settings.allowIps });
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: settings.service, ...settings.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => redact(object, keys) as Record<string, unknown>,
    },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    ...(settings.mixin ? { mixin: settings.mixin } : {}),
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A logger that writes nothing: for tests and for library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
