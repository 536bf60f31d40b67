/** Where deployed configuration lives: a port, with the AWS Secrets Manager adapter. */

export interface SecretStore {
  /** The secret's string, or undefined when it does not exist. */
  read(secretId: string): Promise<string | undefined>;
  write(secretId: string, value: string): Promise<void>;
}

export interface AwsSecretStoreOptions {
  region?: string;
  /** A Secrets Manager-compatible endpoint (tests, LocalStack-style emulators). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** AWS SDK v3, loaded only by the CLI commands that manage secrets (never in a function bundle). */
export async function awsSecretStore(options: AwsSecretStoreOptions = {}): Promise<SecretStore> {
  const { SecretsManagerClient, GetSecretValueCommand, PutSecretValueCommand, ResourceNotFoundException } =
    await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({ ...options, maxAttempts: 3 });
  return {
    async read(secretId) {
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
        return out.SecretString;
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return undefined;
        throw error;
      }
    },
    async write(secretId, value) {
      await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
    },
  };
}
