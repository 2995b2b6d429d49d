/**
 * The environment state machine, pair by pair. The expectations are written out here rather
 * than derived from the production table, so a changed arrow in `environment.ts` fails a test.
 */
import { describe, expect, it } from 'vitest';
import {
  canTransition,
  type EnvironmentState,
  environmentStates,
  finalStates,
  isFinal,
  liveStates,
  statesAllowedBefore,
} from '#domain/environment';

/** Every legal move, `from → to`; every other pair (including staying put) is refused. */
const LEGAL: readonly (readonly [EnvironmentState, EnvironmentState])[] = [
  ['building', 'provisioning'],
  ['building', 'ready'],
  ['building', 'torn_down'],
  ['building', 'failed'],
  ['provisioning', 'ready'],
  ['provisioning', 'torn_down'],
  ['provisioning', 'failed'],
  ['ready', 'paused'],
  ['ready', 'torn_down'],
  ['ready', 'failed'],
  ['paused', 'ready'],
  ['paused', 'torn_down'],
  ['paused', 'failed'],
];

const STATES: readonly EnvironmentState[] = [
  'building',
  'provisioning',
  'ready',
  'paused',
  'torn_down',
  'failed',
];

const allPairs = STATES.flatMap((from) => STATES.map((to) => [from, to] as const));
const isLegal = (from: EnvironmentState, to: EnvironmentState): boolean =>
  LEGAL.some(([f, t]) => f === from && t === to);

describe('the environment state machine', () => {
  it('has exactly the six states of the API, in order', () => {
    expect(environmentStates).toEqual(STATES);
  });

  it('covers all 36 pairs, 13 of them legal', () => {
    expect(allPairs).toHaveLength(36);
    expect(allPairs.filter(([from, to]) => isLegal(from, to))).toHaveLength(13);
  });

  it.each(allPairs)('%s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(isLegal(from, to));
  });

  it.each([
    ['building', []],
    ['provisioning', ['building']],
    ['ready', ['building', 'provisioning', 'paused']],
    ['paused', ['ready']],
    ['torn_down', ['building', 'provisioning', 'ready', 'paused']],
    ['failed', ['building', 'provisioning', 'ready', 'paused']],
  ] as const)('enters %s only from %j', (to, from) => {
    expect(statesAllowedBefore(to)).toEqual(from);
  });

  it('ends in torn_down and failed, and in nothing else', () => {
    expect(finalStates).toEqual(['torn_down', 'failed']);
    expect(liveStates).toEqual(['building', 'provisioning', 'ready', 'paused']);
    expect(STATES.filter(isFinal)).toEqual(['torn_down', 'failed']);
  });
});
