import { beforeAll, describe, expect, it } from 'vitest';
import { type Synthesized, synthesize } from './synth.ts';
import {
  asArray,
  type CfnResource,
  grantsOf,
  logicalIdAt,
  resourceAt,
  resourcesOf,
  roleOfFunction,
  statementsOfRole,
  variablesOf,
} from './template.ts';

/** The TTL-removal consumer (issue 17): table stream → list-counters, filtered to TTL removals of environments. */
describe('list counters: the table stream consumer', () => {
  let app: Synthesized;
  let functionId: string;
  let mapping: CfnResource;
  beforeAll(() => {
    app = synthesize();
    functionId = logicalIdAt(app.serviceTemplate, 'TaskenvService/list-counters/Function/Resource');
    mapping = resourceAt(app.serviceTemplate, 'TaskenvService/ListCounters/StreamEventSource/Resource');
  });

  it('streams old images of the table (what the consumer reads of a removed item)', () => {
    const [[, table] = ['', {} as CfnResource]] = resourcesOf(
      app.dataTemplate,
      'AWS::DynamoDB::Table',
    ).filter(([id]) => id.startsWith('StorageTable'));
    expect(table.Properties?.StreamSpecification).toEqual({ StreamViewType: 'OLD_IMAGE' });
    expect(table.Properties?.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
  });

  it('passes only REMOVE records of the TTL service whose old image is an environment', () => {
    const filters =
      (mapping.Properties?.FilterCriteria as { Filters: { Pattern: string }[] } | undefined)?.Filters ?? [];
    expect(filters.map((f) => JSON.parse(f.Pattern))).toEqual([
      {
        eventName: ['REMOVE'],
        userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] },
        dynamodb: { OldImage: { pk: { S: [{ prefix: 'ENV#' }] }, sk: { S: ['ENV'] } } },
      },
    ]);
  });

  it('bisects a failing batch, retries, then records it in an encrypted queue', () => {
    const dlqId = logicalIdAt(app.serviceTemplate, 'TaskenvService/ListCounters/DeadLetterQueue/Resource');
    expect(mapping.Properties).toMatchObject({
      FunctionName: { Ref: functionId },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 86400,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
    });
    expect(JSON.stringify(mapping.Properties?.EventSourceArn)).toMatch(/StorageTable\w*StreamArn/);
    const dlq = resourceAt(app.serviceTemplate, 'TaskenvService/ListCounters/DeadLetterQueue/Resource');
    expect(dlq.Properties?.SqsManagedSseEnabled).toBe(true);
    // Created after the policy that lets the poller read the stream (CloudFormation checks it).
    const policyId = logicalIdAt(app.serviceTemplate, 'TaskenvService/ListCounters/ConsumePolicy/Resource');
    expect(asArray(mapping.DependsOn as string | string[] | undefined)).toContain(policyId);
  });

  it('may write only the counter items and the removal markers, and read only our stream', () => {
    const statements = statementsOfRole(app.serviceTemplate, roleOfFunction(app.serviceTemplate, functionId));
    const writes = statements.filter((s) => asArray(s.Action).includes('dynamodb:UpdateItem'));
    expect(writes).toHaveLength(1);
    expect(asArray(writes[0]?.Action).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(writes[0]?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['COUNT#*', 'GONE#*'] },
    });
    const ownLogGroup = logicalIdAt(app.serviceTemplate, 'TaskenvService/list-counters/LogGroup/Resource');
    expect(
      grantsOf(statements, ownLogGroup).filter((g) => !g.includes('table') && !g.startsWith('logs:')),
    ).toEqual(['sqs:SendMessage on list-counters-dead-letter-queue']);
  });

  it('names the table and nothing else in its environment', () => {
    const fn = resourceAt(app.serviceTemplate, 'TaskenvService/list-counters/Function/Resource');
    expect(Object.keys(variablesOf(fn)).sort()).toEqual(['NODE_OPTIONS', 'TABLE_NAME']);
  });
});
