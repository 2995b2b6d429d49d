/**
 * The local server's front door (issue 11): it reads no more of a body than the API accepts,
 * before authentication, and it throttles each key at the deployed stage's rate.
 */
import { describe, expect, it } from 'vitest';
import { STAGE_THROTTLE } from '#local/gateway';
import { environmentsUrl, stackPerFile } from '#test/support/e2e';

const stack = stackPerFile('front-door');

describe('request bodies', () => {
  it('answers a 1 MiB body with a 400 before authentication, as the gateway would', async () => {
    // Prepare: no key at all; before the fix the server buffered 10 MiB and answered 401.
    const body = JSON.stringify({ task_ref: 'hello-http', inputs: { name: 'x'.repeat(1024 * 1024) } });

    // Act
    const response = await fetch(environmentsUrl(stack()), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      code: 400,
      detail: 'Request body is too large',
      type: 'invalid_request_error',
    });
  });
});

describe('throttling', () => {
  it('answers 429 rate_limit_error with Retry-After once a key sends more than the burst at once', async () => {
    // Prepare: a route that does not exist costs the server nothing, so the rate is the client's.
    const url = `${stack().apiUrl}/api/v1/no-such-route`;
    const headers = { Authorization: `Bearer ${stack().apiKey}` };

    // Act: more than the burst, as fast as the server takes them.
    const statuses: number[] = [];
    let limited: Response | null = null;
    for (let i = 0; i < STAGE_THROTTLE.burstLimit * 5 && limited === null; i += 20) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => fetch(url, { headers })));
      for (const response of batch) {
        statuses.push(response.status);
        if (response.status === 429 && limited === null) limited = response;
        else await response.arrayBuffer();
      }
    }

    // Assess
    expect(statuses.filter((s) => s === 404).length).toBeGreaterThanOrEqual(STAGE_THROTTLE.burstLimit);
    expect(limited?.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(await limited?.json()).toEqual({
      code: 429,
      detail: 'Too many requests',
      type: 'rate_limit_error',
    });
    // Another key (here: none) has its own bucket.
    const other = await fetch(`${stack().apiUrl}/healthz`);
    expect(other.status).not.toBe(429);
  });
});
