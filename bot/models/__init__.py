"""SQLAlchemy models; import them all here so Alembic sees the whole schema."""

from bot.models.articles import (
    Announcement,
    Article,
    ArticleKey,
    CategoryRoute,
    Feed,
    KeyFact,
    OutlookItem,
    ReaderQuestion,
)
from bot.models.base import Base, UTCDateTime, utcnow
from bot.models.comments import (
    BridgedComment,
    CommentDelivery,
    CommentGuild,
    CommentMember,
    CommentSyncCursor,
    CommentTarget,
)
from bot.models.guild import GuildSettings
from bot.models.polls import Poll, PollOption, PollVote
from bot.models.questions import AnswerFeedback, AskedQuestion

__all__ = [
    "Announcement",
    "AnswerFeedback",
    "Article",
    "ArticleKey",
    "AskedQuestion",
    "Base",
    "BridgedComment",
    "CategoryRoute",
    "CommentDelivery",
    "CommentGuild",
    "CommentMember",
    "CommentSyncCursor",
    "CommentTarget",
    "Feed",
    "GuildSettings",
    "KeyFact",
    "OutlookItem",
    "Poll",
    "PollOption",
    "PollVote",
    "ReaderQuestion",
    "UTCDateTime",
    "utcnow",
]
