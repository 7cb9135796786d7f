"""Order settings, read from the environment when called."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from faultline_kit.settings import KitSettings

SERVICE = "order"


@dataclass(frozen=True)
class OrderSettings:
    kit: KitSettings

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "OrderSettings":
        return cls(kit=KitSettings.from_env(SERVICE, os.environ if environ is None else environ))
