"""Drives bench/memory: runs `vidpipe process` on many clips in one call, samples the
process's VmRSS and VmHWM from /proc every 50 ms, and reads from the job logs how many
decodes (`silver.media` running) overlapped."""
import argparse, datetime, glob, json, os, shutil, subprocess, time


def parse_size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def status_kib(pid, field):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def decodes_at_once(lake):
    """The most `silver.media` runs open at the same time, from the job logs' transitions."""
    events = []
    for path in glob.glob(os.path.join(lake, "logs", "*", "*.jsonl")):
        for line in open(path):
            entry = json.loads(line)
            if entry.get("task") != "silver.media" or entry["event"] not in ("task.running", "task.succeeded", "task.failed"):
                continue
            stamp = datetime.datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()
            # At one timestamp, count ends before starts: a hand-over is not an overlap.
            events.append((stamp, 1 if entry["event"] == "task.running" else -1))
    current = peak = 0
    for _, change in sorted(events):
        current += change
        peak = max(peak, current)
    return peak


def run(args, budget_text, label):
    lake = os.path.join(args.work, "lake-" + label)
    shutil.rmtree(lake, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDPIPE_", "KAFKA_", "SMTP_", "EMAIL_", "PG_"))}
    env.update({"VIDPIPE_DATALAKE": lake, "VIDPIPE_MISSING_SIDECAR": "ignore", "VIDPIPE_LOG_LEVEL": "warning",
                "VIDPIPE_JOB_CONCURRENCY": str(args.jobs), "VIDPIPE_CPU_CONCURRENCY": str(args.jobs),
                "VIDPIPE_MEMORY_BUDGET": budget_text})
    clips = sorted(glob.glob(os.path.join(args.clips, "*.mp4")))
    started = time.monotonic()
    process = subprocess.Popen([args.vidpipe, "process", "--json", *clips], env=env, cwd=args.work,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    peak_rss = hwm = 0
    while process.poll() is None:
        rss, high = status_kib(process.pid, "VmRSS"), status_kib(process.pid, "VmHWM")
        peak_rss, hwm = max(peak_rss, rss or 0), max(hwm, high or 0)
        time.sleep(0.05)
    report = process.stdout.read()
    wall = time.monotonic() - started
    outcomes = json.loads(report)["jobs"]
    accepted = sum(1 for outcome in outcomes if outcome["state"] == "succeeded")
    return {"label": label, "hwm_mb": hwm / 1024, "rss_mb": peak_rss / 1024, "wall": wall, "status": process.returncode,
            "accepted": accepted, "total": len(outcomes), "decodes": decodes_at_once(lake)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vidpipe", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--clips", required=True)
    parser.add_argument("--jobs", type=int, required=True)
    parser.add_argument("--budget", required=True)
    args = parser.parse_args()
    budget_mb = parse_size(args.budget) / (1 << 20)
    # "0" is the default budget: half of MemAvailable, far above what these jobs need here.
    for budget_text, label in [(args.budget, "budget"), ("0", "default")]:
        result = run(args, budget_text, label)
        over = "UNDER" if result["hwm_mb"] <= budget_mb else "OVER"
        name = f"VIDPIPE_MEMORY_BUDGET={budget_text}" + (" (half of MemAvailable)" if budget_text == "0" else "")
        print(f"  {name}: peak RSS {result['hwm_mb']:.0f} MB (VmHWM; highest VmRSS sample {result['rss_mb']:.0f} MB), "
              f"{over} the {budget_mb:.0f} MB budget; at most {result['decodes']} decodes at once; "
              f"wall {result['wall']:.1f} s; {result['accepted']}/{result['total']} succeeded, exit {result['status']}")


if __name__ == "__main__":
    main()
