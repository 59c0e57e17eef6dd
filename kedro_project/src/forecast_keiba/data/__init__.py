"""Stage 1, the data: what the source says, stored and typed.

Scraping the source into the raw store (``scraping``), the ledger of stored race days
that makes it incremental (``incremental``), the race day to forecast
(``prediction_target``), pages into typed races/entries/payouts tables (``tables``), the
real CSV into the same tables (``ingestion``), the oracle's truth table (``ground_truth``)
and the lock that keeps two runs from writing one data folder (``run_lock``).
"""
