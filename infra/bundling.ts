/**
 * How every Lambda is bundled: the CDK app's NodejsFunction bundling and the cold-start benchmark
 * both read these, so the benchmark measures what is deployed.
 */
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';

/** Lambda runtime major: nodejs24.x, the newest Node LTS Lambda offers (supported to 2028). */
export const NODE_MAJOR = 24;

export const LAMBDA_BUNDLE = {
  target: `node${NODE_MAJOR}`,
  format: 'esm',
  minify: true,
  sourcemap: true,
  /** Prefer packages' ESM builds. */
  mainFields: ['module', 'main'],
  /**
   * CommonJS packages inside an ESM bundle (undici, ajv's runtime) call require(); give them one.
   * Without it the bundle fails at load with "Dynamic require of node:assert is not supported".
   */
  banner:
    "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
} as const;

/** A single-quoted POSIX shell word: the bundling hooks run in bash. */
function shellWord(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * NodejsFunction command hooks that copy `files` (name in the bundle -> path on disk) next to
 * `index.mjs`. The paths are the host's: esbuild is a devDependency, so CDK bundles locally, never in
 * Docker. Copied files are part of the asset's hash, so changing one redeploys the function.
 */
export function copyIntoBundle(files: Readonly<Record<string, string>>): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) =>
      Object.entries(files).map(
        ([name, path]) => `cp ${shellWord(path)} ${shellWord(`${outputDir}/${name}`)}`,
      ),
  };
}
