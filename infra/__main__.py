"""Entry point the Pulumi CLI runs (`main: infra/` in Pulumi.yaml).

The project root goes on sys.path so `infra` and `components` import whether or not the
project is installed into the virtualenv (`make install` installs it; a bare
`pulumi up` from a fresh venv still works).
"""

import sys
from pathlib import Path

_PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)
if _PROJECT_ROOT not in sys.path:
    sys.path.insert(0, _PROJECT_ROOT)

from infra.program import main  # noqa: E402

main()
