"""Benchmark of the upload path: signed 100-record batches through gunicorn,
Redis and Celery workers into PostgreSQL, against the raw COPY rate into an identical table.

Not a test: it prints its figures. Needs PostgreSQL and Redis (127.0.0.1 only):

    .venv/bin/python bench/ingest.py                       # defaults: a couple of minutes
    .venv/bin/python bench/ingest.py --devices 500 --batches 2 --spread 10

Steps: create and migrate a scratch database; provision N enterprises, each with one end
device, a certificate from a throw-away root and ``--records`` real-time items (in bulk);
pre-sign every batch and prebuild each request's bytes (the devices' signing cost is not
the portal's, and the load generator should spend its CPU on sending); start gunicorn
(--preload) and K Celery workers; warm every web worker with a
few refused requests (Django imports its URLconf on a process's first request); fire all
devices at once from one asyncio event loop in a background thread (the generator shares
the cores with the server, so it is kept lean, and its own CPU is reported), each device
sending its batches one after another over one keep-alive connection; measure latency,
and end-to-end readings/s from the first request to the last reading stored; then COPY
the same number of rows into ``CREATE TABLE .. (LIKE telemetry_reading INCLUDING ALL)``
three times, a fresh table each time, the median rate as the ceiling. ``--split``
measures the HTTP layer (no worker running) and the drain of the queued batches
(ingestion alone) one after the other instead.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=100, help="concurrent devices")
    parser.add_argument("--batches", type=int, default=10, help="batches per device")
    parser.add_argument("--records", type=int, default=100, help="records per batch")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument(
        "--web-class", default="gthread", choices=["gthread", "sync"], help="gunicorn worker class"
    )
    parser.add_argument("--celery-workers", type=int, default=2)
    parser.add_argument("--spread", type=float, default=0.0, help="jitter device starts (s)")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_ingest")
    # A Redis database of its own: the bench empties it (the test suite uses /9).
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument(
        "--split",
        action="store_true",
        help="two phases: uploads with no Celery worker running (the HTTP layer alone), "
        "then start the workers and time the drain of the queued batches (ingestion alone)",
    )
    parser.add_argument("--timeout", type=float, default=600, help="give up after (s)")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recreate_database(args) -> str:
    import psycopg

    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    return f"{args.pg}/{args.database}"


def provision(args):
    """Enterprises, devices, certificates and items, in bulk; returns per-device kits."""
    import django

    django.setup()
    from cryptography import x509

    from applications import pki
    from applications.models import DeviceCertificate
    from portal.models import Enterprise
    from portal.pinyin import sort_key
    from portal.uscc import make_uscc
    from telemetry.models import DataItem, EndDevice

    root = pki.create_root("bench CA")
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(
            name=f"基准企业{n}",
            name_pinyin=sort_key(f"基准企业{n}"),  # bulk_create skips save()
            uscc=make_uscc(f"91420100{n:08d}M"),
            region="420100",
            industry="C31",
            address="-",
            legal_representative="-",
            contact_person="-",
            contact_phone="-",
            contact_email="bench@example.cn",
        )
        for n in range(args.devices)
    )
    devices = EndDevice.objects.bulk_create(
        EndDevice(enterprise=e, serial=f"BENCH-{n:05d}", manufacturer="bench", model="bench")
        for n, e in enumerate(enterprises)
    )
    items, kits, certificates = [], [], []
    for enterprise, device in zip(enterprises, devices, strict=True):
        key = pki.generate_device_key("ec")
        csr = x509.load_pem_x509_csr(
            pki.make_csr(
                key,
                uscc=enterprise.uscc,
                device_serial=device.serial,
                enterprise_name=enterprise.name,
            )
        )
        cert = pki.sign_client_certificate(
            root,
            csr,
            uscc=enterprise.uscc,
            device_serial=device.serial,
            enterprise_name=enterprise.name,
        )
        certificates.append(
            DeviceCertificate(
                enterprise=enterprise,
                device_serial=device.serial,
                serial_hex=pki.serial_hex(cert),
                certificate_pem=pki.certificate_pem(cert).decode(),
                fingerprint=pki.fingerprint_sha256(cert),
                not_before=cert.not_valid_before_utc,
                not_after=cert.not_valid_after_utc,
                origin="csr",
            )
        )
        codes = [f"0000{n:04d}0233000000" for n in range(args.records)]
        items.extend(
            DataItem(
                enterprise=enterprise,
                device=device,
                data_code=c,
                name=c,
                unit="kWh",
                value_min=0,
                value_max=100000,
            )
            for c in codes
        )
        kits.append((enterprise.uscc, device.serial, key, pki.serial_hex(cert), codes))
    DeviceCertificate.objects.bulk_create(certificates)
    DataItem.objects.bulk_create(items, batch_size=5000)
    return kits


def build_bodies(args, kits):
    """Signed bodies per device, built before the clock starts."""
    from applications import pki
    from telemetry.protocol import canonical_body
    from telemetry.timeslots import BEIJING, StatType, format_wire_time, slot_start

    now = datetime.now(BEIJING)
    sent = format_wire_time(now)
    latest = slot_start(StatType.REALTIME, now) - timedelta(minutes=15)
    plan = []
    for uscc, serial, key, cert_serial, codes in kits:
        bodies = []
        for b in range(args.batches):
            stat_date = format_wire_time(latest - timedelta(minutes=15 * b))
            body = canonical_body(
                {
                    "version": "1.0",
                    "messageId": str(uuid.uuid4()),
                    "enterpriseCode": uscc,
                    "deviceSerial": serial,
                    "sentAt": sent,
                    "records": [
                        {
                            "dataCode": c,
                            "dataValue": f"{random.uniform(1, 900):.2f}",
                            "valid": "1",
                            "scope": "1",
                            "inputType": "4",
                            "statType": "0",
                            "statDate": stat_date,
                            "uploadDate": sent,
                        }
                        for c in codes
                    ],
                }
            )
            bodies.append((body, pki.sign_body(key, body)))
        plan.append((cert_serial, bodies))
    return plan


def start(command, env, log):
    return subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(processes):
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_for_port(port, deadline):
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the web server did not start on port {port}")


def warm_up(port, count):
    """Unsigned uploads (refused 401) from ``count`` connections at once, before the clock.

    Django loads the URLconf, the views and their imports on the first request a process
    serves; that is start-up, not the upload path, so every worker gets a few first.
    """

    def one():
        for _ in range(3):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                conn.request("POST", "/api/v1/telemetry/uploads", b"{}")
                conn.getresponse().read()
            except (OSError, http.client.HTTPException):
                time.sleep(0.5)
            finally:
                conn.close()

    threads = [threading.Thread(target=one, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    time.sleep(1)


class Firing:
    """The load generator's run: filled in by its event-loop thread, read once it ends."""

    def __init__(self):
        self.latencies, self.ends, self.statuses = [], [], {}
        self.first_request = None
        self.cpu = 0.0  # the event-loop thread's own CPU seconds, gate to last answer
        self.thread = None

    def join(self, timeout=None):
        self.thread.join(timeout=timeout)

    def is_alive(self):
        return self.thread.is_alive()


async def read_response(reader):
    """Status and whether the connection stays open, after reading the whole response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    connection = headers.get("connection", "").lower()
    keep_alive = "close" not in connection and (version != "HTTP/1.0" or "keep-alive" in connection)
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
            pass
    elif not (status.startswith("1") or status in ("204", "304")):
        await reader.read()  # delimited by the end of the connection
        keep_alive = False
    return int(status), keep_alive


def fire(port, plan, spread):
    """All devices at once from one asyncio event loop in a background thread, each sending
    its batches in turn over its own keep-alive connection; returns a ``Firing``."""
    path, host = "/api/v1/telemetry/uploads", f"127.0.0.1:{port}"
    # Every request's bytes, before the clock starts: the loop then only writes and reads.
    requests = [
        [
            (
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nX-Cert-Serial: {cert_serial}\r\n"
                f"X-Signature: {signature}\r\n\r\n"
            ).encode("latin-1")
            + body
            for body, signature in bodies
        ]
        for cert_serial, bodies in plan
    ]
    firing, started = Firing(), threading.Event()
    latencies, ends, statuses = firing.latencies, firing.ends, firing.statuses

    async def device(gate, batches):
        await gate.wait()
        if spread:  # devices start within ``spread`` seconds after the boundary
            await asyncio.sleep(random.uniform(0, spread))
        # One keep-alive connection per device, as a real device would hold it, opened on
        # its first request: the load generator then spends its CPU on sending, not on TCP
        # handshakes.
        reader = writer = None
        for request in batches:
            began = time.perf_counter()
            try:
                async with asyncio.timeout(60):
                    if writer is None:
                        reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.write(request)
                    await writer.drain()
                    status, keep_alive = await read_response(reader)
            except (OSError, EOFError, ValueError, asyncio.LimitOverrunError) as exc:
                # TimeoutError is an OSError; IncompleteReadError an EOFError.
                status, keep_alive = type(exc).__name__, False
            finished = time.perf_counter()
            ends.append(finished)
            latencies.append(finished - began)
            statuses[status] = statuses.get(status, 0) + 1
            if not keep_alive and writer is not None:
                writer.close()  # reconnects on the next request
                reader = writer = None
        if writer is not None:
            writer.close()

    async def run():
        gate = asyncio.Event()
        tasks = [asyncio.create_task(device(gate, batches)) for batches in requests]
        await asyncio.sleep(0)  # every device waits at the gate
        cpu = time.thread_time()
        try:
            firing.first_request = time.perf_counter()
            gate.set()
        finally:
            started.set()
        await asyncio.gather(*tasks)
        firing.cpu = time.thread_time() - cpu

    firing.thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    firing.thread.start()
    started.wait()
    return firing


def main():
    from bench.measure import copy_ceiling, cpu_seconds, percentile, postgres_pids, process_tree

    args = parse_args()
    dsn = recreate_database(args)
    env = dict(
        os.environ,
        DATABASE_URL=dsn,
        REDIS_URL=args.redis,
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="false",
    )
    os.environ.update(
        DATABASE_URL=dsn, REDIS_URL=args.redis, DJANGO_SETTINGS_MODULE="portal.settings"
    )
    python = sys.executable
    print(f"migrating {args.database} ...", flush=True)
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    import redis

    redis.Redis.from_url(args.redis).flushdb()

    began = time.perf_counter()
    kits = provision(args)
    plan = build_bodies(args, kits)
    expected = args.devices * args.batches * args.records
    print(
        f"provisioned {args.devices} devices x {args.records} items and signed "
        f"{args.devices * args.batches} batches in {time.perf_counter() - began:.1f} s",
        flush=True,
    )

    port = free_port()
    (BASE_DIR / "var").mkdir(exist_ok=True)  # a fresh clone has none until `make run`
    logs = open(BASE_DIR / "var" / "bench-ingest.log", "w")
    web = [str(Path(python).with_name("gunicorn")), "portal.wsgi", "-b", f"127.0.0.1:{port}"]
    web += ["-w", str(args.web_workers), "-k", args.web_class, "--backlog", "4096"]
    if args.web_class == "gthread":
        web += ["--threads", str(args.web_threads)]
    # --preload: Django is set up once in the master and the workers fork from it warm.
    web += ["--preload", "--keep-alive", "5", "--log-level", "warning"]
    processes = [start(web, env, logs)]

    def celery_workers():
        return [
            start(
                [
                    python, "-m", "celery", "-A", "portal", "worker", "--pool=solo",
                    "-l", "warning", "-n", f"bench{n}@%h",
                    "--without-heartbeat", "--without-gossip", "--without-mingle",
                ],
                env,
                logs,
            )
            for n in range(args.celery_workers)
        ]  # fmt: skip

    if not args.split:
        processes += celery_workers()
    import psycopg

    drain = None
    cpu = {}
    try:
        deadline = time.monotonic() + args.timeout
        wait_for_port(port, deadline)
        warm_up(port, args.web_workers * max(args.web_threads, 1) * 4)
        web_pids = process_tree(processes[0].pid)
        worker_pids = [p for w in processes[1:] for p in process_tree(w.pid)]
        cpu_before = cpu_seconds(web_pids), cpu_seconds(worker_pids)
        firing = fire(port, plan, args.spread)
        first_request = firing.first_request
        with psycopg.connect(dsn, autocommit=True) as conn:
            if args.split:
                firing.join(timeout=max(1, deadline - time.monotonic()))
                cpu["web"] = cpu_seconds(web_pids) - cpu_before[0]
                queued = conn.execute(
                    "SELECT count(*) FROM telemetry_uploadbatch WHERE status = 'queued'"
                ).fetchone()[0]
                # Drop the drains the uploads queued: the worker must not start before the
                # clock does. One drain is queued by hand once the worker is up.
                redis.Redis.from_url(args.redis).flushdb()
                workers = celery_workers()
                processes += workers
                time.sleep(5)  # the worker's start-up is not ingestion time
                worker_pids = [p for w in workers for p in process_tree(w.pid)]
                cpu_before = cpu_before[0], cpu_seconds(worker_pids)
                from telemetry.tasks.ingest import ingest_pending

                drain_began = time.perf_counter()
                ingest_pending.delay()
            # Poll the small batch table, not count(*) over the readings: the probe must
            # not load the database it measures.
            stored, last_change = 0, time.perf_counter()
            while time.monotonic() < deadline:
                count = conn.execute(
                    "SELECT coalesce(sum(stored_count), 0) FROM telemetry_uploadbatch "
                    "WHERE status = 'stored'"
                ).fetchone()[0]
                if count != stored:
                    stored, last_change = count, time.perf_counter()
                if count >= expected:
                    break
                time.sleep(0.05)
            if args.split:
                drain = (queued, drain_began)
            else:
                cpu["web"] = cpu_seconds(web_pids) - cpu_before[0]
            cpu["worker"] = cpu_seconds(worker_pids) - cpu_before[1]
            cpu["postgres"] = cpu_seconds(postgres_pids(conn, args.database))
            firing.join(timeout=max(1, deadline - time.monotonic()))
            stored = conn.execute("SELECT count(*) FROM telemetry_reading").fetchone()[0]
            rows = conn.execute(
                "SELECT slot, item_id, value, valid, arrival, received_at, batch_id "
                "FROM telemetry_reading"
            ).fetchall()
    finally:
        stop(processes)
        logs.close()
    if firing.is_alive():
        print("TIMEOUT: the load generator had not finished; its figures are partial")
    # Copies: a generator still running (timeout) must not change them under the sums.
    latencies, ends, statuses = list(firing.latencies), list(firing.ends), dict(firing.statuses)
    cpu["generator"] = firing.cpu
    if stored < expected:
        print(f"TIMEOUT: {stored} of {expected} readings stored; see var/bench-ingest.log")

    answered = max(ends) - first_request
    copy_rows = [
        f"{r[0].isoformat()}\t{r[1]}\t{r[2]}\t{'t' if r[3] else 'f'}\t{r[4]}\t"
        f"{r[5].isoformat()}\t{r[6]}\n"
        for r in rows
    ]
    ceiling, copy_seconds, copy_rates = copy_ceiling(dsn, copy_rows)
    threads = f"x{args.web_threads}" if args.web_class == "gthread" else ""
    web_label = f"gunicorn={args.web_workers}{threads} {args.web_class}"
    print()
    print(
        f"devices={args.devices} batches/device={args.batches} records/batch={args.records} "
        f"{web_label} celery={args.celery_workers} "
        f"spread={args.spread}s cores={os.cpu_count()} split={args.split}; bodies signed before "
        "the clock starts, one keep-alive connection per device"
    )
    print(
        f"requests: {len(latencies)} {dict(statuses)}  "
        f"p50 {percentile(latencies, 0.5) * 1000:.0f} ms  "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms  "
        f"max {max(latencies) * 1000:.0f} ms  mean {statistics.mean(latencies) * 1000:.0f} ms  "
        f"({len(latencies) / answered:.0f} requests/s, "
        f"{len(latencies) * args.records / answered:,.0f} records/s accepted)"
    )
    print(
        f"COPY ceiling: {len(copy_rows)} rows in {copy_seconds:.2f} s = {ceiling:,.0f} rows/s "
        f"(median of {len(copy_rates)}: {', '.join(f'{r:,.0f}' for r in copy_rates)})"
    )
    print(
        f"CPU: web {cpu['web']:.1f} s = {cpu['web'] * 1000 / len(latencies):.2f} ms/request; "
        f"load generator {cpu['generator']:.2f} s = "
        f"{cpu['generator'] * 1000 / len(latencies):.2f} ms/request; "
        f"worker {cpu['worker']:.1f} s = {cpu['worker'] * 1e6 / max(stored, 1):.0f} us/reading; "
        f"postgres backends {cpu['postgres']:.1f} s (whole run); "
        f"load average {os.getloadavg()[0]:.1f} (other processes share the cores)"
    )
    if drain is not None:
        queued, drain_began = drain
        seconds = last_change - drain_began
        rate = stored / seconds if seconds > 0 else 0
        print(
            f"ingestion alone: {queued} queued batches, {stored} readings drained in "
            f"{seconds:.2f} s = {rate:,.0f} readings/s = {rate / ceiling:.1%} of the ceiling"
        )
        return
    end_to_end = last_change - first_request
    e2e_rate = stored / end_to_end if end_to_end > 0 else 0
    print(
        f"end to end: {stored} readings in {end_to_end:.2f} s = {e2e_rate:,.0f} readings/s "
        f"(last request answered at +{answered:.2f} s)"
    )
    print(f"end to end / ceiling = {e2e_rate / ceiling:.1%} (target >= 30 %); p99 target < 250 ms")


if __name__ == "__main__":
    main()
