"""The fake Bot API server of ``tests/fake_bot_api.py`` in a process of its own, for the fan-out benchmark.

In the bot's process and event loop, the server's parsing, HTML checking and answering took CPU the bot
needed (on 2 cores, about as much as the bot's own sending), so a rate measured there was the harness's as
much as the bot's. Here it runs in a child Python process with its own event loop, on 127.0.0.1 and a free
port, and only ``tests/fake_bot_api.py`` and aiohttp are imported into it.

The parent talks to it over the child's stdin and stdout, one JSON object a line (``ServerProcess`` is the
parent's side). The child answers every command with one line:

* at start (no command): ``{"port": N}``;
* ``{"do": "limit", "rate": R, "per_chat": P}``: ``FakeBotApi.rate_limit(R, per_chat_per_second=P or None)``;
* ``{"do": "begin", "stray": N, "seconds": S}``: the broadcast begins; count sendMessage calls from here, and
  answer N of them 429 (retry_after 1) spread over S seconds although under the limit (``--stray-429``);
  the server's garbage collector is off until ``end``;
* ``{"do": "progress"}``: ``{"ok": accepted, "refused": answered 429, "rss": current RSS in MiB}`` since begin;
* ``{"do": "end"}``: stop injecting faults and answer the record, every sendMessage call since begin in
  arrival order: ``{"calls": [[chat_id, status, at, description], ...], "peak_rss": MiB, "cpu": seconds}``,
  where ``at`` is ``time.monotonic()`` on arrival (one clock for the whole machine on Linux, so the parent
  can compare it with its own) and ``cpu`` the CPU time the server used since begin;
* ``{"do": "stop"}``: ``{"peak_rss": MiB}``, then the server stops and the process exits.

So lost and duplicated messages are still counted from what the server accepted, not from what the bot
believes it sent.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import sys
from http import HTTPStatus
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the fake server lives in tests/, which is not installed
    sys.path.insert(0, str(ROOT))

from tests.fake_bot_api import Call, FakeBotApi  # noqa: E402

JSON = dict[str, Any]
STRAY = "Too Many Requests: retry after 1 (injected by --stray-429)"
#: A line of the record holds every sendMessage call of a broadcast: far past asyncio's default 64 KiB.
LINE_LIMIT = 1 << 28
SCRIPT = str(Path(__file__).resolve())


def _status_mib(field: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def current_rss_mib() -> float:
    rss = _status_mib("VmRSS:")
    return float("nan") if rss is None else rss


def cpu_seconds() -> float:
    """CPU time (user and system, all threads) this process has used so far: unlike a rate, it hardly
    depends on what else the machine is running."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far. Linux's VmHWM, not ru_maxrss: a child started by fork and
    exec keeps in ru_maxrss its parent's peak at the fork (ru_maxrss is KiB on Linux, bytes on macOS)."""
    high_water = _status_mib("VmHWM:")
    if high_water is not None:
        return high_water
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def reset_peak_rss() -> bool:
    """Start this process's peak RSS afresh from its current RSS (Linux 4.0+: ``clear_refs`` 5 resets VmHWM),
    so that a later ``peak_rss_mib`` tells the peak of what followed; False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


# ------------------------------------------------------------------------------------------ the child


async def stray_429s(api: FakeBotApi, count: int, seconds: float) -> None:
    """Make ``count`` sendMessage calls spread over ``seconds`` fail with 429, as Telegram sometimes does below
    its limits (or another process sharing the token causes): does the sending recover at once?"""
    for _ in range(count):
        await asyncio.sleep(seconds / (count + 1))
        api.fail("sendMessage", times=1, status=HTTPStatus.TOO_MANY_REQUESTS, retry_after=1, description=STRAY)


def sends(api: FakeBotApi, start: int) -> list[Call]:
    return [call for call in api.calls[start:] if call.method == "sendMessage"]


async def serve(token: str) -> None:
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)

    def answer(payload: JSON) -> None:
        sys.stdout.write(json.dumps(payload, separators=(",", ":")) + "\n")
        sys.stdout.flush()

    async with FakeBotApi(token) as api:
        answer({"port": api.port})
        start, cpu_began = 0, 0.0
        stray: asyncio.Task[None] | None = None
        while line := await commands.readline():
            command = json.loads(line)
            match command["do"]:
                case "limit":
                    api.rate_limit(command["rate"], per_chat_per_second=command["per_chat"] or None)
                    answer({})
                case "begin":
                    start, cpu_began = len(api.calls), cpu_seconds()
                    # The record of every call grows by thousands of objects; the collector's passes over it
                    # held this loop long enough that arrivals bunched into 429s the bot had not caused
                    # (4 to 6 at 100/s, each pausing every chat; none with it off). Measured here: the bot.
                    gc.disable()
                    if command["stray"]:
                        stray = asyncio.create_task(stray_429s(api, command["stray"], command["seconds"]))
                    answer({})
                case "progress":
                    calls = sends(api, start)
                    ok = sum(1 for call in calls if call.ok)
                    refused = sum(1 for call in calls if call.status == HTTPStatus.TOO_MANY_REQUESTS)
                    answer({"ok": ok, "refused": refused, "rss": current_rss_mib()})
                case "end":
                    if stray is not None:
                        stray.cancel()
                        await asyncio.gather(stray, return_exceptions=True)
                    api.clear_faults()
                    gc.enable()
                    record = [[call.chat_id, call.status, call.at, call.description] for call in sends(api, start)]
                    answer({"calls": record, "peak_rss": peak_rss_mib(), "cpu": cpu_seconds() - cpu_began})
                case "stop":
                    answer({"peak_rss": peak_rss_mib()})
                    break
                case other:
                    raise SystemExit(f"fake_api_process: unknown command {other!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description="The fake Bot API server, driven over stdin and stdout.")
    parser.add_argument("--token", required=True)
    asyncio.run(serve(parser.parse_args().token))


# ----------------------------------------------------------------------------------------- the parent


class ServerProcess:
    """The parent's side: ``async with ServerProcess(token) as server``; ``server.base_url`` for the bot."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.port = 0
        self._process: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()  # one command at a time, so answers come in the order asked

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def __aenter__(self) -> ServerProcess:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            SCRIPT,
            "--token",
            self.token,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=LINE_LIMIT,
        )
        self.port = int((await self._read())["port"])
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            try:
                await self.stop()
            except (ConnectionError, RuntimeError):
                process.kill()
        await process.wait()
        self._process = None

    async def _read(self) -> JSON:
        assert self._process is not None
        assert self._process.stdout is not None
        line = await self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the fake Bot API process ended (exit status {await self._process.wait()})")
        answer: JSON = json.loads(line)
        return answer

    async def ask(self, command: str, **fields: Any) -> JSON:
        assert self._process is not None
        assert self._process.stdin is not None
        async with self._lock:
            self._process.stdin.write(json.dumps({"do": command, **fields}).encode() + b"\n")
            await self._process.stdin.drain()
            return await self._read()

    async def rate_limit(self, rate: float, per_chat: float) -> None:
        await self.ask("limit", rate=rate, per_chat=per_chat)

    async def begin(self, stray: int = 0, seconds: float = 0.0) -> None:
        await self.ask("begin", stray=stray, seconds=seconds)

    async def progress(self) -> JSON:
        return await self.ask("progress")

    async def end(self) -> JSON:
        return await self.ask("end")

    async def stop(self) -> float:
        """Stop the server; its peak RSS in MiB."""
        peak = float((await self.ask("stop"))["peak_rss"])
        if self._process is not None and self._process.stdin is not None:
            self._process.stdin.close()
        return peak


if __name__ == "__main__":
    main()
