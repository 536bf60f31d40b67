/** Reading CDK context values (`-c key=value`, cdk.json): absent and empty both mean "use the default". */
import type { Node } from 'constructs';

export function textFrom(node: Node, key: string): string | undefined {
  const value = node.tryGetContext(key);
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

export function numberFrom(
  node: Node,
  key: string,
  fallback: number,
  min: number,
  max: number,
  integer = true,
): number {
  const raw = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value)))
    throw new Error(
      `context "${key}" must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}: ${raw}`,
    );
  return value;
}

/** `true`/`false` (as JSON in cdk.json, or as text from `-c key=true`). */
export function booleanFrom(node: Node, key: string, fallback: boolean): boolean {
  const raw = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new Error(`context "${key}" must be true or false: ${raw}`);
}
