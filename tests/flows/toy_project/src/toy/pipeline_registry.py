from kedro.pipeline import Pipeline, node, pipeline

from toy.nodes import clean, double, flaky, make_raw, report, total


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
    main = prep + features + reporting
    return {"__default__": main, "main": main, "flaky": prep + flaky_pipeline}
