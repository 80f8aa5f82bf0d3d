export { createLogger, type Logger, type LoggerSettings, silentLogger } from './logger.ts';
export { REDACTED, redactPaths } from './redaction.ts';
