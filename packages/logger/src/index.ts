export { createLogger, type Logger, type LoggerSettings, silentLogger } from './logger.ts';
export { REDACTED, redact, redactedKeys } from './redaction.ts';
