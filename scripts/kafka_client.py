#!/usr/bin/env python3
"""An independent Kafka client (confluent-kafka) used as the tests' oracle.

  kafka_client.py [--bootstrap HOST:PORT] produce TOPIC [--key K] (--value V | --file F)
                  [--header NAME=VALUE ...] [--partition P]
  kafka_client.py consume TOPIC --group G [--timeout S] [--max N] [--commit]
  kafka_client.py read-all TOPIC [--quiet S] [--timeout S]
  kafka_client.py create-topic TOPIC [--partitions N]

Bootstrap servers come from --bootstrap, else KAFKA_BOOTSTRAP_SERVERS, else
VIDPIPE_TEST_KAFKA. `read-all` reads every partition from the start, without a group, up
to each partition's end offset, then on until no message came for --quiet seconds: it
returns every message, duplicates included. `consume` and `read-all` print one JSON line per message:
{"partition", "offset", "key", "value", "headers"}; bytes are decoded as UTF-8 with
invalid sequences replaced, and "value_b64" carries the exact bytes.
"""
import argparse
import base64
import json
import os
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def text(raw):
    return None if raw is None else raw.decode("utf-8", "replace")


def produce(args, bootstrap):
    value = open(args.file, "rb").read() if args.file else args.value.encode()
    headers = [(h.split("=", 1)[0], h.split("=", 1)[1].encode()) for h in args.header]
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    reports = []

    def on_delivery(err, msg):
        if err is not None:
            raise KafkaException(err)
        reports.append({"partition": msg.partition(), "offset": msg.offset()})

    kwargs = {"key": args.key, "value": value, "headers": headers, "on_delivery": on_delivery}
    if args.partition is not None:
        kwargs["partition"] = args.partition
    producer.produce(args.topic, **kwargs)
    if producer.flush(30) != 0:
        sys.exit("produce: delivery timed out")
    print(json.dumps(reports[0]))


def record(msg):
    return json.dumps({
        "partition": msg.partition(),
        "offset": msg.offset(),
        "key": text(msg.key()),
        "value": text(msg.value()),
        "value_b64": base64.b64encode(msg.value() or b"").decode(),
        "headers": [[k, text(v)] for k, v in (msg.headers() or [])],
    })


def read_all(args, bootstrap):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "read-all-unused",
                         "enable.auto.commit": False})
    try:
        metadata = consumer.list_topics(args.topic, timeout=args.timeout)
        topic = metadata.topics.get(args.topic)
        if topic is None or topic.error is not None or not topic.partitions:
            sys.exit(f"read-all: no topic {args.topic}: {topic.error if topic else 'absent'}")
        ends = {}
        for partition in topic.partitions:
            _, high = consumer.get_watermark_offsets(TopicPartition(args.topic, partition), timeout=args.timeout)
            ends[partition] = high
        consumer.assign([TopicPartition(args.topic, p, OFFSET_BEGINNING) for p in topic.partitions])
        positions = {p: 0 for p in topic.partitions}
        deadline = time.monotonic() + args.timeout
        last_message = time.monotonic()
        while time.monotonic() < deadline:
            reached = all(positions[p] >= ends[p] for p in ends)
            if reached and time.monotonic() - last_message >= args.quiet:
                return
            msg = consumer.poll(0.2)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(msg.error())
            positions[msg.partition()] = msg.offset() + 1
            last_message = time.monotonic()
            print(record(msg), flush=True)
        sys.exit(f"read-all: {args.topic} not read to its end offsets {ends} within {args.timeout} s (at {positions})")
    finally:
        consumer.close()


def consume(args, bootstrap):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        # tansu holds a join for session.timeout.ms / 2.
        "session.timeout.ms": 6000,
    })
    consumer.subscribe([args.topic])
    deadline = time.monotonic() + args.timeout
    count = 0
    try:
        while count < args.max and time.monotonic() < deadline:
            msg = consumer.poll(min(0.5, max(0.0, deadline - time.monotonic())))
            if msg is None:
                continue
            if msg.error():
                raise KafkaException(msg.error())
            print(record(msg), flush=True)
            if args.commit:
                consumer.commit(message=msg, asynchronous=False)
            count += 1
    finally:
        consumer.close()


def create_topic(args, bootstrap):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(args.topic, num_partitions=args.partitions,
                                            replication_factor=1)])
    for future in futures.values():
        future.result(30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default=os.environ.get(
        "KAFKA_BOOTSTRAP_SERVERS", os.environ.get("VIDPIPE_TEST_KAFKA")))
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("produce")
    p.add_argument("topic")
    p.add_argument("--key")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--value")
    source.add_argument("--file")
    p.add_argument("--header", action="append", default=[], help="NAME=VALUE, repeatable")
    p.add_argument("--partition", type=int)

    c = sub.add_parser("consume")
    c.add_argument("topic")
    c.add_argument("--group", required=True)
    c.add_argument("--timeout", type=float, default=10.0)
    c.add_argument("--max", type=int, default=sys.maxsize)
    c.add_argument("--commit", action="store_true", help="commit each message after printing")

    r = sub.add_parser("read-all")
    r.add_argument("topic")
    r.add_argument("--quiet", type=float, default=1.0, help="seconds without a message that end the read")
    r.add_argument("--timeout", type=float, default=30.0)

    t = sub.add_parser("create-topic")
    t.add_argument("topic")
    t.add_argument("--partitions", type=int, default=1)

    args = parser.parse_args()
    if not args.bootstrap:
        sys.exit("no bootstrap servers: pass --bootstrap or set KAFKA_BOOTSTRAP_SERVERS")
    {"produce": produce, "consume": consume, "read-all": read_all,
     "create-topic": create_topic}[args.command](args, args.bootstrap)


if __name__ == "__main__":
    main()
