#!/bin/sh
# Copies the pages' front-end libraries from the npm registry's packages (pinned in
# src/souk/pages/package-lock.json) into the package's static files and the browser tests'
# support. The copies are committed, so neither `make run` nor CI needs npm; run this
# (`make vendor`) after changing a version.
set -eu
cd "$(dirname "$0")/../src/souk/pages"
npm ci --no-audit --no-fund --ignore-scripts
cp node_modules/htmx.org/dist/htmx.min.js common/static/vendor/htmx.min.js
cp node_modules/chart.js/dist/chart.umd.min.js common/static/vendor/chart.umd.min.js
cp node_modules/axe-core/axe.min.js ../../../tests/support/vendor/axe.min.js
