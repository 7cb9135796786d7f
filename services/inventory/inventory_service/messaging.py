"""What inventory owns and reads on Kafka, and the handler each event it consumes goes to."""
from __future__ import annotations

from faultline_kit.bus import Messaging
from faultline_kit.topology import Channels

from . import handlers
from .events import OrderCancelled, OrderPlaced

ORDERS_TOPIC = "orders"        # order's events
INVENTORY_TOPIC = "inventory"  # inventory's answers, published directly

CHANNELS = Channels(group="inventory", consumes=(ORDERS_TOPIC,), publishes=(INVENTORY_TOPIC,))
MESSAGING = Messaging(CHANNELS, {OrderPlaced: handlers.reserve_stock, OrderCancelled: handlers.release_stock})
