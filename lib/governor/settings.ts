/** The rate governor's settings from the environment, read once per container: what bulk jobs and automations share. */
import { documentClient } from '../aws/clients.ts';
import { ConfigError, type Env, numberSetting as number } from '../config/parse.ts';
import { RateGovernor } from './rate-governor.ts';

export interface RateSettings {
  rateTable: string;
  defaultLimitPerWindow: number;
  windowSeconds: number;
  reserveFraction: number;
}

export function rateSettings(env: Env = process.env): RateSettings {
  if (!env.RATE_TABLE) throw new ConfigError('The rate governor needs RATE_TABLE');
  return {
    rateTable: env.RATE_TABLE,
    defaultLimitPerWindow: number(env, 'RATE_LIMIT_DEFAULT_PER_WINDOW', 1666, 1, 100_000),
    windowSeconds: number(env, 'RATE_LIMIT_WINDOW_SECONDS', 10, 1, 3600),
    reserveFraction: number(env, 'RATE_LIMIT_RESERVE', 0.1, 0, 0.9),
  };
}

/** The workspace rate governor on the shared rate table. */
export function rateGovernor(settings: RateSettings): RateGovernor {
  return new RateGovernor(documentClient(), {
    table: settings.rateTable,
    defaultLimit: settings.defaultLimitPerWindow,
    windowSeconds: settings.windowSeconds,
    reserveFraction: settings.reserveFraction,
  });
}
