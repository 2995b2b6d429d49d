/**
 * Restart adoption: the services a ledger record names are reattached through the driver (one
 * the record has no ref of yet is looked for with `findStarted`: the crash came between its
 * start and its record); a
 * task whose essential services do not all still run is ended instead (its services killed and
 * released), and the reconciler settles its environment.
 */

import type { RuntimeDriver, ServicePlan, StartedService } from './runtime-driver.ts';
import type { LedgerRecord } from './task-ledger.ts';

export interface Reattached<Ref> {
  readonly services: readonly { readonly plan: ServicePlan; readonly ref: Ref | null }[];
  /** Per service, in order: its live handle, or null when it no longer runs. */
  readonly live: readonly (StartedService<Ref> | null)[];
}

/** The recorded task's live services when it can be adopted; otherwise ends them and answers null. */
export const reattachRecorded = async <Ref>(
  driver: RuntimeDriver<Ref>,
  record: LedgerRecord,
): Promise<Reattached<Ref> | null> => {
  const services = await Promise.all(
    record.services.map(async (s) => {
      const plan = { name: s.name, definition: s.definition, bindings: s.bindings };
      const ref = driver.refSchema.safeParse(s.ref);
      // Started after the record was written, before the stack could add its ref to it.
      const found = ref.success ? ref.data : ((await driver.findStarted?.(record.taskArn, plan)) ?? null);
      return { plan, ref: found };
    }),
  );
  const live = await Promise.all(
    services.map(async ({ plan, ref }) => (ref === null ? null : await driver.reattach(ref, plan))),
  );
  const adoptable =
    ['PROVISIONING', 'PENDING', 'RUNNING'].includes(record.lastStatus) &&
    services.every(({ plan }, index) => !plan.definition.essential || live[index] !== null);
  if (!adoptable) {
    for (const started of live) {
      if (started !== null) await driver.signal(started.ref, 'kill').catch(() => undefined);
    }
    await Promise.all(live.map((started) => started?.ended));
    await driver
      .release(
        record.environmentId,
        services.flatMap(({ plan, ref }) => (ref === null ? [] : [{ name: plan.name, ref }])),
      )
      .catch(() => undefined);
    return null;
  }
  return { services, live };
};
