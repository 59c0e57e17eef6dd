"""What the plugin costs the ``kedro`` commands that do not use it."""

from __future__ import annotations

import subprocess
import sys


def test_the_entry_point_does_not_import_prefect_for_every_kedro_command() -> None:
    """Kedro loads ``kedro_prefect.cli`` for every ``kedro`` command of a project the
    plugin is installed in (``kedro run``, ``kedro viz``): Prefect, the flow and the
    runner load only when a ``kedro prefect`` command or an entry point is used."""
    probe = (
        "import sys, kedro_prefect.cli\n"
        "heavy = ('prefect', 'kedro_prefect.flow', 'kedro_prefect.runner', 'mlflow', 'ray')\n"
        "print('LOADED=' + ','.join(m for m in heavy if m in sys.modules))\n"
        "from kedro_prefect import kedro_flow, PrefectRunner\n"
        "print('FLOW=' + kedro_flow.name, PrefectRunner.__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)  # fmt: skip
    assert "LOADED=\n" in result.stdout, result.stdout
    assert "FLOW=kedro PrefectRunner" in result.stdout
