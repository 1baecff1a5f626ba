"""The daily brief on a schedule: a systemd user timer (or a cron line) for the current checkout.

``python -m analysis schedule [--scope … --raw … --depth …]`` (``make schedule``) prints a service
and a timer unit that run ``daily-brief`` every ``settings.run.schedule_every_minutes`` minutes with
this checkout's absolute paths, in the desk's time zone (``TZ=`` for the run, so the report date
turns at the desk's midnight; the timer's calendar in that zone too). ``schedule --install``
(``make schedule-install``) writes them to ``~/.config/systemd/user/`` and enables the timer with
``systemctl --user``; where systemd is not running it says so and prints the cron line instead.

Overlap: systemd never starts a unit that is still running, and the service passes ``--wait``, so
a scheduled run that meets an analyst's run by hand waits for it (analysis.runlock) instead of
being skipped. The cron line does not wait: cron would stack runs behind a stuck one; a refused
run exits 3, says so in ``reports/status.txt``, and the next tick runs. ``KillSignal=SIGINT``:
a run stopped by systemd (a timeout, ``systemctl stop``) ends like Ctrl-C, publishes nothing,
writes its status and keeps the previous generation.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
from pathlib import Path

from analysis import console
from analysis.domain import regions
from analysis.settings import REPO_ROOT, Settings, default_settings

USER_UNITS = Path.home() / ".config" / "systemd" / "user"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scope", help="unit code the scheduled run covers (default: the desk's)")
    parser.add_argument("--depth", help="tiers below the scope")
    parser.add_argument("--raw", type=Path, help="the desk's raw drop folder (default: the demo)")
    parser.add_argument(
        "--install", action="store_true", help="install and enable the units (systemctl --user)"
    )
    parser.add_argument("--date", help=argparse.SUPPRESS)
    parser.add_argument("--wait", action="store_true", help=argparse.SUPPRESS)


def unit_name(scope: str | None) -> str:
    """``desk-pilkada`` for the desk's own unit, ``desk-pilkada-1674`` for another scope."""
    return f"desk-pilkada-{regions.undotted(scope)}" if scope else "desk-pilkada"


def brief_command(repo: Path, args: argparse.Namespace, wait: bool) -> list[str]:
    """The daily brief's command line with absolute paths."""
    cmd = [str(repo / ".venv" / "bin" / "python"), "-m", "analysis", "daily-brief"]
    if args.scope:
        cmd += ["--scope", args.scope]
    if args.depth:
        cmd += ["--depth", str(args.depth)]
    if args.raw:
        cmd += ["--raw", str(Path(args.raw).resolve())]
    return cmd + (["--wait"] if wait else [])


def calendar(every: int, tz: str) -> str:
    """``OnCalendar=`` for a run every ``every`` minutes in zone ``tz`` (from midnight)."""
    if 60 % every == 0:
        return f"*-*-* *:00/{every}:00 {tz}"
    if every % 60 == 0 and 1440 % every == 0:
        return f"*-*-* 00/{every // 60}:00:00 {tz}"
    raise ValueError(f"run.schedule_every_minutes={every}: pilih pembagi 60 atau kelipatan 60 jam")


def service_unit(repo: Path, args: argparse.Namespace, s: Settings, tz: str) -> str:
    every = s.run.schedule_every_minutes
    return f"""[Unit]
Description=Desk Pilkada: daily brief (ingest, rekonsiliasi, laporan) dari {repo}
Documentation=file://{repo}/README.md

[Service]
Type=oneshot
WorkingDirectory={repo}
# the desk's zone: the report date turns at the desk's midnight
Environment=TZ={tz}
Environment=PYTHONUNBUFFERED=1
ExecStart={shlex.join(brief_command(repo, args, wait=True))}
# stopped like Ctrl-C: exit 130, status written, the previous generation kept
KillSignal=SIGINT
TimeoutStopSec=60
# a run that waits or works longer than three periods is stopped; the next tick starts afresh
TimeoutStartSec={3 * every}min
Nice=10
"""


def timer_unit(name: str, s: Settings, tz: str) -> str:
    every = s.run.schedule_every_minutes
    return f"""[Unit]
Description=Desk Pilkada: daily brief setiap {every} menit ({tz})

[Timer]
OnCalendar={calendar(every, tz)}
# a tick missed while the machine was off or asleep runs once at start-up
Persistent=true
AccuracySec=1min
Unit={name}.service

[Install]
WantedBy=timers.target
"""


def cron_line(repo: Path, args: argparse.Namespace, s: Settings, tz: str) -> str:
    every = s.run.schedule_every_minutes
    minute = f"*/{every}" if every < 60 else "0"
    hour = "*" if every <= 60 else f"*/{every // 60}"
    cmd = shlex.join(["nice", "-n", "10", *brief_command(repo, args, wait=False)])
    return f"{minute} {hour} * * * cd {shlex.quote(str(repo))} && TZ={tz} {cmd} >/dev/null 2>&1"


def _zone(s: Settings) -> str:
    return regions.desk_time_zone(s.desk.unit_code)


def units(args: argparse.Namespace, s: Settings | None = None, repo: Path = REPO_ROOT) -> dict[str, str]:  # fmt: skip
    """File name -> content of the service and the timer for this checkout."""
    s = s or default_settings()
    name, tz = unit_name(args.scope), _zone(s)
    return {
        f"{name}.service": service_unit(repo.resolve(), args, s, tz),
        f"{name}.timer": timer_unit(name, s, tz),
    }


def run(args: argparse.Namespace) -> int:
    """``make schedule``: print the units (and the cron line, for a machine without systemd);
    ``--install`` (``make schedule-install``): :func:`install`."""
    if getattr(args, "install", False):
        return install(args)
    if args.date:
        console.error("jadwal selalu memakai tanggal hari ini: jangan berikan DATE")
        return 2
    s = default_settings()
    for fname, text in units(args, s).items():
        console.say(f"# ---- {USER_UNITS / fname} ----\n{text}", block=True)
    console.say("# ---- tanpa systemd: baris crontab (crontab -e) ----", block=True)
    console.say(cron_line(REPO_ROOT.resolve(), args, s, _zone(s)))
    return 0


def systemd_user_available() -> str | None:
    """None when ``systemctl --user`` can manage units here; else why not, in words."""
    if not Path("/run/systemd/system").is_dir():
        return "systemd tidak berjalan di mesin ini (tidak ada /run/systemd/system)"
    if shutil.which("systemctl") is None:
        return "perintah systemctl tidak ada"
    probe = subprocess.run(
        ["systemctl", "--user", "show-environment"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        why = (probe.stderr.strip().splitlines() or ["tanpa pesan"])[0]
        return f"systemctl --user tidak dapat dipakai ({why})"
    return None


def install(args: argparse.Namespace) -> int:
    """``make schedule-install``: write the user units and enable the timer (or say why not)."""
    if args.date:
        console.error("jadwal selalu memakai tanggal hari ini: jangan berikan DATE")
        return 2
    s = default_settings()
    why = systemd_user_available()
    if why is not None:
        console.error(
            f"{why}; unit tidak dipasang. Pakai cron: tambahkan baris ini dengan `crontab -e`:"
        )
        console.say(cron_line(REPO_ROOT.resolve(), args, s, _zone(s)))
        return 2
    USER_UNITS.mkdir(parents=True, exist_ok=True)
    made = units(args, s)
    for fname, text in made.items():
        (USER_UNITS / fname).write_text(text, encoding="utf-8")
        console.say(f"ditulis: {USER_UNITS / fname}")
    timer = next(f for f in made if f.endswith(".timer"))
    for cmd in (["daemon-reload"], ["enable", "--now", timer]):
        done = subprocess.run(["systemctl", "--user", *cmd], check=False)
        if done.returncode != 0:
            console.error(f"systemctl --user {' '.join(cmd)} gagal (kode {done.returncode})")
            return 2
    console.say(
        f"timer {timer} aktif; lihat `systemctl --user list-timers`. Agar berjalan tanpa login: "
        "`loginctl enable-linger $USER`."
    )
    return 0
