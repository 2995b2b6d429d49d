import type { TaskManifest } from './manifest.ts';
import type { Role } from './principal.ts';

/** The key that published a version: what the local stack's host-command boundary decides on. */
export interface TaskPublisher {
  readonly org: string;
  readonly role: Role;
  readonly keyId: string;
}

/** One published, immutable version of a task. */
export interface TaskVersionRecord {
  readonly org: string;
  readonly name: string;
  readonly version: string;
  readonly public: boolean;
  readonly description: string | null;
  readonly manifest: TaskManifest;
  /** The ECS task definition registered for it; null where the runtime needs none (local). */
  readonly taskDefinitionArn: string | null;
  readonly createdAt: string;
  /** Absent on versions published before publishers were recorded: those count as untrusted. */
  readonly publishedBy?: TaskPublisher;
}
