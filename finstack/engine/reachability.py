"""Where the program runs, and which Kubernetes API endpoints it can reach from there.

An EKS API endpoint with `endpointPublicAccess: false` answers only inside its VPC (and networks
connected to it): https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html
("If you disable public access for your cluster's Kubernetes API server endpoint, you can only
access the API server from within your VPC or a connected network"). A Pulumi program run by a
workstation or CI runner outside the VPC that applies objects through a provider aimed at such an
endpoint times out on every `up`, `refresh` and `destroy`. The offline engine and the emulator
refuse it the same way, instead of pretending it worked.

Pure: no Pulumi, no boto3. `FakeCloud` feeds it the clusters and providers a run registers.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

import yaml

# What pulumi-kubernetes reports when it cannot reach the API server (its client's discovery
# call), so the offline message reads like the one an operator would search for.
UNREACHABLE = "configured Kubernetes cluster is unreachable"


class ClusterUnreachableError(Exception):
    """A Kubernetes object was sent through a provider whose cluster cannot be reached from here."""


@dataclass(frozen=True)
class ClusterEndpoint:
    """The access settings of one EKS cluster's API endpoint, from its `vpcConfig`."""

    name: str
    region: str
    public: bool
    private: bool


@dataclass(frozen=True)
class Vantage:
    """Where the program runs: outside every VPC (a workstation, a CI runner) or inside one."""

    vpc_id: str | None = None

    @property
    def outside(self) -> bool:
        """True for a workstation or CI runner on the internet."""
        return self.vpc_id is None


OUTSIDE = Vantage()


def endpoint_of(name: str, region: str, inputs: dict[str, Any]) -> ClusterEndpoint:
    """An `aws:eks/cluster:Cluster`'s endpoint access, with the provider's defaults.

    The Terraform provider defaults endpoint_public_access to true and endpoint_private_access to
    false (internal/service/eks/cluster.go, vpc_config schema).
    """
    vpc = inputs.get("vpcConfig") or {}
    return ClusterEndpoint(
        name=name,
        region=region,
        public=bool(vpc.get("endpointPublicAccess", True)),
        private=bool(vpc.get("endpointPrivateAccess", False)),
    )


def kubeconfig_target(kubeconfig: Any) -> tuple[str, str] | None:
    """(cluster name, server URL) of a kubeconfig's current context, or None when it names none."""
    if not isinstance(kubeconfig, str) or not kubeconfig.strip():
        return None
    try:
        doc = json.loads(kubeconfig)
    except ValueError:
        try:
            doc = yaml.safe_load(kubeconfig)
        except yaml.YAMLError:
            return None
    if not isinstance(doc, dict):
        return None
    contexts = {c.get("name"): c.get("context") or {} for c in doc.get("contexts") or [] if isinstance(c, dict)}
    current = contexts.get(doc.get("current-context"), {})
    clusters = {c.get("name"): c.get("cluster") or {} for c in doc.get("clusters") or [] if isinstance(c, dict)}
    name = current.get("cluster")
    if name not in clusters:
        return None
    return str(name), str(clusters[name].get("server", ""))


class Reachability:
    """The clusters and Kubernetes providers one run registered, judged from one vantage point."""

    def __init__(self, vantage: Vantage = OUTSIDE):
        self.vantage = vantage
        self._clusters: dict[str, ClusterEndpoint] = {}
        self._refusals: dict[str, str] = {}
        self._lock = threading.Lock()

    def add_cluster(self, endpoint: ClusterEndpoint) -> None:
        """Remember an EKS cluster by its physical name (what a kubeconfig names it by)."""
        with self._lock:
            self._clusters[endpoint.name] = endpoint

    def add_provider(self, key: str, inputs: dict[str, Any]) -> None:
        """Judge a Kubernetes provider when it registers; objects sent through it are refused later."""
        if inputs.get("renderYamlToDirectory"):
            return  # render mode contacts no cluster
        target = kubeconfig_target(inputs.get("kubeconfig"))
        if target is None:
            return
        name, server = target
        with self._lock:
            cluster = self._clusters.get(name)
        if cluster is None or cluster.public or not self.vantage.outside:
            return
        with self._lock:
            self._refusals[key] = (
                f'{UNREACHABLE}: Get "{server}/openapi/v2?timeout=32s": dial tcp: i/o timeout. '
                f"EKS cluster {cluster.name} ({cluster.region}) has a private-only API endpoint "
                "(vpcConfig.endpointPublicAccess: false), which answers only inside its VPC, and this "
                "program runs outside it. Render the in-cluster objects instead (KubeBaselineArgs.manifest_dir) "
                "and apply them from inside the VPC through the cell's runner: `finstack up` does both "
                "(docs/in-cluster.md)."
            )

    def check_object(self, provider_key: str | None, type_: str, name: str) -> None:
        """Raise when a Kubernetes object goes through a provider that cannot reach its cluster."""
        if provider_key is None:
            return
        with self._lock:
            refusal = self._refusals.get(provider_key)
        if refusal is not None:
            raise ClusterUnreachableError(f"{type_} {name}: {refusal}")
