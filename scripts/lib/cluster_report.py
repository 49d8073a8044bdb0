#!/usr/bin/env python3
"""Where every request a fleet (scripts/cluster) was sent went, from the servers' own records.

  cluster_report.py --dir DIR            a line per request, then per worker and the totals
  cluster_report.py --dir DIR --done     exit 0 once every request sent is recorded and mailed
  cluster_report.py --dir DIR --json     the same facts as one JSON object
  cluster_report.py --held LOG           the partitions a worker holds, from its daemon log

Requests sent: DIR/sent.tsv (request id, s3:// source, topic[partition]@offset), written
by `scripts/cluster send`. Jobs: the catalog (psql against the servers host). Mails: the
SMTP server's Maildir (DIR/servers/mail/new), by Message-ID <REQUEST.KIND@vidpipe>.
Outputs: each job's bronze object and renditions as the catalog records them, looked up in
the bucket's listing (ListObjectsV2 with curl, signed with the keys in DIR/s3.env), and the
objects the bucket holds under the video's silver/<video id>/.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import urllib.parse
import sys
import xml.etree.ElementTree as ElementTree

# The catalog as scripts/cluster starts it on the servers host.
PG_PORT, PG_DATABASE = "5432", "vidpipe_test"


def psql(servers, sql):
    out = subprocess.run(
        ["psql", "-h", servers, "-p", PG_PORT, "-U", "postgres", "-d", PG_DATABASE, "-X", "-q", "-At",
         "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def sent_requests(folder):
    path = os.path.join(folder, "sent.tsv")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def mails_per_request(folder):
    """Message-IDs as the SMTP server received them, every copy counted."""
    counts = collections.Counter()
    new = os.path.join(folder, "servers", "mail", "new")
    for name in os.listdir(new) if os.path.isdir(new) else []:
        with open(os.path.join(new, name), "rb") as f:
            head = f.read(16384).decode("utf-8", "replace")
        match = re.search(r"^Message-ID:\s*<([^>]*)\.([a-z_-]+)@vidpipe>", head, re.MULTILINE | re.IGNORECASE)
        if match:
            counts[match.group(1)] += 1
    return counts


def facts(folder):
    servers = open(os.path.join(folder, "servers.address")).read().strip()
    lake = open(os.path.join(folder, "lake")).read().strip()
    sent = sent_requests(folder)
    ids = [row[0] for row in sent]
    source = {row[0]: row[1] for row in sent}
    destination = {row[0]: row[2] for row in sent}
    jobs = psql(servers, "SELECT request_id, coalesce(worker, '?'), state, id, coalesce(video_id, duplicate_of, '') "
                         "FROM jobs WHERE request_id IS NOT NULL ORDER BY created_at, id")
    outputs = collections.defaultdict(list)
    for video, path in psql(servers, "SELECT id, bronze_path FROM videos UNION ALL SELECT video_id, path FROM renditions"):
        outputs[video].append(path)
    pending = int(psql(servers, "SELECT count(*) FROM notifications WHERE state <> 'sent'")[0][0])
    mails = mails_per_request(folder)
    bucket, prefix = lake[5:].split("/", 1)
    present = {f"s3://{bucket}/{key}" for key in list_bucket(folder, bucket)}
    silver = collections.Counter()
    for uri in present:
        parts = uri[len(lake) + 1:].split("/") if uri.startswith(lake + "/") else []
        if len(parts) > 2 and parts[0] == "silver":
            silver[parts[1]] += 1
    rows = []
    by_request = collections.defaultdict(list)
    for request, worker, state, job, video in jobs:
        by_request[request].append((worker, state, job, video))
    for request in ids:
        for worker, state, job, video in by_request.get(request) or [("-", "missing", "-", "")]:
            paths = outputs.get(video, [])
            rows.append({"request": request, "source": source[request], "worker": worker, "state": state,
                         "sent_to": destination[request], "mails": mails.get(request, 0), "outputs": len(paths),
                         "outputs_present": sum(1 for p in paths if p in present), "silver_objects": silver.get(video, 0)})
    killed = open(os.path.join(folder, "killed")).read().split() if os.path.exists(os.path.join(folder, "killed")) else []
    workers = open(os.path.join(folder, "workers")).read().split()
    # Top-level folders of the bucket: incoming/, lake/bronze, lake/silver, lake/pending.
    areas = collections.Counter()
    for uri in present:
        key = uri[len(f"s3://{bucket}/"):]
        area = key.split("/", 2)
        areas["/".join(area[:2]) if area[0] == prefix and len(area) > 2 else area[0]] += 1
    known_videos = set(outputs)
    return {
        "sent": len(ids), "sent_distinct": len(set(ids)),
        "recorded": sum(len(by_request[r]) for r in set(ids)), "recorded_distinct": len(set(ids) & set(by_request)),
        "jobs_in_catalog": len(jobs), "unknown_jobs": sorted(set(by_request) - set(ids)),
        "mails": sum(mails.values()), "mailed_requests": len(set(ids) & set(mails)), "pending_mails": pending,
        "bucket": bucket, "objects": len(present), "areas": dict(sorted(areas.items())),
        "uncatalogued_silver": sorted(set(silver) - known_videos),
        "workers": workers, "killed": killed,
        "held": {worker: held_partitions(os.path.join(folder, worker, "daemon.log")) for worker in workers},
        "scratch_files": {worker: count_files(os.path.join(folder, worker, "scratch")) for worker in workers},
        "per_worker": dict(collections.Counter(row["worker"] for row in rows if row["state"] != "missing")),
        "rows": rows,
    }


def list_bucket(folder, bucket):
    """Every key in the bucket, over all ListObjectsV2 pages."""
    variables = dict(item.split("=", 1) for item in open(os.path.join(folder, "s3.env")).read().split())
    namespace = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
    keys, token = [], None
    while True:
        url = f"{variables['AWS_ENDPOINT_URL']}/{bucket}?list-type=2"
        if token:
            url += "&continuation-token=" + urllib.parse.quote(token, safe="-._~")
        # The keys go to curl on stdin (-K -), not in its argument list.
        page = subprocess.run(
            ["curl", "-sS", "-f", "--aws-sigv4", f"aws:amz:{variables['AWS_REGION']}:s3", "-K", "-",
             "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", url],
            input=f'user = "{variables["AWS_ACCESS_KEY_ID"]}:{variables["AWS_SECRET_ACCESS_KEY"]}"\n',
            check=True, capture_output=True, text=True).stdout
        root = ElementTree.fromstring(page)
        keys += [element.text for element in root.iterfind("s3:Contents/s3:Key", namespace)]
        token = root.findtext("s3:NextContinuationToken", namespaces=namespace)
        if root.findtext("s3:IsTruncated", namespaces=namespace) != "true" or not token:
            return keys


def count_files(folder):
    return sum(len(files) for _, _, files in os.walk(folder))


def print_report(f):
    print(f"{'REQUEST':<36}  {'SOURCE':<28}  {'SENT TO':<22}  {'WORKER':<6}  {'STATE':<10}  MAILS  OUTPUTS  SILVER")
    for row in f["rows"]:
        print(f"{row['request']:<36}  {row['source'].replace('s3://' + f['bucket'] + '/', ''):<28}  {row['sent_to']:<22}  "
              f"{row['worker']:<6}  {row['state']:<10}  {row['mails']:>5}  {str(row['outputs_present']) + '/' + str(row['outputs']):>7}  "
              f"{row['silver_objects']:>6}")
    print()
    for worker in f["workers"]:
        held = ",".join(map(str, f["held"][worker])) or "none"
        state = f"killed with SIGKILL, held partitions {held}" if worker in f["killed"] else f"holds partitions {held}"
        print(f"{worker}: {f['per_worker'].get(worker, 0)} jobs ({state}), {f['scratch_files'][worker]} files in its scratch")
    rows = f["rows"]
    print(f"requests: {f['sent']} sent ({f['sent_distinct']} distinct), {f['recorded']} jobs recorded for them "
          f"({f['recorded_distinct']} distinct), {len(f['unknown_jobs'])} jobs for requests not sent")
    print(f"mail: {f['mails']} messages for {f['mailed_requests']} requests, {f['pending_mails']} not yet sent")
    print(f"outputs: {sum(r['outputs_present'] for r in rows)} of {sum(r['outputs'] for r in rows)} recorded present in "
          f"s3://{f['bucket']}; silver folders of videos the catalog does not know: {len(f['uncatalogued_silver'])}")
    print(f"bucket {f['bucket']}: {f['objects']} objects (" + ", ".join(f"{area}/ {n}" for area, n in f["areas"].items()) + ")")


def held_partitions(log):
    """Replays the consumer's assigned/revoked/lost lines ("assigned [topic[0], topic[3]]")."""
    held = set()
    with open(log, errors="replace") as f:
        for line in f:
            for word, adds in (("assigned [", True), ("revoked [", False), ("lost [", False)):
                at = line.find(word)
                if at >= 0:
                    partitions = {int(n) for n in re.findall(r"\[(\d+)\]", line[at + len(word) - 1:])}
                    held = held | partitions if adds else held - partitions
    return sorted(held)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir")
    parser.add_argument("--held")
    parser.add_argument("--done", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.held:
        print(",".join(map(str, held_partitions(args.held))))
        return
    f = facts(args.dir)
    if args.done:
        done = f["recorded_distinct"] == f["sent_distinct"] and f["mailed_requests"] == f["sent_distinct"] \
            and f["pending_mails"] == 0
        sys.exit(0 if done else 1)
    if args.json:
        print(json.dumps(f, indent=1))
    else:
        print_report(f)


if __name__ == "__main__":
    main()
