"""netkeiba.com domain code: URL scheme, HTTP client, page parser and page model.

Nothing in this package imports Kedro or Prefect; pipelines only wire it.
"""
