"""Landing-zone preflight: the account-level security services a landing zone must have turned on.

With `finstack:security.accountServices: landing-zone` the stack declares no GuardDuty, Security
Hub, Config, CloudTrail trail or Macie; `finstack up` in real mode (and `finstack preflight`) first
verifies, per region of the stack, that the landing zone has them on, naming each one missing.
`gateway` is the only code touching boto3; `runner` judges; the CLI prints and sets the exit code.
"""
