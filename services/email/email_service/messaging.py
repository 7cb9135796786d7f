"""What email reads on Kafka, and the handler each event it consumes goes to. It publishes nothing."""
from __future__ import annotations

from faultline_kit.bus import Messaging
from faultline_kit.topology import Channels

from . import handlers
from .events import OrderCancelled, OrderConfirmed, OrderRejected

ORDERS_TOPIC = "orders"  # order's events

CHANNELS = Channels(group="email", consumes=(ORDERS_TOPIC,))
MESSAGING = Messaging(CHANNELS, dict.fromkeys((OrderConfirmed, OrderRejected, OrderCancelled),
                                              handlers.notify_customer))
