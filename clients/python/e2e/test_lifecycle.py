"""The Python SDK against a running local stack (``TASKENV_API_URL``, ``TASKENV_API_KEY`` set by
test/e2e/sdk.test.ts, which starts the stack): create with wait, reads, keepalive, and the
``with`` block tearing it down."""
import os
import unittest
import urllib.request

from taskenv import NotFoundError, Taskenv, ValidationError


class LifecycleTest(unittest.TestCase):
    def setUp(self):
        for name in ("TASKENV_API_URL", "TASKENV_API_KEY"):
            self.assertIn(name, os.environ, f"{name} names the stack under test")
        self.client = Taskenv()

    def test_with_block_provisions_a_ready_environment_and_tears_it_down(self):
        # Act
        with self.client.environment("hello-http", inputs={"name": "python"}, project_id="py-e2e") as env:
            # Assess: ready, reachable, listed, and its lifetime extendable
            self.assertEqual(env.state, "ready")
            self.assertEqual(env.data["task_ref"], "local/hello-http@1.0.0")
            self.assertIsNotNone(env.execute_token)
            self.assertIn("Say hello to python.", env.instruction)
            with urllib.request.urlopen(env.service_urls["web"]["url"], timeout=10) as page:
                self.assertEqual(page.status, 200)
            self.assertEqual(env.status()["state"], "ready")
            listed = [e["id"] for e in self.client.environments.list(project_id="py-e2e", limit=1)]
            self.assertIn(env.id, listed)
            self.assertIn("expires_at", env.keepalive(120))
            environment_id = env.id

        # Assess: the block's end tore it down
        self.assertEqual(self.client.environments.get(environment_id)["state"], "torn_down")

    def test_publish_execute_verify_logs_and_teardown(self):
        # Prepare: a task whose verification passes once a file exists, published through the SDK
        run = os.environ.get("TASKENV_E2E_RUN", "py")
        published = self.client.tasks.publish({
            "name": f"py-lifecycle-{run}", "version": "1.0.0", "instruction": "Create the file.",
            "services": {"box": {"image": "none",
                                 "local": {"command": ["/bin/sh", "-c", "echo box up; exec sleep 3600"]}}},
            "verification": {"method": "script", "script": f"test -f /tmp/py-solved-{run}", "timeout": 10},
        })

        # Act
        with self.client.environment(published["task_ref"]) as env:
            before = env.verify()
            executed = env.execute(f"echo out; echo err >&2; touch /tmp/py-solved-{run}; exit 3")
            after = env.verify()
            logs = env.logs(tail=50)
            environment_id = env.id

        # Assess
        self.assertFalse(before["passed"])
        self.assertEqual(executed["exit_code"], 3)
        self.assertIn("out\n", executed["output"])
        self.assertIn("err\n", executed["output"])
        self.assertTrue(after["passed"])
        self.assertEqual(logs["service"], "box")
        self.assertIn("box up", [line["message"] for line in logs["lines"]])
        self.assertEqual(self.client.environments.get(environment_id)["state"], "torn_down")

    def test_api_errors_arrive_as_typed_exceptions(self):
        with self.assertRaises(NotFoundError):
            self.client.environments.create("no-such-task")
        with self.assertRaises(ValidationError) as caught:
            self.client.environments.create("hello-http", inputs={"nope": 1})
        self.assertEqual(caught.exception.status, 422)


if __name__ == "__main__":
    unittest.main()
