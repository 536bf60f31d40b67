import { Logger } from '@aws-lambda-powertools/logger';

/** Keys whose values are secrets wherever they appear in a log record. */
const SECRET_KEY = /(token|secret|password|authorization|api[-_]?key|cookie|signature)/i;

/** Redacts secrets by key name before a record is serialised. */
export function redactSecrets(key: string, value: unknown): unknown {
  return key && SECRET_KEY.test(key) && value !== undefined && value !== null && typeof value !== 'object'
    ? '[redacted]'
    : value;
}

let shared: Logger | undefined;

/** The process's structured JSON logger (Powertools), level from POWERTOOLS_LOG_LEVEL. */
export function logger(): Logger {
  shared ??= new Logger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'intercom-actions',
    jsonReplacerFn: redactSecrets,
  });
  return shared;
}
