/**
 * The local stack's HTTP server: every request to the gateway (or to `POST /_local/invoke/<fn>`),
 * bodies read up to a limit, and every error in the API's envelope, even those Node's parser refuses.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_BODY_BYTES } from '#shared/http/http-function';
import type { createGateway } from './gateway.ts';
import { InvokeRefused, type Invoker, type localInvoker } from './invoke.ts';

/** Serves `gateway` and the invoker on 127.0.0.1:`port` (0: a free one); answers the port and a close. */
export const startServer = async (
  gateway: ReturnType<typeof createGateway>,
  invoker: ReturnType<typeof localInvoker>,
  port: number,
  log: (line: string) => void,
): Promise<{ readonly port: number; close(): Promise<void> }> => {
  const server = createServer((req, res) => {
    void serve(gateway, invoker, req, res, log);
  });
  server.on('clientError', answerUnparsable);
  const bound = await listen(server, port);
  return { port: bound, close: () => close(server) };
};

/**
 * What the server reads of a body before it gives up: the API's limit plus room for the
 * handler to answer a body just over it with its own 400. Anything larger is dropped unread,
 * before authentication, rather than buffered.
 */
const MAX_REQUEST_BYTES = MAX_BODY_BYTES + 16 * 1024;

const INVOKE_PATH = /^\/_local\/invoke\/([a-z-]+)$/;

const serve = async (
  gateway: ReturnType<typeof createGateway>,
  invoker: ReturnType<typeof localInvoker>,
  req: IncomingMessage,
  res: ServerResponse,
  log: (line: string) => void,
): Promise<void> => {
  const started = performance.now();
  const url = targetUrl(req.url);
  let status = 500;
  try {
    const body = await readBody(req);
    if (url === null) {
      status = 400;
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ code: 400, detail: 'Malformed request target', type: 'invalid_request_error' }),
      );
      return;
    }
    const invokeMatch = req.method === 'POST' ? INVOKE_PATH.exec(url.pathname) : null;
    if (invokeMatch?.[1] !== undefined) {
      status = await serveInvoke(() => invoker(req.headers.authorization), invokeMatch[1], body, res);
      return;
    }
    const response = await gateway.handle({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
      ),
      body: body === null ? null : body.toString('utf8'),
    });
    status = response.statusCode;
    res.writeHead(status, response.headers);
    res.end(response.body);
  } catch {
    // Only a body over the gateway limit or a broken connection lands here.
    status = 400;
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ code: 400, detail: 'Request body is too large', type: 'invalid_request_error' }),
    );
  } finally {
    log(`${req.method} ${url?.pathname ?? req.url} ${status} ${(performance.now() - started).toFixed(0)}ms`);
  }
};

/**
 * The request target as a URL. An origin-form target is a path even when it starts with `//`
 * (`new URL('//', base)` would read a host there, and throw on an empty one); any other form
 * that does not parse is null.
 */
const targetUrl = (target: string | undefined): URL | null => {
  const raw = target ?? '/';
  try {
    return new URL(raw.startsWith('/') ? `http://127.0.0.1${raw}` : raw);
  } catch {
    return null;
  }
};

const serveInvoke = async (
  authorize: () => Promise<Invoker>,
  fn: string,
  body: Buffer | null,
  res: ServerResponse,
): Promise<number> => {
  const reply = (status: number, payload: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
    return status;
  };
  const refused = (error: unknown) => {
    if (error instanceof InvokeRefused) {
      return reply(error.status, { code: error.status, detail: error.message, type: error.type });
    }
    return reply(500, { code: 500, detail: 'Internal server error', type: 'internal_error' });
  };
  let invoke: Invoker;
  try {
    invoke = await authorize();
  } catch (error) {
    return refused(error);
  }
  let event: unknown;
  try {
    event = JSON.parse(body?.toString('utf8') ?? 'null');
  } catch {
    return reply(400, { code: 400, detail: 'The event is not valid JSON', type: 'invalid_request_error' });
  }
  try {
    return reply(200, { result: (await invoke(fn, event)) ?? null });
  } catch (error) {
    if (error instanceof InvokeRefused) return refused(error);
    // Like `sam local invoke`: a failed invocation reports its error, it is not a server fault.
    return reply(200, {
      error: {
        name: error instanceof Error ? error.name : 'Error',
        message: error instanceof Error ? error.message : String(error),
      },
    });
  }
};

/**
 * The body, or a rejection once it is over the limit. The rest of an oversized body is read and
 * dropped rather than cut off: a client still sending would see a reset connection instead of
 * its 400.
 */
const readBody = (req: IncomingMessage): Promise<Buffer | null> =>
  new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_REQUEST_BYTES) reject(new Error('too large'));
      else resolveBody(chunks.length === 0 ? null : Buffer.concat(chunks));
    });
    req.on('error', reject);
  });

/**
 * Requests Node's parser refuses (an unknown method, a broken request line or header) never
 * reach `serve`; they get the envelope too, as every other error does, instead of Node's bare 400.
 */
const answerUnparsable = (_error: Error, socket: Duplex): void => {
  if (!socket.writable) return;
  const body = JSON.stringify({ code: 400, detail: 'Malformed HTTP request', type: 'invalid_request_error' });
  socket.end(
    `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
};

const listen = (server: Server, port: number): Promise<number> =>
  new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolveListen(typeof address === 'object' && address !== null ? address.port : port);
    });
  });

const close = (server: Server): Promise<void> =>
  new Promise((resolveClose) => {
    server.close(() => resolveClose());
    server.closeAllConnections();
  });
