"""
confluent-kafka-python (librdkafka) starting a transactional producer against a Kafka bootstrap
address. Prints one JSON object: how init_transactions ended, how long it took, and the error.

    python confluent_kafka_transactions.py <bootstrap> <transactional.id>
"""
import json
import sys
import time

from confluent_kafka import KafkaException, Producer

bootstrap, transactional_id = sys.argv[1:3]
producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": transactional_id})
started = time.time()
try:
    producer.init_transactions(30)
    outcome = {"initialized": True}
except KafkaException as e:
    error = e.args[0]
    outcome = {"initialized": False, "fatal": error.fatal(), "retriable": error.retriable(), "error": error.str()}
outcome["seconds"] = round(time.time() - started, 2)
print(json.dumps(outcome))
