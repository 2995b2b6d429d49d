/**
 * Where the output of a failed environment's service can be read (`docs/api.md`: "a failed
 * environment's `error` says where to look"): the logs route, and the CLI command that reads it.
 * Only ids and a manifest service name go in; never a value of the environment.
 */

/** The environment a pointer is for. */
export interface LogsAddress {
  readonly org: string;
  readonly workspace: string;
  readonly id: string;
}

/**
 * The sentence appended to a failed environment's `error`, e.g.
 * `; its logs: GET /api/v1/org/acme/ws/default/environments/<id>/logs?service=web (CLI: taskenv env logs <id> --service web)`.
 * `service` null: the logs route's default (the first service).
 */
export const logsPointer = (env: LogsAddress, service: string | null): string => {
  const path = `/api/v1/org/${encodeURIComponent(env.org)}/ws/${encodeURIComponent(env.workspace)}/environments/${encodeURIComponent(env.id)}/logs`;
  const query = service === null ? '' : `?service=${encodeURIComponent(service)}`;
  const option = service === null ? '' : ` --service ${service}`;
  return `; its logs: GET ${path}${query} (CLI: taskenv env logs ${env.id}${option})`;
};
