#!/usr/bin/env bash
# The main job: install what is needed, build the package (and the reference ledger the
# page embeds), and serve the demo page on
# http://127.0.0.1:${PORT:-8080}/www/ until Ctrl-C.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WITH_BROWSERS=0 bash scripts/install.sh
bash scripts/build.sh --with-ledger
PORT=${PORT:-8080}
echo "credit-meter demo: http://127.0.0.1:$PORT/www/"
exec python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$ROOT"
