#!/usr/bin/env python3
"""Write bench/startup.order: the functions a typical session runs, which build.rs asks LLD to
place first in the binary.

    python3 bench/order.py                 # x86_64-unknown-linux-gnu, and musl when installed

Why: the kernel maps a program's code 64 KiB at a time around each page it first touches
("fault-around"), and a session's few hundred functions lie scattered over the whole text, so
starting up made almost all of it resident. Placed together they take a few windows.

How: builds the release binary keeping its symbols and runs two sessions under valgrind's
callgrind: startup (initialize, initialized, tools/list) and a whole one (then a tools/call
posting to a loopback fake webhook, a preview, a ping). Lists the binary's functions that ran at
startup first, then the rest of the session's. Symbol
names carry hashes of the toolchain, the locked dependencies and, for some functions, their own
code: rerun this after upgrading either and after larger changes (bench/bench.py shows the peak
RSS rising when the list has gone stale; nothing breaks).
Needs valgrind. Python 3 standard library only.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import bench

ORDER = os.path.join(bench.ROOT, "bench", "startup.order")
TARGETS = ["x86_64-unknown-linux-gnu", "x86_64-unknown-linux-musl"]


def installed_targets():
    out = subprocess.run(["rustup", "target", "list", "--installed"], capture_output=True, text=True)
    return set(out.stdout.split()) if out.returncode == 0 else {TARGETS[0]}


def build(target, target_dir):
    # The release profile as it is (a profile change would change every symbol's hash), with
    # rustc told to keep the symbols: a later -C flag wins, and RUSTFLAGS enter no hash.
    env = dict(os.environ, RUSTFLAGS="-C strip=none", CARGO_TARGET_DIR=target_dir)
    # The host target is built as `cargo build --release` builds it, without --target: naming
    # the target changes every symbol's hash too.
    host = target == TARGETS[0]
    selection = [] if host else ["--target", target]
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", *selection],
                   cwd=bench.ROOT, env=env, check=True)
    return os.path.join(target_dir, *([] if host else [target]), "release", "dingtalk-mcp")


# A host starting the server and listing its tools; many sessions never do more.
STARTUP = [
    json.loads(bench.INIT),
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
]
# Then a send, a preview and a ping.
SESSION = STARTUP + [
    {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
     "params": {"name": "send_text_message", "arguments": {"text": "order"}}},
    {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
     "params": {"name": "preview_message",
                "arguments": {"tool": "send_markdown_message",
                              "arguments": {"title": "t", "text": "# order"}}}},
    {"jsonrpc": "2.0", "id": 4, "method": "ping"},
]


def functions_run(binary, env, session):
    """Names of the binary's own functions that ran in one session under callgrind."""
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "callgrind.out")
        answers = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             "--compress-strings=no", "--compress-pos=no", "--demangle=no", binary],
            input="".join(json.dumps(line) + "\n" for line in session).encode(),
            env=env, capture_output=True, check=True).stdout
        requests = sum(1 for line in session if "id" in line)
        if b'"isError":true' in answers or answers.count(b"\n") != requests:
            raise RuntimeError(f"the traced session did not succeed:\n{answers.decode()}")
        names, own = [], False
        with open(out) as profile:
            for line in profile:
                if line.startswith("ob="):
                    own = os.path.realpath(line[3:].strip()) == os.path.realpath(binary)
                elif line.startswith("fn=") and own:
                    # callgrind marks recursion levels as name'2; unnamed code is an address.
                    name = re.sub(r"'\d+$", "", line[3:].strip())
                    if not name.startswith("0x"):
                        names.append(name)
        return set(names)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", action="append", choices=TARGETS,
                        help="a target to trace (repeatable); default: every installed one")
    args = parser.parse_args()
    targets = args.target or [t for t in TARGETS if t in installed_targets()]
    port = bench.start_fake()
    names, later = [], []
    with tempfile.TemporaryDirectory(prefix="dingtalk-mcp-order-") as state_dir:
        env = bench.env_for(port, state_dir)
        for target in targets:
            binary = build(target, os.path.join(bench.ROOT, "target", "order"))
            startup = functions_run(binary, env, STARTUP)
            rest = functions_run(binary, env, SESSION) - startup
            print(f"{target}: {len(startup)} functions ran at startup, {len(rest)} more in a session",
                  file=sys.stderr)
            names.extend(sorted(startup))
            later.extend(sorted(rest))
    # Startup first, so a session that only lists tools touches the fewest pages.
    with open(ORDER, "w") as order:
        order.write("".join(name + "\n" for name in names + later))
    print(f"wrote {len(names) + len(later)} symbols to {os.path.relpath(ORDER, bench.ROOT)}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
