/** Validates the body against the operation's precompiled schema: 400 `validation_failed` with details. */
import type { MiddlewareObj } from '@middy/core';
import { normalizeInput, type ValidatorMap, validateInput } from '../../validation/validate.ts';
import { HttpError } from '../errors.ts';
import type { ActionContext, HttpEvent, HttpResult } from '../types.ts';

export function validateOperationInput(
  validators: ValidatorMap,
): MiddlewareObj<HttpEvent, HttpResult, Error, ActionContext> {
  return {
    name: 'validateOperationInput',
    before: ({ context }) => {
      const op = context.operation!;
      const validator = validators[op.name];
      if (!validator) throw new Error(`No validator compiled for ${op.name}`);
      const input = normalizeInput(context.input ?? {});
      const details = validateInput(validator, input);
      if (details.length > 0)
        throw new HttpError(400, 'validation_failed', 'Invalid parameters', { details });
      context.input = input;
    },
  };
}
