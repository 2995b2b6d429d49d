import type { AddressResolver, TaskNetwork } from '#ports/address-resolver';

const LOOPBACK_HOST = '127.0.0.1';

/**
 * {@link AddressResolver} for the local runtimes: every task listens on the loopback interface,
 * and the port a client must use is in the task's host port `bindings`, not here.
 */
export class LoopbackAddressResolver implements AddressResolver {
  async hostFor(_network: TaskNetwork): Promise<string> {
    return LOOPBACK_HOST;
  }
}
