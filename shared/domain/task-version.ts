import type { TaskManifest } from './manifest.ts';

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
}
