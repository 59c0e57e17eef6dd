"""``python -m no_telemetry``: the opt-outs as ``NAME=value`` words, for the Makefile to export."""

from no_telemetry import OPT_OUTS

print(" ".join(f"{name}={value}" for name, value in OPT_OUTS.items()))
