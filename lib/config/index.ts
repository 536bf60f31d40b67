export {
  type Env,
  type LoadOptions,
  loadApiKeysOnly,
  loadConfig,
  loadWebhookConfig,
  type SecretReader,
} from './load.ts';
export { API_KEY_SCOPES, ConfigError, derivedKeyId, parseWebhookSecrets, sha256Hex } from './parse.ts';
export type * from './types.ts';
