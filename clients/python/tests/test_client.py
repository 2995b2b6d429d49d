"""The Python SDK's HTTP behaviour against a real HTTP server on loopback answering per docs/api.md:
the requests it sends, its retries (429 with Retry-After, 5xx, dropped connections), which calls
it does not repeat, pagination, waiting, the typed errors, and teardown when a ``with`` ends."""
import json
import threading
import time
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from taskenv import (
    APIError,
    ConflictError,
    EnvironmentFailedError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    Taskenv,
)
from taskenv._http import retry_after_seconds

ENV_ID = "0b6f3f0e-5d1a-4d7e-9a43-3b8f6c1d2e4f"
WS = "/api/v1/org/local/ws/default"


def environment(**overrides):
    data = {
        "id": ENV_ID, "task_ref": "local/hello-http@1.0.0", "state": "building",
        "created_at": "2026-12-01T21:00:00Z", "expires_at": None, "project_id": "default",
        "instruction": None, "service_urls": None, "execute_token": None, "task_verification": None,
        "error": None,
    }
    data.update(overrides)
    return data


def envelope(code, kind, detail):
    return {"code": code, "type": kind, "detail": detail}


class ScriptedServer:
    """Answers with ``script(request, index)``: a (status, body, headers) tuple or "drop"."""

    def __init__(self):
        self.seen = []
        self.script = lambda request, index: (500, None, {})
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet test output
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                request = {
                    "method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                    "body": json.loads(raw) if raw else None,
                }
                outer.seen.append(request)
                reply = outer.script(request, len(outer.seen) - 1)
                if reply == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                status, body, headers = reply
                payload = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
                self.send_response(status)
                if body is not None and not isinstance(body, bytes):
                    self.send_header("Content-Type", "application/json")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.server = ScriptedServer()
        self.client = Taskenv(self.server.url, "tk_test", env={}, initial_backoff=0.01, max_backoff=0.04)

    def tearDown(self):
        self.server.stop()

    def test_create_retries_429_after_retry_after_with_the_same_idempotency_key(self):
        # Prepare
        self.server.script = lambda r, i: (
            (429, envelope(429, "rate_limit_error", "slow down"), {"Retry-After": "1"}) if i == 0
            else (201, environment(execute_token="tok"), {}))
        started = time.monotonic()

        # Act
        env = self.client.environments.create("hello-http", inputs={"name": "world"})

        # Assess
        self.assertGreaterEqual(time.monotonic() - started, 0.99)
        self.assertEqual(env.id, ENV_ID)
        self.assertEqual(env.execute_token, "tok")
        first, second = self.server.seen
        self.assertEqual((first["method"], first["path"]), ("POST", f"{WS}/environments"))
        self.assertEqual(first["body"], {"task_ref": "hello-http", "inputs": {"name": "world"}})
        self.assertEqual(first["headers"]["Authorization"], "Bearer tk_test")
        self.assertRegex(first["headers"]["Idempotency-Key"], r"^[0-9a-f-]{36}$")
        self.assertEqual(second["headers"]["Idempotency-Key"], first["headers"]["Idempotency-Key"])

    def test_a_read_is_retried_over_a_dropped_connection_and_a_502(self):
        # Prepare
        self.server.script = lambda r, i: (
            "drop" if i == 0 else (502, b"<html>bad gateway</html>", {}) if i == 1 else (200, environment(), {}))

        # Act
        data = self.client.environments.get(ENV_ID)

        # Assess
        self.assertEqual(data["id"], ENV_ID)
        self.assertEqual([r["path"] for r in self.server.seen], [f"{WS}/environments/{ENV_ID}"] * 3)

    def test_gives_up_after_max_retries_with_the_typed_error(self):
        # Prepare
        self.server.script = lambda r, i: (500, envelope(500, "internal_error", "Internal server error"), {})
        client = Taskenv(self.server.url, "k", env={}, max_retries=2, initial_backoff=0.001)

        # Act
        with self.assertRaises(InternalServerError) as caught:
            client.environments.status(ENV_ID)

        # Assess
        self.assertEqual(caught.exception.status, 500)
        self.assertEqual(caught.exception.envelope, envelope(500, "internal_error", "Internal server error"))
        self.assertEqual(len(self.server.seen), 3)

    def test_an_execute_the_server_may_have_run_is_not_repeated_but_a_429_is(self):
        # Prepare
        self.server.script = lambda r, i: (
            (201, environment(state="ready", execute_token="tok"), {}) if r["path"].endswith("/environments")
            else (500, envelope(500, "internal_error", "x"), {}))
        env = self.client.environments.create("hello-http")

        # Act
        with self.assertRaises(InternalServerError):
            env.execute("ls")
        after_failure = len(self.server.seen)
        result_body = {"id": "x1", "exit_code": 0, "output": "bin\n", "truncated": False, "timed_out": False,
                       "duration_ms": 3}
        self.server.script = lambda r, i: (
            (429, envelope(429, "rate_limit_error", "at most 8"), {"Retry-After": "0"}) if i == after_failure
            else (200, result_body, {}))
        result = env.execute("ls")

        # Assess
        self.assertEqual(after_failure, 2)
        self.assertEqual(result["output"], "bin\n")
        self.assertEqual(self.server.seen[-1]["headers"]["X-Environment-Token"], "tok")
        self.assertEqual(len(self.server.seen), after_failure + 2)

    def test_maps_each_type_to_its_class(self):
        for status, kind, cls in [(404, "not_found_error", NotFoundError), (409, "conflict_error", ConflictError),
                                  (429, "rate_limit_error", RateLimitError)]:
            with self.subTest(kind=kind):
                # Prepare
                self.server.script = lambda r, i, s=status, k=kind: (s, envelope(s, k, f"the {k}"), {})
                client = Taskenv(self.server.url, "k", env={}, max_retries=0)

                # Act
                with self.assertRaises(cls) as caught:
                    client.environments.get(ENV_ID)

                # Assess
                self.assertIsInstance(caught.exception, APIError)
                self.assertEqual((caught.exception.status, caught.exception.type), (status, kind))

    def test_list_fetches_every_page(self):
        # Prepare
        ids = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(5)]

        def page(request, index):
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(request["path"]).query)
            number = int(query["page"][0])
            chunk = [environment(id=i) for i in ids[(number - 1) * 2:number * 2]]
            return (200, {"environments": chunk, "page": number, "limit": 2, "total": 5, "total_pages": 3,
                          "has_next": number < 3, "has_previous": number > 1}, {})
        self.server.script = page

        # Act
        listed = [e["id"] for e in self.client.environments.list(state="ready", limit=2)]

        # Assess
        self.assertEqual(listed, ids)
        self.assertEqual(len(self.server.seen), 3)
        self.assertIn("state=ready", self.server.seen[0]["path"])

    def test_with_block_waits_for_ready_and_deletes_on_exit_also_on_an_exception(self):
        # Prepare
        states = iter(["building", "provisioning", "ready"])

        def script(request, index):
            if request["method"] == "POST":
                return 201, environment(execute_token="tok"), {}
            if request["method"] == "DELETE":
                return 200, environment(state="torn_down"), {}
            if request["path"].endswith("/status"):
                return 200, {"id": ENV_ID, "state": next(states), "expires_at": None, "error": None,
                             "service_urls": None}, {}
            return 200, environment(state="ready", instruction="Say hello."), {}
        self.server.script = script

        # Act
        with self.assertRaises(RuntimeError):
            with self.client.environment("hello-http", inputs={"name": "world"}) as env:
                self.assertEqual(env.state, "ready")
                self.assertEqual(env.instruction, "Say hello.")
                raise RuntimeError("the harness crashed")

        # Assess
        self.assertEqual(self.server.seen[-1]["method"], "DELETE")
        self.assertEqual(self.server.seen[-1]["path"], f"{WS}/environments/{ENV_ID}")

    def test_a_wait_that_ends_failed_raises_and_deletes_what_it_made(self):
        # Prepare
        def script(request, index):
            if request["method"] == "POST":
                return 201, environment(), {}
            if request["method"] == "DELETE":
                return 200, environment(state="failed"), {}
            return 200, {"id": ENV_ID, "state": "failed", "expires_at": None, "error": "image not found",
                         "service_urls": None}, {}
        self.server.script = script

        # Act
        with self.assertRaises(EnvironmentFailedError) as caught:
            self.client.environments.create("hello-http", wait=True)

        # Assess
        self.assertEqual(caught.exception.error, "image not found")
        self.assertEqual(self.server.seen[-1]["method"], "DELETE")

    def test_execute_polls_a_202_until_the_execution_completes(self):
        # Prepare
        polls = []

        def script(request, index):
            if request["path"].endswith("/environments"):
                return 201, environment(state="ready", execute_token="tok"), {}
            if request["path"].endswith("/execute"):
                return 202, {"id": "ex-1", "state": "running", "started_at": "2026-12-01T21:00:00Z"}, {}
            polls.append(request["path"])
            done = len(polls) >= 2
            return 200, {"id": "ex-1", "state": "completed" if done else "running",
                         "started_at": "2026-12-01T21:00:00Z", "finished_at": None, "exit_code": 3 if done else None,
                         "output": "done\n" if done else None, "truncated": False, "timed_out": False,
                         "duration_ms": 30000}, {}
        self.server.script = script
        env = self.client.environments.create("hello-http")

        # Act
        result = self.client.environments.execute(env.id, "sleep 30; exit 3", execute_token="tok",
                                                  poll_interval=0.01)

        # Assess
        self.assertEqual(result, {"id": "ex-1", "exit_code": 3, "output": "done\n", "truncated": False,
                                  "timed_out": False, "duration_ms": 30000})
        self.assertEqual(polls, [f"{WS}/environments/{ENV_ID}/executions/ex-1"] * 2)

    def test_pools_keys_tasks_and_secrets_go_to_their_routes(self):
        # Prepare
        self.server.script = lambda r, i: (204, None, {}) if r["method"] == "DELETE" else (200, {}, {})

        # Act
        self.client.tasks.publish({"name": "demo", "version": "1.0.0", "instruction": "Look.",
                                   "services": {"web": {"image": "x"}}})
        self.client.tasks.get("demo@1.0.0")
        self.client.secrets.put("pw", "s3cr3t")
        self.client.secrets.delete("pw")
        self.client.pools.set("hello-http@1.0.0", 2)
        self.client.pools.delete("hello-http@1.0.0")
        self.client.keys.create("ci", "member", ["default"])
        self.client.keys.delete("key-1")

        # Assess
        self.assertEqual([f"{r['method']} {r['path']}" for r in self.server.seen], [
            "POST /api/v1/org/local/tasks",
            "GET /api/v1/org/local/tasks/demo@1.0.0",
            f"PUT {WS}/secrets/pw",
            f"DELETE {WS}/secrets/pw",
            "PUT /api/v1/org/local/pools/hello-http@1.0.0",
            "DELETE /api/v1/org/local/pools/hello-http@1.0.0",
            "POST /api/v1/org/local/keys",
            "DELETE /api/v1/org/local/keys/key-1",
        ])
        self.assertEqual(self.server.seen[4]["body"], {"size": 2})


class RetryAfterTest(unittest.TestCase):
    def test_reads_seconds_and_http_dates(self):
        self.assertEqual(retry_after_seconds({"Retry-After": "3"}), 3.0)
        self.assertAlmostEqual(retry_after_seconds({"retry-after": "Wed, 02 Dec 2026 00:00:10 GMT"},
                                                   now=1796169600.0), 10.0)
        self.assertIsNone(retry_after_seconds({}))
        self.assertIsNone(retry_after_seconds({"Retry-After": "soon"}))


if __name__ == "__main__":
    unittest.main()
