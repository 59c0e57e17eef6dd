"""The project's pipelines, by name.

``__default__`` is the whole replica/live flow: scrape → preprocess → train →
predict; ``data_engineering`` its first half (scrape → preprocess), which the
nightly deployment runs. ``real_results`` trains on the ingested real February
2022 results instead of scraped pages (run it with ``--env real`` so its data
stays apart).
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
    # What the nightly deployment runs: new pages in, typed tables out.
    pipelines["data_engineering"] = pipelines["scraping"] + pipelines["preprocessing"]
    pipelines["__default__"] = (
        pipelines["data_engineering"] + pipelines["training"] + pipelines["prediction"]
    )
    pipelines["real_results"] = pipelines["ingestion"] + pipelines["training"]
    return pipelines
