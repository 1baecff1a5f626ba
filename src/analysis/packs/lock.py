"""The locked edition of a pack: the whole page encrypted for a passphrase, opened offline.

The page is encrypted with AES-256-GCM under a key derived from the passphrase with
PBKDF2-HMAC-SHA256 (``share.pbkdf2_iterations``: 600,000 after OWASP's Password Storage Cheat
Sheet), the approach StatiCrypt settled on. The locked file (``html_template/locked.html``) holds
only the ciphertext (base64), the parameters to open it, an unlock form and one inline script of
ours (``html_template/locked.js``), which the page's Content-Security-Policy allows by its sha256
and nothing else. The script derives the key with WebCrypto, decrypts and replaces the document
with the pack; the pack's own CSP meta tag is the first thing in its head (checked here before
locking), so it is in force before any of its content is parsed, on top of the opener's policy.
An annex travels inside the same file (a second ciphertext, same key, its own nonce).

Salt and nonce. A nonce is random per ciphertext (12 bytes). The salt (16 random bytes) is drawn
once per run and passphrase, and the key derived once (~0.1 s of CPU): every file of a run is
locked for the same passphrase, so whoever guesses it for one file opens them all whatever their
salts, and per-file salts would only add ~0.1 s of CPU per pack (~55 s for the 553 packs of the
national set). A fresh salt per run still defeats precomputed tables and makes each day's files
a separate target. Each ciphertext's additional data binds it to its unit, date and part
(laporan / lampiran).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import os
import re
import stat
import string
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from analysis import fmt
from analysis.packs.render import TEMPLATE_DIR
from analysis.settings import REPO_ROOT, PassphraseSource

FORMAT = "desk-pilkada/terkunci/1"
SALT_BYTES = 16
NONCE_BYTES = 12
KEY_BYTES = 32
PART_PACK = "laporan"
PART_ANNEX = "lampiran"
SIMULASI = "DATA SIMULASI — skenario demo, bukan data pemilihan sebenarnya."


class LockError(RuntimeError):
    """A pack cannot be locked (its page lacks its own CSP), or a locked file cannot be opened."""


@dataclass(frozen=True)
class Key:
    """An AES-256 key derived from a passphrase, with the salt and iterations that made it."""

    key: bytes = field(repr=False)
    salt: bytes
    iterations: int


def normalise(passphrase: str) -> str:
    """What is derived from: NFC, surrounding spaces dropped (phone keyboards add a trailing one).

    The opener applies the same rule to what is typed.
    """
    return unicodedata.normalize("NFC", passphrase).strip()


def derive_key(passphrase: str, iterations: int, salt: bytes | None = None) -> Key:
    """PBKDF2-HMAC-SHA256 of the normalised passphrase; a fresh random salt unless given."""
    salt = salt if salt is not None else os.urandom(SALT_BYTES)
    kdf = PBKDF2HMAC(hashes.SHA256(), KEY_BYTES, salt, iterations)
    return Key(kdf.derive(normalise(passphrase).encode("utf-8")), salt, iterations)


# --- Where the passphrase comes from -------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """A passphrase lookup: the passphrase (or None) and where it came from / why not, in words
    (Bahasa Indonesia, for the run's line and the index) that never contain it."""

    passphrase: str | None = field(repr=False)
    where: str


def _from_file(path: Path) -> Found:
    p = path.expanduser()
    if p.resolve().is_relative_to(REPO_ROOT):
        return Found(None, f"{p} berada di dalam repositori: tidak dipakai")
    try:
        st = p.stat()
    except FileNotFoundError:
        return Found(None, f"berkas {p} tidak ada")
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return Found(None, f"{p} dapat dibaca pengguna lain: tidak dipakai (chmod 600 {p})")
    lines = p.read_text(encoding="utf-8").splitlines()
    text = normalise(lines[0]) if lines else ""
    return Found(text or None, f"berkas {p}" if text else f"{p} kosong")


def read_passphrase(source: PassphraseSource) -> Found:
    """The passphrase from ``source``: its environment variable when set, else its file."""
    reasons = []
    if source.env:
        value = normalise(os.environ.get(source.env, ""))
        if value:
            return Found(value, f"variabel lingkungan {source.env}")
        reasons.append(f"{source.env} tidak diatur")
    if source.file is not None:
        found = _from_file(source.file)
        if found.passphrase:
            return found
        reasons.append(found.where)
    return Found(None, "; ".join(reasons) or "tidak ada sumber yang diatur")


# --- Sealing ------------------------------------------------------------------------------------


def aad(kode_wilayah: str, tanggal: str, part: str) -> str:
    """The additional authenticated data of one ciphertext: format, unit, date and part."""
    return f"{FORMAT}|{kode_wilayah}|{tanggal}|{part}"


def seal(key: Key, data: bytes, additional: str) -> tuple[bytes, bytes]:
    """(nonce, ciphertext with its 16-byte tag) of ``data`` under ``key``; a fresh random nonce."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce, AESGCM(key.key).encrypt(nonce, data, additional.encode("utf-8"))


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


@lru_cache(maxsize=1)
def opener() -> tuple[string.Template, str, str]:
    """(page template, script, CSP source of the script's sha256) of the locked page."""
    script = (TEMPLATE_DIR / "locked.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    page = string.Template((TEMPLATE_DIR / "locked.html").read_text(encoding="utf-8"))
    return page, script, f"sha256-{digest}"


# The pack's own policy must come first in its head and forbid every script: once the opener
# writes the pack into the document, this policy joins the opener's (which allows its own hash).
_HEAD_CSP = re.compile(
    r"^\s*<!DOCTYPE html>\s*<html[^>]*>\s*<head>\s*(?:<meta charset=[^>]*>\s*)?"
    r"<meta http-equiv=\"Content-Security-Policy\" content=\"([^\"]*)\">",
    re.IGNORECASE,
)


def check_pack_csp(page: str) -> None:
    """Refuse a page whose head does not start with a CSP of ``default-src 'none'`` and no
    ``script-src``: the decrypted page would then rely on the opener's policy alone."""
    m = _HEAD_CSP.match(page)
    policy = m.group(1) if m else ""
    if "default-src 'none'" not in policy or "script-src" in policy:
        raise LockError(
            "the pack's page does not open with its own Content-Security-Policy "
            "(default-src 'none', no script-src): not locked"
        )


def _annex_block(key: Key, kode: str, tanggal: str, annex: tuple[str, bytes]) -> str:
    name, data = annex
    nonce, ct = seal(key, data, aad(kode, tanggal, PART_ANNEX))
    return (
        f'<div id="lampiran" hidden data-nama="{html.escape(name, quote=True)}" '
        f'data-nonce="{_b64(nonce)}" data-aad="{html.escape(aad(kode, tanggal, PART_ANNEX))}">'
        f"{_b64(ct)}</div>\n"
    )


def _tanggal(iso: str) -> str:
    """The report date as a reader writes it (``Kamis, 28 November 2024``)."""
    try:
        return fmt.tanggal(dt.date.fromisoformat(iso))
    except ValueError:
        return iso


def lock_page(
    page: str,
    key: Key,
    kode_wilayah: str,
    tanggal: str,
    demo: bool,
    annex: tuple[str, bytes] | None = None,
) -> str:
    """The locked edition of ``page`` (a pack's HTML), with ``annex`` (file name, bytes) inside.

    Only the unit code, the date, the TERBATAS mark and, for demo data, DATA SIMULASI are in
    clear: the envelope's label, as on a sealed paper report.
    """
    check_pack_csp(page)
    template, script, script_hash = opener()
    nonce, ct = seal(key, page.encode("utf-8"), aad(kode_wilayah, tanggal, PART_PACK))
    simulasi = f'<p class="simulasi">{SIMULASI}</p>\n' if demo else ""
    return template.substitute(
        script_hash=script_hash,
        simulasi=simulasi,
        kode=html.escape(kode_wilayah),
        tanggal=html.escape(_tanggal(tanggal)),
        format=FORMAT,
        iterations=key.iterations,
        salt=_b64(key.salt),
        nonce=_b64(nonce),
        aad=html.escape(aad(kode_wilayah, tanggal, PART_PACK)),
        ciphertext=_b64(ct),
        annex=_annex_block(key, kode_wilayah, tanggal, annex) if annex else "",
        script=script,
    )


# --- Opening (what the browser does, for checks and tests) ---------------------------------------

_DIV = r'<div id="{id}" hidden (?P<attrs>[^>]*)>(?P<body>[A-Za-z0-9+/=]*)</div>'


def _part(locked: str, id_: str) -> tuple[dict[str, str], bytes] | None:
    m = re.search(_DIV.format(id=id_), locked)
    if not m:
        return None
    attrs = {k: html.unescape(v) for k, v in re.findall(r'data-([a-z]+)="([^"]*)"', m["attrs"])}
    return attrs, base64.b64decode(m["body"])


def open_locked(locked: str, passphrase: str) -> tuple[str, bytes | None]:
    """(the pack's HTML, the annex's bytes or None) of a locked file, as the opener does it."""
    pack = _part(locked, "muatan")
    if pack is None:
        raise LockError("not a locked pack (no ciphertext found)")
    attrs, ct = pack
    key = derive_key(passphrase, int(attrs["iterasi"]), base64.b64decode(attrs["garam"]))
    try:
        page = AESGCM(key.key).decrypt(base64.b64decode(attrs["nonce"]), ct, attrs["aad"].encode())
    except InvalidTag:
        raise LockError("wrong passphrase, or the file is damaged") from None
    annex = _part(locked, "lampiran")
    data = None
    if annex is not None:
        a_attrs, a_ct = annex
        nonce = base64.b64decode(a_attrs["nonce"])
        data = AESGCM(key.key).decrypt(nonce, a_ct, a_attrs["aad"].encode())
    return page.decode("utf-8"), data
