/**
 * The deployment's image repository (data stack): what `taskenv task push` pushes to and the
 * sandboxes pull from.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Synthesized, synthesize } from './synth.ts';
import { logicalIdAt, resourceAt, resourcesOf } from './template.ts';

const REPOSITORY_PATH = 'TaskenvData/Images/Repository/Resource';

interface LifecycleRule {
  readonly rulePriority: number;
  readonly selection: Record<string, unknown>;
  readonly action: { readonly type: string };
}

const lifecycleRules = (app: Synthesized): LifecycleRule[] => {
  const policy = resourceAt(app.dataTemplate, REPOSITORY_PATH).Properties?.LifecyclePolicy as {
    LifecyclePolicyText: string;
  };
  return (JSON.parse(policy.LifecyclePolicyText) as { rules: LifecycleRule[] }).rules;
};

describe('image repository (default config: retain)', () => {
  let app: Synthesized;
  beforeAll(() => {
    app = synthesize();
  });

  it('scans on push, encrypts with KMS and is retained with the data', () => {
    const repository = resourceAt(app.dataTemplate, REPOSITORY_PATH);
    expect(repository.Properties).toMatchObject({
      ImageScanningConfiguration: { ScanOnPush: true },
      EncryptionConfiguration: { EncryptionType: 'KMS' },
      ImageTagMutability: 'MUTABLE',
    });
    expect(repository.Properties?.EmptyOnDelete).not.toBe(true);
    expect(repository.DeletionPolicy).toBe('Retain');
    expect(resourcesOf(app.dataTemplate, 'AWS::ECR::Repository')).toHaveLength(1);
  });

  it('expires only untagged images, after 14 days', () => {
    expect(lifecycleRules(app)).toEqual([
      {
        rulePriority: 1,
        description: 'Expire images whose tag moved to a newer push',
        selection: {
          tagStatus: 'untagged',
          countType: 'sinceImagePushed',
          countNumber: 14,
          countUnit: 'days',
        },
        action: { type: 'expire' },
      },
    ]);
  });

  it('publishes its URI as the ImageRepositoryUri output of the data stack', () => {
    const repositoryId = logicalIdAt(app.dataTemplate, REPOSITORY_PATH);
    const outputs = app.dataTemplate.findOutputs('ImageRepositoryUri');
    expect(Object.keys(outputs)).toHaveLength(1);
    expect(JSON.stringify(Object.values(outputs)[0]?.Value)).toContain(repositoryId);
  });
});

describe('image repository with removalPolicy=destroy', () => {
  it('is emptied and deleted with the stack', () => {
    const app = synthesize({ removalPolicy: 'destroy' });
    const repository = resourceAt(app.dataTemplate, REPOSITORY_PATH);
    expect(repository.Properties?.EmptyOnDelete).toBe(true);
    expect(repository.DeletionPolicy).toBe('Delete');
  });
});
