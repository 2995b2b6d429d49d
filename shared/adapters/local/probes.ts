/** Readiness probes of the local runtimes: a TCP connect and an HTTP GET, each with a short timeout. */
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';

const PROBE_TIMEOUT_MS = 1000;

/** Whether something accepts a TCP connection at `host:port`. */
export const tcpAnswers = (host: string, port: number): Promise<boolean> =>
  new Promise((resolvePromise) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });

/** Whether `GET http://host:port<path>` answers 2xx. */
export const httpAnswers2xx = (host: string, port: number, path: string): Promise<boolean> =>
  new Promise((resolvePromise) => {
    const request = httpGet({ host, port, path, timeout: PROBE_TIMEOUT_MS }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      resolvePromise(status >= 200 && status < 300);
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolvePromise(false));
  });
