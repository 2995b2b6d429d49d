/**
 * `service_urls` of a ready environment (`docs/api.md`): one entry per exposed (service, port),
 * keyed like the instruction's service variables.
 */

import type { Endpoint, ServiceUrl, ServiceUrls } from './environment.ts';
import type { TaskNetwork } from './task-network.ts';

// The instruction variables built from these URLs live with the rest of the template rules.
export { serviceVariables } from './instruction.ts';

/** Bind addresses that say "every interface" rather than where a client connects. */
const WILDCARD_BIND_IPS: ReadonlySet<string> = new Set(['', '0.0.0.0', '::', '[::]']);

/** IPv6 literals need brackets inside a URL (`http://[::1]:8080`), not in `host`. */
const urlHost = (host: string): string => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/**
 * One {@link ServiceUrl} per endpoint. On Fargate (awsvpc) every container port is reachable
 * at `host` as is; runtimes that publish ports on the host (local Docker, bridge mode) report
 * a binding for (container = service, containerPort), and then its host port, and its bind
 * address unless that is a wildcard, are what a client must use.
 */
export const buildServiceUrls = (
  endpoints: readonly Endpoint[],
  host: string,
  bindings: TaskNetwork['bindings'],
): ServiceUrls =>
  Object.fromEntries(
    endpoints.map((endpoint): [string, ServiceUrl] => {
      const binding = bindings.find(
        (b) => b.containerName === endpoint.service && b.containerPort === endpoint.port,
      );
      const endpointHost =
        binding === undefined || WILDCARD_BIND_IPS.has(binding.bindIp) ? host : binding.bindIp;
      const port = binding?.hostPort ?? endpoint.port;
      return [
        endpoint.key,
        { url: `http://${urlHost(endpointHost)}:${port}`, host: endpointHost, port, protocol: 'http' },
      ];
    }),
  );
