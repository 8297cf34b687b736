"""
Confluent's own Avro serializers (confluent-kafka-python's AvroSerializer and AvroDeserializer, the
same wire format as Java's), keys and values, and a value schema naming a type registered under
another subject (a schema reference).

    python confluent_avro.py produce <bootstrap> <registry> <topic> <schemas dir> <address subject>
        registers Address under <address subject>, then writes two messages: OrderKey keys,
        Customer values (Customer references Address); prints the ids registered as JSON
    python confluent_avro.py consume <bootstrap> <registry> <topic> <count>
        reads <count> messages from the beginning, deserializing keys and values through the
        registry; prints one JSON object {key, value} per message
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

mode, bootstrap, registry_url, topic = sys.argv[1:5]
registry = SchemaRegistryClient({"url": registry_url})


def read(path):
    with open(path) as file:
        return file.read()


if mode == "produce":
    schemas, address_subject = sys.argv[5:7]
    address_id = registry.register_schema(address_subject, Schema(read(f"{schemas}/address.avsc"), "AVRO"))
    version = registry.get_latest_version(address_subject).version
    customer = Schema(
        read(f"{schemas}/customer.avsc"),
        "AVRO",
        references=[SchemaReference("zps.test.Address", address_subject, version)],
    )
    keys = AvroSerializer(registry, read(f"{schemas}/order-key.avsc"))
    values = AvroSerializer(registry, customer)
    producer = Producer({"bootstrap.servers": bootstrap})
    for n, city in enumerate(["Lyon", "Nantes"], start=1):
        producer.produce(
            topic,
            key=keys({"id": 2**40 + n, "region": "eu"}, SerializationContext(topic, MessageField.KEY)),
            value=values({"name": f"c-{n}", "address": {"street": f"{n} rue", "city": city}}, SerializationContext(topic, MessageField.VALUE)),
        )
    if producer.flush(30) != 0:
        raise SystemExit("messages not delivered")
    print(json.dumps({"address": address_id}))
elif mode == "consume":
    count = int(sys.argv[5])
    keys = AvroDeserializer(registry)
    values = AvroDeserializer(registry)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"avro-check-{time.time()}", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    deadline = time.time() + 60
    seen = 0
    while seen < count:
        if time.time() > deadline:
            raise SystemExit(f"timed out: {seen} of {count} messages")
        message = consumer.poll(1)
        if message is None:
            continue
        if message.error():
            raise SystemExit(str(message.error()))
        key = keys(message.key(), SerializationContext(topic, MessageField.KEY))
        value = values(message.value(), SerializationContext(topic, MessageField.VALUE))
        print(json.dumps({"key": key, "value": value}), flush=True)
        seen += 1
    consumer.close()
else:
    raise SystemExit(f"unknown mode {mode}")
