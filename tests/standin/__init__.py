"""A Discord API stand-in that the real discord.py client connects to, and a scenario API.

standin = DiscordStandIn()
await standin.start()
guild = standin.add_guild("Newsroom")
with point_discord_py_at(standin):
    async with running(bot, standin):
        await standin.wait_until_ready()
        reply = await standin.slash(member, channel, "about")
        response = await reply.response()
"""

from tests.standin.clock import FakeClock
from tests.standin.discordpy import no_identify_delay, point_discord_py_at, running
from tests.standin.errors import ApiError, ScenarioError
from tests.standin.guild import Guild
from tests.standin.interactions import CallbackResponse, CallbackType, Interaction, InteractionType
from tests.standin.model import (
    Attachment,
    Channel,
    ChannelType,
    Member,
    Message,
    MessageFlags,
    Poll,
    Role,
    User,
)
from tests.standin.options import AttachmentFile
from tests.standin.permissions import Intents, Permissions
from tests.standin.rest import RequestRecord
from tests.standin.standin import DiscordStandIn
from tests.standin.waiting import BotStopped, WaitTimeout

__all__ = [
    "ApiError",
    "Attachment",
    "AttachmentFile",
    "BotStopped",
    "CallbackResponse",
    "CallbackType",
    "Channel",
    "ChannelType",
    "DiscordStandIn",
    "FakeClock",
    "Guild",
    "Intents",
    "Interaction",
    "InteractionType",
    "Member",
    "Message",
    "MessageFlags",
    "Permissions",
    "Poll",
    "RequestRecord",
    "Role",
    "ScenarioError",
    "User",
    "WaitTimeout",
    "no_identify_delay",
    "point_discord_py_at",
    "running",
]
