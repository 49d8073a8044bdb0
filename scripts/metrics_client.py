#!/usr/bin/env python3
"""The tests' independent HTTP and Prometheus client for the daemon's endpoint.

  metrics_client.py metrics URL   the scrape parsed by prometheus_client's text parser,
                                  printed as JSON: [{"name", "labels", "value"}, ...]
  metrics_client.py get URL       {"status": N, "body": "..."} for /health and /ready
"""
import json
import sys
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def main():
    command, url = sys.argv[1], sys.argv[2]
    status, body = get(url)
    if command == "get":
        print(json.dumps({"status": status, "body": body}))
    elif command == "metrics":
        if status != 200:
            sys.exit(f"{url} answered {status}: {body}")
        samples = [
            {"name": sample.name, "labels": sample.labels, "value": sample.value}
            for family in text_string_to_metric_families(body)
            for sample in family.samples
        ]
        print(json.dumps(samples))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
