/**
 * The create use case's dependencies on the bench world for figures that only need environments
 * made the real way: the world's DynamoDB stores, every other port faked at zero cost
 * (`fakes.ts`), a fresh local execute-token key.
 */
import { randomBytes } from 'node:crypto';
import { LocalExecuteTokens } from '#adapters/local/local-execute-tokens';
import { type Clock, type IdGenerator, randomIds, systemClock } from '#ports/clock';
import type { CreateEnvironmentDeps } from '#use-cases/create-environment';
import {
  CountingPublisher,
  InstantRuntime,
  NullEnvFiles,
  NullExpiry,
  NullQueue,
  NullSecretValues,
} from './fakes.ts';
import type { World } from './world.ts';

export const benchCreateDeps = (
  world: Pick<World, 'stores'>,
  options: { readonly clock?: Clock; readonly ids?: IdGenerator } = {},
): CreateEnvironmentDeps => ({
  ...world.stores,
  secretValues: new NullSecretValues(),
  envFiles: new NullEnvFiles(),
  runtime: new InstantRuntime(),
  expiry: new NullExpiry(),
  publisher: new CountingPublisher(),
  checks: new NullQueue(),
  clock: options.clock ?? systemClock,
  ids: options.ids ?? randomIds,
  executeTokens: new LocalExecuteTokens({ key: randomBytes(32) }),
});
