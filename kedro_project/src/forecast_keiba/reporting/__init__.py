"""Stage 5, the reporting: plots, the model report, and the progress display long loops of
every stage share (``progress``)."""
