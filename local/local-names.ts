/** The names the local stack gives its org, workspace and tables. */
export const LOCAL_ORG = 'local';
export const LOCAL_WORKSPACE = 'default';
export const LOCAL_TABLE = 'taskenv';
export const LOCAL_IDEMPOTENCY_TABLE = 'taskenv-idempotency';

/** `--runtime`: `auto` is Docker when an engine answers, else the process runtime. */
export const runtimeChoices = ['auto', 'docker', 'process'] as const;
export type RuntimeChoice = (typeof runtimeChoices)[number];
