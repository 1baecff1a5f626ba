"""Briefing packs: per-unit inputs, one notebook per unit, one self-contained HTML page each.

The flow, one module per role:

* :mod:`.inputs` — once per run, the per-unit pack input tables (``paket__*`` datasets) from the
  processed data;
* :mod:`.load` — :func:`~.load.load_pack`: one unit's slice of those tables as a :class:`~.load.Pack`;
* :mod:`.sections` — one module per pack section, each returning safe HTML built with :mod:`.html`
  (labels a reader sees in :mod:`.labels`, charts in :mod:`.charts`);
* :mod:`.plan` — which packs to make and their checked notebook parameters;
* :mod:`.execute` — running them on warm kernels (:mod:`.kernel`), HTML by :mod:`.render`, the
  index page by :mod:`.index`; ``python -m analysis brief`` is :func:`.execute.run`.
* :mod:`.share` — per pack, the Excel annex (:mod:`.annex`) and the passphrase-locked edition
  (:mod:`.lock`); :mod:`.bundle` — one zip per recipient.

``notebooks/pack.ipynb`` is the page layout: a parameters cell, then one call per section.
"""

from analysis.domain import regions

PACK_TIERS: tuple[str, ...] = regions.TIERS[:-1]
"""Tiers a pack is made for: nasional down to kecamatan (a desa is shown inside its kecamatan)."""
