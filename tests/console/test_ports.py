"""One variable moves the local Prefect server: the port rule that `make up`,
`make deploy`, `make status` and `keiba demo` share."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from forecast_keiba.console.ports import prefect_port
from tests.support import REPO


@pytest.mark.parametrize(
    ("keiba_port", "api_url", "expected"),
    [
        (None, None, 4200),
        (None, "http://127.0.0.1:4300/api", 4300),
        (None, "http://localhost:4301/api", 4301),
        ("4400", "http://127.0.0.1:4300/api", 4400),  # the explicit override wins
        (None, "https://prefect.example.com:4300/api", 4200),  # not this machine's
        (None, "http://127.0.0.1/api", 4200),  # no port in it
    ],
)
def test_the_port_follows_prefects_own_variable(
    monkeypatch: pytest.MonkeyPatch, keiba_port: str | None, api_url: str | None, expected: int
) -> None:
    for name, value in (("KEIBA_PREFECT_PORT", keiba_port), ("PREFECT_API_URL", api_url)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert prefect_port() == expected


def test_a_malformed_value_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEIBA_PREFECT_PORT", "forty-two")
    with pytest.raises(ValueError, match="KEIBA_PREFECT_PORT='forty-two' is not a port number"):
        prefect_port()
    monkeypatch.delenv("KEIBA_PREFECT_PORT")
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:99999/api")
    with pytest.raises(ValueError, match=re.escape("PREFECT_API_URL='http://127.0.0.1:99999/api'")):
        prefect_port()


def test_make_deploy_targets_the_same_url_without_loading_the_app() -> None:
    """What `make deploy` runs: the URL only, fast (no MLflow or Kedro import)."""
    probe = (
        "import sys; from deployments.stack import main; main(['api-url']); "
        "print(sorted(m for m in ('mlflow', 'kedro') if m in sys.modules))"
    )
    env = {"PATH": "/usr/bin:/bin", "PREFECT_API_URL": "http://127.0.0.1:4300/api"}
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env,
                            capture_output=True, text=True, check=True)  # fmt: skip
    assert result.stdout.split("\n")[:2] == ["http://127.0.0.1:4300/api", "[]"], result.stdout
