"""What order owns and reads on Kafka, and the handler each event it consumes goes to."""
from __future__ import annotations

from faultline_kit.bus import Messaging
from faultline_kit.topology import Channels

from . import handlers
from .events import StockRejected, StockReserved

ORDERS_TOPIC = "orders"        # order's events (through the outbox)
INVENTORY_TOPIC = "inventory"  # inventory's answers

CHANNELS = Channels(group="order", consumes=(INVENTORY_TOPIC,), publishes=(ORDERS_TOPIC,))
MESSAGING = Messaging(CHANNELS, {StockReserved: handlers.confirm_order, StockRejected: handlers.reject_order})
