"""Pure planning for the ledger's Aurora PostgreSQL global database (no Pulumi imports).

Physical names, the parameter group family and its parameters, instance placement and
failover order, alarm thresholds and IAM documents live here so they can be tested with
plain pytest and hypothesis, and so `components/aurora_global.py` only declares resources.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

ENGINE = "aurora-postgresql"

# The one log type Aurora PostgreSQL exports: the server log, which carries connection,
# disconnection, slow-statement and pgaudit lines.
LOG_EXPORTS: tuple[str, ...] = ("postgresql",)

# The break-glass superuser. Not `postgres`, the first name any credential-stuffing run
# tries; applications never use it: they connect with IAM database authentication.
MASTER_USERNAME = "finstack_admin"

# 40 characters of [A-Za-z0-9] are ~238 bits of entropy (RDS allows at most 41 characters).
# Punctuation is excluded so the password never needs quoting in a libpq URI or a shell.
MASTER_PASSWORD_LENGTH = 40

# Performance Insights' free retention; longer history lives in CloudWatch metrics.
PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7

# Enhanced Monitoring granularity: 15 s in prod shows the OS-level spikes (IO waits,
# CPU steal) behind a failover; 60 s elsewhere is enough and costs a quarter.
PROD_MONITORING_INTERVAL_SECONDS = 15
DEFAULT_MONITORING_INTERVAL_SECONDS = 60

# Pin the server CA so a changed RDS default never rotates the certificate that clients
# verify (sslmode=verify-full) behind the operator's back.
CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1"

# Aurora fails over to the reader with the lowest promotion tier (0..15); distinct tiers make
# the failover target deterministic instead of "largest instance, then arbitrary".
MAX_PROMOTION_TIER = 15

# Alarms on replication lag: one-minute maximum (the average hides the spikes that are the
# RPO), and 2 of 3 breaching minutes so one vacuum burst is not a page but a trend is.
LAG_ALARM_PERIOD_SECONDS = 60
LAG_ALARM_EVALUATION_PERIODS = 3
LAG_ALARM_DATAPOINTS = 2

IAM_ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"

# The first aurora-postgresql minor of each major on which provisioned clusters serve the RDS
# Data API, the same in every commercial Region ("Supported Regions and Aurora DB engines for RDS
# Data API", Aurora User Guide). The drills' split-brain canary writes through it; a major not
# listed here has no Data API.
DATA_API_MIN_VERSIONS: dict[int, int] = {13: 11, 14: 8, 15: 3, 16: 1, 17: 4, 18: 3}

_ENGINE_VERSION = re.compile(r"^(\d+)\.(\d+)$")
# RDS identifiers: 1-63 characters, a letter first, letters, digits and single hyphens,
# no trailing hyphen.
_RDS_IDENTIFIER = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$")
_ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]*):")


@dataclass(frozen=True)
class ClusterParameter:
    """One DB cluster parameter: name, value and when RDS applies it."""

    name: str
    value: str
    apply_method: str = "immediate"


def parameter_group_family(engine_version: str) -> str:
    """`16.6` -> `aurora-postgresql16`: the family follows the major version only."""
    match = _ENGINE_VERSION.match(engine_version)
    if not match:
        raise ValueError(f"engine version {engine_version!r} is not <major>.<minor>, e.g. 16.6")
    return f"{ENGINE}{match.group(1)}"


def data_api_problem(engine_version: str) -> str | None:
    """Why provisioned aurora-postgresql `engine_version` has no RDS Data API, or None if it has."""
    match = _ENGINE_VERSION.match(engine_version)
    if not match:
        return f"engine version {engine_version!r} is not <major>.<minor>, e.g. 16.6"
    major, minor = int(match.group(1)), int(match.group(2))
    first = DATA_API_MIN_VERSIONS.get(major)
    if first is None:
        majors = ", ".join(str(m) for m in sorted(DATA_API_MIN_VERSIONS))
        return f"aurora-postgresql {major} has no RDS Data API on provisioned clusters (majors {majors} do)"
    if minor < first:
        return f"the RDS Data API needs aurora-postgresql {major}.{first} or later on provisioned clusters"
    return None


def cluster_parameters() -> tuple[ClusterParameter, ...]:
    """The cluster parameter group of every member: TLS only, and an audit trail.

    pgaudit is justified by PCI DSS 10.2: the ledger must record who changed schemas, roles
    and grants; the server log alone cannot tell a DDL from a DML line reliably. Only the
    `ddl` and `role` classes are logged: `read`/`write` would log every payment statement
    (volume, and literal values in the log). `CREATE EXTENSION pgaudit` still has to run
    once in the database (a migration), the library only loads it.
    """
    return (
        # Reject any connection without TLS (hostssl only in pg_hba): credentials and
        # ledger rows never cross a network in clear text, even inside the VPC.
        ClusterParameter("rds.force_ssl", "1"),
        ClusterParameter("ssl_min_protocol_version", "TLSv1.2"),
        # The RDS Data API (the drills' canary) authenticates only scram-sha-256 passwords on
        # Aurora PostgreSQL 14+ ("Limitations for the Amazon RDS Data API"); 14+'s default
        # groups say so too, stated here so no later override can turn md5 back on.
        ClusterParameter("password_encryption", "scram-sha-256"),
        # Who connected and for how long: the access trail PCI DSS 10.2.1 asks for.
        ClusterParameter("log_connections", "1"),
        ClusterParameter("log_disconnections", "1"),
        # Statements slower than 1 s are logged: lock waits on ledger rows show up here first.
        ClusterParameter("log_min_duration_statement", "1000"),
        # A static parameter: RDS refuses `immediate` for it. pg_stat_statements stays
        # loaded (it is in the default list this value replaces).
        ClusterParameter("shared_preload_libraries", "pg_stat_statements,pgaudit", "pending-reboot"),
        ClusterParameter("pgaudit.log", "ddl,role"),
        # Bind parameters carry account numbers and amounts: keep them out of the audit log.
        ClusterParameter("pgaudit.log_parameter", "0"),
    )


def check_identifier(identifier: str) -> str:
    """Return `identifier` if RDS accepts it as a cluster/instance identifier, else raise."""
    if not _RDS_IDENTIFIER.match(identifier):
        raise ValueError(
            f"{identifier!r} is not a valid RDS identifier: 1-63 lower-case letters, digits and "
            "single hyphens, starting with a letter"
        )
    return identifier


def global_cluster_identifier(environment: str) -> str:
    """`finstack-prod-ledger`: stable, so drills and runbooks can name it."""
    return check_identifier(f"finstack-{environment}-ledger")


def cluster_identifier(environment: str, region: str) -> str:
    """`finstack-prod-ledger-us-west-2`: a member cluster, named after its region, not its role.

    Roles flip on every switchover; a name like `-primary` would lie after the first drill.
    """
    return check_identifier(f"{global_cluster_identifier(environment)}-{region}")


def instance_identifier(environment: str, region: str, number: int) -> str:
    """`finstack-prod-ledger-us-west-2-1`: instance `number` (1-based) of a member cluster."""
    if number < 1:
        raise ValueError(f"instance numbers are 1-based, got {number}")
    return check_identifier(f"{cluster_identifier(environment, region)}-{number}")


def final_snapshot_identifier(environment: str, region: str) -> str:
    """The snapshot RDS takes when the member cluster is deleted."""
    return check_identifier(f"{cluster_identifier(environment, region)}-final")


def log_group_name(cluster_id: str) -> str:
    """Where RDS exports a cluster's `postgresql` log; created beforehand so we own it."""
    return f"/aws/rds/cluster/{cluster_id}/postgresql"


def promotion_tier(index: int) -> int:
    """Promotion tier of instance `index` (0-based): 0, 1, 2, ... capped at 15.

    Instance 1 (tier 0) is the writer; instance 2 (tier 1) is always the failover target.
    """
    if index < 0:
        raise ValueError(f"instance index must be >= 0, got {index}")
    return min(index, MAX_PROMOTION_TIER)


def availability_zone_for(index: int, zones: Sequence[str]) -> str:
    """AZ of instance `index` (0-based): round-robin, so writer and failover target never share an AZ."""
    if not zones:
        raise ValueError("no availability zones to place the instance in")
    return zones[index % len(zones)]


def lag_threshold_ms(seconds: float) -> float:
    """AuroraGlobalDB*Lag metrics are in milliseconds; config speaks seconds."""
    if seconds <= 0:
        raise ValueError(f"the lag threshold must be > 0 seconds, got {seconds}")
    return round(seconds * 1000.0, 3)


def monitoring_interval(environment: str) -> int:
    """Enhanced Monitoring interval of an environment's instances, in seconds."""
    return PROD_MONITORING_INTERVAL_SECONDS if environment == "prod" else DEFAULT_MONITORING_INTERVAL_SECONDS


def keeps_final_snapshot(environment: str) -> bool:
    """Every environment but dev snapshots a member cluster when it is deleted.

    Dev is torn down and rebuilt daily; a fixed final snapshot name would block the second
    teardown and the snapshots would pile up.
    """
    return environment != "dev"


def monitoring_role_name(environment: str) -> str:
    """IAM role names are account-wide: the environment keeps dev and prod apart."""
    return f"finstack-{environment}-ledger-rds-monitoring"


def master_secret_name(environment: str) -> str:
    """The Secrets Manager secret holding the break-glass master credential."""
    return f"finstack/{environment}/ledger/master"


def master_secret_document(password: str, database_name: str) -> str:
    """The secret's JSON in the shape RDS's own rotation functions read.

    No `host`: the writer moves between regions; operators use the global writer endpoint.
    """
    return json.dumps(
        {
            "engine": "postgres",
            "username": MASTER_USERNAME,
            "password": password,
            "dbname": database_name,
            "port": 5432,
        },
        sort_keys=True,
    )


def password_of(secret_document: str) -> str:
    """The password field of a `master_secret_document`."""
    return str(json.loads(secret_document)["password"])


def region_of_arn(arn: str) -> str | None:
    """Region part of an ARN (`None` when it is not an ARN; empty for global services)."""
    match = _ARN_REGION.match(arn)
    return match.group(1) if match else None
