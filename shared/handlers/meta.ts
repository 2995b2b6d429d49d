import type { Logger } from '@aws-lambda-powertools/logger';
import { type ApiHandler, httpFunction } from '#shared/http/http-function';
import { openApiDocument } from '#shared/openapi';
import { metaRoutes } from '#shared/routes';

/** The API reference page's assets, read from the locally installed swagger-ui-dist (no CDN). */
export interface DocsAssets {
  readonly script: string;
  readonly stylesheet: string;
}

export interface MetaOptions {
  readonly logger: Logger;
  readonly version: string;
  /** Loaded on first use: only `/docs` needs them. */
  readonly docsAssets: () => Promise<DocsAssets>;
  /** Resolves when DynamoDB answers (one cheap read); `/healthz` answers 503 when it rejects. */
  readonly probeDatabase: () => Promise<void>;
}

/** `GET /api/v1/openapi.json`, `GET /docs`, `GET /healthz`: the public, unauthenticated routes. */
export const createMetaHandler = (options: MetaOptions): ApiHandler => {
  let html: Promise<string> | null = null;
  return httpFunction(
    metaRoutes,
    {
      getOpenApi: async ({ headers, basePath }) => ({
        body: openApiDocument(`${serverUrl(headers)}${basePath}`, options.version),
      }),
      healthz: async () => {
        try {
          await options.probeDatabase();
          return { body: { status: 'ok', version: options.version, dynamodb: 'ok' } };
        } catch (error) {
          options.logger.error(
            'Health check: DynamoDB is unreachable',
            error instanceof Error ? error : String(error),
          );
          return {
            statusCode: 503,
            body: { status: 'unavailable', version: options.version, dynamodb: 'unreachable' },
          };
        }
      },
      getDocs: async () => {
        html ??= options.docsAssets().then(docsPage);
        return {
          rawBody: await html,
          headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=300' },
        };
      },
    },
    options,
  );
};

/** The base URL clients used, so the document's server entry works behind any host. */
const serverUrl = (headers: Readonly<Record<string, string>>): string => {
  const host = headers['x-forwarded-host'] ?? headers.host ?? '127.0.0.1';
  const proto =
    headers['x-forwarded-proto'] ??
    (host.startsWith('127.0.0.1') || host.startsWith('localhost') ? 'http' : 'https');
  return `${proto}://${host}`;
};

// `</script` inside the inlined bundle would end the tag early.
const inlineScript = (source: string): string => source.replaceAll('</script', '<\\/script');

const docsPage = (assets: DocsAssets): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>taskenv API reference</title>
<style>${assets.stylesheet}</style>
</head>
<body>
<div id="docs"></div>
<script>${inlineScript(assets.script)}</script>
<script>
  window.ui = SwaggerUIBundle({ url: new URL('api/v1/openapi.json', document.baseURI.replace(/docs\\/?$/, '')).href, dom_id: '#docs', deepLinking: true });
</script>
</body>
</html>`;
