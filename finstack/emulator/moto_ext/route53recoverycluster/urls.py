"""Hosts and paths of ``route53-recovery-cluster`` (JSON protocol: the action is in X-Amz-Target).

ARC cluster endpoints are per-cluster hostnames under ``route53-recovery-cluster.<region>`` with
a ``/v1`` path; the bare service hostname is accepted too.
"""

from finstack.emulator.moto_ext.route53recoverycluster.responses import RecoveryClusterResponse

url_bases = [r"https?://([^/]+\.)?route53-recovery-cluster\.([^/.]+)\.amazonaws\.com"]

url_paths = {
    "{0}/$": RecoveryClusterResponse.dispatch,
    "{0}/v1/?$": RecoveryClusterResponse.dispatch,
}
