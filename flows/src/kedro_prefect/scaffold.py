"""``kedro prefect init``: the files a project needs to run on Prefect.

Writes a commented ``conf/base/prefect.yml`` (every key at its default, so a
user reads what can be set where it is set), puts the plugin's state folder in
``.gitignore`` when it is configured inside the project, and, asked to, a
starter ``prefect.yaml`` with one deployment per registered pipeline.
"""

from __future__ import annotations

from pathlib import Path

PREFECT_YML = """\
# How each Kedro node runs as a Prefect task (kedro-prefect; `kedro prefect plan` shows
# the result). Resolution, key by key: default < namespaces.<ns> < tags.<tag> <
# nodes.<node name>. conf/local/prefect.yml or conf/<env>/prefect.yml override this file
# like any Kedro config.
#
# Node keys: retries, retry_delay_seconds (seconds | [list] | {backoff_factor: s}),
# retry_jitter_factor, timeout_seconds, cache (true | false | {enabled, expiration_seconds}),
# infra (a class declared under `infra`), concurrency_key (a Prefect global concurrency
# limit to take a slot of).

default:
  retries: 0
  cache: true

# namespaces:
#   data_processing:
#     retries: 2
# tags:
#   training:
#     infra: gpu
# nodes:
#   fetch_prices:
#     cache: false        # reads something that changes outside the catalog

# Resource classes: num_cpus, num_gpus, memory (bytes), work_pool, deployment, slots.
# infra:
#   gpu:
#     num_gpus: 1

# Where nodes run (`kedro prefect run --execution ...` overrides mode):
#   local       the flow run's own task runner; infra classes are concurrency limits
#   ray         one Ray task per node with its class's resources (extra: kedro-prefect[ray])
#   work_pools  nodes whose class names a work pool run as a sub-flow deployment there
execution:
  mode: local

# Node groups: several nodes as one task (one retry and cache unit; their in-memory
# datasets stay in its process). `kedro prefect run --group-by ...` overrides `by`.
# grouping:
#   by: namespace       # none | namespace (one group per outermost namespace) | tag
#   tags: []            # by: tag: the tags that make groups, first listed wins
#   groups:             # explicit groups (must be convex), before `by`
#     training:
#       nodes: [split_data, train_model, evaluate_model]

# The cache state (validity records, fingerprints, Prefect's cache records). Every process
# that runs the project must see the same folder. Default: a folder per project under
# $KEDRO_PREFECT_STATE_DIR or ~/.local/state/kedro-prefect. Relative to the project folder.
# state_dir: .kedro_prefect
"""

DEPLOYMENT = """\
  - name: {name}
    entrypoint: kedro_prefect.flow:kedro_flow
    parameters:
      pipeline: "{pipeline}"
      project_path: "{project_path}"
    work_pool:
      name: default
"""


def write_scaffold(project: Path, *, deployments: bool = False, force: bool = False) -> list[str]:
    """Write the files; returns one line per file saying what happened to it."""
    lines = [_write(project / "conf" / "base" / "prefect.yml", PREFECT_YML, force)]
    lines.append(_ignore(project / ".gitignore", ".kedro_prefect/"))
    if deployments:
        lines.append(_write(project / "prefect.yaml", _prefect_yaml(project), force))
    return lines


def _write(path: Path, text: str, force: bool) -> str:
    if path.exists() and not force:
        return f"kept {path} (exists; --force overwrites it)"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return f"wrote {path}"


def _ignore(gitignore: Path, entry: str) -> str:
    existing = gitignore.read_text().splitlines() if gitignore.exists() else []
    if entry in existing:
        return f"kept {gitignore} (already ignores {entry})"
    with gitignore.open("a") as handle:
        prefix = "\n" if existing and existing[-1] else ""
        handle.write(f"{prefix}# kedro-prefect state, when state_dir is set inside the project\n"
                     f"{entry}\n")  # fmt: skip
    return f"added {entry} to {gitignore}"


def _prefect_yaml(project: Path) -> str:
    from kedro.framework.project import pipelines

    body = "".join(
        DEPLOYMENT.format(name=name.strip("_") or "default", pipeline=name, project_path=".")
        for name in sorted(pipelines)
    )
    return (
        "# Prefect deployments of this Kedro project, one per registered pipeline\n"
        "# (kedro-prefect). `prefect deploy --all` from this folder registers them;\n"
        "# a worker of the pool runs them from this checkout.\n"
        f"name: {project.name}\n"
        "deployments:\n" + body
    )
