"""deployments/serve.py serves exactly what prefect.yaml declares."""

from __future__ import annotations

import pytest

from deployments.serve import build, declared


def test_served_deployments_are_the_declared_ones() -> None:
    specs = {spec["name"]: spec for spec in declared()}
    served = {deployment.name: deployment for deployment in build()}
    assert set(served) == set(specs) == {"nightly-scraping", "training", "prediction",
                                         "full-pipeline"}  # fmt: skip
    for name, deployment in served.items():
        spec = specs[name]
        assert deployment.entrypoint == "kedro_prefect.flow.kedro_flow"  # module path
        assert deployment.parameters == spec["parameters"]
        assert deployment.work_pool_name is None  # served here, not by a worker
    nightly = served["nightly-scraping"]
    assert [(s.schedule.cron, s.schedule.timezone) for s in nightly.schedules] == [
        ("0 3 * * *", "Asia/Tokyo")
    ]
    assert nightly.concurrency_limit == 1
    (trigger,) = served["training"].triggers
    assert trigger.expect == {"prefect.flow-run.Completed"}
    assert trigger.match_related.model_dump() == {
        "prefect.resource.role": "deployment",
        "prefect.resource.name": "nightly-scraping",
    }
    assert trigger.parameters["conf_source"] == "{{ flow_run.parameters.conf_source }}"


def test_an_unknown_deployment_name_fails_naming_it() -> None:
    with pytest.raises(
        ValueError, match=r"not in prefect\.yaml: nightly \(declared: nightly-scraping"
    ):
        build(["nightly"])
