import type { Logger } from '@single/logger';
import { type LogEntry, type logCreator, logLevel } from 'kafkajs';

/**
 * Routes kafkajs' own log lines to our logger (never to the console). kafkajs levels: ERROR=1, WARN=2,
 * INFO=4, DEBUG=5; a line above the configured kafkajs level is never built.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  const log = logger.child({ component: 'kafkajs' });
  return (_level) =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = entry;
      const line = { namespace, ...fields };
      if (level <= logLevel.ERROR) log.error(line, message);
      else if (level === logLevel.WARN) log.warn(line, message);
      else if (level === logLevel.INFO) log.info(line, message);
      else log.debug(line, message);
    };
}
