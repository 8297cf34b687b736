"""
Confluent's own Protobuf serializers (confluent-kafka-python) against the registry: writes values
given as Protobuf JSON, or reads values and prints them as Protobuf JSON (every field, defaults
included), one per line. The message classes are compiled by grpcio-tools' protoc into <classes>.

    python confluent_protobuf.py produce <bootstrap> <registry> <classes> <topic> <module> <Message> < json-lines
    python confluent_protobuf.py consume <bootstrap> <registry> <classes> <topic> <module> <Message> <count>
"""
import importlib
import sys

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import json_format

mode, bootstrap, registry_url, classes, topic, module, name = sys.argv[1:8]
sys.path.insert(0, classes)
message_type = importlib.import_module(module)
for part in name.split("."):  # a nested message: Outer.Inner
    message_type = getattr(message_type, part)
context = SerializationContext(topic, MessageField.VALUE)

if mode == "produce":
    registry = SchemaRegistryClient({"url": registry_url})
    serialize = ProtobufSerializer(message_type, registry, {"use.deprecated.format": False})
    producer = Producer({"bootstrap.servers": bootstrap})
    for line in sys.stdin:
        if line.strip():
            producer.produce(topic, value=serialize(json_format.Parse(line, message_type()), context))
    if producer.flush(30) != 0:
        raise SystemExit("messages left unsent")
else:
    count = int(sys.argv[8])
    deserialize = ProtobufDeserializer(message_type, {"use.deprecated.format": False})
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{topic}-python", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    seen = 0
    while seen < count:
        record = consumer.poll(30)
        if record is None:
            raise SystemExit(f"timed out after {seen} of {count} messages")
        if record.error():
            raise SystemExit(str(record.error()))
        message = deserialize(record.value(), context)
        print(json_format.MessageToJson(message, always_print_fields_with_no_presence=True, indent=None), flush=True)
        seen += 1
    consumer.close()
