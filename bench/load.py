"""python -m bench.load: many callers asking at once, through the page's server.

Starts `qa serve` over an index of the CMRC 2018 trial paragraphs plus the bundled corpus (262
documents, the real default encoder; built once into ~/.cache/qa/load-index), then for 1, 10 and
30 concurrent callers, each asking trial questions back to back for `--seconds`, reports
requests/s, p50/p95 latency, errors, and the server's memory before and after. Faces: the plain
JSON route `POST /api/ask` (`http`) and Gradio's queued `/ask` through gradio_client (`gradio`).
The callers run on the same machine as the server, so they take some of its CPU too.

    python -m bench.load                       # both faces, 1/10/30 callers, 20 s each
    python -m bench.load --faces http --callers 30 --seconds 60
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the checkout (a worktree one level deeper finds it one level up).
TRIAL = next((p for p in (ROOT.parent / "shared" / "eval" / "cmrc2018_trial.json",
                          ROOT.parents[1] / "shared" / "eval" / "cmrc2018_trial.json") if p.exists()),
             ROOT.parent / "shared" / "eval" / "cmrc2018_trial.json")


def parse(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    ap.add_argument("--callers", default="1,10,30", help="concurrent caller counts, comma-separated")
    ap.add_argument("--seconds", type=float, default=20.0, help="how long each level runs")
    ap.add_argument("--faces", default="http,gradio-rest,gradio",
                    help="http (POST /api/ask), gradio-rest (Gradio's /ask through its REST calls), gradio (/ask via gradio_client)")
    ap.add_argument("--index", default=None, help="index to serve (default: the trial paragraphs + corpus/, built once)")
    ap.add_argument("--json", default=str(ROOT / "bench" / "results" / "load.json"), help="where to write the figures")
    return ap.parse_args(argv)


def trial_questions() -> list[str]:
    data = json.loads(TRIAL.read_text(encoding="utf-8"))["data"]
    return [q["question"] for d in data for p in d["paragraphs"] for q in p["qas"] if q["question"].strip()]


def load_index() -> Path:
    """The trial set's paragraphs and the bundled corpus, indexed with the default encoder (cached)."""
    path = Path.home() / ".cache" / "qa" / "load-index"
    if (path / "manifest.json").exists():
        return path
    from qa import Assistant

    data = json.loads(TRIAL.read_text(encoding="utf-8"))["data"]
    src = Path(tempfile.mkdtemp(prefix="load-corpus-"))
    with open(src / "trial.jsonl", "w", encoding="utf-8") as f:
        for d in data:
            for p in d["paragraphs"]:
                f.write(json.dumps({"id": p["id"], "title": d.get("title", ""), "text": p["context"]}, ensure_ascii=False) + "\n")
    for file in (ROOT / "corpus").iterdir():
        (src / file.name).write_bytes(file.read_bytes())
    Assistant.build(src, path, progress=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index: Path, port: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--index", str(index), "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}); see {log_path}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"the server did not start in 300 s; see {log_path}")


def rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


class HttpCaller:
    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def __call__(self, question: str) -> None:
        self.conn.request("POST", "/api/ask", json.dumps({"question": question}).encode(), {"content-type": "application/json"})
        r = self.conn.getresponse()
        body = r.read()
        if r.status != 200 or "answer" not in json.loads(body):
            raise RuntimeError(f"{r.status} {body[:200]!r}")


class GradioRestCaller:
    """Gradio's /ask through its documented two-step REST API (what `curl` would do), without gradio_client."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def __call__(self, question: str) -> None:
        self.conn.request("POST", "/gradio_api/call/ask", json.dumps({"data": [question, 5, None]}).encode(),
                          {"content-type": "application/json"})
        r = self.conn.getresponse()
        event = json.loads(r.read())["event_id"]
        self.conn.request("GET", f"/gradio_api/call/ask/{event}")
        r = self.conn.getresponse()
        body = r.read().decode()
        if "event: complete" not in body or '"answer"' not in body:
            raise RuntimeError(body[:200])


class GradioCaller:
    def __init__(self, port: int):
        from gradio_client import Client

        self.client = Client(f"http://127.0.0.1:{port}/", verbose=False)

    def __call__(self, question: str) -> None:
        if "answer" not in self.client.predict(question, api_name="/ask"):
            raise RuntimeError("no answer")


def run_level(make, callers: int, seconds: float, questions: list[str]) -> dict:
    """`callers` threads, each asking back to back for `seconds`; latencies of the calls that finished in time."""
    clients = [make() for _ in range(callers)]
    for c in clients:  # one call each before timing: connections open, the server's threads warm
        c(questions[0])
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(callers + 1)
    stop_at = [0.0]

    def loop(i: int, call) -> None:
        n = i
        start.wait()
        while time.perf_counter() < stop_at[0]:
            q = questions[n % len(questions)]
            n += callers
            t = time.perf_counter()
            try:
                call(q)
            except Exception as e:  # noqa: BLE001 - every failure is counted and reported
                with lock:
                    errors.append(f"{type(e).__name__}: {e}"[:200])
                continue
            with lock:
                latencies.append(time.perf_counter() - t)

    threads = [threading.Thread(target=loop, args=(i, c), daemon=True) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    lat = sorted(latencies)
    return {
        "callers": callers, "requests": len(lat), "rps": len(lat) / elapsed,
        "p50_ms": 1000 * statistics.median(lat) if lat else None,
        "p95_ms": 1000 * lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else None,
        "errors": len(errors), "first_error": errors[0] if errors else "",
    }


def main(argv=None) -> int:
    args = parse(argv)
    index = Path(args.index) if args.index else load_index()
    questions = trial_questions()
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"qa-load-server-{port}.log"
    server = start_server(index, port, log_path)
    makers = {"http": lambda: HttpCaller(port), "gradio": lambda: GradioCaller(port), "gradio-rest": lambda: GradioRestCaller(port)}
    rows = []
    try:
        HttpCaller(port)(questions[0])  # the first answer loads what warm-up did not
        before = rss_mb(server.pid)
        for face in args.faces.split(","):
            for n in map(int, args.callers.split(",")):
                row = {"face": face, **run_level(makers[face], n, args.seconds, questions), "rss_mb": rss_mb(server.pid)}
                rows.append(row)
                print(f"{face:6} {n:3} callers: {row['rps']:6.1f} req/s  p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  "
                      f"errors {row['errors']}  server RSS {row['rss_mb']:.0f} MiB {row['first_error']}", flush=True)
        after = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    import platform

    result = {"index": str(index), "seconds_per_level": args.seconds, "cpus": os.cpu_count(), "python": platform.python_version(),
              "rss_before_mb": before, "rss_after_mb": after, "rows": rows}
    Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"\nserver RSS before {before:.0f} MiB, after {after:.0f} MiB; figures in {args.json}")
    print("\n| face | callers | requests/s | p50 ms | p95 ms | errors | server RSS MiB after |\n|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        face = {"http": "POST /api/ask", "gradio-rest": "Gradio /ask (REST)", "gradio": "Gradio /ask (gradio_client)"}[r["face"]]
        print(f"| {face} | {r['callers']} | {r['rps']:.1f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['errors']} | {r['rss_mb']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
