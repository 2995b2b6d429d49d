import { describe, expect, it } from 'vitest';
import type { Endpoint } from '#domain/environment';
import { buildServiceUrls, serviceVariables } from '#domain/service-urls';

const endpoints: Endpoint[] = [
  { key: 'web', service: 'web', port: 80 },
  { key: 'api_8080', service: 'api', port: 8080 },
  { key: 'api_9090', service: 'api', port: 9090 },
];

describe('buildServiceUrls', () => {
  it.each(['', '0.0.0.0', '::', '[::]'])('uses the task host for the wildcard bind address %j', (bindIp) => {
    const urls = buildServiceUrls(endpoints.slice(0, 1), '192.0.2.1', [
      { containerName: 'web', containerPort: 80, hostPort: 49153, bindIp },
    ]);
    expect(urls.web?.url).toBe('http://192.0.2.1:49153');
  });

  it('brackets an IPv6 host in the URL once, never in host', () => {
    expect(buildServiceUrls(endpoints.slice(0, 1), '::1', []).web).toEqual({
      url: 'http://[::1]:80',
      host: '::1',
      port: 80,
      protocol: 'http',
    });
    expect(buildServiceUrls(endpoints.slice(0, 1), '[fd00::1]', []).web?.url).toBe('http://[fd00::1]:80');
  });

  it('gives every endpoint the task host and its container port on Fargate', () => {
    // Act
    const urls = buildServiceUrls(endpoints, '203.0.113.7', []);

    // Assess
    expect(urls).toEqual({
      web: { url: 'http://203.0.113.7:80', host: '203.0.113.7', port: 80, protocol: 'http' },
      api_8080: { url: 'http://203.0.113.7:8080', host: '203.0.113.7', port: 8080, protocol: 'http' },
      api_9090: { url: 'http://203.0.113.7:9090', host: '203.0.113.7', port: 9090, protocol: 'http' },
    });
  });

  it('uses the published host port and bind address where the runtime reports a binding', () => {
    // Prepare
    const bindings = [
      { containerName: 'api', containerPort: 9090, hostPort: 49160, bindIp: '127.0.0.1' },
      { containerName: 'web', containerPort: 80, hostPort: 49153, bindIp: '0.0.0.0' },
    ];

    // Act
    const urls = buildServiceUrls(endpoints, 'localhost', bindings);

    // Assess
    expect(urls.api_9090).toEqual({
      url: 'http://127.0.0.1:49160',
      host: '127.0.0.1',
      port: 49160,
      protocol: 'http',
    });
    // A wildcard bind address says where the port listens, not where a client connects.
    expect(urls.web).toEqual({
      url: 'http://localhost:49153',
      host: 'localhost',
      port: 49153,
      protocol: 'http',
    });
    expect(urls.api_8080?.port).toBe(8080);
  });

  it('ignores a binding of another container on the same port', () => {
    // Act
    const urls = buildServiceUrls(endpoints, '10.0.0.139', [
      { containerName: 'sidecar', containerPort: 80, hostPort: 32768, bindIp: '127.0.0.1' },
    ]);

    // Assess
    expect(urls.web?.url).toBe('http://10.0.0.139:80');
  });

  it('brackets an IPv6 host in the URL only', () => {
    // Act
    const urls = buildServiceUrls([{ key: 'web', service: 'web', port: 80 }], '2001:db8::7', []);

    // Assess
    expect(urls.web).toEqual({
      url: 'http://[2001:db8::7]:80',
      host: '2001:db8::7',
      port: 80,
      protocol: 'http',
    });
  });

  it('is empty for a task that exposes nothing', () => {
    expect(buildServiceUrls([], '203.0.113.7', [])).toEqual({});
  });
});

describe('serviceVariables', () => {
  it('gives the instruction <key>_url, <key>_host and <key>_port for every entry', () => {
    // Prepare
    const urls = buildServiceUrls(endpoints.slice(0, 2), '203.0.113.7', []);

    // Act
    const variables = serviceVariables(urls);

    // Assess
    expect(variables).toEqual({
      web_url: 'http://203.0.113.7:80',
      web_host: '203.0.113.7',
      web_port: 80,
      api_8080_url: 'http://203.0.113.7:8080',
      api_8080_host: '203.0.113.7',
      api_8080_port: 8080,
    });
  });
});
