"""Locked edition and share plan: encryption round trip, what the locked file shows in clear, where
the passphrase comes from, one key derivation per passphrase, and the settings' checks.

Iterations are lowered to the settings' floor (100,000) where a test derives many keys.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from analysis.packs import lock
from analysis.packs.share import ShareError, plan_share
from analysis.settings import REPO_ROOT, PassphraseSource, Recipient, Settings, Share

PASS = "kuda lumping senja merah"
FAST = 100_000
PAGE = (
    '<!DOCTYPE html>\n<html lang="id">\n<head>\n<meta charset="utf-8">\n'
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
    "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n<title>Kota Palembang</title>"
    '</head><body><p data-angka="suara_internal" data-nilai="123457">123.457</p>'
    "<p>Herman Deru – Cik Ujang</p></body></html>"
)


@pytest.fixture(scope="module")
def key() -> lock.Key:
    return lock.derive_key(PASS, FAST)


def _payload_removed(locked: str) -> str:
    """The locked file without its base64 ciphertexts (they may hold any digits by chance)."""
    return re.sub(
        r"(<div id=\"(?:muatan|lampiran)\"[^>]*>)[A-Za-z0-9+/=]*</div>", r"\1</div>", locked
    )


def test_round_trip_with_annex(key):
    locked = lock.lock_page(PAGE, key, "16.71", "2024-11-28", True, ("16.71.xlsx", b"PK\x03\x04z"))
    page, annex = lock.open_locked(locked, PASS)
    assert page == PAGE and annex == b"PK\x03\x04z"
    # the reader's trailing space (phone keyboards) and another Unicode form open it too
    assert lock.open_locked(locked, f"  {PASS} ")[0] == PAGE


def test_wrong_passphrase_is_refused(key):
    locked = lock.lock_page(PAGE, key, "16.71", "2024-11-28", True)
    with pytest.raises(lock.LockError, match="wrong passphrase"):
        lock.open_locked(locked, "kuda lumping senja biru")


def test_nothing_of_the_pack_is_in_clear(key):
    locked = lock.lock_page(PAGE, key, "16.71", "2024-11-28", True, ("16.71.xlsx", b"rahasia"))
    clear = _payload_removed(locked)
    for secret in ("Kota Palembang", "Herman Deru", "123457", "123.457", "suara_internal"):
        assert secret not in clear
    # the ciphertext is not the page in disguise
    body = re.search(r'<div id="muatan"[^>]*>([^<]*)</div>', locked).group(1)
    assert b"Palembang" not in base64.b64decode(body)
    # what the envelope does show: classification, simulation mark, unit code
    assert "TERBATAS" in clear and "DATA SIMULASI" in clear and "16.71" in clear


def test_fresh_nonce_per_file_and_salt_per_key(key):
    a = lock.lock_page(PAGE, key, "16.71", "2024-11-28", False)
    b = lock.lock_page(PAGE, key, "16.71", "2024-11-28", False)
    nonce = re.compile(r'data-nonce="([^"]+)"')
    assert nonce.search(a).group(1) != nonce.search(b).group(1)
    assert lock.derive_key(PASS, FAST).salt != key.salt
    assert len(key.salt) == 16 and len(base64.b64decode(nonce.search(a).group(1))) == 12


def test_ciphertext_is_bound_to_its_unit_and_part(key):
    locked = lock.lock_page(PAGE, key, "16.71", "2024-11-28", False)
    moved = locked.replace("|16.71|2024-11-28|laporan", "|16.72|2024-11-28|laporan")
    with pytest.raises(lock.LockError):
        lock.open_locked(moved, PASS)


def test_script_is_allowed_by_its_hash_only(key):
    locked = lock.lock_page(PAGE, key, "16.71", "2024-11-28", False)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', locked).group(1)
    _, script, digest = lock.opener()
    assert csp == (
        f"default-src 'none'; script-src '{digest}'; img-src data:; "
        "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    )
    assert locked.count("<script>") == 1 and f"<script>{script}</script>" in locked
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_a_page_without_its_own_csp_is_not_locked(key):
    with pytest.raises(lock.LockError, match="Content-Security-Policy"):
        lock.lock_page(
            "<!DOCTYPE html><html><head></head><body>x</body></html>", key, "16", "d", False
        )
    loose = PAGE.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';")
    with pytest.raises(lock.LockError):
        lock.lock_page(loose, key, "16", "d", False)


def test_key_repr_hides_the_key(key):
    assert key.key.hex() not in repr(key) and "key=" not in repr(key)


# --- Where the passphrase comes from ------------------------------------------------------------


def test_passphrase_from_env_then_file(monkeypatch, tmp_path):
    secret = tmp_path / "sandi"
    secret.write_text(f"{PASS}\n", encoding="utf-8")
    secret.chmod(0o600)
    src = PassphraseSource(env="UJI_SANDI_DESK", file=secret)
    monkeypatch.setenv("UJI_SANDI_DESK", "dari lingkungan 123")
    found = lock.read_passphrase(src)
    assert found.passphrase == "dari lingkungan 123" and "UJI_SANDI_DESK" in found.where
    monkeypatch.delenv("UJI_SANDI_DESK")
    found = lock.read_passphrase(src)
    assert found.passphrase == PASS and str(secret) in found.where
    assert PASS not in repr(found) and PASS not in found.where


def test_a_file_others_can_read_is_not_used(tmp_path):
    secret = tmp_path / "sandi"
    secret.write_text(PASS, encoding="utf-8")
    secret.chmod(0o644)
    found = lock.read_passphrase(PassphraseSource(file=secret))
    assert found.passphrase is None and "chmod 600" in found.where


def test_a_passphrase_file_inside_the_repository_is_rejected_by_the_settings():
    with pytest.raises(ValueError, match="outside the repository"):
        PassphraseSource(file=REPO_ROOT / "config" / "sandi")
    with pytest.raises(ValueError, match="absolute"):
        PassphraseSource(file=Path("config/sandi"))


def test_settings_reject_inconsistent_share_sections():
    with pytest.raises(ValueError, match="not in locked_tiers"):
        Share(locked_tiers=["provinsi"], required_tiers=["kabkota"])
    with pytest.raises(ValueError, match="kode"):
        Recipient(id="desk", name="x", units="each")
    assert Settings.model_fields["share"].default == Share()


# --- The run's plan ------------------------------------------------------------------------------


def _share(**kw) -> Share:
    base = {"locked_tiers": ["provinsi", "kabkota"], "passphrase": {"env": "UJI_SANDI_DESK"}}
    return Share.model_validate({**base, "pbkdf2_iterations": FAST, **kw})


def test_without_a_passphrase_the_locked_edition_is_skipped_in_one_line(monkeypatch):
    monkeypatch.delenv("UJI_SANDI_DESK", raising=False)
    said: list[str] = []
    plan = plan_share(_share(), {"provinsi", "kabkota"}, True, said.append)
    assert plan.keys == {} and len(said) == 1
    # the console says where it looked; the index's note (readers) names no variable or path
    assert plan.notes == (
        "edisi terkunci tidak dibuat untuk provinsi, kabkota: tidak ada kata sandi; "
        "hanya laporan terbuka",
    )
    assert (
        "tidak dibuat untuk provinsi, kabkota" in said[0]
        and "UJI_SANDI_DESK tidak diatur" in said[0]
    )


def test_a_tier_that_requires_it_stops_the_run(monkeypatch):
    monkeypatch.delenv("UJI_SANDI_DESK", raising=False)
    with pytest.raises(ShareError, match="diwajibkan"):
        plan_share(_share(required_tiers=["kabkota"]), {"kabkota"}, True, print)


def test_a_short_passphrase_stops_the_run(monkeypatch):
    monkeypatch.setenv("UJI_SANDI_DESK", "rahasia9")
    with pytest.raises(ShareError, match="lebih pendek") as err:
        plan_share(_share(), {"kabkota"}, True, print)
    assert "rahasia9" not in str(err.value)


def test_one_derivation_per_passphrase(monkeypatch):
    monkeypatch.setenv("UJI_SANDI_DESK", PASS)
    monkeypatch.setenv("UJI_SANDI_KEC", "sandi lain untuk kecamatan")
    share = _share(
        locked_tiers=["provinsi", "kabkota", "kecamatan"],
        tier_passphrases={"kecamatan": {"env": "UJI_SANDI_KEC"}},
    )
    plan = plan_share(share, {"provinsi", "kabkota", "kecamatan"}, False, print)
    assert plan.keys["provinsi"] is plan.keys["kabkota"]  # one derivation, one salt for the run
    assert plan.keys["kecamatan"].key != plan.keys["kabkota"].key
    assert plan.notes == ()


def test_the_plan_carries_no_passphrase(monkeypatch):
    import pickle

    monkeypatch.setenv("UJI_SANDI_DESK", PASS)
    plan = plan_share(_share(), {"kabkota"}, False, print)
    assert PASS.encode() not in pickle.dumps(plan)


def test_recipient_units_must_be_of_their_tier():
    share = _share(recipients={"kabkota": [{"id": "x", "name": "X", "units": ["16"]}]})
    with pytest.raises(ShareError, match="kode provinsi"):
        plan_share(share, {"kabkota"}, False, print)


def test_the_repository_settings_lock_every_tier():
    from analysis.settings import load_settings

    s = load_settings().share
    assert set(s.locked_tiers) == {"nasional", "provinsi", "kabkota", "kecamatan"}
    assert s.pbkdf2_iterations >= 600_000  # OWASP's floor for PBKDF2-HMAC-SHA256


def test_preflight_stops_a_daily_run_before_any_work(monkeypatch, tmp_path, capsys):
    import argparse

    from analysis import daily
    from analysis.settings import load_settings

    monkeypatch.delenv("UJI_SANDI_DESK", raising=False)
    s = load_settings(share={"locked_tiers": ["kabkota"], "required_tiers": ["kabkota"],
                             "passphrase": {"env": "UJI_SANDI_DESK"}})  # fmt: skip
    args = argparse.Namespace(scope="16", raw=tmp_path / "tidak-ada", date=None, depth=1, workers=0)
    assert daily.run(args, s) == 2
    err = capsys.readouterr().err
    assert "tidak ada kata sandi untuk edisi terkunci kabkota" in err and "UJI_SANDI_DESK" in err
