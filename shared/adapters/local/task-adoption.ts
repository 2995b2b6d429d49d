/**
 * Restart adoption: the services a ledger record names are reattached through the driver; a
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
  const services = record.services.map((s) => {
    const ref = driver.refSchema.safeParse(s.ref);
    return {
      plan: { name: s.name, definition: s.definition, bindings: s.bindings },
      ref: ref.success ? ref.data : null,
    };
  });
  const live = await Promise.all(
    services.map(async ({ plan, ref }) => (ref === null ? null : await driver.reattach(ref, plan))),
  );
  const adoptable =
    (record.lastStatus === 'PENDING' || record.lastStatus === 'RUNNING') &&
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
