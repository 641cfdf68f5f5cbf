#!/usr/bin/env bash
# The browser tests drive Debian's Chromium with Playwright (Playwright's own browser
# download is not used: nothing is fetched at run time). Install it when it is missing and we
# may: as root with apt-get. Otherwise say so; the browser tests then skip (fail under CI).
set -u
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit $?
fi
echo "Chromium is not installed and cannot be installed here (needs root and apt-get):" \
  "the browser tests will skip. Install it with: sudo apt-get install chromium" >&2
exit 0
