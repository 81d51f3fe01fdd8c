"""AWS Backup selections (``backup`` Create/Get/Delete/ListBackupSelections).

moto 5 implements backup vaults, vault locks and plans but not selections, the resource that puts
an Aurora cluster into a plan. A selection here belongs to an existing plan of its Region and names
an existing IAM role of the account; anything else is refused with the botocore model's error for the
operation (CreateBackupSelection lists ``InvalidParameterValueException``, Get/Delete/List
``ResourceNotFoundException``):

* the plan: a selection is created under ``/backup/plans/{backupPlanId}/selections/``; AWS Backup
  answers for an unknown or deleted plan id;
* the role: AWS Backup passes ``IamRoleArn`` to its jobs (iam:PassRole), which only an existing role
  of the caller's account can be;
* ``SelectionName`` is 1 to 50 letters, digits, hyphens, underscores or dots
  (``BackupSelection.SelectionName`` in the AWS Backup API reference).

What AWS enforces only when a job runs (a recovery point whose lifecycle the vault lock refuses, a
key the role cannot use) is not emulated: no job runs in the emulator. The policy pack
(`backup-vault-locked-compliance`, `aurora-cluster-in-backup-plan`) and `infra/config.py` (retention
inside the lock bounds) stand in for those checks before deploy.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from moto.backup import urls as backup_urls
from moto.backup.models import BackupBackend, backup_backends
from moto.backup.responses import BackupResponse
from moto.core.exceptions import JsonRESTError
from moto.core.utils import unix_time
from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition

from finstack.emulator.moto_ext._registry import EXTENSION_LOCK, Installation

_SELECTION_NAME = re.compile(r"^[a-zA-Z0-9\-_.]{1,50}$")
_SELECTIONS = re.compile(r"/backup/plans/(?P<plan>[^/]+)/selections/?(?P<selection>[^/]*)$")


class BackupError(JsonRESTError):
    """An AWS Backup API error with its code."""

    code = 400

    def __init__(self, error: str, message: str) -> None:
        super().__init__(error, message)


@dataclass
class Selection:
    """One backup selection of a plan."""

    selection_id: str
    plan_id: str
    document: dict[str, Any]
    creator_request_id: str | None
    creation_date: float = field(default_factory=unix_time)

    def get(self) -> dict[str, Any]:
        """The GetBackupSelection response."""
        return {
            "BackupSelection": self.document,
            "SelectionId": self.selection_id,
            "BackupPlanId": self.plan_id,
            "CreationDate": self.creation_date,
            "CreatorRequestId": self.creator_request_id,
        }

    def summary(self) -> dict[str, Any]:
        """One ListBackupSelections entry."""
        return {
            "SelectionId": self.selection_id,
            "SelectionName": self.document["SelectionName"],
            "BackupPlanId": self.plan_id,
            "CreationDate": self.creation_date,
            "CreatorRequestId": self.creator_request_id,
            "IamRoleArn": self.document["IamRoleArn"],
        }


def selections(account_id: str, region: str) -> dict[str, Selection]:
    """Selection id -> Selection of one account and Region.

    Kept on moto's own backup backend, so moto's reset (a new mock session) clears them too.
    """
    backend = backup_backends[account_id][region]
    found: dict[str, Selection] = backend.__dict__.setdefault("finstack_selections", {})
    return found


def _live_plan(backend: BackupBackend, plan_id: str, error: str) -> None:
    plan = backend.plans.get(plan_id)
    if plan is None or plan.deletion_date is not None:
        raise BackupError(error, f"Backup plan {plan_id} does not exist")


def _check_role(account_id: str, region: str, role_arn: str) -> None:
    roles = iam_backends[account_id][get_partition(region)].roles.values()
    if role_arn not in {role.arn for role in roles}:
        raise BackupError("InvalidParameterValueException", f"IAM role {role_arn} does not exist in this account")


def create_selection(
    account_id: str, region: str, plan_id: str, document: dict[str, Any], creator_request_id: str | None
) -> Selection:
    """CreateBackupSelection."""
    backend = backup_backends[account_id][region]
    _live_plan(backend, plan_id, "InvalidParameterValueException")
    for key in ("SelectionName", "IamRoleArn"):
        if not document.get(key):
            raise BackupError("MissingParameterValueException", f"BackupSelection.{key} is required")
    if not _SELECTION_NAME.match(document["SelectionName"]):
        raise BackupError(
            "InvalidParameterValueException", f"SelectionName {document['SelectionName']!r} is not a valid name"
        )
    _check_role(account_id, region, document["IamRoleArn"])
    with EXTENSION_LOCK:
        store = selections(account_id, region)
        if any(
            s.plan_id == plan_id and s.document["SelectionName"] == document["SelectionName"] for s in store.values()
        ):
            raise BackupError("AlreadyExistsException", f"Selection {document['SelectionName']} already exists")
        selection = Selection(str(uuid.uuid4()), plan_id, document, creator_request_id)
        store[selection.selection_id] = selection
    return selection


def _selection(account_id: str, region: str, plan_id: str, selection_id: str) -> Selection:
    found = selections(account_id, region).get(selection_id)
    if found is None or found.plan_id != plan_id:
        raise BackupError("ResourceNotFoundException", f"Backup selection {selection_id} does not exist")
    return found


class BackupSelectionResponse(BackupResponse):
    """moto's BackupResponse plus the selection operations (routed for every ``/backup/plans`` path)."""

    def _selection_path(self) -> tuple[str, str]:
        match = _SELECTIONS.search(unquote(self.path))
        if match is None:
            raise BackupError("InvalidParameterValueException", f"{self.path} is not a backup selection path")
        return match["plan"], match["selection"]

    def create_backup_selection(self) -> str:
        """CreateBackupSelection: PUT /backup/plans/{backupPlanId}/selections/."""
        plan_id, _ = self._selection_path()
        body = json.loads(self.body or "{}")
        selection = create_selection(
            self.current_account, self.region, plan_id, body.get("BackupSelection") or {}, body.get("CreatorRequestId")
        )
        return json.dumps(
            {"SelectionId": selection.selection_id, "BackupPlanId": plan_id, "CreationDate": selection.creation_date}
        )

    def get_backup_selection(self) -> str:
        """GetBackupSelection."""
        plan_id, selection_id = self._selection_path()
        return json.dumps(_selection(self.current_account, self.region, plan_id, selection_id).get())

    def delete_backup_selection(self) -> str:
        """DeleteBackupSelection."""
        plan_id, selection_id = self._selection_path()
        _selection(self.current_account, self.region, plan_id, selection_id)
        with EXTENSION_LOCK:
            selections(self.current_account, self.region).pop(selection_id, None)
        return "{}"

    def list_backup_selections(self) -> str:
        """ListBackupSelections of one plan."""
        plan_id, _ = self._selection_path()
        _live_plan(backup_backends[self.current_account][self.region], plan_id, "ResourceNotFoundException")
        listed = [s.summary() for s in selections(self.current_account, self.region).values() if s.plan_id == plan_id]
        return json.dumps({"BackupSelectionsList": listed})


def register(installation: Installation) -> None:
    """Serve every ``/backup/plans`` path with `BackupSelectionResponse`."""
    for path in ("{0}/backup/plans/?$", "{0}/backup/plans/(?P<name>.+)/?$"):
        installation.route(backup_urls, path, BackupSelectionResponse.dispatch)
