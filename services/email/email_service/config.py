"""Email settings, read from the environment when called."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from faultline_kit.settings import KitSettings, env_int, env_str

SERVICE = "email"


@dataclass(frozen=True)
class EmailSettings:
    kit: KitSettings
    smtp_host: str
    smtp_port: int
    sender: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "EmailSettings":
        env = os.environ if environ is None else environ
        return cls(
            kit=KitSettings.from_env(SERVICE, env),
            smtp_host=env_str(env, "FAULTLINE_SMTP_HOST", "127.0.0.1"),
            smtp_port=env_int(env, "FAULTLINE_SMTP_PORT", 1025),
            sender=env_str(env, "FAULTLINE_MAIL_FROM", "orders@faultline.local"),
        )
