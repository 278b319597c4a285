import type { ValidationError } from 'aws-cdk-lib';

/** The code that names a `ValidationError` (its `name`, e.g. `TooFewAvailabilityZones`). */
export type ErrorCode = ConstructorParameters<typeof ValidationError>[0];

/**
 * An error code written literally in the source, as aws-cdk-lib's own constructs write theirs
 * (its own `lit` is private):
 *
 * ```ts
 * throw new ValidationError(lit`TooFewAvailabilityZones`, 'TenantNetwork needs at least two availability zones', this);
 * ```
 *
 * The tag takes no substitutions, so a code never carries input.
 */
export function lit(code: TemplateStringsArray): ErrorCode {
  return code[0] as ErrorCode;
}
