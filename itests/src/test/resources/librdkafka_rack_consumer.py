# A librdkafka consumer (confluent-kafka-python) with client.rack reads one partition; librdkafka's statistics say
# which broker it fetches from. Used by LibrdkafkaFollowerFetchIT.
#
# usage: librdkafka_rack_consumer.py BOOTSTRAP TOPIC RACK COUNT
# 1. assigns TOPIC partition 0 from the beginning and polls until the statistics show it fetched from a broker other
#    than the leader (at most 30 s);
# 2. then COUNT times: produces one record (acks=all), waits for its delivery report, and polls until the consumer
#    returns it (at most 5 s each: read-your-writes), noting the broker the statistics name at that moment.
# Prints one "fetching ..." line, one "ryw ..." line per record, and a final "summary ..." line; exits 0 unless the
# script itself failed.
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

bootstrap, topic, rack, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
fetch = {'broker': -1, 'leader': -1}
errors = []


def on_stats(text):
    # topics.<t>.partitions.<p>: "broker" is the broker the partition is fetched from, "leader" its leader
    p = json.loads(text).get('topics', {}).get(topic, {}).get('partitions', {}).get('0')
    if p is not None:
        fetch['broker'] = p['broker']
        fetch['leader'] = p['leader']


def on_error(e):
    errors.append(str(e))


consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'librdkafka-rack-' + rack, 'client.rack': rack,
                     'enable.auto.commit': False, 'statistics.interval.ms': 200, 'stats_cb': on_stats,
                     'error_cb': on_error, 'fetch.wait.max.ms': 100})
consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
producer = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'enable.idempotence': True, 'linger.ms': 0,
                     'error_cb': on_error})

read = []


def poll(seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        m = consumer.poll(0.1)
        if m is None:
            continue
        if m.error():
            errors.append(str(m.error()))
            continue
        read.append(m.value().decode())
        return m
    return None


deadline = time.time() + 30
while time.time() < deadline and not (fetch['broker'] >= 0 and fetch['broker'] != fetch['leader']):
    poll(0.2)
print('fetching from %d, leader %d' % (fetch['broker'], fetch['leader']), flush=True)

received = 0
brokers = set()
for i in range(count):
    value = 'ryw-%d' % i
    delivered = []
    producer.produce(topic, value=value.encode(), partition=0,
                     on_delivery=lambda err, msg: delivered.append((err, msg.offset() if err is None else -1)))
    producer.flush(10)
    if not delivered or delivered[0][0] is not None:
        print('ryw %d not delivered: %s' % (i, delivered), flush=True)
        continue
    deadline = time.time() + 5
    got = None
    while time.time() < deadline and got != value:
        m = poll(deadline - time.time())
        got = m.value().decode() if m is not None else None
    if got == value:
        received += 1
        brokers.add(fetch['broker'])
    print('ryw %d offset %d received %s from %d' % (i, delivered[0][1], got == value, fetch['broker']), flush=True)

consumer.close()
print('summary received %d/%d brokers %s leader %d errors %s read %d' % (
    received, count, sorted(brokers), fetch['leader'], errors, len(read)), flush=True)
