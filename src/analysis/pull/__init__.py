"""Pulling KPU's published results for the desk's scope: polite, resumable, incremental.

``python -m analysis pull-kpu --raw DROP [--scope CODE]`` (``make pull-kpu``) writes one pull
folder ``<drop>/kpu/<YYYYMMDDTHHMM>/`` per run, which ingest reads like any other pull.

    site.py      KPU's URL layout and the checks on codes that go into a path
    shapes.py    what a response must look like before anything is written
    fetch.py     polite HTTP: concurrency, rate cap, retries with backoff, size cap, request log
    folder.py    the pull folder: staged, written atomically, published by one rename, resumed
    walk.py      the region tree walk and each TPS's fate (fetched, carried, not yet published…)
    paslon.py    KPU's candidates into referensi/paslon.csv, never clobbering the desk's own
    agregat.py   KPU's aggregates against the sum of its own per-TPS records
    run.py       the stage and its command line
    bench.py     requests, time and memory of a full and a delta pull against the stand-in
    standin/     a local stand-in of KPU's site serving a demo drop (``demo-kpu-server``)
"""
