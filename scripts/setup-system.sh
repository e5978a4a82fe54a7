#!/usr/bin/env bash
# Installs the Debian packages the project uses: Tesseract with Danish (OCR of scanned PDFs) and,
# with --test, Chromium for the browser tests and LibreOffice Writer (headless) to render exported notes.
# Skips what is already there; never downloads anything else.
set -u
pkgs=(tesseract-ocr tesseract-ocr-dan)
[ "${1:-}" = "--test" ] && pkgs+=(chromium chromium-driver libreoffice-writer-nogui)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Bemærk: apt-get findes ikke; installér selv: ${missing[*]}" >&2
  exit 0
fi
sudo=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
echo "Installerer Debian-pakker: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/vidensmaegler-apt.log 2>&1; then
  $sudo apt-get update -q >/dev/null 2>&1 || true
  if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/vidensmaegler-apt.log 2>&1; then
    echo "Advarsel: kunne ikke installere ${missing[*]} (se /tmp/vidensmaegler-apt.log)." >&2
    [ "${1:-}" = "--test" ] && exit 1
  fi
fi
exit 0
