import { Logger } from '@aws-lambda-powertools/logger';

/** Keys whose values are secrets wherever they appear in a log record. */
const SECRET_KEY = /(token|secret|password|authorization|api[-_]?key|cookie|signature)/i;
/** Secret values known to this process (Intercom tokens, webhook secrets), masked wherever they appear. */
const secretValues = new Set<string>();

/** Masks these values in every later log line, even inside an error message. */
export function protectSecrets(values: Iterable<string | undefined>): void {
  for (const value of values) if (value && value.length >= 8) secretValues.add(value);
}

function mask(text: string): string {
  let out = text;
  for (const secret of secretValues) if (out.includes(secret)) out = out.replaceAll(secret, '[redacted]');
  return out;
}

/** Redacts secrets by key name and by value before a record is serialised. */
export function redactSecrets(key: string, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (key && SECRET_KEY.test(key) && typeof value !== 'object') return '[redacted]';
  return typeof value === 'string' && secretValues.size > 0 ? mask(value) : value;
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
