import { describe, expect, it } from 'vitest';
import { planPool, poolStartedBy, type SlotRecord, slotIdOf } from '#domain/pool';

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
