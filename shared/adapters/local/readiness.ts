/**
 * The readiness probes of a local task's services: every declared port accepts a TCP
 * connection, the health path answers 2xx, the health command exits 0 where the service runs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { healthProbe } from '#domain/service-manifest';
import { shellQuote } from '#domain/verification';
import type { LocalTask, ServiceState } from './local-task.ts';
import { httpAnswers2xx, tcpAnswers } from './probes.ts';
import type { RuntimeDriver } from './runtime-driver.ts';

const HEALTH_COMMAND_TIMEOUT_SEC = 5;

/** Labels (`web:8080`, `web GET /health`) of the probes that do not pass yet. */
const notReady = async <Ref>(
  driver: RuntimeDriver<Ref>,
  services: readonly ServiceState<Ref>[],
): Promise<string[]> => {
  const probes: Promise<string | null>[] = [];
  // A non-essential service that has exited no longer has anything to wait for.
  for (const service of services.filter((s) => s.status !== 'STOPPED')) {
    const { ref, plan } = service;
    if (ref === null) continue;
    for (const binding of plan.bindings) {
      const label = `${plan.name}:${binding.containerPort}`;
      const target = driver.probeTarget(ref, binding);
      probes.push(
        target === null
          ? Promise.resolve(label)
          : tcpAnswers(target.host, target.port).then((ok) => (ok ? null : label)),
      );
    }
    const probe = healthProbe(plan.definition);
    if (probe?.kind === 'command') {
      // Run where the service runs (its container, or its process's directory and environment).
      const label = `${plan.name} health command`;
      probes.push(
        driver
          .exec(ref, plan, probe.command.map(shellQuote).join(' '), {
            timeoutSec: HEALTH_COMMAND_TIMEOUT_SEC,
          })
          .then(
            (result) => (result.exitCode === 0 ? null : label),
            () => label,
          ),
      );
    }
    const healthBinding =
      probe?.kind === 'http' ? plan.bindings.find((b) => b.containerPort === probe.port) : undefined;
    if (probe?.kind === 'http' && healthBinding !== undefined) {
      const label = `${plan.name} GET ${probe.path}`;
      const target = driver.probeTarget(ref, healthBinding);
      probes.push(
        target === null
          ? Promise.resolve(label)
          : httpAnswers2xx(target.host, target.port, probe.path).then((ok) => (ok ? null : label)),
      );
    }
  }
  return (await Promise.all(probes)).filter((label) => label !== null);
};

const FIRST_PROBE_DELAY_MS = 10;
const MAX_PROBE_DELAY_MS = 100;

/**
 * Probes `task` until every probe passes (answers `[]`), `timeoutMs` has passed (answers the
 * labels still waiting) or the task is being stopped (answers null), backing off up to 100 ms.
 */
export const untilReady = async <Ref>(
  driver: RuntimeDriver<Ref>,
  task: LocalTask<Ref>,
  timeoutMs: number,
): Promise<string[] | null> => {
  const deadline = Date.now() + timeoutMs;
  let delay = FIRST_PROBE_DELAY_MS;
  while (task.desiredStatus === 'RUNNING') {
    const waiting = await notReady(driver, task.services);
    if (task.desiredStatus !== 'RUNNING') return null;
    if (waiting.length === 0 || Date.now() >= deadline) return waiting;
    await sleep(delay, undefined, { ref: false });
    delay = Math.min(delay * 2, MAX_PROBE_DELAY_MS);
  }
  return null;
};
