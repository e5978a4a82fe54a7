#!/usr/bin/env bash
# Refresh the copy of PDF.js the web page ships (api/static/vendor/pdfjs/) from npm, at the version pinned in
# web-vendor/package-lock.json. The copy is committed, so the service runs offline without Node; run this
# only to upgrade (edit web-vendor/package.json, `npm install` there, then this script).
set -euo pipefail
cd "$(dirname "$0")/../web-vendor"
npm ci --ignore-scripts --no-audit --no-fund
target=../api/static/vendor/pdfjs
mkdir -p "$target"
cp node_modules/pdfjs-dist/build/pdf.min.mjs node_modules/pdfjs-dist/build/pdf.worker.min.mjs "$target/"
cp node_modules/pdfjs-dist/LICENSE "$target/LICENSE"
echo "PDF.js $(node -p "require('./node_modules/pdfjs-dist/package.json').version") kopieret til $target"
