/** What every CLI command writes to and reads from: its output streams, environment and secrets. */
import type { SecretStore } from '../secrets/store.ts';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** The deployed secrets (AWS Secrets Manager unless a test injects another). */
  store?: () => Promise<SecretStore>;
}
