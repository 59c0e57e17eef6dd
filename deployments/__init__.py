"""Operating the Prefect deployments of prefect.yaml: work pools from templates
(:mod:`deployments.pools`), serving without workers (:mod:`deployments.serve`),
the local stack behind ``make up/down/status`` (:mod:`deployments.stack`)."""
