"""Stage 2, the features: what was known of every runner before its race (``pre_race``)."""
