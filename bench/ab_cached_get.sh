#!/usr/bin/env bash
# A/B of a cached GET between two checkouts of the service, in gunicorn, pinned:
#   bench/ab_cached_get.sh OLD_DIR NEW_DIR [ROUNDS]
# Each checkout gets its own SQLite database (50 approved comments on article a1, made through
# its own app); one sync worker on core 1 (taskset), wrk -t1 -c8 on core 0, 2 s warm-up, 6 s
# measured; rounds alternate old/new. Prints the worker's CPU per request (from /proc), which
# other load on the machine does not inflate the way requests/s is.
set -euo pipefail
OLD=$(realpath "$1"); NEW=$(realpath "$2"); ROUNDS=${3:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd); PY="$ROOT/.venv/bin/python"; TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SECRET=$(printf 'k%.0s' {1..40})

build() {  # build CODE DB: 50 approved comments through that checkout's own app
  (cd "$1" && "$PY" - "$1" "$2" "$SECRET" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from datetime import datetime, timezone
from werkzeug.security import generate_password_hash
from moderation import create_app
try:  # the layout since issue 9
    from moderation.core.credentials import new_token, token_hash
    from moderation.shared import of
    from moderation.store import moderators as store
    from moderation.store.database import create_schema
    engine_of = lambda app: of(app).engine
except ImportError:  # the flat package before it
    from moderation import store
    from moderation.auth import new_token, token_hash
    from moderation.database import create_schema
    engine_of = lambda app: app.extensions["moderation.engine"]
app = create_app({"DATABASE_URL": f"sqlite:///{sys.argv[2]}", "SECRET_KEY": sys.argv[3], "RATELIMIT": "0",
                  "MIN_FORM_SECONDS": 0})
create_schema(engine_of(app))
client, now = app.test_client(), datetime.now(timezone.utc)
with app.app_context():
    store.save_moderator("m", generate_password_hash("x", "pbkdf2:sha256:1"), now)
    token = new_token()
    store.add_token(store.moderator_by_name("m").id, token_hash(token), now)
for i in range(50):
    sent = client.post("/api/v1/articles/a1/comments", environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
                       json={"name": f"N{i}", "email": f"e{i}@example.org", "body": f"comment number {i} " * 20})
    client.post(f"/api/v1/moderation/comments/{sent.json['id']}", json={"action": "approve"},
                headers={"Authorization": f"Bearer {token}"})
PY
  )
}

measure() {  # measure CODE DB LABEL
  local port master worker t0 t1 out requests
  port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  (cd "$1" && MODERATION_DATABASE_URL="sqlite:///$2" MODERATION_SECRET_KEY="$SECRET" MODERATION_RATELIMIT=0 \
     exec taskset -c 1 "$ROOT/.venv/bin/gunicorn" --workers 1 --bind "127.0.0.1:$port" --log-level warning app:app) &
  master=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  worker=$(pgrep -P "$master" | head -1)
  taskset -c 0 wrk -t1 -c8 -d2s "http://127.0.0.1:$port/api/v1/articles/a1/comments" >/dev/null
  t0=$(awk '{print $14 + $15}' "/proc/$worker/stat")
  out=$(taskset -c 0 wrk -t1 -c8 -d6s "http://127.0.0.1:$port/api/v1/articles/a1/comments")
  t1=$(awk '{print $14 + $15}' "/proc/$worker/stat")
  kill "$master"; wait "$master" 2>/dev/null || true
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "$3: $("$PY" -c "print(round(($t1 - $t0) * 1e6 / $(getconf CLK_TCK) / $requests, 1))") µs CPU per GET," \
       "$(echo "$out" | awk '/Requests\/sec/ {print $2}') req/s"
}

build "$OLD" "$TMP/old.sqlite3"; build "$NEW" "$TMP/new.sqlite3"
for round in $(seq "$ROUNDS"); do
  measure "$OLD" "$TMP/old.sqlite3" "round $round old"
  measure "$NEW" "$TMP/new.sqlite3" "round $round new"
done
