/** Host ports handed to live local tasks, so two concurrent launches never get the same one. */

import type { ServiceDefinition } from '#domain/service-manifest';
import { LaunchFailedError } from '#ports/container-runtime';
import { freePort } from './free-port.ts';
import type { ServicePlan } from './runtime-driver.ts';

export class PortReservations {
  readonly #reserved = new Set<number>();

  /** A free 127.0.0.1 port no live task holds. @throws LaunchFailedError when none is found. */
  async reserve(): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const port = await freePort();
      if (!this.#reserved.has(port)) {
        this.#reserved.add(port);
        return port;
      }
    }
    throw new LaunchFailedError('no free port on 127.0.0.1');
  }

  /** Marks ports an adopted task already holds. */
  hold(ports: readonly number[]): void {
    for (const port of ports) this.#reserved.add(port);
  }

  release(ports: readonly number[]): void {
    for (const port of ports) this.#reserved.delete(port);
  }

  /**
   * One plan per service, each declared port bound to a reserved host port. Every port reserved
   * is pushed to `reserved` as it is, so a caller whose launch fails releases them all.
   */
  planServices(
    services: Readonly<Record<string, ServiceDefinition>>,
    reserved: number[],
  ): Promise<ServicePlan[]> {
    return Promise.all(
      Object.entries(services).map(
        async ([name, definition]): Promise<ServicePlan> => ({
          name,
          definition,
          bindings: await Promise.all(
            definition.ports.map(async (containerPort) => {
              const hostPort = await this.reserve();
              reserved.push(hostPort);
              return { containerPort, hostPort };
            }),
          ),
        }),
      ),
    );
  }
}
