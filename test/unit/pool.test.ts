import { describe, expect, it } from 'vitest';
import { planPool, poolName, poolStartedBy, type SlotRecord, slotIdOf } from '#domain/pool';

const NOW = new Date('2026-01-01T12:00:00.000Z');
const ago = (sec: number) => new Date(NOW.getTime() - sec * 1000).toISOString();
const slot = (
  id: string,
  state: SlotRecord['state'],
  ageSec: number,
  taskArn: string | null = `arn/${id}`,
): SlotRecord => ({
  id,
  org: 'acme',
  pool: 'web@1.0.0',
  taskRef: 'acme/web@1.0.0',
  state,
  taskArn,
  eventVersion: 0,
  endpoints: [],
  serviceUrls: null,
  environmentId: null,
  createdAt: ago(ageSec),
  updatedAt: ago(ageSec),
  retiredReason: null,
});

describe('startedBy of pool tasks', () => {
  it('round-trips a slot id within ECS rules (36 characters of [A-Za-z0-9_/-])', () => {
    const id = 'a'.repeat(30);
    expect(poolStartedBy(id)).toMatch(/^[A-Za-z0-9_/-]{1,36}$/);
    expect(slotIdOf(poolStartedBy(id))).toBe(id);
  });

  it('reads no slot from an environment id or a malformed pool id', () => {
    expect(slotIdOf('0f8fad5b-d9cb-469f-a165-70867728950e')).toBeNull();
    expect(slotIdOf('pool/../etc')).toBeNull();
    expect(slotIdOf(null)).toBeNull();
  });
});

describe('planPool', () => {
  it('starts what is missing up to the size; claimed and retired slots do not count', () => {
    const plan = planPool(3, [slot('a', 'warm', 5), slot('b', 'claimed', 5), slot('c', 'retired', 5)], NOW);
    expect(plan).toEqual({ retire: [], start: 2, relaunch: [] });
  });

  it('replaces warm slots older than an hour and gives up slots that never started', () => {
    const old = slot('old', 'warm', 3600);
    const stuck = slot('stuck', 'starting', 600);
    const plan = planPool(2, [old, stuck], NOW);
    expect(plan.retire.map((r) => [r.slot.id, r.reason])).toEqual([
      ['old', 'replaced after its maximum age'],
      ['stuck', 'did not start in time'],
    ]);
    expect(plan.start).toBe(2);
  });

  it('shrinks starting slots first, then the oldest warm ones', () => {
    const plan = planPool(
      1,
      [slot('new', 'warm', 10), slot('older', 'warm', 100), slot('s', 'starting', 1)],
      NOW,
    );
    expect(plan.retire.map((r) => r.slot.id)).toEqual(['s', 'older']);
    expect(plan.start).toBe(0);
  });

  it('relaunches a starting slot without a task once past the grace, not before', () => {
    const young = slot('young', 'starting', 2, null);
    const orphaned = slot('orphaned', 'starting', 30, null);
    const plan = planPool(2, [young, orphaned], NOW);
    expect(plan.relaunch.map((s) => s.id)).toEqual(['orphaned']);
    expect(plan.start).toBe(0);
  });
});

describe('pool names and task startedBy, literally', () => {
  it('names a pool name@version and starts its tasks as pool/<slot id>', () => {
    expect(poolName({ name: 'web', version: '1.2.0' })).toBe('web@1.2.0');
    expect(poolStartedBy('0'.repeat(30))).toBe(`pool/${'0'.repeat(30)}`);
  });

  it('reads a slot id of exactly 30 hex digits after pool/, nothing else', () => {
    expect(slotIdOf(`pool/${'f'.repeat(30)}`)).toBe('f'.repeat(30));
    expect(slotIdOf(`pool/${'f'.repeat(31)}`)).toBeNull();
    expect(slotIdOf(`pool/x${'f'.repeat(30)}`)).toBeNull();
    expect(slotIdOf(`slot/${'f'.repeat(30)}`)).toBeNull();
    expect(slotIdOf(undefined)).toBeNull();
  });
});

describe('planPool, each rule on its own', () => {
  it('retires a starting slot past the start deadline as not started, even past the maximum age', () => {
    expect(planPool(1, [slot('s', 'starting', 4000)], NOW).retire.map((r) => r.reason)).toEqual([
      'did not start in time',
    ]);
  });

  it('keeps a warm slot past the start deadline but under the maximum age', () => {
    expect(planPool(1, [slot('w', 'warm', 1000)], NOW)).toEqual({ retire: [], start: 0, relaunch: [] });
  });

  it('retires the surplus as no longer needed, and never relaunches a slot it retires', () => {
    const plan = planPool(1, [slot('w', 'warm', 100), slot('s', 'starting', 20, null)], NOW);
    expect(plan.retire.map((r) => [r.slot.id, r.reason])).toEqual([['s', 'the pool no longer needs it']]);
    expect(plan).toMatchObject({ start: 0, relaunch: [] });
  });

  it('relaunches only starting slots without a task, from the grace period on', () => {
    const slots = [
      slot('at-grace', 'starting', 10, null),
      slot('young', 'starting', 9, null),
      slot('launched', 'starting', 100),
      slot('warm', 'warm', 100, null),
    ];
    expect(planPool(4, slots, NOW).relaunch.map((s) => s.id)).toEqual(['at-grace']);
  });
});
