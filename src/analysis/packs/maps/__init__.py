"""Offline maps for the packs: the shipped boundary asset and choropleths drawn as inline SVG.

* :mod:`.asset` — the asset's format; :func:`~.asset.group` gives one parent's children;
* :mod:`.build` — turns the upstream boundary dump into the asset (``make map-asset``);
* :mod:`.geometry` — projection, simplification, ring area;
* :mod:`.svg` — a choropleth of one group with its legend.
"""
