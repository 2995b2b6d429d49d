import { envVarProblem, secretValueProblem } from './env-var.ts';
import type { FieldError } from './errors.ts';

/** What taskenv keeps about a secret besides its value (which lives only in the secret store). */
export interface SecretMetadata {
  readonly org: string;
  readonly workspace: string;
  readonly id: string;
  readonly envVar: string;
  /** A hint such as `sk-…9f2c`; never enough of the value to matter. */
  readonly preview: string;
  /** Where the value lives (a Secrets Manager ARN on AWS, a key of the local store). */
  readonly valueRef: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** `env_var` default of `docs/api.md`: the id upper-cased with `-` → `_`. */
export const defaultEnvVar = (id: string): string => id.toUpperCase().replaceAll('-', '_');

/** A preview that shows at most 4 trailing characters, and none of a short value. */
export const previewOf = (value: string): string => (value.length < 12 ? '****' : `****${value.slice(-4)}`);

/** A secret chosen for an environment, with its value, as the create checks it. */
export interface ChosenSecret {
  readonly id: string;
  readonly envVar: string;
  readonly value: string;
}

/**
 * What stops the chosen secrets from becoming the environment's variables, at
 * `["body", "secret_ids", i]`: a name or value stored before the rules of {@link envVarProblem}
 * and {@link secretValueProblem} applied, two secrets with the same `env_var`, or an `env_var`
 * the task's manifest sets itself (ECS would let the manifest win without a word). Never quotes
 * a value.
 */
export const chosenSecretProblems = (
  secrets: readonly ChosenSecret[],
  manifestEnvNames: ReadonlySet<string>,
): FieldError[] => {
  const problems: FieldError[] = [];
  const owners = new Map<string, string>();
  for (const [index, secret] of secrets.entries()) {
    const loc = ['body', 'secret_ids', index] as const;
    const name = envVarProblem(secret.envVar);
    if (name !== null) problems.push({ loc, msg: `Secret '${secret.id}': ${name}`, type: 'invalid_env_var' });
    const value = secretValueProblem(secret.value);
    if (value !== null) {
      problems.push({
        loc,
        msg: `Secret '${secret.id}': its value: ${value}; PUT it again`,
        type: 'invalid_value',
      });
    }
    const owner = owners.get(secret.envVar);
    if (owner !== undefined) {
      problems.push({
        loc,
        msg: `Secrets '${owner}' and '${secret.id}' both set ${secret.envVar}`,
        type: 'env_var_collision',
      });
    } else {
      owners.set(secret.envVar, secret.id);
    }
    if (manifestEnvNames.has(secret.envVar)) {
      problems.push({
        loc,
        msg: `Secret '${secret.id}' sets ${secret.envVar}, which the task's manifest sets itself`,
        type: 'env_var_collision',
      });
    }
  }
  return problems;
};
