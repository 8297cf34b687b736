"""
One librdkafka (confluent-kafka-python) member of a consumer group shared with other clients'
members: reads <topic> in <group> with the roundrobin assignor (or the one named), committing each
record as it is read. Prints a JSON line per assignment and per record (partition, offset, headers in order);
leaves the group on SIGTERM.

    python confluent_group_member.py <bootstrap> <topic> <group> [roundrobin|range]
"""
import json
import signal
import sys

from confluent_kafka import Consumer

bootstrap, topic, group = sys.argv[1:4]
strategy = sys.argv[4] if len(sys.argv) > 4 else "roundrobin"
running = True


def stop(*_):
    global running
    running = False


def say(event):
    print(json.dumps(event), flush=True)


signal.signal(signal.SIGTERM, stop)
consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "client.id": "librdkafka-member",
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "partition.assignment.strategy": strategy,
})
consumer.subscribe([topic], on_assign=lambda _, partitions: say({"assigned": [p.partition for p in partitions]}))
while running:
    message = consumer.poll(0.2)
    if message is None:
        continue
    if message.error():
        say({"error": str(message.error())})
        continue
    consumer.commit(message=message, asynchronous=False)
    headers = [f"{name}={value.decode()}" for name, value in (message.headers() or [])]
    say({"partition": message.partition(), "offset": message.offset(), "headers": ",".join(headers)})
consumer.close()
say({"closed": True})
