"""`newsroom run` as a real process: it connects, and SIGINT/SIGTERM stop it cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Newsroom
from tests.standin import DiscordStandIn

REPO_ROOT = Path(__file__).resolve().parents[2]


async def start_bot_process(
    standin: DiscordStandIn, tmp_path: Path, database_url: str
) -> asyncio.subprocess.Process:
    """Start `newsroom run` in a child process pointed at the stand-in."""
    env_file = tmp_path / "bot.env"
    env_file.write_text(
        f"DISCORD_TOKEN={standin.bot_token}\nDATABASE_URL={database_url}\nLOG_LEVEL=INFO\n"
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DISCORD_TOKEN", "DATABASE_URL", "NEWSROOM_GUILD_IDS", "LOG_LEVEL"}
    }
    environment |= {
        "STANDIN_API_BASE": standin.api_base,
        "STANDIN_GATEWAY_URL": standin.gateway_url,
        "PYTHONPATH": str(REPO_ROOT),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.e2e.bot_process",
        "--env-file",
        str(env_file),
        "run",
        cwd=tmp_path,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_stop_signal_shuts_down_cleanly_with_exit_code_0(
    standin: DiscordStandIn,
    newsroom: Newsroom,
    tmp_path: Path,
    database_url: str,
    stop_signal: signal.Signals,
) -> None:
    process = await start_bot_process(standin, tmp_path, database_url)
    try:
        await standin.wait_until_ready(timeout=30)
        about = await standin.slash(newsroom.reader, newsroom.general, "about")
        assert (await about.response()).embeds[0]["title"] == "Newsroom"
        process.send_signal(stop_signal)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log_text = stderr.decode()
    assert process.returncode == 0, log_text
    assert "Stop requested" in log_text
    assert "Stopped cleanly" in log_text
    assert "Traceback" not in log_text
    assert standin.bot_token not in log_text, "the token never reaches the logs"
    await standin.wait_until_disconnected()
