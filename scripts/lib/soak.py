"""Drives scripts/soak: sends N requests (tiny clips, a tenth of them bad) through one running
`vidpipe run` daemon, in inbox mode or Kafka + PostgreSQL + SMTP mode, and checks from the
outside that every request was done exactly once and that the daemon's memory and open
files stay bounded. Prints the figures; exits 1 when a check fails."""
import argparse, collections, email, glob, json, os, random, shutil, signal, sqlite3, subprocess, threading, time, urllib.parse, uuid

from clip_copies import tagged_copy

CLIPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clips")

# Bad requests, cycled through: what is sent, and the code the catalog must record (None:
# the request itself is unusable, so no job: inbox/rejected or the dead-letter topic).
BAD_KINDS = [
    ("empty", "empty_file"), ("text", "text_file"), ("truncated", "missing_movie_index"),
    ("no_streams", "no_streams"), ("random", "unrecognized_format"), ("missing", "file_not_found"),
    ("outside", "outside_allowed_roots"), ("traversal", "path_traversal"), ("malformed", None), ("not_json", None),
]


class Request:
    def __init__(self, index, kind, path, code):
        self.id = f"soak-{index:05d}-{uuid.uuid4().hex[:8]}"
        self.kind, self.path, self.code = kind, path, code

    @property
    def good(self):
        return self.kind == "good"

    @property
    def recorded(self):
        """A job row is expected: good clips and bad media or paths, not unusable requests."""
        return self.kind not in ("malformed", "not_json")

    def payload(self):
        if self.kind == "not_json":
            return b"this is not a request {"
        if self.kind == "malformed":  # JSON, but no path: the request is refused before a job
            return json.dumps({"schema_version": 1, "request_id": self.id, "submitted_at": "2026-01-01T00:00:00Z"}).encode()
        return json.dumps({"schema_version": 1, "request_id": self.id, "path": self.path,
                           "submitted_at": "2026-01-01T00:00:00Z"}).encode()


def make_requests(work, count):
    incoming, outside = os.path.join(work, "incoming"), os.path.join(work, "outside")
    os.makedirs(incoming), os.makedirs(outside)
    recipes = {}
    for recipe in ["good", "truncated-moov-end", "zero-streams", "not-video", "empty"]:
        path = os.path.join(work, recipe + ".src")
        subprocess.run([CLIPS, recipe, path] + (["1"] if recipe == "good" else []), check=True)
        recipes[recipe] = open(path, "rb").read()
    requests, rng = [], random.Random(11)
    for index in range(count):
        name = f"clip-{index:05d}.mp4"
        path = os.path.join(incoming, name)
        if index % 10 != 9:
            tagged_copy(recipes["good"], path, f"soak-{index}")
            requests.append(Request(index, "good", path, None))
            continue
        kind, code = BAD_KINDS[(index // 10) % len(BAD_KINDS)]
        contents = {"empty": b"", "text": recipes["not-video"], "truncated": recipes["truncated-moov-end"],
                    "no_streams": recipes["zero-streams"], "random": rng.randbytes(4096)}
        if kind in contents:
            open(path, "wb").write(contents[kind])
        elif kind == "outside":
            path = os.path.join(outside, name)
            tagged_copy(recipes["good"], path, f"soak-{index}")
        elif kind == "traversal":
            path = os.path.join(incoming, "..", "outside", name)
        requests.append(Request(index, kind, path, code))
    return requests


def status_kib(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def open_files(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def socket_inodes_to(port):
    """Inodes of the TCP sockets connected to `port` on any host (/proc/net/tcp and tcp6)."""
    inodes = set()
    for table in ["/proc/net/tcp", "/proc/net/tcp6"]:
        for line in open(table).readlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


class OpenFiles:
    """The daemon's descriptors, with the PostgreSQL pool's sockets apart: the pool opens
    connections on demand (up to 10) and closes one left unused for 60 s, so their number
    follows the load, not a leak. Every other descriptor is kept by number and target, so
    that a change can be named."""

    def __init__(self, pid, pool_port):
        pool = socket_inodes_to(pool_port) if pool_port else set()
        self.others, self.pool = {}, 0
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except FileNotFoundError:
                continue
            if target.startswith("socket:[") and target[len("socket:["):-1] in pool:
                self.pool += 1
            else:
                self.others[int(fd)] = target

    def __str__(self):
        return f"{len(self.others)}" + (f" + {self.pool} pool connections" if self.pool else "")

    def changes_since(self, earlier):
        """What differs from `earlier`, descriptor by descriptor (closed ones first)."""
        return ([f"-{fd} {earlier.others[fd]}" for fd in sorted(earlier.others) if self.others.get(fd) != earlier.others[fd]]
                + [f"+{fd} {self.others[fd]}" for fd in sorted(self.others) if earlier.others.get(fd) != self.others[fd]])


def wait_for(what, condition, timeout, every=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise SystemExit(f"soak: timed out after {timeout} s waiting for {what}")


class Daemon:
    """`vidpipe run`, with a thread sampling its VmRSS every 100 ms."""

    def __init__(self, vidpipe, env, work):
        self.log = open(os.path.join(work, "daemon.log"), "w")
        self.process = subprocess.Popen([vidpipe, "run"], env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=self.log)
        self.samples, self.stopped = [], False
        threading.Thread(target=self.sample, daemon=True).start()

    def sample(self):
        while not self.stopped and self.process.poll() is None:
            try:
                self.samples.append(status_kib(self.process.pid, "VmRSS"))
            except (FileNotFoundError, ProcessLookupError, RuntimeError):
                return
            time.sleep(0.1)

    def rss_mb(self):
        return status_kib(self.process.pid, "VmRSS") / 1024

    def hwm_mb(self):
        return status_kib(self.process.pid, "VmHWM") / 1024

    def settled_files(self, pool_port):
        """Open descriptors once their count has held still for 2 s (threads open and close)."""
        counts = collections.deque(maxlen=10)
        def still():
            counts.append(open_files(self.process.pid))
            return len(counts) == counts.maxlen and len(set(counts)) == 1
        wait_for("the daemon's open files to settle", still, 120)
        return OpenFiles(self.process.pid, pool_port)

    def stop(self):
        self.stopped = True
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(120)


def mail_headers(paths):
    """(Message-ID, X-Vidpipe-Job) of each mail file."""
    found = []
    for path in paths:
        with open(path, "rb") as handle:
            message = email.message_from_binary_file(handle)
        found.append((message["Message-ID"], message["X-Vidpipe-Job"]))
    return found


class InboxMode:
    """Embedded mode: requests as files in <lake>/inbox, SQLite catalog, mail as .eml files."""
    name = "inbox"
    pool_port = None

    def __init__(self, args, work):
        self.lake = os.path.join(work, "lake")
        self.inbox = os.path.join(self.lake, "inbox")
        self.env = {"VIDPIPE_DATALAKE": self.lake}

    def ready_line(self):
        return "watching the inbox"

    def send(self, batch):
        os.makedirs(self.inbox, exist_ok=True)
        for request in batch:
            name = f"{time.time_ns()}-{request.id}.json"
            temporary = os.path.join(self.inbox, "." + name + ".tmp")
            open(temporary, "wb").write(request.payload())
            os.rename(temporary, os.path.join(self.inbox, name))

    def filed(self):
        """Request ids of the files the daemon moved to inbox/done and inbox/rejected."""
        ids = collections.Counter()
        for folder in ["done", "rejected"]:
            for name in os.listdir(os.path.join(self.inbox, folder)) if os.path.isdir(os.path.join(self.inbox, folder)) else []:
                if name.endswith(".json"):
                    ids[(folder, name.split("-", 1)[1][:-len(".json")])] += 1
        return ids

    def handled(self):
        return sum(self.filed().values())

    def query(self, sql):
        with sqlite3.connect(f"file:{self.lake}/catalog.sqlite?mode=ro", uri=True) as db:
            return db.execute(sql).fetchall()

    def mails(self):
        return mail_headers(glob.glob(os.path.join(self.lake, "outbox", "*.eml")))

    def outcomes(self):
        """Where each request ended outside the catalog: (place, request id) counts."""
        return self.filed()

    def close(self):
        pass


class KafkaMode:
    """Service mode: requests on a Kafka topic, PostgreSQL catalog, mail through SMTP."""
    name = "kafka"

    def __init__(self, args, work):
        from confluent_kafka import Producer
        from confluent_kafka.admin import AdminClient, NewTopic
        suffix = uuid.uuid4().hex[:8]
        self.topics = {"requests": f"soak-requests-{suffix}", "processed": f"soak-processed-{suffix}",
                       "dead": f"soak-dead-{suffix}"}
        admin = AdminClient({"bootstrap.servers": args.bootstrap})
        for future in admin.create_topics([NewTopic(t, 2, 1) for t in self.topics.values()]).values():
            future.result(30)
        server = args.pg.rsplit("/", 1)[0]
        database = "vidpipe_soak_" + suffix
        subprocess.run(["psql", server + "/postgres", "-Atqc", f"CREATE DATABASE {database}"], check=True)
        self.pg = server + "/" + database
        self.pool_port = urllib.parse.urlsplit(args.pg).port or 5432
        self.maildir = args.maildir
        self.mails_before = set(glob.glob(os.path.join(self.maildir, "new", "*")))
        properties = os.path.join(work, "client.properties")
        open(properties, "w").write("session.timeout.ms=6000\nheartbeat.interval.ms=500\n")
        self.env = {"VIDPIPE_DATALAKE": os.path.join(work, "lake"), "PG_CONN_URI": self.pg,
                    "KAFKA_BOOTSTRAP_SERVERS": args.bootstrap, "KAFKA_GROUP_ID": f"soak-{suffix}",
                    "KAFKA_CLIENT_PROPERTIES": properties, "KAFKA_TOPIC_REQUESTS": self.topics["requests"],
                    "KAFKA_TOPIC_PROCESSED": self.topics["processed"], "KAFKA_TOPIC_DEAD_LETTER": self.topics["dead"],
                    "SMTP_SERVER": args.smtp.split(":")[0], "SMTP_PORT": args.smtp.split(":")[1], "SMTP_SECURITY": "none"}
        self.producer = Producer({"bootstrap.servers": args.bootstrap, "enable.idempotence": True, "linger.ms": 5})
        # Every event on the two outcome topics, read from the start for the whole run: no cap.
        self.events, self.lock, self.reading = collections.Counter(), threading.Lock(), True
        self.last_event = time.monotonic()
        self.reader = threading.Thread(target=self.read_events, args=(args.bootstrap, suffix), daemon=True)
        self.reader.start()

    def ready_line(self):
        return "consuming requests"

    def read_events(self, bootstrap, suffix):
        from confluent_kafka import Consumer
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"soak-oracle-{suffix}",
                             "auto.offset.reset": "earliest", "enable.auto.commit": False,
                             "session.timeout.ms": 6000})
        consumer.subscribe([self.topics["processed"], self.topics["dead"]])
        while self.reading:
            message = consumer.poll(0.2)
            if message is None or message.error():
                continue
            place = "processed" if message.topic() == self.topics["processed"] else "dead-letter"
            key = message.key().decode() if message.key() else None
            if place == "processed":
                key = json.loads(message.value())["request_id"]
            with self.lock:
                self.events[(place, key)] += 1
                self.last_event = time.monotonic()
        consumer.close()

    def send(self, batch):
        for request in batch:
            self.producer.produce(self.topics["requests"], key=request.id, value=request.payload())
            self.producer.poll(0)
        self.producer.flush(60)

    def handled(self):
        with self.lock:
            return sum(self.events.values())

    def query(self, sql):
        text = subprocess.run(["psql", self.pg, "-v", "ON_ERROR_STOP=1", "-AtF", "\t", "-c", sql],
                              check=True, capture_output=True, text=True).stdout
        return [tuple(line.split("\t")) for line in text.splitlines() if line]

    def mails(self):
        return mail_headers(sorted(set(glob.glob(os.path.join(self.maildir, "new", "*"))) - self.mails_before))

    def outcomes(self):
        # Read on until the topics have been quiet for 5 s: anything sent twice shows up.
        wait_for("the outcome topics to go quiet", lambda: time.monotonic() - self.last_event > 5, 120)
        with self.lock:
            return collections.Counter(self.events)

    def close(self):
        self.reading = False
        self.reader.join(30)


class Checks:
    def __init__(self):
        self.failures = []

    def expect(self, condition, what):
        print(f"  {'ok  ' if condition else 'FAIL'} {what}")
        if not condition:
            self.failures.append(what)


def counted(counter):
    """How many keys were seen how many times: {1: 900} when each was seen once."""
    return dict(sorted(collections.Counter(counter.values()).items()))


def check_done_once(mode, requests, checks):
    jobs = {row[0]: row for row in mode.query("SELECT request_id, id, state, error_code FROM jobs")}
    per_request = collections.Counter(row[0] for row in mode.query("SELECT request_id FROM jobs"))
    expected = [r for r in requests if r.recorded]
    checks.expect(sorted(per_request) == sorted(r.id for r in expected) and set(per_request.values()) == {1},
                  f"catalog: {len(per_request)} job rows for {len(expected)} usable requests, one each ({counted(per_request)})")
    wrong = [(r.id, r.kind, jobs.get(r.id, (None,) * 4)[2:]) for r in expected
             if jobs.get(r.id) is None or (r.good and jobs[r.id][2] != "succeeded")
             or (not r.good and jobs[r.id][3] != r.code)]
    checks.expect(not wrong, f"catalog: good clips succeeded, bad ones carry their code ({len(wrong)} wrong: {wrong[:3]})")
    decodes = collections.Counter(row[0] for row in mode.query(
        "SELECT j.request_id FROM task_runs t JOIN jobs j ON j.id = t.job_id WHERE t.task = 'silver.media' AND t.attempt > 0"))
    good = [r.id for r in requests if r.good]
    checks.expect(all(decodes[i] == 1 for i in good) and sum(decodes.values()) == len(good),
                  f"catalog: silver.media ran once per good clip ({sum(decodes.values())} runs for {len(good)} clips)")
    job_of = {row[1]: row[0] for row in jobs.values()}
    mails = mode.mails()
    by_id = collections.Counter(message_id for message_id, _ in mails)
    by_request = collections.Counter(job_of.get(job) for _, job in mails)
    checks.expect(set(by_id.values()) <= {1}, f"mail: {len(mails)} received, each Message-ID once ({counted(by_id)})")
    checks.expect(None not in by_request and sorted(by_request) == sorted(r.id for r in expected)
                  and set(by_request.values()) == {1},
                  f"mail: one per recorded request ({len(by_request)} requests, {counted(by_request)})")
    outcomes = mode.outcomes()
    places = collections.Counter(place for place, _ in outcomes.elements())
    once = all(outcomes[(place, r.id)] == 1 for r in requests for place in [expected_place(mode, r)])
    checks.expect(once and sum(outcomes.values()) == len(requests),
                  f"{'topics' if mode.name == 'kafka' else 'inbox'}: each request answered once in its place "
                  f"({dict(places)}, {sum(outcomes.values())} for {len(requests)} requests)")
    return len(per_request), len(mails), dict(places)


def expected_place(mode, request):
    if mode.name == "inbox":
        return "done" if request.recorded else "rejected"
    return "processed" if request.good else "dead-letter"


def soak(mode, requests, vidpipe, work, checks):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDPIPE_", "KAFKA_", "SMTP_", "EMAIL_", "PG_"))}
    env.update({"VIDPIPE_ALLOWED_ROOTS": os.path.join(work, "incoming"), "VIDPIPE_MISSING_SIDECAR": "ignore",
                "VIDPIPE_LOG_LEVEL": "info", "EMAIL_RECEIVER": "soak@example.com", **mode.env})
    daemon = Daemon(vidpipe, env, work)
    try:
        run_daemon(daemon, mode, requests, env, checks)
    finally:
        if daemon.process.poll() is None:
            daemon.process.kill()
        mode.close()


def run_daemon(daemon, mode, requests, env, checks):
    log = os.path.join(env["VIDPIPE_DATALAKE"], "logs", "vidpipe.log")
    wait_for("the daemon to start", lambda: os.path.exists(log) and mode.ready_line() in open(log).read(), 120)
    files_before, rss_start = daemon.settled_files(mode.pool_port), daemon.rss_mb()
    print(f"  started: {rss_start:.1f} MB RSS, {files_before} open files")
    started = time.monotonic()
    figures = {}
    for sent in range(100, len(requests) + 100, 100):
        mode.send(requests[sent - 100:sent])
        # One batch in flight at a time past the first: the queue stays about 100 deep.
        wait_for(f"{min(sent, len(requests))} requests answered", lambda: mode.handled() >= min(sent, len(requests)), 1800)
        print(f"  {min(sent, len(requests)):5d} answered after {time.monotonic() - started:6.1f} s: "
              f"RSS {daemon.rss_mb():6.1f} MB, {open_files(daemon.process.pid)} open files")
        if sent == 100:
            figures["rss_100"], figures["files_100"] = daemon.rss_mb(), daemon.settled_files(mode.pool_port)
    wall = time.monotonic() - started
    expected_mails = sum(1 for r in requests if r.recorded)
    wait_for("the mails", lambda: len(mode.mails()) >= expected_mails, 600)
    files_after, rss_final, hwm = daemon.settled_files(mode.pool_port), daemon.rss_mb(), daemon.hwm_mb()
    rows, mails, places = check_done_once(mode, requests, checks)
    status = daemon.stop()
    print(f"  figures: {len(requests)} requests in {wall:.0f} s ({len(requests) / wall:.1f}/s); catalog rows {rows}, "
          f"mails {mails}, {'events' if mode.name == 'kafka' else 'inbox files'} {places}")
    print(f"  RSS: start {rss_start:.1f} MB, after 100 {figures['rss_100']:.1f} MB, final {rss_final:.1f} MB "
          f"({rss_final / figures['rss_100']:.3f}x), peak {hwm:.1f} MB (VmHWM; highest 100 ms sample "
          f"{max(daemon.samples) / 1024:.1f} MB)")
    print(f"  open files: at start {files_before}, after the first 100 {figures['files_100']}, after all {files_after}")
    changes = files_after.changes_since(figures["files_100"])
    if changes:
        print(f"  descriptors changed since the first 100: {changes}")
    checks.expect(rss_final <= 1.10 * figures["rss_100"], "RSS: final within 10 % of the RSS after the first 100")
    # Compared once the first 100 requests have opened whatever is opened once; the
    # PostgreSQL pool's connections come and go with the load, bounded by its size.
    checks.expect(len(files_after.others) == len(figures["files_100"].others)
                  and max(files_after.pool, figures["files_100"].pool) <= 10,
                  "open files: as many after all as after the first 100 besides the pool's, at most 10 pool connections")
    checks.expect(status == 0, f"daemon stopped cleanly on SIGTERM (exit {status})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vidpipe", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--mode", choices=["inbox", "kafka"], required=True)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--bootstrap")
    parser.add_argument("--pg")
    parser.add_argument("--smtp")
    parser.add_argument("--maildir")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    requests = make_requests(args.work, args.requests)
    bad = sum(1 for r in requests if not r.good)
    print(f"== soak, {args.mode} mode: {len(requests)} requests ({bad} bad: "
          f"{dict(collections.Counter(r.kind for r in requests if not r.good))})")
    checks = Checks()
    mode = InboxMode(args, args.work) if args.mode == "inbox" else KafkaMode(args, args.work)
    soak(mode, requests, args.vidpipe, args.work, checks)
    if checks.failures:
        print(f"  {len(checks.failures)} check(s) failed")
        raise SystemExit(1)
    print("  all checks passed")


if __name__ == "__main__":
    main()
