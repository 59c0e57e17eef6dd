"""The project's pipelines, by name.

``__default__`` is the whole replica/live flow: scrape → preprocess → train →
predict. ``real_results`` trains on the ingested real February 2022 results
instead of scraped pages (run it with ``--env real`` so its data stays apart).
"""

from kedro.pipeline import Pipeline

from forecast_keiba.pipelines import ingestion, prediction, preprocessing, scraping, training


def register_pipelines() -> dict[str, Pipeline]:
    pipelines = {
        "scraping": scraping.create_pipeline(),
        "preprocessing": preprocessing.create_pipeline(),
        "training": training.create_pipeline(),
        "prediction": prediction.create_pipeline(),
        "ingestion": ingestion.create_pipeline(),
    }
    pipelines["__default__"] = (
        pipelines["scraping"]
        + pipelines["preprocessing"]
        + pipelines["training"]
        + pipelines["prediction"]
    )
    pipelines["real_results"] = pipelines["ingestion"] + pipelines["training"]
    return pipelines
