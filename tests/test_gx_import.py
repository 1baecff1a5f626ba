"""Great Expectations imported with scipy.stats and altair standing in (analysis.validate.gx_import).

Each case runs in a fresh interpreter: the test session has long imported both modules.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from analysis.settings import REPO_ROOT

_SCRIPT = r"""
import json, sys
sys.path.insert(0, {tests!r})
from test_validate import frame, tally_row
if {first!r}:
    import altair, scipy.stats  # the modules loaded before GX: the plain import's outcome
from analysis import validate as v
from analysis.schemas import TALLY
from analysis.settings import load_settings
s = load_settings(paths={{"expectations": {gx!r}}})
out = v.validate(TALLY.name, frame(tally_row(), tally_row(suara_sah=249), tally_row(kode_tps="x")), s)
kinds = {{n: n in sys.modules for n in ("scipy.stats", "altair")}}
import importlib.util
found = importlib.util.find_spec("altair") is not None
from scipy.stats._distn_infrastructure import rv_continuous
kl = sys.modules["great_expectations.expectations.core.expect_column_kl_divergence_to_be_less_than"]
from scipy import stats
import altair as alt
import altair.vegalite.v6 as v6
used = dict(
    cdf=float(stats.norm.cdf(0.0)),
    chart=alt.Chart({{"values": [{{"a": 1}}]}}).mark_bar().encode(x="a:Q").to_dict()["mark"]["type"],
    same_chart=alt.Chart is v6.Chart and sys.modules["altair.vegalite.v6"] is v6,
    found=found,
    same_dist=isinstance(stats.norm, rv_continuous),
    gx_forward=bool(kl.stats.norm.cdf(0.0) == 0.5) and kl.alt.Chart is alt.Chart,
    real=[type(sys.modules[n]).__name__ for n in ("scipy.stats", "altair")],
)
print(json.dumps(dict(flags=out.flags.to_dicts(), kinds=kinds, used=used)))
"""


def _run(tmp_path: Path, first: bool) -> dict:
    code = _SCRIPT.format(
        tests=str(REPO_ROOT / "tests"), gx=str(tmp_path / f"gx{int(first)}"), first=first
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_validation_loads_neither_and_gives_the_same_verdicts(tmp_path):
    deferred, plain = _run(tmp_path, first=False), _run(tmp_path, first=True)
    assert deferred["kinds"] == {"scipy.stats": False, "altair": False}  # not loaded by GX
    assert plain["kinds"] == {"scipy.stats": True, "altair": True}
    assert deferred["flags"] == plain["flags"]
    assert [f["ditolak"] for f in deferred["flags"]] == [False, True, True]
    # used later, they are the real modules (GX's own names for them answer with them too)
    assert deferred["used"] == {
        "cdf": 0.5,
        "chart": "bar",
        "same_chart": True,
        "found": True,
        "same_dist": True,
        "gx_forward": True,
        "real": ["module", "module"],
    }
