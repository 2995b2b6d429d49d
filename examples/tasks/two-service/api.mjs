// The local stand-in for two-service's `api` container: a JSON API on PORT (loopback only).
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8081);
const message = process.env.MESSAGE ?? 'Hello from the API';

const server = createServer((request, response) => {
  if (request.url === '/api/message') {
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(`${JSON.stringify({ message, served_at: new Date().toISOString() })}\n`);
    return;
  }
  response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}\n');
});

server.listen(port, '127.0.0.1');

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
