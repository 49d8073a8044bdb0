"""Drives bench/service: starts `vidpipe run`, produces with confluent-kafka, reads the job
logs (job.started, millisecond timestamps) and the PostgreSQL catalog (task_runs)."""
import argparse, datetime, glob, json, os, shutil, signal, statistics, subprocess, sys, time, uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# Many distinct clips from one encode, as the soak makes them.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "lib"))
from clip_copies import distinct_clips  # noqa: E402




def database(pg_uri):
    server = pg_uri.rsplit("/", 1)[0]
    name = "vidpipe_bench_" + uuid.uuid4().hex[:8]
    subprocess.run(["psql", server + "/postgres", "-Atqc", f"CREATE DATABASE {name}"], check=True)
    return server + "/" + name


def psql(uri, sql):
    return subprocess.run(["psql", uri, "-Atqc", sql], check=True, capture_output=True, text=True).stdout.strip()


def started_times(lake):
    times = {}
    for path in glob.glob(os.path.join(lake, "logs", "*", "*.jsonl")):
        for line in open(path):
            entry = json.loads(line)
            if entry.get("event") == "job.started":
                stamp = datetime.datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()
                times[entry["detail"]["request_id"]] = stamp
    return times


class Daemon:
    def __init__(self, vidpipe, env, work):
        self.log = open(os.path.join(work, "daemon.log"), "w")
        self.process = subprocess.Popen([vidpipe, "run"], env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=self.log)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)


def main():
    parser = argparse.ArgumentParser()
    for name in ["--vidpipe", "--work", "--bootstrap", "--pg"]:
        parser.add_argument(name, required=True)
    parser.add_argument("--clips", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    incoming = os.path.join(args.work, "incoming")
    # The warm-up and latency requests get clips of their own: a clip the throughput phase
    # sent again would be a cheap duplicate there, and the comparison would not be fair.
    latency_runs = 40
    # Each throughput round has new clips too, for the same reason.
    # 320x240, 1 s, H.264 + AAC, moov at the end.
    clips = distinct_clips(incoming, args.clips * args.rounds + latency_runs + 1, ["good-moov-end", "1"], "vidpipe-bench")
    warmup, latency_clips, clips = clips[0], clips[1:latency_runs + 1], clips[latency_runs + 1:]
    rounds = [clips[r * args.clips:(r + 1) * args.clips] for r in range(args.rounds)]
    suffix = uuid.uuid4().hex[:8]
    topics = {"requests": f"bench-requests-{suffix}", "processed": f"bench-processed-{suffix}", "dead": f"bench-dead-{suffix}"}
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    for future in admin.create_topics([NewTopic(t, 1, 1) for t in topics.values()]).values():
        future.result(30)
    properties = os.path.join(args.work, "client.properties")
    open(properties, "w").write("session.timeout.ms=6000\nheartbeat.interval.ms=500\n")
    pg = database(args.pg)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDPIPE_", "KAFKA_", "SMTP_", "EMAIL_", "PG_"))}
    env.update({"VIDPIPE_DATALAKE": os.path.join(args.work, "lake"), "VIDPIPE_ALLOWED_ROOTS": incoming,
                "VIDPIPE_LOG_LEVEL": "warning", "VIDPIPE_MISSING_SIDECAR": "ignore", "PG_CONN_URI": pg,
                "KAFKA_BOOTSTRAP_SERVERS": args.bootstrap, "KAFKA_GROUP_ID": f"bench-{suffix}",
                "KAFKA_CLIENT_PROPERTIES": properties, "KAFKA_TOPIC_REQUESTS": topics["requests"],
                "KAFKA_TOPIC_PROCESSED": topics["processed"], "KAFKA_TOPIC_DEAD_LETTER": topics["dead"]})
    producer = Producer({"bootstrap.servers": args.bootstrap, "enable.idempotence": True, "linger.ms": 0})

    def request(path, request_id):
        return json.dumps({"schema_version": 1, "request_id": request_id, "path": path,
                           "submitted_at": "2026-01-01T00:00:00Z"})

    daemon = Daemon(args.vidpipe, env, args.work)
    try:
        # Latency: one request at a time on an idle daemon (after its group join).
        producer.produce(topics["requests"], key="warmup", value=request(warmup, "warmup"))
        producer.flush(30)
        deadline = time.time() + 60
        while "warmup" not in started_times(env["VIDPIPE_DATALAKE"]) and time.time() < deadline:
            time.sleep(0.1)
        sent = {}
        for index, path in enumerate(latency_clips):
            request_id = f"latency-{index}"
            sent[request_id] = time.time()
            producer.produce(topics["requests"], key=request_id, value=request(path, request_id))
            producer.poll(0)
            time.sleep(0.4)  # idle between requests: each job finishes before the next arrives
        producer.flush(30)
        time.sleep(2)
        started = started_times(env["VIDPIPE_DATALAKE"])
        latencies = [(started[r] - t) * 1000 for r, t in sent.items() if r in started]
        print(f"message-to-job-start latency, idle daemon: p50 {statistics.median(latencies):.1f} ms, "
              f"p99 {percentile(latencies, 0.99):.1f} ms ({len(latencies)} requests; goal p50 < 20 ms)")

        # Throughput: every clip through Kafka + PostgreSQL, done when its processed event
        # arrives. Read with a blocking consumer: polling the catalog would take CPU from
        # the daemon being measured.
        events = Consumer({"bootstrap.servers": args.bootstrap, "group.id": f"bench-reader-{suffix}",
                           "auto.offset.reset": "earliest", "enable.auto.commit": False})
        events.assign([TopicPartition(topics["processed"], 0, OFFSET_BEGINNING)])
        service_seconds = []
        for number, batch in enumerate(rounds):
            keys = [f"bulk-{number}-{index}" for index in range(len(batch))]
            begin = time.time()
            for key, path in zip(keys, batch):
                producer.produce(topics["requests"], key=key, value=request(path, key))
                producer.poll(0)
            producer.flush(60)
            pending = set(keys)
            while pending and time.time() < begin + 3600:
                event = events.poll(1.0)
                if event is not None and event.error() is None and event.key() is not None:
                    pending.discard(event.key().decode())
            service_seconds.append(time.time() - begin)
        events.close()
    finally:
        daemon.stop()
    def gold_p50(request_pattern):
        return float(psql(pg, "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY r.duration_ms) FROM task_runs r "
                              f"JOIN jobs j ON j.id = r.job_id WHERE r.task = 'gold.catalog' AND j.request_id LIKE '{request_pattern}'"))
    # The transaction alone (idle daemon), and while every job slot is busy (CPU shared with decodes).
    print(f"gold.catalog transaction on PostgreSQL: p50 {gold_p50('latency-%'):.2f} ms on the idle daemon (goal < 5 ms), "
          f"{gold_p50('bulk-%'):.2f} ms under full load")

    # Each round's files again through `vidpipe process` (embedded SQLite, outbox), each
    # round in a fresh lake, with the daemon stopped.
    cli_env = {k: v for k, v in env.items() if not k.startswith(("KAFKA_", "PG_"))}
    cli_seconds = []
    for number, batch in enumerate(rounds):
        cli_env["VIDPIPE_DATALAKE"] = os.path.join(args.work, f"cli-lake-{number}")
        begin = time.time()
        subprocess.run([args.vidpipe, "process", "--json"] + batch, env=cli_env, cwd=args.work, stdout=subprocess.DEVNULL)
        cli_seconds.append(time.time() - begin)
    service, cli = statistics.median(service_seconds), statistics.median(cli_seconds)
    print(f"throughput, {args.clips} clips, median of {args.rounds} rounds: Kafka + PostgreSQL {args.clips / service:.1f} clips/s "
          f"({service:.1f} s), vidpipe process {args.clips / cli:.1f} clips/s ({cli:.1f} s): "
          f"ratio {cli / service:.2f}x (goal >= 0.9x)")
    print("  rounds (s): Kafka + PostgreSQL " + ", ".join(f"{s:.1f}" for s in service_seconds)
          + "; vidpipe process " + ", ".join(f"{s:.1f}" for s in cli_seconds))


if __name__ == "__main__":
    main()
