/* Opener of a locked pack (analysis.packs.lock). Allowed by the page's CSP by its sha256 only.
   Derives the key with PBKDF2-SHA256 (WebCrypto), decrypts with AES-GCM, then replaces this
   document with the pack: the pack's own CSP meta tag comes first in its head, so it is in force
   before any of its content is parsed, on top of this page's policy (which stays). */
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const pesan = $("pesan");
  const tampil = (teks, galat) => {
    pesan.textContent = teks;
    pesan.className = galat ? "galat" : "";
    pesan.hidden = false;
  };
  const subtle = window.crypto && window.crypto.subtle;
  if (!subtle || typeof TextDecoder === "undefined") {
    $("tanpa-webcrypto").hidden = false;
    return;
  }
  const muatan = $("muatan");
  const lampiran = $("lampiran");
  const form = $("buka");
  const sandi = $("sandi");
  const tombol = $("tombol");
  const bytes = (b64) => Uint8Array.from(atob(b64.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  const teks = (s) => new TextEncoder().encode(s);

  const kunci = async (kata) => {
    const bahan = await subtle.importKey(
      "raw", teks(kata.normalize("NFC").trim()), "PBKDF2", false, ["deriveKey"]);
    return subtle.deriveKey(
      { name: "PBKDF2", hash: "SHA-256", salt: bytes(muatan.dataset.garam),
        iterations: Number(muatan.dataset.iterasi) },
      bahan, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
  };
  const buka = (key, el) => subtle.decrypt(
    { name: "AES-GCM", iv: bytes(el.dataset.nonce), additionalData: teks(el.dataset.aad) },
    key, bytes(el.textContent));

  const tautanLampiran = (data, nama) => {
    const blob = new Blob([data], {
      type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = nama;
    a.className = "unduh-lampiran";
    a.textContent = "Unduh lampiran Excel (" + nama + ")";
    Object.assign(a.style, { display: "block", margin: "0.5rem auto", maxWidth: "60rem",
      width: "calc(100% - 1.5rem)", boxSizing: "border-box",
      padding: "0.6rem", border: "2px solid #1b1f24", borderRadius: "4px", textAlign: "center",
      fontWeight: "700", color: "#1b1f24", background: "#f4f6f8" });
    const cetak = document.createElement("style");
    cetak.textContent = "@media print { .unduh-lampiran { display: none !important; } }";
    document.head.appendChild(cetak);
    document.body.insertBefore(a, document.body.firstChild);
  };

  $("lihat").addEventListener("change", (e) => {
    sandi.type = e.target.checked ? "text" : "password";
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    tombol.disabled = true;
    tampil("Membuka laporan…", false);
    let key;
    let halaman;
    try {
      key = await kunci(sandi.value);
      halaman = new TextDecoder("utf-8", { fatal: true }).decode(await buka(key, muatan));
    } catch (err) {
      tombol.disabled = false;
      sandi.select();
      tampil($("sandi-salah").textContent, true);
      return;
    }
    let xlsx = null;
    if (lampiran) {
      try {
        xlsx = await buka(key, lampiran);
      } catch (err) {
        xlsx = null;
      }
    }
    const nama = lampiran ? lampiran.dataset.nama : "";
    document.open();
    document.write(halaman);
    document.close();
    if (xlsx) tautanLampiran(xlsx, nama);
  });
  form.hidden = false;
  sandi.focus();
})();
