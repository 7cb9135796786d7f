"""The console's settings: a frozen dataclass built from the environment when called, never at import."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from faultline_kit.settings import SettingsError, env_float, env_str

BACKENDS = ("local", "k8s")


@dataclass(frozen=True)
class ConsoleSettings:
    backend: str              # local: the `make up` stack; k8s: the release the console runs in
    admin_token: str          # what the page's buttons must present (FAULTLINE_ADMIN_TOKEN)
    kafka_bootstrap: str      # where heartbeats and topic depths are read
    kafka_namespace: str
    order_url: str | None     # order's front (orders by state); locally derived from the stack's ports
    interval_s: float         # one collection round every this many seconds while a page is open
    idle_interval_s: float = 5.0   # ... and every this many while none is (see watch.py)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "ConsoleSettings":
        env = os.environ if environ is None else environ
        backend = env.get("FAULTLINE_CONSOLE_BACKEND") or "local"
        if backend not in BACKENDS:
            raise SettingsError(f"FAULTLINE_CONSOLE_BACKEND must be local or k8s, got {backend!r}")
        interval = env_float(env, "FAULTLINE_CONSOLE_INTERVAL_S", 0.5)
        if not 0.1 <= interval <= 5:
            raise SettingsError(f"FAULTLINE_CONSOLE_INTERVAL_S must be between 0.1 and 5, got {interval}")
        idle = env_float(env, "FAULTLINE_CONSOLE_IDLE_INTERVAL_S", 5.0)
        if not interval <= idle <= 60:
            raise SettingsError(f"FAULTLINE_CONSOLE_IDLE_INTERVAL_S must be between the interval ({interval}) and 60, "
                                f"got {idle}")
        return cls(backend=backend,
                   admin_token=env_str(env, "FAULTLINE_ADMIN_TOKEN", "local-admin-token"),
                   kafka_bootstrap=env_str(env, "FAULTLINE_KAFKA_BOOTSTRAP", "127.0.0.1:19092"),
                   kafka_namespace=env.get("FAULTLINE_KAFKA_NAMESPACE", ""),
                   order_url=env.get("FAULTLINE_ORDER_URL") or None,
                   interval_s=interval, idle_interval_s=idle)
