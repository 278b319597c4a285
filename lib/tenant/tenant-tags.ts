import { Aspects, CfnResource, IAspect, Tags, TagManager } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { mandatoryTags, type TenantSpec } from '../contract/tenant-spec';

/** Priority above anything a construct sets by default (100), so no construct can override a mandatory tag. */
const MANDATORY_PRIORITY = 1000;

/**
 * Tags that aws-cdk-lib cannot apply: a few of its own resources (custom resource providers, the
 * kubectl barrier) are plain `CfnResource`s without a tag manager although CloudFormation accepts
 * tags on their types. This Aspect writes the tags onto those directly.
 */
class UnmanagedResourceTags implements IAspect {
  private static readonly LIST_TAGGED = new Set(['AWS::IAM::Role', 'AWS::Lambda::Function']);
  private static readonly MAP_TAGGED = new Set(['AWS::SSM::Parameter']);

  constructor(private readonly tags: Record<string, string>) {}

  visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node) || TagManager.isTaggable(node)) return;
    if (UnmanagedResourceTags.LIST_TAGGED.has(node.cfnResourceType)) {
      node.addPropertyOverride(
        'Tags',
        Object.entries(this.tags).map(([Key, Value]) => ({ Key, Value })),
      );
    } else if (UnmanagedResourceTags.MAP_TAGGED.has(node.cfnResourceType)) {
      node.addPropertyOverride('Tags', this.tags);
    }
  }
}

/**
 * Tags every taggable resource under `scope` (Tags.of is an Aspect that visits the whole tree at
 * synth): the spec's own tags first, then the mandatory `sici:*` tags, which win over everything.
 */
export function applyTenantTags(scope: IConstruct, spec: TenantSpec): void {
  for (const [key, value] of Object.entries(spec.tags)) Tags.of(scope).add(key, value);
  for (const [key, value] of Object.entries(mandatoryTags(spec))) {
    Tags.of(scope).add(key, value, { priority: MANDATORY_PRIORITY });
  }
  Aspects.of(scope).add(new UnmanagedResourceTags({ ...spec.tags, ...mandatoryTags(spec) }));
}
