// The local stand-in for hello-http's container (its `local.command`). Listens on the port the
// runtime hands it in PORT, on the loopback interface only.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const greeting = process.env.GREETING ?? 'Hello';

const server = createServer((request, response) => {
  if (request.url === '/healthz') {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  if (request.url === '/whoami') {
    // Identity only: never echo the secrets or the execute token the task also receives.
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(
        `${JSON.stringify({ environment_id: process.env.TASKENV_ENVIRONMENT_ID ?? null, pid: process.pid })}\n`,
      );
    return;
  }
  response.writeHead(200, { 'content-type': 'text/plain' }).end(`${greeting} from taskenv!\n`);
});

server.listen(port, '127.0.0.1');

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
