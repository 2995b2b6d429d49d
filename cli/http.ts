/**
 * One HTTP exchange over `node:http` (or `node:https`, loaded only for an https API). The CLI
 * does not use `fetch`: on Node 20 its first call loads undici, which costs more than the rest
 * of the CLI's start-up (bench/cli-startup.ts).
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';

export interface HttpAnswer {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly text: string;
}

export interface HttpInit {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal: AbortSignal;
}

/** Rejects with the socket error itself (`code` ECONNREFUSED …), or the signal's reason. */
export const send = async (url: URL, init: HttpInit): Promise<HttpAnswer> => {
  const request = url.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  return new Promise((resolve, reject) => {
    const options: RequestOptions = { method: init.method, headers: init.headers, signal: init.signal };
    const req = request(url, options, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => {
        const status = res.statusCode ?? 0;
        resolve({
          status,
          statusText: res.statusMessage ?? '',
          ok: status >= 200 && status < 300,
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.once('error', reject);
    req.end(init.body);
  });
};
