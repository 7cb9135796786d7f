"""The catalog seeded at start: SKU, name, price in cents, stock."""
from __future__ import annotations

from .domain import Product

_SEED = [
    ("FL-001", "Circuit Breaker Mug", 1299, 500),
    ("FL-002", "Retry Budget Notebook", 899, 500),
    ("FL-003", "Idempotency Key Ring", 499, 800),
    ("FL-004", "Dead Letter Envelope Set", 699, 400),
    ("FL-005", "Lamport Clock", 3499, 200),
    ("FL-006", "Vector Clock Poster", 1999, 300),
    ("FL-007", "Heartbeat Monitor Sticker", 199, 1000),
    ("FL-008", "Split Brain Puzzle", 2499, 150),
    ("FL-009", "Quorum Dice (5)", 999, 400),
    ("FL-010", "Outbox Tote Bag", 1599, 300),
    ("FL-011", "Backpressure Valve Keychain", 599, 600),
    ("FL-012", "CAP Theorem Cap", 1899, 250),
    ("FL-013", "Exactly-Once Unicorn Plush", 2999, 50),
    ("FL-014", "At-Least-Once Socks", 1199, 500),
    ("FL-015", "Consensus Hoodie", 4999, 120),
    ("FL-016", "Partition Tolerance Tape", 399, 700),
    ("FL-017", "Chaos Monkey Figurine", 2199, 100),
    ("FL-018", "Jittered Backoff Timer", 1499, 300),
    ("FL-019", "Saga Compendium", 3999, 80),
    ("FL-020", "Fencing Token Coin", 299, 900),
    ("FL-021", "Phi Accrual Thermometer", 1799, 150),
    ("FL-022", "Gossip Protocol Walkie-Talkie", 2799, 90),
    ("FL-023", "Two Generals Chess Set", 5999, 40),
    ("FL-024", "Byzantine Fault Helmet", 6999, 30),
]


def seed_products() -> list[Product]:
    return [Product(sku, name, price, stock, stock) for sku, name, price, stock in _SEED]
