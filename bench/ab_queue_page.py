"""The moderators' queue page of any checkout, timed in-process, for A/B runs across commits.

    .venv/bin/python bench/ab_queue_page.py CHECKOUT_DIR REQUESTS   (prints the median, in ms)

It uses only what every release has (create_app, the init-db and create-moderator commands,
the public API and the log-in form), so the same script times old and new code: a SQLite
database in a temporary file, 100 pending comments on 10 articles, a moderator logged in
through the form, 10 warm-up requests, then REQUESTS timed GETs of /moderate/ (each checked:
200 and 50 rows). Run it alternately on two checkouts, a few rounds each, and compare medians.
"""
import re, statistics, sys, tempfile, time
sys.path.insert(0, sys.argv[1])
from moderation import create_app
db = tempfile.mktemp(suffix=".sqlite3")
app = create_app({"DATABASE_URL": f"sqlite:///{db}", "SECRET_KEY": "k" * 40, "RATELIMIT": "0", "LOGIN_RATELIMIT": "0",
                  "MIN_FORM_SECONDS": 0, "TESTING": True})
runner = app.test_cli_runner()
assert runner.invoke(args=["init-db"]).exit_code == 0
assert runner.invoke(args=["create-moderator", "mod", "--password-stdin"], input="bench password\n").exit_code == 0
client = app.test_client()
for n in range(100):
    r = client.post(f"/api/v1/articles/post-{n % 10}/comments", environ_base={"REMOTE_ADDR": f"10.0.{n // 200}.{n % 200}"},
                    json={"name": f"Reader {n}", "email": f"r{n}@example.org", "body": f"Comment {n}: an ordinary remark."})
    assert r.status_code == 202, r.json
page = client.get("/moderate/login").get_data(as_text=True)
token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
assert client.post("/moderate/login", data={"name": "mod", "password": "bench password", "csrf_token": token}).status_code == 303
for _ in range(10):
    assert client.get("/moderate/").status_code == 200
times = []
for _ in range(int(sys.argv[2])):
    began = time.perf_counter()
    r = client.get("/moderate/")
    times.append(time.perf_counter() - began)
    assert r.status_code == 200 and r.get_data(as_text=True).count('<article class="comment"') == 50
print(f"{statistics.median(times) * 1000:.2f}")
