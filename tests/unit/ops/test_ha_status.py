"""`faultline status`'s HA section from views of the cluster: pure rendering, no I/O."""
from rich.console import Console

from faultline_ops.ha import KafkaView, PartitionView, RedisView, ReplicaView
from faultline_ops.render.ha_status import kafka_renderable, redis_renderable


def text(renderable) -> str:
    console = Console(width=160, record=True, highlight=False)
    console.print(renderable)
    return console.export_text()


def test_kafka_shows_brokers_controller_and_a_shrunk_isr():
    view = KafkaView((1, 2, 3), 2, 7, (1, 2, 3), (PartitionView("orders", 0, 1, (1, 2, 3), (1, 2)),
                                                   PartitionView("heartbeats", 0, 3, (3, 1, 2), (3, 1, 2))))
    out = text(kafka_renderable(view, ["orders"]))
    assert "brokers 1,2,3; KRaft voters 1,2,3; active controller node 2 (epoch 7); under-replicated partitions 1" in out
    assert "orders  0          1       1,2,3     1,2" in out
    assert "heartbeats" not in out.split("\n", 1)[1]


def test_redis_shows_the_primary_the_sentinels_agreeing_and_each_replicas_lag():
    view = RedisView("127.0.0.1:16380", 2, 3, (ReplicaView("127.0.0.1:16379", "online", 42, 0),))
    out = text(redis_renderable(view))
    assert "primary 127.0.0.1:16380 (2 of 3 Sentinels agree)" in out
    assert "127.0.0.1:16379  online  42" in out


def test_unreachable_parts_say_so():
    assert "no Sentinel answers" in text(redis_renderable(RedisView(None, 0, 3, error="no Sentinel answers")))
    assert "NoBrokersAvailable" in text(kafka_renderable(KafkaView((), None, None, (), (), "NoBrokersAvailable"), []))
