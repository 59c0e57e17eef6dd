"""Kedro pipelines: wiring only. Every node function lives in the domain modules."""
