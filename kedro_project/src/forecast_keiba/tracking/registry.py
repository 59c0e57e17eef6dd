"""The MLflow model registry as a Kedro dataset: save nominates, load serves the champion.

Saving a :class:`~forecast_keiba.models.champion.Candidate` logs its model into the
active MLflow run (kedro-mlflow's, or ``$MLFLOW_RUN_ID``) with a
signature and an input example, registers it as a new version tagged with its
score, and moves the alias (``champion``) to it only if it beats the version
that holds the alias now. Loading returns the model holding the alias, so
prediction uses the champion, not merely the latest model.

Why not kedro-mlflow's ``MlflowModelTrackingDataset`` + ``MlflowModelRegistryDataset``:
they log and load a model, but registering a version only when the model changed and
moving an alias only to a better score is this project's rule, not theirs.
"""

from __future__ import annotations

import hashlib
import logging
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import cloudpickle
import mlflow
from kedro.io import AbstractDataset, DatasetError
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import Model, infer_signature

from forecast_keiba.models.champion import Candidate

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parents[1]  # forecast_keiba: the model's code travels with it
SCORE_TAG = "score"
METRIC_TAG = "score_metric"
DIGEST_TAG = "model_sha256"
RUN_ID_ENV = "MLFLOW_RUN_ID"
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"


class RegisteredModelDataset(AbstractDataset[Candidate, Any]):
    """``model_name``: the registered model; ``alias``: the alias that serves;
    ``tracking_uri``: the store, unless ``$MLFLOW_TRACKING_URI`` names one; by
    default the one kedro-mlflow set up from mlflow.yml for the session."""

    def __init__(
        self,
        model_name: str,
        alias: str = "champion",
        tracking_uri: str | None = None,
        metadata: dict | None = None,
    ):
        self.model_name = model_name
        self.alias = alias
        self.tracking_uri = tracking_uri
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "alias": self.alias}

    @property
    def _uri(self) -> str | None:
        return os.environ.get(TRACKING_URI_ENV) or self.tracking_uri or mlflow.get_tracking_uri()

    def load(self) -> Any:
        uri = f"models:/{self.model_name}@{self.alias}"
        client = MlflowClient(self._uri, registry_uri=self._uri)
        try:
            version = client.get_model_version_by_alias(self.model_name, self.alias)
            source = client.get_model_version_download_uri(self.model_name, version.version)
            local = mlflow.artifacts.download_artifacts(artifact_uri=source, tracking_uri=self._uri)
        except MlflowException as exc:
            raise DatasetError(
                f"cannot load {uri} from the MLflow registry at {self._uri}: "
                f"{exc.message}. Train first (kedro run --pipeline training)."
            ) from exc
        return mlflow.sklearn.load_model(local)

    def save(self, candidate: Candidate) -> None:
        active = mlflow.active_run()
        run_id = active.info.run_id if active else os.environ.get(RUN_ID_ENV)
        if not run_id:
            raise DatasetError(
                f"registering {self.model_name!r} needs an MLflow run: none is active and "
                f"${RUN_ID_ENV} is unset (run through kedro with kedro-mlflow's hook enabled)"
            )
        client = MlflowClient(self._uri)
        # what the version would say: the model and its score
        hasher = hashlib.sha256(cloudpickle.dumps(candidate.model))
        hasher.update(f"{candidate.metric}={candidate.score!r}".encode())
        digest = hasher.hexdigest()
        latest = self._latest(client)
        if latest is not None and latest.tags.get(DIGEST_TAG) == digest:
            # An unchanged rerun (the model came back from a cache): the same model
            # is already the newest version; registering it again adds nothing.
            client.set_tag(run_id, "registry.version", f"{self.model_name}/{latest.version}")
            client.set_tag(run_id, "registry.unchanged", "true")
            log.info("%s version %s is this very model; nothing registered",
                     self.model_name, latest.version)  # fmt: skip
            return
        example = candidate.input_example
        # The model belongs to the run's experiment, whatever this thread's
        # MLflow defaults say (Model.log alone would file it under "Default").
        logged = mlflow.initialize_logged_model(
            name="model",
            source_run_id=run_id,
            experiment_id=client.get_run(run_id).info.experiment_id,
        )
        info = Model.log(
            artifact_path=None,  # deprecated positional; `name` names the model
            name="model",
            flavor=mlflow.sklearn,
            run_id=run_id,
            sk_model=candidate.model,
            serialization_format="cloudpickle",
            signature=infer_signature(example, candidate.model.predict(example)),
            input_example=example,
            code_paths=[str(PACKAGE)],
            # Pinned from this environment: MLflow's own inference re-imports the
            # model in a subprocess, which costs seconds per run for the same answer.
            pip_requirements=_requirements(candidate.model),
            registered_model_name=self.model_name,
            await_registration_for=60,
            model_id=logged.model_id,
        )
        version = str(info.registered_model_version)
        client.set_model_version_tag(self.model_name, version, SCORE_TAG, str(candidate.score))
        client.set_model_version_tag(self.model_name, version, METRIC_TAG, candidate.metric)
        client.set_model_version_tag(self.model_name, version, DIGEST_TAG, digest)
        current, current_score = self._champion(client, candidate.metric)
        # No holder: the first version takes the alias. A holder without a
        # comparable score (set by hand, another metric) keeps it.
        promoted = current is None or (current_score is not None and candidate.beats(current_score))
        if promoted:
            client.set_registered_model_alias(self.model_name, self.alias, version)
        client.set_tag(run_id, "registry.version", f"{self.model_name}/{version}")
        client.set_tag(run_id, f"registry.{self.alias}", str(promoted).lower())
        log.info(
            "registered %s version %s (%s=%.5f); %s: %s",
            self.model_name, version, candidate.metric, candidate.score, self.alias,
            f"moved to version {version}" if promoted
            else f"stays on version {current} ({current_score})",
        )  # fmt: skip

    def fingerprint(self) -> str | None:
        """What the registry holds for this model, for orchestrators' caches (the
        Prefect bridge): the newest version with its model digest, and the version
        holding the alias. It changes when a version is registered or the alias
        moves; None before the first version."""
        client = MlflowClient(self._uri, registry_uri=self._uri)
        latest = self._latest(client)
        if latest is None:
            return None
        try:
            holder = client.get_model_version_by_alias(self.model_name, self.alias).version
        except MlflowException:
            holder = None
        digest = latest.tags.get(DIGEST_TAG, "")
        return f"{self.model_name}/{latest.version}:{digest}@{self.alias}={holder}"

    def _latest(self, client: MlflowClient) -> Any:
        """The newest registered version of the model, None before the first."""
        try:
            versions = client.search_model_versions(
                f"name = '{self.model_name}'", max_results=1, order_by=["version_number DESC"]
            )
        except MlflowException:
            return None
        return versions[0] if versions else None

    def _champion(self, client: MlflowClient, metric: str) -> tuple[str | None, float | None]:
        """(version, score) of the alias holder; a holder scored by another metric
        cannot be compared and keeps the alias."""
        try:
            holder = client.get_model_version_by_alias(self.model_name, self.alias)
        except MlflowException:
            return None, None  # no champion yet
        if holder.tags.get(METRIC_TAG) != metric or SCORE_TAG not in holder.tags:
            log.warning(
                "%s@%s (version %s) has no %s score; it keeps the alias",
                self.model_name, self.alias, holder.version, metric,
            )  # fmt: skip
            return holder.version, None
        return holder.version, float(holder.tags[SCORE_TAG])

    def _exists(self) -> bool:
        try:
            MlflowClient(self._uri).get_model_version_by_alias(self.model_name, self.alias)
        except MlflowException:
            return False
        return True


def _requirements(model: Any) -> list[str]:
    """The distributions a pickled model needs to load, at their installed versions."""
    names = ["scikit-learn", "pandas", "numpy", "scipy", "cloudpickle"]
    if getattr(model, "kind", None) == "xgboost":
        names.append("xgboost")
    pins = []
    for name in names:
        try:
            pins.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            pins.append(name)
    return pins
