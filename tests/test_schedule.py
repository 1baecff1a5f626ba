"""The schedule (issue 15, item 3): the systemd units and the cron line `make schedule` prints for
this checkout, checked by systemd's own verifier where the machine has it."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis import schedule
from analysis.__main__ import main
from analysis.settings import REPO_ROOT, load_settings


def _args(**kw: object) -> argparse.Namespace:
    base = {
        "scope": None,
        "depth": None,
        "raw": None,
        "date": None,
        "wait": False,
        "install": False,
    }
    return argparse.Namespace(**{**base, **kw})


def test_the_units_run_this_checkout_in_the_desks_zone_every_half_hour(tmp_path: Path) -> None:
    raw = tmp_path / "desk-16"
    raw.mkdir()
    units = schedule.units(_args(scope="16.74", raw=raw))
    service, timer = units["desk-pilkada-1674.service"], units["desk-pilkada-1674.timer"]
    repo = REPO_ROOT.resolve()
    assert f"WorkingDirectory={repo}\n" in service
    assert (
        f"ExecStart={repo}/.venv/bin/python -m analysis daily-brief --scope 16.74 "
        f"--raw {raw.resolve()} --wait\n" in service
    )
    assert "Environment=TZ=Asia/Jakarta\n" in service and "KillSignal=SIGINT\n" in service
    assert "Type=oneshot\n" in service and "TimeoutStartSec=90min\n" in service
    assert "OnCalendar=*-*-* *:00/30:00 Asia/Jakarta\n" in timer
    assert "Persistent=true\n" in timer and "Unit=desk-pilkada-1674.service\n" in timer
    assert "WantedBy=timers.target" in timer
    cron = schedule.cron_line(repo, _args(scope="16.74"), load_settings(), "Asia/Jakarta")
    assert cron.startswith("*/30 * * * * cd ") and "TZ=Asia/Jakarta nice -n 10 " in cron
    assert "--wait" not in cron  # cron would stack waiting runs behind a stuck one


def test_a_desk_in_another_zone_and_another_period() -> None:
    s = load_settings(desk={"unit_code": "73", "tier": "provinsi"}, run={"schedule_every_minutes": 120})  # fmt: skip
    units = schedule.units(_args(), s)
    assert "Environment=TZ=Asia/Makassar" in units["desk-pilkada.service"]
    assert "OnCalendar=*-*-* 00/2:00:00 Asia/Makassar" in units["desk-pilkada.timer"]
    assert "TimeoutStartSec=360min" in units["desk-pilkada.service"]
    with pytest.raises(ValueError, match="pembagi 60"):
        schedule.calendar(45, "Asia/Jakarta")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_accepts_the_printed_units(tmp_path: Path) -> None:
    for name, text in schedule.units(_args(scope="16.74")).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)}  # a user manager's runtime folder
    files = sorted(str(p) for p in tmp_path.glob("desk-pilkada-1674.*"))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--user", *files], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    cal = schedule.calendar(30, "Asia/Jakarta")
    done = subprocess.run(["systemd-analyze", "calendar", cal], capture_output=True, text=True)
    assert done.returncode == 0 and "Next elapse" in done.stdout, done.stderr
    # the verifier is not a rubber stamp: a unit with a relative command fails it
    (tmp_path / "rusak.service").write_text("[Service]\nExecStart=relatif\n", encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", "--user", str(tmp_path / "rusak.service")],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert done.returncode != 0


def test_make_schedule_prints_the_units_and_the_cron_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schedule", "--scope", "16.74"]) == 0
    out = capsys.readouterr().out
    assert "desk-pilkada-1674.service ----" in out and "[Timer]" in out
    assert "crontab -e" in out and "*/30 * * * *" in out
    assert main(["schedule", "--date", "2024-11-28"]) == 2
    assert "tanggal hari ini" in capsys.readouterr().err


@pytest.mark.skipif(
    schedule.systemd_user_available() is None, reason="systemd runs here: install would install"
)
def test_install_without_systemd_says_so_and_prints_the_cron_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schedule", "--install"]) == 2
    cap = capsys.readouterr()
    assert "unit tidak dipasang" in cap.err and "crontab -e" in cap.err
    assert cap.out.startswith("*/30 * * * * cd ")
