import type { TaskCandidate } from '#domain/task-resolution';
import type { TaskVersionRecord } from '#domain/task-version';

/** Published task versions. Versions are immutable. */
export interface TaskRegistry {
  /** @throws AlreadyExistsError when `org/name@version` exists. */
  publish(record: TaskVersionRecord): Promise<void>;

  get(org: string, name: string, version: string): Promise<TaskVersionRecord | null>;

  /**
   * The versions named `name` a caller of `callerOrg` might resolve: all versions of that name
   * in `callerOrg` (or in `ownerOrg` when given) plus every public version of that name.
   * Visibility is decided by `resolveTask`, not here.
   */
  candidates(name: string, callerOrg: string, ownerOrg?: string): Promise<TaskCandidate[]>;

  /** The latest version of each task of `org`, plus the latest public version of every other org's tasks. */
  listVisible(org: string): Promise<TaskVersionRecord[]>;
}
