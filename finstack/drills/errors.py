"""Typed drill errors: what went wrong, in words an operator and an auditor can act on.

AWS errors are mapped from `ClientError` codes and botocore exceptions in `gateway`; nothing
above the gateway inspects an error code string.
"""

from __future__ import annotations


class DrillError(Exception):
    """Base of every error a drill reports instead of a traceback."""


class DocumentError(DrillError):
    """The `dr` stack output is missing, unreadable or does not match its schema (exit status 2)."""


class AwsError(DrillError):
    """An AWS API call failed; `operation`, `region` and `code` say which and how."""

    def __init__(self, message: str, *, operation: str, region: str, code: str = "", request_id: str = "") -> None:
        super().__init__(message)
        self.operation = operation
        self.region = region
        self.code = code
        self.request_id = request_id


class Throttled(AwsError):
    """AWS throttled the call (Throttling, ThrottlingException, RequestLimitExceeded, ...); retryable."""


class TransientAwsError(AwsError):
    """A 5xx answer or a connection failure before the request was sent; retryable."""


class OutcomeUnknown(AwsError):
    """The request may have been applied but no answer arrived (read timeout, connection dropped).

    Never retried blindly: the runner verifies whether the change happened before acting again.
    """


class RegionUnreachable(AwsError):
    """Every attempt to reach the region's API failed at the connection level."""


class NotFound(AwsError):
    """The resource named in the call does not exist."""


class InvalidState(AwsError):
    """The resource cannot take this operation in its current state (e.g. a failover in progress)."""


class Conflict(AwsError):
    """The change was refused because it conflicts with a rule (e.g. an ARC safety rule)."""


class AccessDenied(AwsError):
    """The credentials may not make this call; the drill's IAM role is missing a permission."""


class BadRequest(AwsError):
    """AWS rejected the parameters (validation, unsupported operation, ...)."""


class NotEmulated(DrillError):
    """The emulator does not implement a service the drill was asked to use (exit status 2)."""


class PreconditionFailed(DrillError):
    """A precondition of the plan does not hold; nothing was changed (exit status 1)."""


class StepTimeout(DrillError):
    """A step's condition did not become true in time; what the step did is verified, never assumed."""


class InvariantViolated(DrillError):
    """More than one region accepts writes, or the fence was lost: the drill aborts into a safe state."""


class FenceNotConfirmed(DrillError):
    """The fence could not be confirmed; a failover fails closed and promotes nothing."""
