"""The one source of the secrets every component reads: generated on first start into
`<var_dir>/secrets.env`, which only its owner can read, so no copy of the assistant runs
with a key someone else knows. A variable set in the environment wins over its line."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

SECRETS_FILE = "secrets.env"
# What `make run` passes to its programs; the cluster adds its database password.
STACK_SECRETS = (
    "ACCOUNT_SERVICE_API_KEY",
    "SESSION_SIGNING_KEY",
    "CLIENT_ID_KEY",
    "REST_CHANNEL_TOKEN",
    # Opens the support team's /insights page and live desk on the demo web server.
    "INSIGHTS_AGENT_TOKEN",
    # The live desk's key to the Rasa server's desk routes (rasa_addons/channels/desk.py).
    "AGENT_DESK_TOKEN",
)
CLUSTER_SECRETS = (*STACK_SECRETS, "POSTGRES_PASSWORD")
PRIVATE = 0o600
HEADER = (
    "# Generated on first start (make run / make cluster); keep it private.\n"
    "# A variable set in the environment is used instead of its line here.\n"
)


def secrets_path(var_dir: Path) -> Path:
    return var_dir / SECRETS_FILE


def stored(path: Path) -> dict[str, str]:
    """The NAME=value lines of a secrets file; none when there is no file."""
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, separator, value = line.partition("=")
        if separator and not name.startswith("#"):
            values[name.strip()] = value.strip()
    return values


def write_private(path: Path, text: str) -> None:
    """Writes `path` readable by its owner only, at every moment: the file is created with
    mode 600 under another name, then renamed over the old one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def load(
    var_dir: Path, names: Sequence[str], environ: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """The value of each of `names`: the environment's when set there, else the file's; the
    ones found in neither are generated and added to the file (environment values never are)."""
    path = secrets_path(var_dir)
    kept = stored(path)
    missing = [name for name in names if not environ.get(name) and not kept.get(name)]
    if missing:
        kept.update({name: secrets.token_urlsafe(32) for name in missing})
        var_dir.mkdir(parents=True, exist_ok=True)
        lines = "".join(f"{name}={value}\n" for name, value in kept.items())
        write_private(path, HEADER + lines)
    elif path.exists() and path.stat().st_mode & 0o077:
        path.chmod(PRIVATE)  # loosened by hand: readable by others no longer
    return {name: environ.get(name) or kept[name] for name in names}


if __name__ == "__main__":
    # `python -m stack.secrets <dir>`: the cluster's secrets in <dir>/secrets.env, new random
    # values for the missing ones (make k8s-secrets: the Kubernetes Secret's source).
    import sys

    target = Path(sys.argv[1])
    load(target, CLUSTER_SECRETS, environ={})
    print(f"{secrets_path(target)}: {', '.join(CLUSTER_SECRETS)}")
