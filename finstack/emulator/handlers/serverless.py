"""Lambda functions, their invoke permissions and Secrets Manager rotation schedules in the emulator.

The function's code archive is built from the program's `pulumi.AssetArchive` (file assets) as the
provider uploads it (CreateFunction `ZipFile`). A rotation schedule is RotateSecret, as the provider
sends it (terraform-provider-aws `aws_secretsmanager_secret_rotation`: RotateSecret with the rules
and `RotateImmediately`); moto_ext/rotation_lambda.py runs finstack's rotation function in-process
for the steps Secrets Manager invokes.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from finstack.emulator.handlers import REGISTRY, HandlerContext, physical_name, tag_list

LAMBDA = "lambda"


def _archive(code: Any) -> bytes:
    """Zip bytes of an AssetArchive of file or string assets (name -> asset)."""
    assets = getattr(code, "assets", None)
    if not isinstance(assets, dict):
        raise ValueError(f"Lambda code must be an AssetArchive of files, got {type(code).__name__}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, asset in sorted(assets.items()):
            path, text = getattr(asset, "path", None), getattr(asset, "text", None)
            if isinstance(path, str):
                archive.write(path, name)
            elif isinstance(text, str):
                archive.writestr(name, text)
            else:
                raise ValueError(f"Lambda code asset {name!r} is neither a file nor a string asset")
    return buffer.getvalue()


def _delete_function(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(LAMBDA).delete_function(FunctionName=resource_id)


@REGISTRY.register("aws:lambda/function:Function", LAMBDA, _delete_function)
def create_function(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A zip-packaged function; reserved concurrency as PutFunctionConcurrency (the provider's second call)."""
    function_name = physical_name(name, inputs)
    kwargs: dict[str, Any] = {
        "FunctionName": function_name,
        "Runtime": inputs["runtime"],
        "Role": inputs["role"],
        "Handler": inputs["handler"],
        "Code": {"ZipFile": _archive(inputs["code"])},
        "Timeout": int(inputs.get("timeout") or 3),
        "MemorySize": int(inputs.get("memorySize") or 128),
        "Tags": {t["Key"]: t["Value"] for t in tag_list(inputs)},
        "Publish": False,
    }
    if inputs.get("description"):
        kwargs["Description"] = inputs["description"]
    variables = (inputs.get("environment") or {}).get("variables")
    if variables:
        kwargs["Environment"] = {"Variables": {str(k): str(v) for k, v in variables.items()}}
    logging_config = inputs.get("loggingConfig") or {}
    if logging_config.get("logGroup"):
        kwargs["LoggingConfig"] = {
            "LogFormat": logging_config.get("logFormat", "Text"),
            "LogGroup": logging_config["logGroup"],
        }
    client = ctx.client(LAMBDA)
    function = client.create_function(**kwargs)
    reserved = inputs.get("reservedConcurrentExecutions")
    if reserved is not None and int(reserved) >= 0:
        client.put_function_concurrency(FunctionName=function_name, ReservedConcurrentExecutions=int(reserved))
    return function_name, {"arn": function["FunctionArn"], "name": function_name, "invokeArn": function["FunctionArn"]}


def _delete_permission(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    function_name, statement_id = resource_id.split("|", 1)
    ctx.client(LAMBDA).remove_permission(FunctionName=function_name, StatementId=statement_id)


@REGISTRY.register("aws:lambda/permission:Permission", LAMBDA, _delete_permission)
def add_permission(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A statement of the function's resource policy (AddPermission)."""
    statement_id = inputs.get("statementId") or physical_name(name, {}, key="statementId")
    kwargs: dict[str, Any] = {
        "FunctionName": inputs["function"],
        "StatementId": statement_id,
        "Action": inputs["action"],
        "Principal": inputs["principal"],
    }
    for key, field in (("sourceAccount", "SourceAccount"), ("sourceArn", "SourceArn")):
        if inputs.get(key):
            kwargs[field] = inputs[key]
    ctx.client(LAMBDA).add_permission(**kwargs)
    return f"{inputs['function']}|{statement_id}", {"statementId": statement_id}


def _cancel_rotation(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client("secretsmanager").cancel_rotate_secret(SecretId=resource_id)


@REGISTRY.register("aws:secretsmanager/secretRotation:SecretRotation", "secretsmanager", _cancel_rotation)
def rotate_secret(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """RotateSecret with the schedule; with rotateImmediately false, Secrets Manager runs testSecret only."""
    rules = inputs.get("rotationRules") or {}
    wire: dict[str, Any] = {}
    if rules.get("automaticallyAfterDays"):
        wire["AutomaticallyAfterDays"] = int(rules["automaticallyAfterDays"])
    if rules.get("scheduleExpression"):
        wire["ScheduleExpression"] = rules["scheduleExpression"]
    answer = ctx.client("secretsmanager").rotate_secret(
        SecretId=inputs["secretId"],
        RotationLambdaARN=inputs["rotationLambdaArn"],
        RotationRules=wire,
        RotateImmediately=bool(inputs.get("rotateImmediately", True)),
    )
    return answer["ARN"], {"rotationEnabled": True, "rotationRules": json.loads(json.dumps(rules))}
