"""Errors a user can cause; the Discord layer turns them into short, polite replies."""


class NewsroomError(Exception):
    """An expected failure whose message is safe and useful to show to the user."""


class NotPermitted(NewsroomError):
    """The member may not do this."""


class NotFound(NewsroomError):
    """What the member asked for does not exist (any more)."""


class InvalidInput(NewsroomError):
    """The member's input cannot be used as given."""


class NotConfigured(NewsroomError):
    """The guild has not set up what this needs yet."""
