"""
confluent-kafka-python (librdkafka) against a Kafka bootstrap address, as a service would use it:
an idempotent producer, a group of two consumers (each message once), commits, seek, watermarks
and delete_records. Prints one JSON object of what it saw; the test asserts on it.

    python confluent_kafka_check.py <bootstrap> <topic> <group>
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, topic, group = sys.argv[1:4]
MESSAGES = 1000
PARTITIONS = 3
DEADLINE = time.time() + 60


def until(what, check):
    started = time.time()
    while not check():
        if time.time() > DEADLINE:
            raise SystemExit(f"timed out waiting for {what}")
    print(f"{what}: {time.time() - started:.2f}s", file=sys.stderr)


admin = AdminClient({"bootstrap.servers": bootstrap})
for future in admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)]).values():
    future.result()

consumers = [
    Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "client.id": f"member-{i}",
    })
    for i in range(2)
]
assigned = [set(), set()]


def on_assign(index):
    def callback(consumer, partitions):
        assigned[index] = {p.partition for p in partitions}
    return callback


for i, consumer in enumerate(consumers):
    consumer.subscribe([topic], on_assign=on_assign(i))
received = [[], []]


def poll_all():
    for i, consumer in enumerate(consumers):
        for message in consumer.consume(num_messages=500, timeout=0.05):
            if message.error():
                raise KafkaException(message.error())
            received[i].append((message.partition(), message.offset(), message.key().decode(), message.value().decode()))


# both members in, each with its share, before anything is produced: no message can be read twice
until("both members assigned", lambda: poll_all() or (assigned[0] and assigned[1] and not assigned[0] & assigned[1] and len(assigned[0] | assigned[1]) == PARTITIONS))

producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5})
acked = []
failed = []


def delivered(error, message):
    (failed if error else acked).append(str(error) if error else (message.partition(), message.offset()))


for n in range(MESSAGES):
    producer.produce(topic, key=f"k{n}", value=f"v{n}", on_delivery=delivered)
producer.flush(30)

until("every message consumed", lambda: poll_all() or sum(len(r) for r in received) >= MESSAGES)
for consumer in consumers:
    consumer.commit(asynchronous=False)
committed = consumers[0].committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
watermarks = [consumers[0].get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in range(PARTITIONS)]
for consumer in consumers:
    consumer.close()

# seek: a consumer of its own, assigned partition 0, starting at offset 5
first = []
seeker = Consumer({"bootstrap.servers": bootstrap, "group.id": group + "-seek", "enable.auto.commit": False})
seeker.assign([TopicPartition(topic, 0, 5)])


def first_seek():
    message = seeker.poll(0.1)
    if message is not None and not message.error():
        first.append(message.offset())
    return first


until("a message after the seek", first_seek)
seeker.close()

deleted = admin.delete_records([TopicPartition(topic, 0, 10)])
low_after = [f.result().low_watermark for f in deleted.values()]
probe = Consumer({"bootstrap.servers": bootstrap, "group.id": group + "-probe"})
watermarks_after = probe.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
probe.close()

all_received = [r for member in received for r in member]
print(json.dumps({
    "acked": len(acked),
    "failed": failed,
    "received": len(all_received),
    "distinct": len({(p, o) for p, o, _, _ in all_received}),
    "values_match_keys": all(k[1:] == v[1:] for _, _, k, v in all_received),
    "per_member": [len(r) for r in received],
    "assigned": [sorted(a) for a in assigned],
    "committed": [tp.offset for tp in committed],
    "watermarks": [list(w) for w in watermarks],
    "seek_first_offset": first[0],
    "low_after_delete": low_after,
    "watermarks_after_delete": list(watermarks_after),
}))
