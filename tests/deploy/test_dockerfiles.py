"""The service Dockerfiles: one recipe, the same entrypoint and settings as the local stack."""
from __future__ import annotations

import json
import re

import pytest
from faultline_ops.render.services import app_spec

from deploy.rendering import ROOT, SERVICES

DOCKERFILES = {service: (ROOT / "services" / service / "Dockerfile").read_text() for service in SERVICES}


def test_the_four_dockerfiles_differ_only_in_the_service_name():
    def generic(service: str) -> str:
        text = re.sub(r'org\.opencontainers\.image\.description="[^"]*"', "DESCRIPTION", DOCKERFILES[service])
        return text.replace(service, "SERVICE")
    assert len({generic(service) for service in SERVICES}) == 1


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_is_multi_stage_on_the_pinned_base(service):
    froms = re.findall(r"^FROM (\S+)", DOCKERFILES[service], re.M)
    assert froms == ["python:3.11-slim-bookworm", "python:3.11-slim-bookworm"]
    assert "COPY --from=builder /opt/venv /opt/venv" in DOCKERFILES[service]


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_runs_gunicorn_as_a_numeric_non_root_user(service):
    assert re.search(r"^USER [1-9][0-9]*:[0-9]+$", DOCKERFILES[service], re.M)
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", DOCKERFILES[service], re.M).group(1))
    # The command the local stack runs (infra/ops: faultline_ops.render.services).
    assert entrypoint == ["gunicorn", "-c", "python:faultline_kit.gunicorn_conf", app_spec(service)]


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_installs_with_the_shared_pins(service):
    assert "pip install -r constraints.txt" in DOCKERFILES[service]
    assert f"pip install -c constraints.txt ./kit ./{service}" in DOCKERFILES[service]
    assert "org.opencontainers.image.title" in DOCKERFILES[service]


def test_dockerignore_keeps_build_debris_out_of_the_context():
    ignored = (ROOT / "services" / ".dockerignore").read_text().split()
    assert {"**/__pycache__", "**/*.egg-info", "**/build"} <= set(ignored)
