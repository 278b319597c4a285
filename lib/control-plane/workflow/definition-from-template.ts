import { CONTROL_PLANE_STACK_NAME } from '../../contract/tenant-spec';

/**
 * The provisioning workflow's ASL, read from a synthesized CloudFormation template of the control
 * plane stack. CloudFormation resolves the definition's references (the workflow function's ARN,
 * the runner project's name, the spec bucket's name) at deploy time; here they become stable
 * placeholders, so tests and the local control plane work on the definition exactly as deployed,
 * from a synth that needs no AWS account (and no asset bundling: the local host synthesizes with
 * `aws:cdk:bundling-stacks: []`).
 *
 * This module imports nothing from aws-cdk-lib: it works on the template's JSON only.
 */

const PLACEHOLDER_ACCOUNT = '123456789012';
const PLACEHOLDER_REGION = 'us-east-1';
const PLACEHOLDER_PARTITION = 'aws';

/**
 * What each kind of reference in the definition becomes. The workflow has one function, one
 * runner project and one spec bucket; each gets a fixed placeholder (see `WORKFLOW_PLACEHOLDERS`).
 */
export const WORKFLOW_PLACEHOLDERS = {
  /** `Fn::GetAtt [<function>, Arn]`: a Task's `Resource`. */
  functionArn: `arn:${PLACEHOLDER_PARTITION}:lambda:${PLACEHOLDER_REGION}:${PLACEHOLDER_ACCOUNT}:function:sici-workflow`,
  /** `Ref <project>`: the runner's `ProjectName`. */
  projectName: 'sici-tenant-runner',
  /** `Ref <bucket>`: the spec bucket's name. */
  bucketName: 'sici-tenant-specs',
} as const;

const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': PLACEHOLDER_PARTITION,
  'AWS::Region': PLACEHOLDER_REGION,
  'AWS::AccountId': PLACEHOLDER_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': CONTROL_PLANE_STACK_NAME,
};

type Json = unknown;
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
}

/**
 * Finds the template's `AWS::StepFunctions::StateMachine` (its only one, or the one of `machineLogicalId`), renders its `DefinitionString`
 * (a string or an `Fn::Join` of strings and references) with every reference replaced by its
 * placeholder, and returns the parsed ASL.
 *
 * References resolve as follows: pseudo parameters (`AWS::Partition`, `AWS::Region`, ...) to the
 * placeholder partition, region and account; `Fn::GetAtt [<Lambda function>, Arn]` to
 * `WORKFLOW_PLACEHOLDERS.functionArn`; `Ref <CodeBuild project>` to `projectName`; `Ref <S3 bucket>`
 * to `bucketName`. Anything else (an unknown resource type, a second function, another intrinsic)
 * is an error naming it, rather than a silently wrong definition.
 */
export function workflowDefinitionFromTemplate(template: object, machineLogicalId?: string): object {
  const resources = (template as { Resources?: Record<string, Resource> }).Resources ?? {};
  const machines = Object.entries(resources).filter(
    ([id, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine' && (machineLogicalId === undefined || id === machineLogicalId),
  );
  if (machines.length !== 1) {
    throw new Error(
      machineLogicalId === undefined
        ? `Expected one AWS::StepFunctions::StateMachine in the template, found ${machines.length}: name the one to read`
        : `The template has no AWS::StepFunctions::StateMachine ${machineLogicalId}`,
    );
  }
  const [machineId, machine] = machines[0];
  const definition = machine.Properties?.DefinitionString;
  if (definition === undefined) {
    throw new Error(`${machineId} has no DefinitionString (a DefinitionS3Location is not supported)`);
  }

  // One placeholder per kind; two different resources of one kind would be ambiguous.
  const bound = new Map<string, string>();
  const placeholderFor = (kind: keyof typeof WORKFLOW_PLACEHOLDERS, logicalId: string): string => {
    const previous = bound.get(kind);
    if (previous !== undefined && previous !== logicalId) {
      throw new Error(`The definition references two resources of one kind (${previous} and ${logicalId}); each kind has one placeholder`);
    }
    bound.set(kind, logicalId);
    return WORKFLOW_PLACEHOLDERS[kind];
  };

  const render = (node: Json): string => {
    if (typeof node === 'string') return node;
    if (node && typeof node === 'object' && !Array.isArray(node)) {
      const entries = Object.entries(node as Record<string, Json>);
      if (entries.length === 1) {
        const [[intrinsic, argument]] = entries;
        if (intrinsic === 'Fn::Join' && Array.isArray(argument) && typeof argument[0] === 'string' && Array.isArray(argument[1])) {
          return (argument[1] as Json[]).map(render).join(argument[0]);
        }
        if (intrinsic === 'Ref' && typeof argument === 'string') return renderRef(argument);
        if (intrinsic === 'Fn::GetAtt') {
          const [logicalId, attribute] = Array.isArray(argument) ? (argument as Json[]) : String(argument).split('.');
          return renderGetAtt(String(logicalId), String(attribute));
        }
      }
    }
    throw new Error(`Unsupported value in the state machine's DefinitionString: ${JSON.stringify(node)}`);
  };

  const renderRef = (name: string): string => {
    if (name in PSEUDO_PARAMETERS) return PSEUDO_PARAMETERS[name];
    const type = resources[name]?.Type;
    if (type === 'AWS::CodeBuild::Project') return placeholderFor('projectName', name);
    if (type === 'AWS::S3::Bucket') return placeholderFor('bucketName', name);
    throw new Error(`No placeholder for { Ref: ${name} } (${type ?? 'not a resource of the template'}) in the state machine's definition`);
  };

  const renderGetAtt = (logicalId: string, attribute: string): string => {
    const type = resources[logicalId]?.Type;
    if (type === 'AWS::Lambda::Function' && attribute === 'Arn') return placeholderFor('functionArn', logicalId);
    throw new Error(`No placeholder for { Fn::GetAtt: [${logicalId}, ${attribute}] } (${type ?? 'not a resource of the template'}) in the state machine's definition`);
  };

  return JSON.parse(render(definition)) as object;
}
