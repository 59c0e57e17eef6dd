"""prefect.yml: resolution order, retry delays, and errors naming the key."""

from __future__ import annotations

import os

import pytest

from kedro_prefect.config import OrchestrationConfig, OrchestrationConfigError

CONFIG = {
    "default": {"retries": 1, "infra": "cpu", "cache": True},
    "namespaces": {"feat": {"retries": 2}, "feat.inner": {"timeout_seconds": 30}},
    "tags": {"slow": {"timeout_seconds": 600, "retries": 3}, "fragile": {"retries": 5}},
    "nodes": {"special": {"retries": 0, "cache": {"enabled": True, "expiration_seconds": 60}}},
    "infra": {"cpu": {"num_cpus": 1}, "gpu": {"num_gpus": 1, "work_pool": "gpu"}},
}


def test_specific_blocks_override_general_ones_key_by_key() -> None:
    config = OrchestrationConfig.from_mapping(CONFIG)
    plain = config.for_node("a", None, [])
    assert (plain.retries, plain.infra, plain.cache_enabled) == (1, "cpu", True)
    inner = config.for_node("b", "feat.inner", [])
    assert (inner.retries, inner.timeout_seconds) == (2, 30)  # outer namespace, then inner
    tagged = config.for_node("c", "feat", ["fragile", "slow"])
    assert (tagged.retries, tagged.timeout_seconds) == (5, 600)  # tags in file order
    special = config.for_node("special", "feat", ["slow"])
    assert (special.retries, special.cache_expiration_seconds) == (0, 60)


def test_retry_delays_accept_a_number_a_list_or_exponential_backoff() -> None:
    config = OrchestrationConfig.from_mapping({
        "nodes": {
            "a": {"retries": 2, "retry_delay_seconds": 5},
            "b": {"retries": 3, "retry_delay_seconds": [1, 2, 4]},
            "c": {"retries": 3, "retry_delay_seconds": {"backoff_factor": 10}},
        }
    })  # fmt: skip
    assert config.for_node("a", None, []).retry_delay_seconds == 5
    assert config.for_node("b", None, []).retry_delay_seconds == [1, 2, 4]
    assert config.for_node("c", None, []).retry_delay_seconds == [10, 20, 40]


def test_cache_false_switches_caching_off() -> None:
    config = OrchestrationConfig.from_mapping({"nodes": {"scrape": {"cache": False}}})
    assert config.for_node("scrape", None, []).cache_enabled is False
    assert config.for_node("other", None, []).cache_enabled is True


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"tags": {"slow": {"retriez": 1}}}, "tags.slow.retriez: Extra inputs"),
        ({"default": {"retries": -1}}, "default.retries"),
        (
            {"nodes": {"x": {"infra": "tpu"}}, "infra": {"cpu": {}}},
            "nodes.x.infra: unknown infra class 'tpu'",
        ),
        ({"infra": {"gpu": {"num_gpus": "many"}}}, "infra.gpu.num_gpus"),
        ({"defaults": {}}, "defaults: Extra inputs"),
        ({"crash_detection": {"heartbeat_seconds": 10}}, "crash_detection.heartbeat_seconds"),
        (
            {"crash_detection": {"heartbeat_seconds": 60, "crashed_after_seconds": 60}},
            "crashed_after_seconds must be longer than heartbeat_seconds",
        ),
    ],
)
def test_invalid_config_fails_naming_the_key(raw: dict, message: str) -> None:
    with pytest.raises(OrchestrationConfigError, match=message.replace(".", r"\.")):
        OrchestrationConfig.from_mapping(raw)


def test_task_runner_defaults_to_sequential_and_thread_safety_resolves_like_any_key() -> None:
    from kedro_prefect.config import TaskRunnerChoice, TaskRunnerError

    default = OrchestrationConfig.from_mapping({})
    assert TaskRunnerChoice.resolve(default) == TaskRunnerChoice("sequential", None)
    assert TaskRunnerChoice.resolve(default).workers == 1
    cpus = os.cpu_count() or 1  # threads wait on I/O: more of them than CPUs, as Kedro's
    assert TaskRunnerChoice.resolve(default, "threads").workers == min(32, cpus + 4)
    assert TaskRunnerChoice.resolve(default, "processes").workers == cpus
    config = OrchestrationConfig.from_mapping({
        "execution": {"task_runner": "threads", "max_workers": 3},
        "namespaces": {"reports": {"thread_safe": False}},
        "tags": {"plotly": {"thread_safe": False}},
        "nodes": {"reports.table": {"thread_safe": True}},
    })  # fmt: skip
    assert TaskRunnerChoice.resolve(config).describe() == "threads (max 3)"
    assert TaskRunnerChoice.resolve(config, "processes").kind == "processes"  # the override
    assert config.for_node("a", None, []).thread_safe
    assert not config.for_node("a", None, ["plotly"]).thread_safe
    assert not config.for_node("reports.chart", "reports", []).thread_safe
    assert config.for_node("reports.table", "reports", []).thread_safe
    with pytest.raises(TaskRunnerError, match="'dask' is not one of sequential, threads"):
        TaskRunnerChoice.resolve(config, "dask")
    with pytest.raises(OrchestrationConfigError, match=r"execution\.task_runner"):
        OrchestrationConfig.from_mapping({"execution": {"task_runner": "dask"}})
