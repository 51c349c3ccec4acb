"""Servers in child processes on 127.0.0.1, shared by the tests and the benchmarks: a free port,
waiting until one listens, stopping one."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(process: subprocess.Popen, port: int, log: Path, seconds: float) -> float:
    """Wait for ``process`` to accept connections on ``port``; return how long it took. Raises with the
    end of its log if it exits or does not listen within ``seconds``."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return time.perf_counter() - started
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited: {log.read_text()[-2000:]}") from None
            time.sleep(0.1)
    wait_or_kill(process, 0)
    raise RuntimeError(f"{process.args[0]} did not listen within {seconds:.0f} s: {log.read_text()[-2000:]}")


def wait_or_kill(process: subprocess.Popen, seconds: float = 20) -> None:
    """Give a stopping server ``seconds`` to exit, then kill it."""
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stop(process: subprocess.Popen, seconds: float = 20) -> None:
    """SIGTERM, then SIGKILL after ``seconds``."""
    process.terminate()
    wait_or_kill(process, seconds)
