"""Drives bench/lake: makes distinct clips once, then times `vidpipe process` on all of them
with a local lake and with an s3:// lake, alternating which goes first each round. Reads the
job logs of every run to show where the time goes: the summed duration of each task, so
the tasks that talk to the store stand out against the same tasks on disk."""
import argparse, collections, glob, json, os, shutil, statistics, subprocess, sys, time, uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "lib"))
from clip_copies import distinct_clips  # noqa: E402




def run(vidpipe, clips, work, env):
    started = time.monotonic()
    result = subprocess.run([vidpipe, "process", "--json", *clips], cwd=work, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"vidpipe process failed ({result.returncode}):\n{result.stderr[-3000:]}")
    states = collections.Counter(job["state"] for job in json.loads(result.stdout)["jobs"])
    if states != {"succeeded": len(clips)}:
        raise SystemExit(f"not every clip succeeded: {dict(states)}")
    return elapsed


def task_seconds(logs):
    """Summed duration of each task over every job log under `logs`."""
    totals = collections.Counter()
    for path in glob.glob(os.path.join(logs, "*", "*.jsonl")):
        for line in open(path):
            entry = json.loads(line)
            if entry.get("event") == "task.succeeded" and "duration_ms" in entry:
                totals[entry["task"]] += entry["duration_ms"] / 1000
    return totals


def create_bucket(store, bucket):
    subprocess.run(["curl", "-sfX", "PUT", "--aws-sigv4", "aws:amz:us-east-1:s3",
                    "--user", f"{store['AWS_ACCESS_KEY_ID']}:{store['AWS_SECRET_ACCESS_KEY']}",
                    f"{store['AWS_ENDPOINT_URL']}/{bucket}"], check=True)


def main():
    parser = argparse.ArgumentParser()
    for name in ("--vidpipe", "--work", "--store"):
        parser.add_argument(name, required=True)
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    store = dict(pair.split("=", 1) for pair in args.store.split())
    clips = distinct_clips(os.path.join(args.work, "clips"), args.clips, ["demo-h264-aac", "4", "640x360"], "vidpipe-lake-bench")
    size = sum(os.path.getsize(path) for path in clips)
    print(f"{len(clips)} clips of 640x360, 4 s, H.264 + AAC ({size / 2**20:.1f} MiB in all), default ladder; {args.rounds} rounds")
    base = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "VIDPIPE_", "PG_", "SMTP_", "KAFKA_"))}
    times = {"local": [], "s3": []}
    tasks = {"local": [], "s3": []}
    for round_index in range(args.rounds):
        order = ["local", "s3"] if round_index % 2 == 0 else ["s3", "local"]
        for kind in order:
            folder = os.path.join(args.work, f"{kind}-{round_index}")
            os.makedirs(folder)
            env = dict(base, VIDPIPE_SCRATCH=os.path.join(folder, "scratch"))
            if kind == "local":
                env["VIDPIPE_DATALAKE"] = os.path.join(folder, "lake")
                logs = os.path.join(folder, "lake", "logs")
            else:
                # A new bucket each round: no bronze object is there from an earlier run.
                bucket = "bench-" + uuid.uuid4().hex[:8]
                create_bucket(store, bucket)
                env.update(store, VIDPIPE_DATALAKE=f"s3://{bucket}/lake", VIDPIPE_STATE_DIR=os.path.join(folder, "state"))
                logs = os.path.join(folder, "state", "logs")
            elapsed = run(args.vidpipe, clips, folder, env)
            times[kind].append(elapsed)
            tasks[kind].append(task_seconds(logs))
            load = " ".join(f"{value:.2f}" for value in os.getloadavg())
            print(f"round {round_index + 1}: {kind:5} {elapsed:7.2f} s  ({len(clips) / elapsed:.2f} clips/s)  load average {load}", flush=True)
            shutil.rmtree(folder, ignore_errors=True)
    local, s3 = statistics.median(times["local"]), statistics.median(times["s3"])
    print(f"median wall time: local lake {local:.2f} s, S3 lake {s3:.2f} s")
    print(f"throughput S3 / local: {local / s3:.3f}x (goal >= 0.85x)")
    print("task time summed over the jobs of a run, median of the rounds (jobs overlap, so these add to more than the wall time):")
    names = sorted(set().union(*tasks["local"], *tasks["s3"]))
    rows = [(name, statistics.median(t[name] for t in tasks["local"]), statistics.median(t[name] for t in tasks["s3"])) for name in names]
    for name, on_disk, in_store in sorted(rows, key=lambda row: row[1] - row[2]):
        print(f"  {name:24} local {on_disk:7.2f} s   S3 {in_store:7.2f} s   {in_store - on_disk:+7.2f} s")


if __name__ == "__main__":
    main()
