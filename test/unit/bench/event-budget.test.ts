import { describe, expect, it } from 'vitest';
import { overBudget } from '../../../bench/event-path.ts';

const read = { command: 'GetItemCommand', input: { Key: { pk: 'ENV#1' } } };
const conditionalUpdate = { command: 'UpdateItemCommand', input: { ConditionExpression: '#v < :v' } };
const transaction = {
  command: 'TransactWriteItemsCommand',
  input: { TransactItems: [{ Update: { ConditionExpression: '#state = :from' } }, { Update: {} }] },
};
const putEvents = { name: 'EventBridge:PutEvents' };
const ec2 = { name: 'EC2:DescribeNetworkInterfaces' };

describe('the event-path call budget (per event)', () => {
  it('is met by one conditional write and one PutEvents, and on RUNNING one EC2 call', () => {
    expect(overBudget([transaction], [putEvents], { lastStatus: 'PROVISIONING' })).toEqual([]);
    expect(overBudget([conditionalUpdate], [], { lastStatus: 'PENDING' })).toEqual([]);
    expect(overBudget([transaction], [ec2, putEvents], { lastStatus: 'RUNNING' })).toEqual([]);
  });

  it('counts reads against it', () => {
    expect(overBudget([read, transaction], [putEvents], { lastStatus: 'STOPPED' })).toEqual([
      'DynamoDB:GetItem',
    ]);
  });

  it('names a second write, an unconditional write, a second PutEvents and an EC2 call off RUNNING', () => {
    expect(overBudget([conditionalUpdate, conditionalUpdate], [], { lastStatus: 'PENDING' })).toEqual([
      'DynamoDB:UpdateItem',
    ]);
    expect(overBudget([{ command: 'PutItemCommand', input: {} }], [], { lastStatus: 'PENDING' })).toEqual([
      'DynamoDB:PutItem',
    ]);
    expect(overBudget([conditionalUpdate], [putEvents, putEvents], { lastStatus: 'STOPPED' })).toEqual([
      'EventBridge:PutEvents',
    ]);
    expect(overBudget([conditionalUpdate], [ec2], { lastStatus: 'STOPPING' })).toEqual([
      'EC2:DescribeNetworkInterfaces',
    ]);
  });

  it('counts calls outside the budget, such as the env file delete and a readiness check', () => {
    expect(
      overBudget([transaction], [putEvents, { name: 'S3:DeleteObject' }, { name: 'SQS:SendMessage' }], {
        lastStatus: 'STOPPED',
      }),
    ).toEqual(['S3:DeleteObject', 'SQS:SendMessage']);
  });
});
