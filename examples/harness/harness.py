"""An evaluation harness in a few lines of the Python SDK: N environments in parallel, one
command in each, the task's verification, a table; Ctrl-C (or any failure) tears down every
environment it made.

    PYTHONPATH=clients/python python3 examples/harness/harness.py --count 3 --task hello-http --command 'ls /'
"""
import argparse
import sys
import threading
import time

from taskenv import Taskenv

parser = argparse.ArgumentParser()
parser.add_argument("--count", type=int, default=3)
parser.add_argument("--task", default="hello-http")
parser.add_argument("--command", default="echo hello from $HOSTNAME")
parser.add_argument("--answer")
parser.add_argument("--project", default="harness")
args = parser.parse_args()

client = Taskenv()
made = []
creating = [0]  # creates in flight: one the server answered must reach `made` before teardown
lock = threading.Lock()


def run_one(index):
    row = {"id": "-", "state": "-", "exit": "-", "verify": "-", "note": ""}
    try:
        # Created first, waited for second: the id is known (and torn down) even if the run is cut short.
        with lock:
            creating[0] += 1
        try:
            env = client.environments.create(args.task, project_id=args.project)
            with lock:
                made.append(env)
        finally:
            with lock:
                creating[0] -= 1
        row["id"] = env.id
        env.wait_until_ready()
        row["state"] = env.state
        result = env.execute(args.command)
        row["exit"] = str(result["exit_code"])
        row["note"] = (result["output"].strip().splitlines() or [""])[0]
        row["verify"] = "passed" if env.verify(args.answer)["passed"] else "failed"
    except Exception as error:  # noqa: BLE001 - each row reports its own failure
        row["note"] = f"#{index}: {error}"
    return row


def print_table(rows):
    header = {"id": "environment", "state": "state", "exit": "exit", "verify": "verify", "note": "output / error"}
    keys = list(header)
    widths = [max(len(r[k]) for r in [header, *rows]) for k in keys]
    for row in [header, *rows]:
        print("  ".join(row[k].ljust(w) for k, w in zip(keys, widths)).rstrip(), flush=True)


code = 0
rows = [None] * args.count


def work(index):
    rows[index] = run_one(index)


# Daemon threads: after Ctrl-C the process must not wait for a worker still polling for ready.
threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(args.count)]
try:
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.2)  # short joins keep the main thread interruptible
    print_table(rows)
except KeyboardInterrupt:
    print("\ninterrupted: tearing down…", file=sys.stderr, flush=True)
    code = 130
finally:
    while True:
        with lock:
            if creating[0] == 0:
                todo = list(made)
                break
        time.sleep(0.05)
    failed = 0
    for env in todo:
        try:
            env.delete()
        except Exception:  # noqa: BLE001 - count it, try the others
            failed += 1
    print(f"tore down {len(todo) - failed} of {len(todo)} environments", file=sys.stderr, flush=True)
    if failed:
        code = 1
sys.exit(code)
