/**
 * How every Lambda is bundled: the CDK app's NodejsFunction bundling and the cold-start benchmark
 * both read these, so the benchmark measures what is deployed.
 */

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
