"""Hosts and paths of ``route53-recovery-control-config`` (a global API served from us-west-2)."""

from finstack.emulator.moto_ext.route53recoverycontrolconfig.responses import RecoveryControlConfigResponse

url_bases = [r"https?://route53-recovery-control-config\.(.+)\.amazonaws\.com"]

url_paths = {
    "{0}/cluster$": RecoveryControlConfigResponse.dispatch,
    "{0}/cluster/(?P<ClusterArn>.+)$": RecoveryControlConfigResponse.dispatch,
    "{0}/controlpanel$": RecoveryControlConfigResponse.dispatch,
    "{0}/controlpanels$": RecoveryControlConfigResponse.dispatch,
    "{0}/controlpanel/(?P<ControlPanelArn>.+)$": RecoveryControlConfigResponse.dispatch,
    "{0}/routingcontrol$": RecoveryControlConfigResponse.dispatch,
    "{0}/routingcontrol/(?P<RoutingControlArn>.+)$": RecoveryControlConfigResponse.dispatch,
    "{0}/safetyrule$": RecoveryControlConfigResponse.dispatch,
    "{0}/safetyrule/(?P<SafetyRuleArn>.+)$": RecoveryControlConfigResponse.dispatch,
}
