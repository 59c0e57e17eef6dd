"""Stage 4, the evaluation: every predictor's probabilities and their scores (``metrics``),
and the betting backtest on the real payouts (``backtest``)."""
