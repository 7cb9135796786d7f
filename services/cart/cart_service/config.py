"""Cart settings, read from the environment when called."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from faultline_kit.settings import KitSettings, env_str

SERVICE = "cart"


@dataclass(frozen=True)
class CartSettings:
    kit: KitSettings
    inventory_url: str
    order_url: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "CartSettings":
        env = os.environ if environ is None else environ
        return cls(
            kit=KitSettings.from_env(SERVICE, env),
            inventory_url=env_str(env, "FAULTLINE_INVENTORY_URL", "http://127.0.0.1:8083"),
            order_url=env_str(env, "FAULTLINE_ORDER_URL", "http://127.0.0.1:8081"),
        )
