"""Newsroom: a Discord bot for a news site's community."""

__version__ = "0.1.0"
