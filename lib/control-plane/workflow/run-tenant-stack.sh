#!/usr/bin/env bash
# SICI deploy runner: cdk deploy | destroy of TenantStack-<clusterId> from its TenantSpec, run by
# the CodeBuild project of DeployRunner in the root of its bundle (see runner-bundle.ts).
#
# Environment (the names are contract: RUNNER_ENV in lib/contract/workflow.ts, set by the state
# machine for each build, and ENV.specBucket in lib/contract/function-environment.ts, set on the
# project):
#   SICI_ACTION       deploy | destroy
#   SICI_SPEC_URI     s3://<bucket>/specs/<clusterId>.json, with ?versionId=<v> for a deploy: the
#                     exact version the workflow wrote. A destroy gets the current version, i.e. the
#                     spec of the cluster's last deploy; a spec written for a deploy that then failed
#                     is newer, but a destroy needs only the stack's identity (name from the cluster
#                     id, account and region from the environment), which no spec version changes.
#   SICI_CLUSTER_ID   c-<16 characters>
#   SICI_JOB_ID       j-<16 characters>
#   SICI_SPEC_BUCKET  the only bucket a spec may come from
#
# The CloudFormation events of the deploy are in the build log (--progress events).
set -euo pipefail

fail() { echo "sici-runner: $*" >&2; exit 2; }

action="${SICI_ACTION:?SICI_ACTION is required}"
uri="${SICI_SPEC_URI:?SICI_SPEC_URI is required}"
cluster="${SICI_CLUSTER_ID:?SICI_CLUSTER_ID is required}"
job="${SICI_JOB_ID:?SICI_JOB_ID is required}"
allowed_bucket="${SICI_SPEC_BUCKET:?SICI_SPEC_BUCKET is required}"

[[ "$action" == deploy || "$action" == destroy ]] || fail "SICI_ACTION must be deploy or destroy, not '$action'"
[[ "$cluster" =~ ^c-[0-9a-z]{16}$ ]] || fail "SICI_CLUSTER_ID '$cluster' is not a cluster id"
[[ "$job" =~ ^j-[0-9a-z]{16}$ ]] || fail "SICI_JOB_ID '$job' is not a job id"

# s3://<bucket>/<key>[?versionId=<version>]
[[ "$uri" =~ ^s3://([a-z0-9.-]+)/([^?]+)(\?versionId=(.+))?$ ]] || fail "SICI_SPEC_URI '$uri' is not an s3:// URI"
bucket="${BASH_REMATCH[1]}"
key="${BASH_REMATCH[2]}"
version="${BASH_REMATCH[4]:-}"
[[ "$bucket" == "$allowed_bucket" ]] || fail "the spec must come from $allowed_bucket, not $bucket"
[[ "$key" == "specs/$cluster.json" ]] || fail "the spec of $cluster is specs/$cluster.json, not $key"

echo "sici-runner: $action TenantStack-$cluster for job $job from $uri"
aws s3api get-object --bucket "$bucket" --key "$key" ${version:+--version-id "$version"} tenant-spec.json > /dev/null
node -e '
  const spec = JSON.parse(require("fs").readFileSync("tenant-spec.json", "utf8"));
  if (spec.clusterId !== process.env.SICI_CLUSTER_ID) {
    console.error("sici-runner: the spec describes " + spec.clusterId + ", not " + process.env.SICI_CLUSTER_ID);
    process.exit(2);
  }'

# CloudTrail in the environment accounts shows which job assumed the bootstrap roles.
export CDK_ROLE_SESSION_NAME="sici-runner-$job"
cdk=(node node_modules/aws-cdk/bin/cdk --no-notices --ci -c tenantSpec=tenant-spec.json -c platformConfig=config/platform.json)
stack="TenantStack-$cluster"
if [[ "$action" == deploy ]]; then
  # --exclusively: this stack only, and only its assets are bundled.
  "${cdk[@]}" deploy "$stack" --exclusively --require-approval never --progress events
else
  "${cdk[@]}" destroy "$stack" --exclusively --force
fi
echo "sici-runner: $action of $stack done"
