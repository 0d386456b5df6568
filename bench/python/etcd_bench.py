"""The Python baseline of etcd-pilot-bench: one workload at one concurrency with aetcd.

Runs `concurrency` asyncio tasks, each sending its next request as soon as the last one is
answered (a closed loop), over one aetcd client (one gRPC channel, as the Swift client uses one
connection). After `warmup` seconds whose requests are not counted, it measures for `seconds`
and writes a JSON object to `output`:

    {"client": "aetcd 1.0.0 (grpcio 1.85.3, protobuf 5.29.6 upb)", "workload": "put",
     "concurrency": 64, "elapsed_seconds": 10.01, "errors": 0, "first_error": null,
     "client_cpu_seconds": 9.8, "server_cpu_seconds": 7.1, "latencies_ns": [...]}

CPU seconds are over the measured window: this process's (all threads) and, given
`--server-pid`, etcd's.

Workloads: `put` writes a `value_size`-byte value to a key never written before; `range` reads
the single existing key `key` with a linearizable read (serializable=False).
"""

import argparse
import asyncio
import json
import os
import sys
import time
from importlib.metadata import version

import aetcd
import grpc
from google.protobuf import __version__ as protobuf_version
from google.protobuf.internal import api_implementation


def server_cpu_seconds(pid):
    """CPU seconds (user + system) used so far by process `pid`, from /proc/PID/stat; 0 if unknown."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(server_pid):
    """This process's CPU seconds (all threads, grpc's too) and the server's."""
    return time.process_time(), server_cpu_seconds(server_pid)


async def cpu_at(instant_ns, server_pid):
    """CPU seconds as ``cpu_seconds`` at the perf_counter_ns instant `instant_ns`."""
    await asyncio.sleep(max(0, instant_ns - time.perf_counter_ns()) / 1e9)
    return cpu_seconds(server_pid)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=2379)
    parser.add_argument("--workload", choices=["put", "range"], required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--value-size", type=int, default=256)
    parser.add_argument("--key", default="bench/range/key", help="the key the range workload reads")
    parser.add_argument("--key-prefix", default="bench/put/python", help="where the put workload writes")
    parser.add_argument("--timeout", type=float, default=5.0, help="deadline of each call, as the Swift client's")
    parser.add_argument("--server-pid", type=int, help="etcd's process ID, whose CPU time is measured too")
    parser.add_argument("--output", required=True)
    return parser.parse_args()


class Worker:
    """One closed-loop sender: its latencies, its error count, its first error."""

    def __init__(self, index):
        self.index = index
        self.latencies = []
        self.errors = 0
        self.first_error = None
        self.sent = 0


async def run_worker(worker, request, record_from, stop_at):
    """Sends requests until `stop_at`, recording those started at or after `record_from`."""
    clock = time.perf_counter_ns
    while True:
        start = clock()
        if start >= stop_at:
            return
        try:
            await request(worker)
        except Exception as error:  # counted and reported, never hidden
            if start >= record_from:
                worker.errors += 1
                if worker.first_error is None:
                    worker.first_error = f"{type(error).__name__}: {error}"
            continue
        if start >= record_from:
            worker.latencies.append(clock() - start)


async def main():
    arguments = parse_arguments()
    value = b"v" * arguments.value_size
    key = arguments.key.encode()
    prefix = arguments.key_prefix.encode()

    async with aetcd.Client(host=arguments.host, port=arguments.port, timeout=arguments.timeout) as client:
        if arguments.workload == "range":
            if await client.get(key) is None:
                sys.exit(f"the range workload's key {arguments.key!r} does not exist")

            async def request(worker):
                await client.get(key)
        else:

            async def request(worker):
                worker.sent += 1
                await client.put(b"%s/%d/%d" % (prefix, worker.index, worker.sent), value)

        workers = [Worker(index) for index in range(arguments.concurrency)]
        now = time.perf_counter_ns()
        record_from = now + int(arguments.warmup * 1e9)
        stop_at = record_from + int(arguments.seconds * 1e9)
        meter = asyncio.create_task(cpu_at(record_from, arguments.server_pid))
        await asyncio.gather(*(run_worker(worker, request, record_from, stop_at) for worker in workers))
        # Every request started before stop_at has been answered: the window ends now.
        elapsed = (time.perf_counter_ns() - record_from) / 1e9
        client_cpu_at_end, server_cpu_at_end = cpu_seconds(arguments.server_pid)
        client_cpu_at_start, server_cpu_at_start = await meter

    latencies = [latency for worker in workers for latency in worker.latencies]
    errors = sum(worker.errors for worker in workers)
    first_error = next((worker.first_error for worker in workers if worker.first_error), None)
    result = {
        "client": f"aetcd {version('aetcd')} (grpcio {grpc.__version__}, "
        f"protobuf {protobuf_version} {api_implementation.Type()}, Python {sys.version.split()[0]})",
        "workload": arguments.workload,
        "concurrency": arguments.concurrency,
        "elapsed_seconds": elapsed,
        "errors": errors,
        "first_error": first_error,
        "client_cpu_seconds": client_cpu_at_end - client_cpu_at_start,
        "server_cpu_seconds": server_cpu_at_end - server_cpu_at_start,
        "latencies_ns": latencies,
    }
    with open(arguments.output, "w") as file:
        json.dump(result, file)


if __name__ == "__main__":
    asyncio.run(main())
