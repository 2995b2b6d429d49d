/**
 * cdk-nag acknowledgements of IAM wildcard findings, one per resource pattern, each with its
 * reason. cdk-nag 3 names a wildcard finding by the policy resource as it appears in the final
 * template (`AwsSolutions-IAM5[Resource::<Table.Arn>/index/*]`), and a cross-stack reference
 * only takes its final form when the app is prepared for synthesis. So the ids are computed in
 * a construct validation, which runs after that and before the validation plugins.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

interface WildcardAcknowledgement {
  readonly resource: string;
  readonly reason: string;
}

const pending = new WeakMap<IConstruct, WildcardAcknowledgement[]>();

/**
 * Acknowledges the AwsSolutions-IAM5 finding for `resource` (an ARN pattern with `*`, or `*`
 * itself) on `scope` and everything under it. Reasons given for the same resource are joined.
 */
export const acknowledgeWildcard = (scope: IConstruct, resource: string, reason: string): void => {
  let list = pending.get(scope);
  if (list === undefined) {
    list = [];
    pending.set(scope, list);
    const entries = list;
    scope.node.addValidation({
      validate: () => {
        const stack = Stack.of(scope);
        const reasons = new Map<string, string[]>();
        for (const entry of entries) {
          const id = flattenReference(stack.resolve(entry.resource));
          reasons.set(id, [...(reasons.get(id) ?? []), entry.reason]);
        }
        for (const [id, texts] of reasons) {
          Validations.of(scope).acknowledge({
            id: `AwsSolutions-IAM5[Resource::${id}]`,
            reason: [...new Set(texts)].join(' '),
          });
        }
        return [];
      },
    });
  }
  list.push({ resource, reason });
};

/**
 * The flat text cdk-nag makes of a resolved template value (its `flattenCfnReference`, which
 * the package does not export): `Ref` → `<Id>`, `Fn::GetAtt` → `<Id.Attr>`, `Fn::Join` joined,
 * `${…}` of `Fn::Sub` → `<…>`, anything else as JSON.
 */
export const flattenReference = (node: unknown): string => {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (node !== null && typeof node === 'object') {
    const value = node as Record<string, unknown>;
    const join = value['Fn::Join'];
    if (Array.isArray(join)) {
      const [delimiter, items] = join as [string, unknown[]];
      return items.map(flattenReference).join(delimiter);
    }
    if (value['Fn::Sub'] !== undefined) return flattenReference(value['Fn::Sub']);
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flattenReference(getAtt[0])}.${flattenReference(getAtt[1])}>`;
    if (value['Fn::ImportValue'] !== undefined) return flattenReference(value['Fn::ImportValue']);
    if (value.Ref !== undefined) return `<${flattenReference(value.Ref)}>`;
  }
  return JSON.stringify(node);
};
