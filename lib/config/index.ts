export { type Env, type LoadOptions, loadApiKeysOnly, loadConfig, type SecretReader } from './load.ts';
export { API_KEY_SCOPES, ConfigError, derivedKeyId, sha256Hex } from './parse.ts';
export type * from './types.ts';
