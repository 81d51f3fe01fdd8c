"""GetBucketNotificationConfiguration reports EventBridge delivery, as S3 does.

moto 5 stores a bucket's `EventBridgeConfiguration` on PutBucketNotificationConfiguration but leaves
it out of GetBucketNotificationConfiguration, so a bucket with EventBridge on reads back as having
no notifications at all. S3 returns the element (API reference, `NotificationConfiguration`:
"EventBridgeConfiguration: Enables delivery of events to Amazon EventBridge", an empty structure
present while delivery is on; "Using EventBridge", S3 User Guide). Posture scanners (Prowler's
`s3_bucket_event_notifications_enabled`) read exactly that element.
"""

from __future__ import annotations

from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import ActionResult
from moto.s3.responses import S3Response

from finstack.emulator.moto_ext._registry import Installation


def register(installation: Installation) -> None:
    """Answer `EventBridgeConfiguration` (empty) next to moto's topic, queue and Lambda configurations."""
    original = S3Response.get_bucket_notification

    def get_bucket_notification(self: S3Response) -> TYPE_RESPONSE:
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if configuration is None or configuration.event_bridge is None:
            return original(self)
        serialized = self.serialized

        def with_eventbridge(result: ActionResult) -> TYPE_RESPONSE:
            # moto builds the answer as one ActionResult of a dict: add the element S3 returns.
            if isinstance(result, ActionResult) and isinstance(result.result, dict):
                result = ActionResult({**result.result, "EventBridgeConfiguration": {}})
            return serialized(result)

        self.serialized = with_eventbridge  # type: ignore[method-assign,assignment]
        try:
            return original(self)
        finally:
            del self.serialized

    installation.patch(S3Response, "get_bucket_notification", get_bucket_notification)
