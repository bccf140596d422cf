"""Helpers of the browser tests and the load benchmark: a `streamlit run app.py` subprocess
on a free port with a private data directory, the chromium launch flags, screenshots."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).parents[2]
CHROMIUM = os.environ.get("EDUTOOLS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "test-output" / "screenshots"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AppServer:
    """A running app: its URL, its data directory and its database URL."""

    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path
    log_file: IO[bytes]

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'edutools.sqlite3'}"


def start_server(
    data_dir: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> AppServer:
    """Start `streamlit run app.py` on a free port and wait for /_stcore/health."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "EDUTOOLS_"))}
    full_env.update(EDUTOOLS_DATA_DIR=str(data_dir), **(env or {}))
    log = data_dir / "streamlit.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--client.toolbarMode", "minimal",
        ],
        cwd=ROOT, env=full_env, stdout=log_file, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log_file.close()
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return AppServer(url, data_dir, process, log, log_file)
        except OSError:
            time.sleep(0.2)
    process.terminate()
    process.wait(timeout=10)
    log_file.close()
    raise RuntimeError(f"streamlit did not become healthy within {timeout} s")


def stop_server(server: AppServer) -> None:
    """Stop the server process started by :func:`start_server`."""
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)
    server.log_file.close()


def screenshot(page: object, name: str) -> Path:
    """Save a full-page screenshot under test-output/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
