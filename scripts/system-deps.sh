#!/usr/bin/env bash
# Install the system packages the reports need, only when missing (Debian/Ubuntu):
#   fonts-noto-cjk  Chinese characters in the PNG figures (matplotlib finds it at run time)
#   chromium        the headless-browser test of the HTML report (tests/report/test_browser.py)
# Usage: scripts/system-deps.sh [font|all]   (default all). Idempotent; quiet when done.
set -euo pipefail
want="${1:-all}"
missing=()
has_cjk_font() {
  fc-list :lang=zh 2>/dev/null | grep -qi "cjk" && return 0
  find /usr/share/fonts /usr/local/share/fonts "$HOME/.fonts" "$HOME/.local/share/fonts" \
    -iname '*cjk*' 2>/dev/null | grep -q .
}
if ! has_cjk_font; then
  missing+=(fonts-noto-cjk)
fi
if [ "$want" = all ] && [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${missing[*]} and no apt-get here; install them with your package manager" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    echo "system-deps: missing ${missing[*]}; run as root: apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
echo "system-deps: installing ${missing[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# matplotlib caches the font list: drop the cache so the new fonts are found
rm -rf "${XDG_CACHE_HOME:-$HOME/.cache}"/matplotlib "${MPLCONFIGDIR:-/nonexistent}"/fontlist-*.json 2>/dev/null || true
fc-cache -f >/dev/null 2>&1 || true
