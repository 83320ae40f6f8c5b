"""Run the `newsroom` command in a child process whose discord.py talks to a stand-in.

Usage: python -m tests.e2e.bot_process ARGS... with STANDIN_API_BASE and STANDIN_GATEWAY_URL set.
Pointing discord.py's two URLs at the stand-in is the only change made to it.
"""

from __future__ import annotations

import os
import sys

import discord
import yarl

from bot.cli import main

discord.http.Route.BASE = os.environ["STANDIN_API_BASE"]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["STANDIN_GATEWAY_URL"])

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
