"""The Kubernetes manifests (deploy/kubernetes/), rendered and checked offline.

`render` runs `kubectl kustomize` on the base or an overlay; `validate` checks every
object against the Kubernetes API's schemas with kubernetes-validate (strict: an unknown
field fails), run from its own environment (.venv-deploy, deploy/requirements.lock).
`python -m deploy.kubernetes` (`make k8s-check`) does both for the base and every overlay.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from stack.processes import ROOT

MANIFESTS = ROOT / "deploy" / "kubernetes"
TARGETS = ("base", "overlays/demo")
VALIDATOR = ROOT / ".venv-deploy" / "bin" / "kubernetes-validate"
KUBERNETES_VERSION = "1.37.0"


def render(target: str, manifests: Path = MANIFESTS) -> str:
    """The objects of `target` (a folder under `manifests`) as one YAML stream."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise RuntimeError("kubectl is missing (it renders the kustomizations)")
    done = subprocess.run(
        [kubectl, "kustomize", str(manifests / target)], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {target}: {done.stderr.strip()}")
    return done.stdout


def objects(rendered: str) -> list[dict]:
    return [item for item in yaml.safe_load_all(rendered) if item]


def validate(rendered: str, folder: Path) -> str:
    """kubernetes-validate's verdict on every object; raises with its report on a failure."""
    path = folder / "rendered.yaml"
    path.write_text(rendered)
    done = subprocess.run(
        [str(VALIDATOR), "--strict", "--kubernetes-version", KUBERNETES_VERSION, str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"kubernetes-validate:\n{done.stdout}{done.stderr}")
    return done.stdout


def main() -> None:
    build = ROOT / "build" / "kubernetes"
    for target in TARGETS:
        folder = build / target
        folder.mkdir(parents=True, exist_ok=True)
        report = validate(render(target), folder)
        print(f"{target}: {len(report.splitlines())} objects valid ({folder / 'rendered.yaml'})")


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as problem:
        sys.exit(str(problem))
