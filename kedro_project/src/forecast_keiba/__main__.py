"""`python -m forecast_keiba` runs the Kedro project like `kedro run`."""

from pathlib import Path

from kedro.framework.cli.utils import find_run_command
from kedro.framework.project import configure_project

import no_telemetry  # noqa: F401  (telemetry off before Kedro loads)


def main() -> None:
    package_name = Path(__file__).parent.name
    configure_project(package_name)
    run = find_run_command(package_name)
    run()


if __name__ == "__main__":
    main()
