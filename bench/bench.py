#!/usr/bin/env python3
"""Benchmark dingtalk-mcp against the physical floor, side by side, in one run.

    python3 bench/bench.py            # builds both release binaries, then measures
    python3 bench/bench.py --runs 40  # more runs per figure

Python 3 standard library only. Figures (min / median / max over interleaved runs):
  * spawn -> initialize answer received, vs the floor program (bench/floor: reads one JSON line
    with serde_json, writes one line back);
  * a whole short session (spawn, initialize, initialized, tools/list, EOF, exit);
  * peak RSS (VmHWM from /proc/PID/status) of that session vs the floor, the same for the static
    musl build (when the musl target and musl-tools are installed), and of a session of 10,000
    tools/calls (after 1,000 and after 10,000 calls: it must not grow);
  * per-call latency of tools/call against a loopback fake webhook (TCP_NODELAY, keep-alive),
    each followed by a bare keep-alive POST of the same body to the same fake: our share is the
    difference of the medians; the fake counts TCP connections to prove one per session;
  * ping throughput over one session;
  * release binary size and the number of crates in `cargo tree -e normal`.
"""

import argparse
import http.client
import http.server
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "dingtalk-mcp")
FLOOR = os.path.join(ROOT, "target", "floor", "release", "floor")
MUSL = "x86_64-unknown-linux-musl"
STATIC = os.path.join(ROOT, "target", MUSL, "release", "dingtalk-mcp")
TOKEN = "benchtoken0123456789"
INIT = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                   "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                              "clientInfo": {"name": "bench", "version": "0"}}}) + "\n"


def build():
    subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "--locked", "-q",
                    "--manifest-path", os.path.join(ROOT, "bench", "floor", "Cargo.toml"),
                    "--target-dir", os.path.join(ROOT, "target", "floor")], cwd=ROOT, check=True)
    # The static build needs the musl target and musl-tools (README); measured when it builds.
    static = subprocess.run(["cargo", "build", "--release", "--locked", "-q", "--target", MUSL],
                            cwd=ROOT)
    if static.returncode != 0:
        print(f"(no static build: `rustup target add {MUSL}` and musl-tools are needed)",
              file=sys.stderr)
    return static.returncode == 0


class Fake(http.server.BaseHTTPRequestHandler):
    """A webhook that accepts everything at once, keep-alive, with TCP_NODELAY."""
    protocol_version = "HTTP/1.1"
    connections = 0
    requests = 0
    reply = b'{"errcode":0,"errmsg":"ok"}'

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        Fake.connections += 1

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        Fake.requests += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.reply)))
        self.end_headers()
        self.wfile.write(self.reply)

    def log_message(self, *args):
        pass


def start_fake():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def env_for(port, state_dir):
    # A limit far above the benchmark's pace, and no duplicate suppression, so every call posts.
    robots = [{"name": "bench", "webhook": f"http://127.0.0.1:{port}/robot/send?access_token={TOKEN}",
               "rate_limit": "100000/0.01s"}]
    return {"PATH": os.environ.get("PATH", ""), "DINGTALK_BOTS": json.dumps(robots),
            "DINGTALK_DEDUP_SECS": "0", "DINGTALK_STATE_DIR": state_dir}


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def spawn(program, env):
    # Buffered pipes: readline() on an unbuffered pipe reads one byte per system call, which
    # would charge a server with longer answers for the harness's own reads.
    return subprocess.Popen([program], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)


def send(process, data):
    process.stdin.write(data)
    process.stdin.flush()


def startup(program, env):
    """Seconds from spawn to the initialize answer, and the peak RSS at that point."""
    begun = time.perf_counter()
    process = spawn(program, env)
    send(process, INIT.encode())
    process.stdout.readline()
    elapsed = time.perf_counter() - begun
    rss = peak_rss_kib(process.pid)
    process.stdin.close()
    process.wait()
    return elapsed, rss


def session(env, program=BIN):
    """Seconds for spawn, initialize, initialized, tools/list, EOF, exit; and the peak RSS."""
    begun = time.perf_counter()
    process = spawn(program, env)
    send(process, INIT.encode())
    process.stdout.readline()
    send(process, b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n'
                  b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n')
    process.stdout.readline()
    rss = peak_rss_kib(process.pid)
    process.stdin.close()
    process.wait()
    return time.perf_counter() - begun, rss


def bare_poster(port):
    """A keep-alive POST of the same kind of body as a call's, straight from this script."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.connect()
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def post(n):
        body = json.dumps({"msgtype": "text", "text": {"content": f"bench {n}"},
                           "at": {"isAtAll": False}}, separators=(",", ":")).encode()
        begun = time.perf_counter()
        connection.request("POST", f"/robot/send?access_token={TOKEN}", body,
                           {"Content-Type": "application/json"})
        connection.getresponse().read()
        return time.perf_counter() - begun

    return connection, post


def calls(env, count, post):
    """Per-call latencies of `count` tools/calls in one session, each followed by a bare POST
    (interleaved, so the machine's drift hits both alike), and RSS after 1,000 and all calls."""
    process = spawn(BIN, env)
    send(process, INIT.encode())
    process.stdout.readline()
    latencies, bare = [], []
    rss_early = None
    for n in range(count):
        call = json.dumps({"jsonrpc": "2.0", "id": n + 1, "method": "tools/call",
                           "params": {"name": "send_text_message", "arguments": {"text": f"bench {n}"}}})
        begun = time.perf_counter()
        send(process, (call + "\n").encode())
        line = process.stdout.readline()
        latencies.append(time.perf_counter() - begun)  # the harness's own parse is not ours
        answer = json.loads(line)
        if answer["result"]["isError"]:
            raise RuntimeError(f"call {n} failed: {answer}")
        bare.append(post(n))
        if n + 1 == 1000:
            rss_early = peak_rss_kib(process.pid)
    rss_late = peak_rss_kib(process.pid)
    process.stdin.close()
    process.wait()
    return latencies, bare, rss_early, rss_late


def pings(env, count):
    process = spawn(BIN, env)
    lines = b"".join(b'{"jsonrpc":"2.0","id":%d,"method":"ping"}\n' % n for n in range(count))
    begun = time.perf_counter()
    writer = threading.Thread(target=lambda: (process.stdin.write(lines), process.stdin.close()))
    writer.start()
    answered = sum(1 for _ in process.stdout)
    elapsed = time.perf_counter() - begun
    writer.join()
    process.wait()
    assert answered == count, answered
    return count / elapsed


def spread(values, scale=1.0, digits=3):
    return " / ".join(f"{v * scale:,.{digits}f}" for v in
                      (min(values), statistics.median(values), max(values)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    static = build() if not args.no_build else os.path.exists(STATIC)
    port = start_fake()
    state_dir = tempfile.mkdtemp(prefix="dingtalk-mcp-bench-")
    env = env_for(port, state_dir)
    floor_env = {"PATH": os.environ.get("PATH", "")}

    ours_start, floor_start, ours_rss, floor_rss, sessions, session_rss = [], [], [], [], [], []
    static_rss = []
    for _ in range(args.runs):  # interleaved, so drift hits both alike
        t, r = startup(BIN, env)
        ours_start.append(t)
        ours_rss.append(r)
        t, r = startup(FLOOR, floor_env)
        floor_start.append(t)
        floor_rss.append(r)
        t, r = session(env)
        sessions.append(t)
        session_rss.append(r)
        if static:
            static_rss.append(session(env, STATIC)[1])

    bare_connection, post = bare_poster(port)
    post(-1)  # answered, so the fake has counted the bare connection before the count below
    connections_before = Fake.connections
    latencies, bare, rss_1k, rss_all = calls(env, args.calls, post)
    connections = Fake.connections - connections_before
    bare_connection.close()
    throughput = pings(env, 50_000)

    size = os.path.getsize(BIN)
    floor_size = os.path.getsize(FLOOR)
    tree = subprocess.run(["cargo", "tree", "-e", "normal", "--prefix", "none", "--locked"],
                          cwd=ROOT, check=True, capture_output=True, text=True).stdout
    crates = len({line.split(" (")[0] for line in tree.splitlines() if line.strip()})

    start_ratio = statistics.median(ours_start) / statistics.median(floor_start)
    rss_ratio = statistics.median(session_rss) / statistics.median(floor_rss)
    own_share_ms = (statistics.median(latencies) - statistics.median(bare)) * 1000
    rows = [
        ("spawn -> initialize answer (ms)", spread(ours_start, 1000), spread(floor_start, 1000), f"{start_ratio:.2f}x"),
        ("whole short session (ms)", spread(sessions, 1000), "", ""),
        ("peak RSS, short session (KiB)", spread(session_rss, digits=0), spread(floor_rss, digits=0),
         f"{rss_ratio:.2f}x"),
        ("  the same, static musl build (KiB)", spread(static_rss, digits=0) if static else "not built",
         "", ""),
        (f"peak RSS after 1,000 / {args.calls:,} calls (KiB)", f"{rss_1k} / {rss_all}", "", ""),
        ("tools/call round trip (ms)", spread(latencies, 1000), "", ""),
        ("bare keep-alive POST (ms)", spread(bare, 1000), "", ""),
        ("our own share of a call (ms, median)", f"{own_share_ms:.3f}", "", ""),
        ("TCP connections for the calls", str(connections), "", ""),
        ("pings per second, one session", f"{throughput:,.0f}", "", ""),
        ("release binary (bytes)", f"{size:,}", f"{floor_size:,}", f"{size / floor_size:.2f}x"),
        ("crates in cargo tree -e normal", str(crates), "", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'dingtalk-mcp (min / median / max)':<36}  {'floor':<30}  ratio")
    for name, ours, floor, ratio in rows:
        print(f"{name:<{width}}  {ours:<36}  {floor:<30}  {ratio}")
    targets = [
        ("startup within 1.5x of the floor", start_ratio <= 1.5),
        ("peak RSS within 1.5x of the floor", rss_ratio <= 1.5),
        ("RSS flat over the calls (within 10%)", rss_all <= rss_1k * 1.1),
        ("our own share of a call <= 0.1 ms", own_share_ms <= 0.1),
        ("one TCP connection per session", connections == 1),
        ("release binary <= 2 MiB", size <= 2 * 1024 * 1024),
    ]
    if static:
        targets.append(("static build's peak RSS <= 1.5 MiB", statistics.median(static_rss) <= 1536))
    print()
    for name, ok in targets:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
