"""kedro_prefect.project: a run opens its Kedro session and plans once.

``kedro prefect run`` checks the request before a flow run exists, and the flow run
then takes that session and plan over (#17: the command used to open two sessions and
plan twice); a flow run started any other way opens and plans for itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kedro.framework.session import KedroSession

from kedro_prefect import kedro_flow, project, runner
from kedro_prefect.project import prepared_run, take_prepared
from tests.kedro_prefect.cli_support import kedro_prefect


def counted(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """Lists that grow by one per Kedro session opened and per plan built."""
    sessions: list[str] = []
    plans: list[str] = []
    create = KedroSession.create

    def counting_create(*args: Any, **kwargs: Any) -> KedroSession:
        sessions.append(str(kwargs.get("project_path")))
        return create(*args, **kwargs)

    def counting(build: Any) -> Any:
        def build_plan(pipeline: Any, *args: Any, **kwargs: Any) -> Any:
            plans.append(kwargs.get("pipeline_name", ""))
            return build(pipeline, *args, **kwargs)

        return build_plan

    monkeypatch.setattr(KedroSession, "create", counting_create)
    for module in (project, runner):  # where the plan is built: before a run, in a run
        monkeypatch.setattr(module, "build_plan", counting(module.build_plan))
    return sessions, plans


def test_kedro_prefect_run_opens_one_session_and_plans_once(
    prefect_api: str, toy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions, plans = counted(monkeypatch)
    result = kedro_prefect(toy, "run", "--pipeline", "main")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("Completed: ")
    assert sessions == [str(toy)]
    assert plans == ["main"]


def test_a_flow_run_started_without_the_command_opens_and_plans_itself(
    prefect_api: str, toy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions, plans = counted(monkeypatch)
    state = kedro_flow("main", project_path=str(toy), return_state=True)
    assert state.is_completed(), state.message
    assert (sessions, plans) == ([str(toy)], ["main"])


def test_a_prepared_run_is_taken_once_and_only_by_a_flow_run_asking_the_same(toy: Path) -> None:
    asked = {"pipeline": "main", "project_path": str(toy)}
    assert take_prepared(asked) is None  # none offered
    with prepared_run(**asked) as prepared:
        assert prepared.plan.node_names == {"make_raw", "clean", "feat.double", "feat.total",
                                            "report"}  # fmt: skip
        assert take_prepared({**asked, "tags": ["nightly"]}) is None  # another request
        assert take_prepared({**asked, "pipeline": "infra"}) is None
        # The flow's defaults (None, [], False) are what the command leaves unset.
        assert take_prepared({**asked, "env": None, "tags": [], "refresh": False}) is prepared
        assert take_prepared(asked) is None  # a session runs once
    with prepared_run(**asked):
        pass
    assert take_prepared(asked) is None  # offered only inside its block


def test_a_request_that_cannot_run_fails_before_a_session_is_offered(toy: Path) -> None:
    with (
        pytest.raises(ValueError, match="no pipeline named 'nope'"),
        prepared_run("nope", project_path=str(toy)),
    ):
        pytest.fail("a run of an unknown pipeline was prepared")
    assert take_prepared({"pipeline": "nope", "project_path": str(toy)}) is None
