"""What tests do as people: slash commands, clicks, modals, messages, reactions and votes."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from tests.standin import messages, polls
from tests.standin.access import permissions_of, require_can_send
from tests.standin.errors import ApiError, ScenarioError
from tests.standin.interactions import Interaction, InteractionType
from tests.standin.messages import Upload
from tests.standin.model import Channel, ChannelType, Member, Message, User, walk_components
from tests.standin.options import Invocation
from tests.standin.permissions import Permissions as P
from tests.standin.threads import join_thread, start_thread, update_thread
from tests.standin.validation import SELECT_TYPES, check_message
from tests.standin.waiting import Notifier

if TYPE_CHECKING:
    from tests.standin.standin import DiscordStandIn

Person = Member | User


class ScenarioActions:
    """Mixed into DiscordStandIn: act as people and start interactions."""

    # Commands ------------------------------------------------------------------------------

    async def slash(
        self: DiscordStandIn,
        who: Person,
        channel: Channel,
        command: str,
        /,
        *,
        override_permissions: bool = False,
        **options: Any,
    ) -> Interaction:
        """Run `/command [group] [subcommand] option=value...` as `who` in `channel`."""
        # ScenarioError when Discord's client would refuse: unknown command, subcommand or
        # option, a missing required option, a wrong value, or (unless override_permissions)
        # lacking the command's default member permissions.
        user, _ = self._person(who, channel)
        parts = command.split()
        schema = self._find_command(parts[0], channel, kind=1)
        self._check_command_access(schema, user, channel, override_permissions)
        invocation = Invocation(self, channel, user)
        data: dict[str, Any] = {
            "id": schema["id"],
            "name": schema["name"],
            "type": 1,
            "options": invocation.build(schema, parts[1:], options),
        }
        return self._command_interaction(who, channel, schema, data, invocation, command)

    async def autocomplete(
        self: DiscordStandIn,
        who: Person,
        channel: Channel,
        command: str,
        focused: str,
        /,
        **options: Any,
    ) -> Interaction:
        """Type into option `focused` of a slash command; the bot answers with choices."""
        user, _ = self._person(who, channel)
        parts = command.split()
        schema = self._find_command(parts[0], channel, kind=1)
        invocation = Invocation(self, channel, user)
        data: dict[str, Any] = {
            "id": schema["id"],
            "name": schema["name"],
            "type": 1,
            "options": invocation.build(schema, parts[1:], options, focused=focused),
        }
        return self._command_interaction(
            who, channel, schema, data, invocation, command, kind=InteractionType.AUTOCOMPLETE
        )

    async def user_command(
        self: DiscordStandIn, who: Person, channel: Channel, name: str, target: Person
    ) -> Interaction:
        """Run a user context-menu command on `target`."""
        user, _ = self._person(who, channel)
        schema = self._find_command(name, channel, kind=2)
        self._check_command_access(schema, user, channel, False)
        invocation = Invocation(self, channel, user)
        target_id = invocation.add_user(target)
        data = {"id": schema["id"], "name": name, "type": 2, "target_id": str(target_id)}
        return self._command_interaction(who, channel, schema, data, invocation, name)

    async def message_command(
        self: DiscordStandIn, who: Person, name: str, target: Message
    ) -> Interaction:
        """Run a message context-menu command on `target`."""
        channel = target.channel
        user, _ = self._person(who, channel)
        schema = self._find_command(name, channel, kind=3)
        self._check_command_access(schema, user, channel, False)
        invocation = Invocation(self, channel, user)
        target_id = invocation.add_message(target)
        data = {"id": schema["id"], "name": name, "type": 3, "target_id": str(target_id)}
        return self._command_interaction(who, channel, schema, data, invocation, name)

    # Components and modals -----------------------------------------------------------------

    async def click(
        self: DiscordStandIn,
        who: Person,
        message: Message,
        custom_id: str,
        *,
        values: list[Any] | None = None,
    ) -> Interaction:
        """Press a button, or pick `values` in a select menu, of a message."""
        user, _ = self._person(who, message.channel)
        if message.deleted:
            raise ScenarioError(f"{message!r} was deleted")
        component = next(
            (c for c in walk_components(message.components) if c.get("custom_id") == custom_id),
            None,
        )
        if component is None:
            raise ScenarioError(
                f"{message!r} has no component {custom_id!r}; it has {message.custom_ids()}"
            )
        if component.get("disabled"):
            raise ScenarioError(f"component {custom_id!r} of {message!r} is disabled")
        if message.ephemeral and message.interaction and message.interaction.user is not user:
            raise ScenarioError(f"only {message.interaction.user.username} sees {message!r}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] in SELECT_TYPES:
            data["values"], resolved = self._select_values(
                component, values or [], message.channel, user
            )
            if resolved:
                data["resolved"] = resolved
        elif values:
            raise ScenarioError(f"{custom_id!r} is a button; it takes no values")
        return self._new_interaction(
            InteractionType.MESSAGE_COMPONENT,
            who,
            message.channel,
            data,
            custom_id,
            message=message,
        )

    async def submit_modal(
        self: DiscordStandIn, who: Person, opened_by: Interaction, values: dict[str, Any]
    ) -> Interaction:
        """Fill in and submit the modal the bot opened in answer to `opened_by`."""
        user, _ = self._person(who, opened_by.channel)
        modal = opened_by.callback.modal if opened_by.callback else None
        if modal is None:
            raise ScenarioError(f"the bot did not open a modal for {opened_by.describe()}")
        if user is not opened_by.user:
            raise ScenarioError(f"only {opened_by.user.username} sees that modal")
        remaining = dict(values)
        components = [_submitted(c, remaining) for c in modal.get("components") or []]
        if remaining:
            raise ScenarioError(f"the modal has no field(s) {sorted(remaining)}")
        data = {"custom_id": modal["custom_id"], "components": components}
        return self._new_interaction(
            InteractionType.MODAL_SUBMIT,
            who,
            opened_by.channel,
            data,
            modal.get("title") or modal["custom_id"],
            message=opened_by.message,
            source=opened_by,
        )

    # Messages, reactions, polls, threads ---------------------------------------------------

    async def post_message(
        self: DiscordStandIn,
        who: Person,
        channel: Channel,
        content: str = "",
        *,
        reply_to: Message | None = None,
        mentions_bot: bool = False,
        embeds: list[dict[str, Any]] | None = None,
        files: list[tuple[str, bytes]] | None = None,
    ) -> Message:
        """Post a message as a person (MESSAGE_CREATE to the bot)."""
        user, _ = self._person(who, channel)
        if mentions_bot and self.bot_user.mention not in content:
            content = f"{self.bot_user.mention} {content}".strip()
        payload: dict[str, Any] = {"content": content}
        if embeds:
            payload["embeds"] = embeds
        if reply_to is not None:
            payload["message_reference"] = {"message_id": str(reply_to.id)}
        uploads = [Upload(i, name, data) for i, (name, data) in enumerate(files or [])]
        try:
            check_message(payload, files=len(uploads))
            require_can_send(user, channel, payload, len(uploads))
        except ApiError as error:
            raise ScenarioError(
                f"{user.username} cannot post that in {channel!r}: {error}"
            ) from error
        return messages.create_message(self, channel, user, payload, files=uploads)

    async def edit_message(
        self: DiscordStandIn, who: Person, message: Message, content: str
    ) -> Message:
        """Edit one's own message (MESSAGE_UPDATE)."""
        user, _ = self._person(who, message.channel)
        if message.author is not user:
            raise ScenarioError(f"{user.username} cannot edit {message!r}")
        return messages.edit_message(self, message, {"content": content})

    async def delete_message(self: DiscordStandIn, who: Person, message: Message) -> None:
        """Delete one's own message, or any with Manage Messages (MESSAGE_DELETE)."""
        user, _ = self._person(who, message.channel)
        if (
            message.author is not user
            and not permissions_of(user, message.channel) & P.manage_messages
        ):
            raise ScenarioError(f"{user.username} cannot delete {message!r}")
        messages.delete_message(self, message)

    async def react(self: DiscordStandIn, who: Person, message: Message, emoji: str) -> None:
        """Add a (unicode) reaction as a person (MESSAGE_REACTION_ADD)."""
        user, _ = self._person(who, message.channel)
        if not permissions_of(user, message.channel) & P.read_message_history:
            raise ScenarioError(f"{user.username} cannot react in {message.channel!r}")
        messages.add_reaction(self, message, user, {"id": None, "name": emoji})

    async def unreact(self: DiscordStandIn, who: Person, message: Message, emoji: str) -> None:
        """Remove one's reaction (MESSAGE_REACTION_REMOVE)."""
        user, _ = self._person(who, message.channel)
        messages.remove_reaction(self, message, user.id, {"id": None, "name": emoji})

    async def vote_poll(
        self: DiscordStandIn, who: Person, message: Message, answer_id: int
    ) -> None:
        """Vote in a poll (MESSAGE_POLL_VOTE_ADD)."""
        user, _ = self._person(who, message.channel)
        polls.vote(self, message, user, answer_id)

    async def unvote_poll(
        self: DiscordStandIn, who: Person, message: Message, answer_id: int
    ) -> None:
        """Take back a vote (MESSAGE_POLL_VOTE_REMOVE)."""
        user, _ = self._person(who, message.channel)
        polls.unvote(self, message, user, answer_id)

    async def end_poll(self: DiscordStandIn, message: Message) -> None:
        """End a poll as its expiry would (final results and the poll-result message)."""
        polls.open_poll(self, message)
        polls.finalize(self, message)

    async def end_due_polls(self: DiscordStandIn) -> int:
        """End every poll whose expiry has passed (by the stand-in's clock); return how many."""
        due = [
            m
            for channel in list(self.channels.values())
            for m in list(channel.messages.values())
            if m.poll is not None and not m.poll.finalized and m.poll.expiry <= self.wall_time()
        ]
        for message in due:
            polls.finalize(self, message)
        return len(due)

    async def start_thread(
        self: DiscordStandIn,
        who: Person,
        channel: Channel,
        name: str,
        *,
        message: Message | None = None,
        private: bool = False,
    ) -> Channel:
        """Start a thread as a person, from `message` or not (THREAD_CREATE)."""
        user, _ = self._person(who, channel)
        if private:
            kind, needed = ChannelType.PRIVATE_THREAD, P.create_private_threads
        else:
            kind = ChannelType.NEWS_THREAD if channel.is_news else ChannelType.PUBLIC_THREAD
            needed = P.create_public_threads
        if not permissions_of(user, channel) & needed:
            raise ScenarioError(f"{user.username} cannot start threads in {channel!r}")
        if message is not None and message.thread is not None:
            raise ScenarioError(f"{message!r} already has a thread")
        return start_thread(self, channel, name=name, owner=user, thread_type=kind, message=message)

    async def join_thread(self: DiscordStandIn, who: Person, thread: Channel) -> None:
        """Join a thread as a person."""
        user, _ = self._person(who, thread)
        join_thread(self, thread, user)
        self.changed()

    async def archive_thread(
        self: DiscordStandIn, thread: Channel, *, locked: bool = False
    ) -> None:
        """Archive a thread as Discord does after inactivity (THREAD_UPDATE)."""
        update_thread(self, thread, {"archived": True, "locked": locked})

    # Helpers -------------------------------------------------------------------------------

    def _person(self: DiscordStandIn, who: Person, channel: Channel) -> tuple[User, Member | None]:
        """Return the acting user and their member, checking they can see the channel."""
        user = who.user if isinstance(who, Member) else who
        if channel.is_dm:
            if channel.recipient is not user:
                raise ScenarioError(f"{user.username} is not in {channel!r}")
            return user, None
        assert channel.guild is not None
        member = channel.guild.members.get(user.id)
        if member is None:
            raise ScenarioError(f"{user.username} is not a member of {channel.guild.name}")
        if not permissions_of(user, channel) & P.view_channel:
            raise ScenarioError(f"{user.username} cannot see {channel!r}")
        return user, member

    def _find_command(
        self: DiscordStandIn, name: str, channel: Channel, *, kind: int
    ) -> dict[str, Any]:
        """Return the registered command a person would see in this channel."""
        stores = [self.global_commands]
        if channel.guild_id is not None:
            stores.insert(0, self.guild_commands.get(channel.guild_id, {}))
        for store in stores:
            for command in store.values():
                if command["name"] == name and command.get("type", 1) == kind:
                    return command
        seen = sorted({c["name"] for store in stores for c in store.values()})
        raise ScenarioError(
            f"no command {name!r} is registered where {channel!r} is; there are {seen}"
        )

    def _check_command_access(
        self: DiscordStandIn, schema: dict[str, Any], user: User, channel: Channel, override: bool
    ) -> None:
        """Raise if Discord would not show the command to this user here."""
        contexts = schema.get("contexts")
        if channel.is_dm and (
            schema.get("dm_permission") is False or (contexts and 1 not in contexts)
        ):
            raise ScenarioError(f"/{schema['name']} cannot be used in DMs")
        if not channel.is_dm and contexts and 0 not in contexts:
            raise ScenarioError(f"/{schema['name']} cannot be used in guilds")
        needed = schema.get("default_member_permissions")
        if needed is not None and not channel.is_dm and not override:
            have = permissions_of(user, channel)
            if int(needed) & ~have and not have & P.administrator:
                raise ScenarioError(
                    f"{user.username} lacks the default permissions of /{schema['name']} "
                    "(pass override_permissions=True to act as if a server admin allowed it)"
                )

    def _command_interaction(
        self: DiscordStandIn,
        who: Person,
        channel: Channel,
        schema: dict[str, Any],
        data: dict[str, Any],
        invocation: Invocation,
        name: str,
        *,
        kind: int = InteractionType.APPLICATION_COMMAND,
    ) -> Interaction:
        """Start an application-command (or autocomplete) interaction."""
        if invocation.resolved:
            data["resolved"] = invocation.resolved
        if "guild_id" in schema:
            data["guild_id"] = schema["guild_id"]
        return self._new_interaction(kind, who, channel, data, name)

    def _select_values(
        self: DiscordStandIn,
        component: dict[str, Any],
        values: list[Any],
        channel: Channel,
        user: User,
    ) -> tuple[list[str], dict[str, Any]]:
        """Check chosen select values and return them (with resolved data for entity selects)."""
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not low <= len(values) <= high:
            raise ScenarioError(
                f"{component['custom_id']!r} takes {low}-{high} values, not {len(values)}"
            )
        if component["type"] == 3:
            offered = [o["value"] for o in component.get("options") or []]
            wrong = [v for v in values if v not in offered]
            if wrong:
                raise ScenarioError(f"{component['custom_id']!r} offers {offered}, not {wrong}")
            return [str(v) for v in values], {}
        invocation = Invocation(self, channel, user)
        kinds = {5: 6, 6: 8, 7: 9, 8: 7}  # select type -> option type it resolves like
        ids = [
            str(invocation.resolve(kinds[component["type"]], v, component, "select"))
            for v in values
        ]
        return ids, invocation.resolved

    def _new_interaction(
        self: DiscordStandIn,
        kind: int,
        who: Person,
        channel: Channel,
        data: dict[str, Any],
        name: str,
        *,
        message: Message | None = None,
        source: Interaction | None = None,
    ) -> Interaction:
        """Record an interaction and send INTERACTION_CREATE to the shard that owns the guild."""
        user, member = self._person(who, channel)
        interaction = Interaction(
            id=self.ids.next(),
            token=f"aW50ZXJhY3Rpb24.{secrets.token_urlsafe(48)}",
            type=kind,
            user=user,
            channel=channel,
            data=data,
            created_at=self.now(),
            member=member,
            message=message,
            source=source,
            name=name,
            notifier=Notifier(guard=self.check_bots),
        )
        interaction.payload = interaction.gateway_payload(self.application_id, self.bot_user)
        self.interactions[interaction.id] = interaction
        self.interactions_by_token[interaction.token] = interaction
        self.dispatch(
            "INTERACTION_CREATE", interaction.payload, guild_id=channel.guild_id, intent=None
        )
        self.changed()
        return interaction


def _submitted(component: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Return a modal component as submitted, taking the person's answer out of `values`."""
    kind = component.get("type")
    if kind == 1:
        return {
            "type": 1,
            "components": [_answer(c, values) for c in component.get("components") or []],
        }
    if kind == 18:
        submitted: dict[str, Any] = {
            "type": 18,
            "component": _answer(component["component"], values),
        }
        if "id" in component:
            submitted["id"] = component["id"]
        return submitted
    return {k: v for k, v in component.items() if k in ("type", "id", "content")}


def _answer(field: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Return one field's submitted value, checked as Discord's client would."""
    custom_id = field["custom_id"]
    if field.get("type") in SELECT_TYPES:
        chosen = [str(v) for v in values.pop(custom_id, [])]
        return {"type": field["type"], "custom_id": custom_id, "values": chosen}
    value = str(values.pop(custom_id, field.get("value") or ""))
    label = field.get("label") or custom_id
    if field.get("required", True) and not value:
        raise ScenarioError(f"modal field {label!r} is required")
    low, high = field.get("min_length", 0), field.get("max_length", 4000)
    if value and not low <= len(value) <= high:
        raise ScenarioError(
            f"modal field {label!r} takes {low}-{high} characters, not {len(value)}"
        )
    return {"type": 4, "custom_id": custom_id, "value": value}
