from kedro.pipeline import Pipeline, node, pipeline

from toy.nodes import (
    announce,
    clean,
    double,
    fit_a,
    fit_b,
    flaky,
    make_raw,
    prepare,
    publish,
    report,
    score,
    total,
)


def register_pipelines() -> dict[str, Pipeline]:
    prep = pipeline(
        [
            node(make_raw, "params:n", "raw", name="make_raw"),
            node(clean, "raw", "clean", name="clean", tags="prep"),
        ]
    )
    features = pipeline(
        [
            node(double, "clean", "doubled", name="double"),
            node(total, ["doubled", "params:scale"], "summary", name="total"),
        ],
        namespace="feat",
        inputs={"clean"},
        parameters={"params:scale"},
    )
    reporting = pipeline(
        [node(report, ["clean", "params:title"], "report", name="report", tags="report")]
    )
    flaky_pipeline = pipeline([node(flaky, "clean", "flaky_out", name="flaky", tags="flaky")])
    # Preprocessing (class cpu) → two trainings (tag model_fit: class gpu) → scoring (cpu).
    infra = pipeline(
        [
            node(prepare, ["raw", "params:timeline"], "prepared", name="prepare", tags="cpu"),
            node(fit_a, ["prepared", "params:fit_seconds", "params:timeline"], "model_a",
                 name="fit_a", tags="model_fit"),
            node(fit_b, ["prepared", "params:fit_seconds", "params:timeline"], "model_b",
                 name="fit_b", tags="model_fit"),
            node(score, ["model_a", "model_b", "params:timeline"], "scores", name="score",
                 tags="cpu"),
        ]
    )  # fmt: skip
    # Datasets without a file: a record that fingerprints itself, one that cannot.
    records = pipeline(
        [
            node(make_raw, "params:n", "raw", name="make_raw"),
            node(publish, "raw", "published", name="publish"),
            node(announce, "published", "announcement", name="announce"),
            node(publish, "raw", "opaque_record", name="publish_opaque"),
        ]
    )
    main = prep + features + reporting
    return {
        "__default__": main,
        "main": main,
        "flaky": prep + flaky_pipeline,
        "infra": prep.only_nodes("make_raw") + infra,
        "records": records,
    }
