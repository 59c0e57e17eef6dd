"""Work pools from templates, on a real Prefect server: one pool per infra class of
prefect.yml; the Kubernetes templates are stored and validated by the server, and
render to the Jobs the cluster will get."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import yaml
from prefect.utilities.templating import apply_values

from deployments.pools import (
    K8S_TEMPLATES,
    ORCHESTRATION_CONFIG,
    ensure_pools,
    infra_classes,
    template,
)
from kedro_prefect.local_server import api

INFRA = yaml.safe_load(ORCHESTRATION_CONFIG.read_text())["infra"]


def rendered_job(infra: str) -> dict[str, Any]:
    """The Kubernetes Job a worker would submit with the pool's default variables."""
    template = json.loads((K8S_TEMPLATES / f"{infra}.json").read_text())
    defaults = {
        name: spec.get("default") for name, spec in template["variables"]["properties"].items()
    }
    values = {**defaults, "name": "flow-run", "command": "prefect flow-run execute"}
    return apply_values(template["job_configuration"], values)


def test_a_pool_per_infra_class_and_a_template_for_each() -> None:
    assert infra_classes() == list(INFRA) == ["cpu", "gpu"]
    for infra in infra_classes():
        assert (K8S_TEMPLATES / f"{infra}.json").is_file()


def test_server_accepts_the_kubernetes_templates_and_keeps_them(prefect_api: str) -> None:
    report = asyncio.run(ensure_pools("kubernetes", infra_classes(), prefix="k8s-"))
    assert report == ["created work pool 'k8s-cpu' (kubernetes)",
                      "created work pool 'k8s-gpu' (kubernetes)"]  # fmt: skip
    for infra in infra_classes():
        pool = api(prefect_api, f"work_pools/k8s-{infra}")
        assert pool["type"] == "kubernetes"
        assert pool["base_job_template"] == template("kubernetes", infra)
        env = pool["base_job_template"]["variables"]["properties"]["env"]["default"]
        stored = json.loads((K8S_TEMPLATES / f"{infra}.json").read_text())
        assert env == {**stored["variables"]["properties"]["env"]["default"],
                       "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30"}  # fmt: skip
    again = asyncio.run(ensure_pools("kubernetes", infra_classes(), prefix="k8s-"))
    assert again == ["updated work pool 'k8s-cpu' (kubernetes)",
                     "updated work pool 'k8s-gpu' (kubernetes)"]  # fmt: skip


def test_server_rejects_a_template_with_an_undeclared_variable(prefect_api: str) -> None:
    import httpx

    broken = json.loads((K8S_TEMPLATES / "gpu.json").read_text())
    del broken["variables"]["properties"]["gpu_count"]
    response = httpx.post(f"{prefect_api}/work_pools/", json={
        "name": "k8s-broken", "type": "kubernetes", "base_job_template": broken,
    })  # fmt: skip
    assert response.status_code == 422
    assert "gpu_count" in response.text


def test_a_pool_of_another_kind_is_not_silently_replaced(prefect_api: str) -> None:
    asyncio.run(ensure_pools("process", ["cpu"], prefix="kind-"))
    with pytest.raises(ValueError, match="'kind-cpu' exists as a 'process' pool"):
        asyncio.run(ensure_pools("kubernetes", ["cpu"], prefix="kind-"))


def test_gpu_jobs_request_nvidia_gpus_cpu_jobs_do_not() -> None:
    gpu = rendered_job("gpu")["job_manifest"]
    cpu = rendered_job("cpu")["job_manifest"]
    gpu_container = gpu["spec"]["template"]["spec"]["containers"][0]
    cpu_container = cpu["spec"]["template"]["spec"]["containers"][0]
    assert gpu_container["resources"]["limits"]["nvidia.com/gpu"] == INFRA["gpu"]["num_gpus"] == 1
    assert gpu_container["resources"]["requests"]["nvidia.com/gpu"] == 1
    assert "nvidia.com/gpu" not in json.dumps(cpu_container["resources"])
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in (
        gpu["spec"]["template"]["spec"]["tolerations"]
    )


@pytest.mark.parametrize("infra", ["cpu", "gpu"])
def test_jobs_match_the_infra_class_and_the_image(infra: str) -> None:
    job = rendered_job(infra)
    manifest = job["job_manifest"]
    assert (manifest["apiVersion"], manifest["kind"]) == ("batch/v1", "Job")
    pod = manifest["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == f"forecast-keiba:{infra}"
    assert float(container["resources"]["requests"]["cpu"]) == INFRA[infra]["num_cpus"]
    assert job["env"]["FORECAST_KEIBA_HOME"] == "/opt/forecast-keiba"  # the images' WORKDIR
    assert job["env"]["DO_NOT_TRACK"] == "1"
    mount = container["volumeMounts"][0]
    assert mount["mountPath"] == "/opt/forecast-keiba/kedro_project/data"
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    assert volume["persistentVolumeClaim"]["claimName"] == "forecast-keiba-data"


@pytest.mark.parametrize("kind", ["process", "kubernetes"])
def test_every_flow_run_of_a_pool_sends_heartbeats(kind: str) -> None:
    """Without heartbeats a run whose machine died would stay Running for ever
    (deployments/crash_detection.py); the period is prefect.yml's crash_detection."""
    period = yaml.safe_load(ORCHESTRATION_CONFIG.read_text())["crash_detection"]
    for infra in infra_classes():
        env = template(kind, infra)["variables"]["properties"]["env"]["default"]
        assert env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == str(period["heartbeat_seconds"])
