import { localDataPlane } from '#local/data-plane';
import { systemClock } from '#ports/clock';
import { ExecUnavailableError } from '#ports/container-runtime';
import type { World } from './world.ts';

/** The data plane of a bench world whose runs execute no command (control plane, pooled ready). */
export const idleDataPlane = (world: Pick<World, 'client' | 'tableName'>) =>
  localDataPlane({
    client: world.client,
    tableName: world.tableName,
    runtime: {
      exec: async () => {
        throw new ExecUnavailableError('this benchmark runs no commands');
      },
      read: async () => ({ lines: [], truncated: false }),
    },
    verifiedEvents: { publishVerified: async () => undefined },
    clock: systemClock,
    onError: () => undefined,
  });
