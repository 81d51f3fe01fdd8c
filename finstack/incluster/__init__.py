"""The in-cluster layer: bundle the rendered Kubernetes objects, hand them to a cell's runner.

`bundle` builds the zip a runner applies (from pulumi-kubernetes' rendered directory on AWS, or
from the offline run's records in the emulator); `apply_bundle` is the applier the runner executes
(standard library only: it runs in CodeBuild without finstack installed); `driver` uploads a bundle,
starts the runner's build and follows it through boto3. See docs/in-cluster.md.
"""
