import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';

export interface ImageRepositoryProps {
  /**
   * What `cdk destroy` does with the repository. `DESTROY` also empties it first (the images
   * of every published task version built by `taskenv task push` go with it).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How long an image that lost its tag is kept. A tag moves only when `task push` runs again
   * for a version that was not published (the API refused it); published versions run by digest.
   * @default Duration.days(14)
   */
  readonly untaggedImageExpiry?: Duration;
}

/** The actions a task's execution role needs to pull one image from a private repository. */
export const PULL_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchGetImage',
] as const;

/**
 * The deployment's ECR repository: `taskenv task push` pushes every task image it builds here
 * (tag `<org>.<name>.<version>-<service>`) and publishes the task with `<uri>@sha256:<digest>`.
 * Images are scanned on push and encrypted with KMS (the account's `aws/ecr` key).
 */
export class ImageRepository extends Construct {
  readonly repository: ecr.Repository;
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<name>`: what `task push --repository` takes. */
  readonly repositoryUri: string;

  constructor(scope: Construct, id: string, props: ImageRepositoryProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.repository = new ecr.Repository(this, 'Repository', {
      imageScanOnPush: true,
      encryption: ecr.RepositoryEncryption.KMS,
      // Tags stay mutable so a push the API then refused can be repeated; what a published
      // version runs is pinned by digest, which never changes.
      imageTagMutability: ecr.TagMutability.MUTABLE,
      lifecycleRules: [
        {
          description: 'Expire images whose tag moved to a newer push',
          tagStatus: ecr.TagStatus.UNTAGGED,
          maxImageAge: props.untaggedImageExpiry ?? Duration.days(14),
        },
      ],
      removalPolicy,
      emptyOnDelete: removalPolicy === RemovalPolicy.DESTROY,
    });
    this.repositoryUri = this.repository.repositoryUri;
  }
}
