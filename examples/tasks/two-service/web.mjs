// The local stand-in for two-service's `web` container: an HTML page built from the API's
// answer. On ECS the two containers share a network namespace and web reaches the API at
// localhost:8081; locally the runtime publishes that port elsewhere and says where in
// TASKENV_PORT_8081.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const apiPort = Number(process.env.TASKENV_PORT_8081 ?? 8081);

const escapeHtml = (text) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

const server = createServer(async (request, response) => {
  if (request.url !== '/') {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  let message;
  try {
    const answer = await fetch(`http://127.0.0.1:${apiPort}/api/message`);
    ({ message } = await answer.json());
  } catch (error) {
    response
      .writeHead(502, { 'content-type': 'text/plain' })
      .end(`The API did not answer: ${error.message}\n`);
    return;
  }
  response
    .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    .end(
      `<!doctype html><title>two-service</title><h1>${escapeHtml(message)}</h1>` +
        '<p>Read from the api service at <code>/api/message</code>.</p>\n',
    );
});

server.listen(port, '127.0.0.1');

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
