#!/usr/bin/env bash
# Install the pinned front-end packages and copy the files the UI serves into the Python package, so a
# fresh clone (and every production install) runs with no npm and no network. Re-run after editing
# web-assets/package.json, then commit src/lottocrm/web/static/vendor/.
set -euo pipefail
cd "$(dirname "$0")/../web-assets"
npm ci --no-audit --no-fund
out=../src/lottocrm/web/static/vendor
rm -rf "$out"
mkdir -p "$out"
cp node_modules/htmx.org/dist/htmx.min.js "$out/htmx.min.js"
cp node_modules/echarts/dist/echarts.min.js "$out/echarts.min.js"
cp node_modules/@picocss/pico/css/pico.min.css "$out/pico.min.css"
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js "$out/swagger-ui-bundle.js"
cp node_modules/swagger-ui-dist/swagger-ui.css "$out/swagger-ui.css"
for package in htmx.org echarts @picocss/pico swagger-ui-dist; do
    version=$(node -p "require('./node_modules/$package/package.json').version")
    echo "$package $version"
done > "$out/VERSIONS"
cp node_modules/echarts/LICENSE "$out/LICENSE.echarts"
cp node_modules/@picocss/pico/LICENSE.md "$out/LICENSE.pico"
cp node_modules/htmx.org/LICENSE "$out/LICENSE.htmx"
cp node_modules/swagger-ui-dist/LICENSE "$out/LICENSE.swagger-ui"
echo "vendored into $out:"
cat "$out/VERSIONS"
