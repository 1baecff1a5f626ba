"""Analytics, the stage between reconcile and packs (``python -m analysis analyse``).

- :mod:`~analysis.analyse.stage` runs every analytic and writes the declared datasets;
- :mod:`~analysis.analyse.inputs` reads the processed folder (the stage and the notebook alike);
- :mod:`~analysis.analyse.incidents`: incident views per unit (counts, listings, handling times);
- :mod:`~analysis.analyse.screens`: the per-TPS anomaly screens, a registry;
- :mod:`~analysis.analyse.digits`: digit screens per unit and the fingerprint histogram;
- :mod:`~analysis.analyse.readiness`: readiness per unit against its targets;
- :mod:`~analysis.analyse.kerawanan`: vulnerability scores and hotspots;
- :mod:`~analysis.analyse.followup` and :mod:`~analysis.analyse.problems`: the follow-up list
  carried day to day;
- :mod:`~analysis.analyse.unit`: every table for one unit (the analyst notebook's entry point).

The incident taxonomy is :mod:`analysis.taxonomy`, outside this package: ingest needs it.
"""
