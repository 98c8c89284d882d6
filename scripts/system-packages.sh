#!/usr/bin/env bash
# Checks the Debian packages the portal needs; installs the missing ones when it can (root and apt).
#   scripts/system-packages.sh run    packages to render PDFs and compile translations
#   scripts/system-packages.sh test   the same, plus Chromium for the browser tests
#   scripts/system-packages.sh bench  the same, plus wrk for the benchmarks
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core gettext)
if [ "${1:-run}" = "test" ]; then
  packages+=(chromium)
fi
if [ "${1:-run}" = "bench" ]; then
  packages+=(wrk)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "The portal needs these system packages, which are missing: ${missing[*]}" >&2
echo "Install them with:  sudo apt-get install ${missing[*]}" >&2
exit 1
