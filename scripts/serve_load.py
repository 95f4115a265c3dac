#!/usr/bin/env python3
"""Measures charrnn serve under N concurrent clients: aggregate sampling throughput (generated
bytes per second, all clients together) and time to first byte (p50/p99).

Each client repeats POST /api/generate {model, length, seed, temperature 1} for SECONDS and
times the first "bytes" event of each response. Run it against a server on loopback:

  ./build/charrnn serve --models models --port 8080 &
  scripts/serve_load.py --model jargon --clients 1,4,16 --seconds 10 --length 200

The client runs on the same machine as the server, so on a small machine it takes some of the
server's CPU: say so beside the figures.
"""
import argparse
import http.client
import json
import threading
import time


def one_request(host, port, body):
    """(seconds to the first bytes event, bytes generated) of one request."""
    conn = http.client.HTTPConnection(host, port, timeout=120)
    t0 = time.perf_counter()
    conn.request("POST", "/api/generate", json.dumps(body), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    if resp.status != 200:
        resp.read()
        conn.close()
        return None, 0, resp.status
    first = None
    total = 0
    buf = b""
    while True:
        chunk = resp.read1(65536)
        if not chunk:
            break
        buf += chunk
        while b"\n\n" in buf:
            block, buf = buf.split(b"\n\n", 1)
            if block.startswith(b"event: bytes"):
                if first is None:
                    first = time.perf_counter() - t0
                data = json.loads(block.split(b"\ndata: ", 1)[1])
                total += len(data["hex"]) // 2
    conn.close()
    return first, total, 200


def run(host, port, model, clients, seconds, length):
    until = time.perf_counter() + seconds
    ttfb, totals, refused = [], [0] * clients, [0]
    lock = threading.Lock()

    def client(i):
        n = 0
        while time.perf_counter() < until:
            body = {"model": model, "length": length, "seed": i * 100000 + n, "temperature": 1.0}
            first, total, status = one_request(host, port, body)
            n += 1
            with lock:
                if status != 200:
                    refused[0] += 1
                    continue
                totals[i] += total
                if first is not None:
                    ttfb.append(first)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ttfb.sort()
    pct = lambda p: ttfb[min(len(ttfb) - 1, int(p / 100 * len(ttfb)))] * 1000 if ttfb else float("nan")
    return sum(totals) / wall, pct(50), pct(99), len(ttfb), refused[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--model", required=True, help="a run name from GET /api/models")
    ap.add_argument("--clients", default="1,4,16", help="comma-separated client counts")
    ap.add_argument("--seconds", type=float, default=10, help="per client count")
    ap.add_argument("--length", type=int, default=200, help="bytes per request")
    a = ap.parse_args()
    print("| clients | bytes/s (all clients) | first byte p50 | first byte p99 | requests | 503s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in [int(c) for c in a.clients.split(",")]:
        rate, p50, p99, count, refused = run(a.host, a.port, a.model, n, a.seconds, a.length)
        print(f"| {n} | {rate:,.0f} | {p50:.1f} ms | {p99:.1f} ms | {count} | {refused} |", flush=True)


if __name__ == "__main__":
    main()
