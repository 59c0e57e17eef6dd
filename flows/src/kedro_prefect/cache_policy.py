"""A node's :class:`~kedro_prefect.cache.NodeCache` as a Prefect cache policy.

The only module of the cache that imports Prefect: the plan works on
:class:`~kedro_prefect.cache.NodeCache` alone, so ``kedro prefect plan`` never
pays for importing Prefect.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from prefect.cache_policies import CachePolicy
from prefect.context import TaskRunContext

from kedro_prefect.cache import NodeCache, stable_hash

log = logging.getLogger(__name__)


@dataclass
class KedroNodeCachePolicy(CachePolicy):
    """Prefect asks it for a task run's cache key: the node's content key, unless
    the outputs that key's record vouches for are gone or changed."""

    cache: NodeCache = field(default_factory=NodeCache)

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        key = self.cache.content_key()
        if self.cache.is_valid(key):
            return key
        store = getattr(task_ctx, "result_store", None)
        if store is None or not store.exists(key):
            return key  # nothing cached under it: an ordinary miss, persisted under the key
        log.info("%s: outputs changed or missing since cached; re-running", self.cache.node_name)
        return stable_hash(key, "invalidated", uuid.uuid4().hex)
