"""One service list (faultline_ops.services) feeds bootstrap, the image scripts, the chart checks and the tests:
what is on disk, in skaffold.yaml and in the chart's components is exactly that list."""
from __future__ import annotations

import subprocess
import sys

import yaml

from deploy.rendering import ROOT
from faultline_ops import services

SKAFFOLD = yaml.safe_load((ROOT / "skaffold.yaml").read_text())
VALUES = yaml.safe_load((ROOT / "charts" / "faultline" / "values.yaml").read_text())


def listed(*args: str) -> list[str]:
    """What the bash readers (bootstrap, infra/images/lib.sh) get: the module run with the system's python3."""
    result = subprocess.run([sys.executable, "-m", "faultline_ops.services", *args], capture_output=True,
                            text=True, check=True, env={"PYTHONPATH": str(ROOT / "infra" / "ops")})
    return result.stdout.split()


def test_every_project_with_a_dockerfile_is_in_the_list_and_nothing_else():
    on_disk = {path.parent.name for path in (ROOT / "services").glob("*/Dockerfile")}
    assert on_disk == set(services.IMAGES)


def test_the_shop_services_are_the_chart_components_and_the_console_its_own_block():
    assert set(VALUES["components"]) == set(services.APIS)
    assert services.CONSOLE in VALUES and services.CONSOLE not in services.APIS


def test_skaffold_builds_one_artifact_per_image():
    assert sorted(a["image"] for a in SKAFFOLD["build"]["artifacts"]) == sorted(
        f"faultline/{name}" for name in services.IMAGES)


def test_bash_reads_the_same_list():
    assert listed() == list(services.APIS)
    assert listed("--console", "--paths") == [f"services/{name}" for name in services.IMAGES]


def test_bootstrap_installs_every_listed_project():
    script = (ROOT / "infra" / "bootstrap.sh").read_text().splitlines()
    start = next(i for i, line in enumerate(script) if line.startswith("mapfile -t SERVICE_PROJECTS"))
    end = next(i for i, line in enumerate(script) if line.startswith("PY_PROJECTS="))
    lines = "\n".join(script[start:end + 1])
    env = {"ROOT": str(ROOT), "PYTHON": sys.executable, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(["bash", "-c", f'{lines}\nprintf "%s\\n" "${{PY_PROJECTS[@]}}"'], capture_output=True,
                            text=True, check=True, env=env)
    assert result.stdout.split() == ["services/kit", *(f"services/{name}" for name in services.IMAGES), "infra/ops"]
    assert all((ROOT / "services" / name / "pyproject.toml").is_file() for name in services.IMAGES)
