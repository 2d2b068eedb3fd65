"""Users and groups: what users do in chats, group membership, getChat and getChatMember."""

from __future__ import annotations

import copy
from typing import Any

from tests.fakes.telegram_api.config import JSON
from tests.fakes.telegram_api.core import _without_reply
from tests.fakes.telegram_api.entities import find_entities
from tests.fakes.telegram_api.errors import _bad
from tests.fakes.telegram_api.records import _buttons
from tests.fakes.telegram_api.requests import _Args
from tests.fakes.telegram_api.state import _CallbackState, _Chat, _User
from tests.fakes.telegram_api.updates import _Updates


class _Chats(_Updates):
    """Users acting in chats (writing, pressing buttons, blocking the bot), groups the bot
    joins, leaves or sees upgraded, members' statuses, and getChat/getChatMember."""

    # ------------------------------------------------------------------ what users do

    def send_private(
        self, user_id: int, text: str, *, reply_to_message_id: int | None = None
    ) -> JSON:
        """The user writes ``text`` to the bot in their private chat; returns the Update."""
        user = self._ensure_user(user_id)
        if user.blocked:
            # Writing to a blocked bot (e.g. "Restart") unblocks it first.
            self.unblock(user_id)
        user.started = True
        chat = self._private_chat(user)
        message = self._incoming_message(chat, user, text, reply_to_message_id)
        return self._push_update("message", message)

    def send_group(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        title: str = "Group",
        *,
        chat_type: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """The user writes ``text`` in a group; returns the Update.

        In privacy mode (the default, as on Telegram) the bot only receives commands that are
        not addressed to another bot and replies to its own messages; other messages are
        returned but not queued.
        """
        chat = self._group_chat(chat_id, title, chat_type, bot_status="member")
        user = self._ensure_user(user_id)
        chat.members.setdefault(user_id, "member")
        message = self._incoming_message(chat, user, text, reply_to_message_id)
        visible = chat.bot_status in {"member", "administrator", "creator"} and (
            not self.privacy_mode
            or chat.bot_status == "administrator"
            or self._meant_for_bot(message)
        )
        return self._push_update("message", message, deliver=visible)

    def press_button(self, user_id: int, message_id: int, chat_id: int, data: str) -> JSON:
        """The user presses the inline button with ``data``; returns the callback_query Update."""
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}")
        message = chat.messages.get(message_id)
        if message is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        markup = message.get("reply_markup")
        if data not in [b.get("callback_data") for b in _buttons(markup)]:
            raise ValueError(f"message {message_id} has no button with callback_data {data!r}")
        user = self._ensure_user(user_id)
        query_id = str(next(self._callback_counter))
        self._callback_queries[query_id] = _CallbackState(user_id=user_id)
        query: JSON = {
            "id": query_id,
            "from": copy.deepcopy(user.data),
            "message": copy.deepcopy(message),
            "chat_instance": str(-(abs(chat_id) * 7919 + 104_729)),
            "data": data,
        }
        return self._push_update("callback_query", query)

    def block(self, user_id: int) -> JSON:
        """The user blocks the bot; sends to them then fail with 403. Returns the Update."""
        user = self._ensure_user(user_id)
        user.blocked = True
        chat = self._private_chat(user)
        return self._push_update(
            "my_chat_member", self._member_update(chat, user, "member", "kicked")
        )

    def unblock(self, user_id: int) -> JSON:
        user = self._ensure_user(user_id)
        user.blocked = False
        chat = self._private_chat(user)
        return self._push_update(
            "my_chat_member", self._member_update(chat, user, "kicked", "member")
        )

    # ------------------------------------------------------------------ groups and members

    def bot_added_to_group(
        self,
        chat_id: int,
        by_user_id: int,
        title: str = "Group",
        *,
        chat_type: str | None = None,
    ) -> JSON:
        """A user adds the bot to a group; returns the my_chat_member Update.

        Like Telegram, this also queues the service message with ``new_chat_members``.
        """
        chat = self._group_chat(chat_id, title, chat_type, bot_status="left")
        old_status = chat.bot_status
        chat.bot_status = "member"
        user = self._ensure_user(by_user_id)
        chat.members.setdefault(by_user_id, "member")
        update = self._push_update(
            "my_chat_member",
            self._member_update(chat, user, old_status, "member"),
        )
        service = self._new_message(chat, user.data)
        service["new_chat_participant"] = copy.deepcopy(self.bot_user)
        service["new_chat_member"] = copy.deepcopy(self.bot_user)
        service["new_chat_members"] = [copy.deepcopy(self.bot_user)]
        self._push_update("message", service)
        return update

    def upgrade_group(
        self, chat_id: int, by_user_id: int, *, new_chat_id: int | None = None
    ) -> int:
        """A user upgrades the basic group ``chat_id`` to a supergroup; returns its new id
        (``-100`` followed by the digits, as Telegram's supergroup ids read).

        As on Telegram, members and the bot's status carry over, two service messages are
        queued (``migrate_to_chat_id`` in the old group, then ``migrate_from_chat_id`` in the
        new supergroup), and every later request for the old id is refused with 400 and
        ``parameters.migrate_to_chat_id``. Nobody can write in the old group any more.
        """
        chat = self._chats.get(chat_id)
        if chat is None or chat.type != "group":
            raise ValueError(f"unknown basic group {chat_id}")
        if chat.migrated_to is not None:
            raise ValueError(f"group {chat_id} was already upgraded")
        new_id = new_chat_id if new_chat_id is not None else -(10**12 + abs(chat_id))
        if new_id > -(10**12) or new_id in self._chats:
            raise ValueError(f"{new_id} is not a free supergroup id")
        data: JSON = {"id": new_id, "title": chat.data.get("title", "Group"), "type": "supergroup"}
        supergroup = _Chat(data, members=dict(chat.members), bot_status=chat.bot_status)
        self._chats[new_id] = supergroup
        chat.migrated_to = new_id
        user = self._ensure_user(by_user_id)
        present = chat.bot_status in {"member", "administrator", "creator"}
        # Service messages reach the bot whatever its privacy mode, while it is in the group.
        moved_to = self._new_message(chat, user.data)
        moved_to["migrate_to_chat_id"] = new_id
        self._push_update("message", moved_to, deliver=present)
        moved_from = self._new_message(supergroup, user.data)
        moved_from["migrate_from_chat_id"] = chat_id
        self._push_update("message", moved_from, deliver=present)
        return new_id

    def bot_removed_from_group(self, chat_id: int, by_user_id: int, *, kicked: bool = True) -> JSON:
        """A user removes the bot from a group; returns the my_chat_member Update."""
        chat = self._chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise ValueError(f"unknown group {chat_id}")
        old_status = chat.bot_status
        chat.bot_status = "kicked" if kicked else "left"
        user = self._ensure_user(by_user_id)
        return self._push_update(
            "my_chat_member", self._member_update(chat, user, old_status, chat.bot_status)
        )

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Set what getChatMember answers: creator, administrator, member, restricted, left,
        kicked. ``user_id`` may be the bot's own id."""
        if status not in {"creator", "administrator", "member", "restricted", "left", "kicked"}:
            raise ValueError(f"unknown status {status!r}")
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}")
        if user_id == self.bot_id:
            chat.bot_status = status
        else:
            self._ensure_user(user_id)
            chat.members[user_id] = status

    # ------------------------------------------------------------------ internals

    def _group_chat(
        self, chat_id: int, title: str, chat_type: str | None, *, bot_status: str
    ) -> _Chat:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind = chat_type or ("supergroup" if chat_id <= -1_000_000_000_000 else "group")
        if kind not in {"group", "supergroup"}:
            raise ValueError("chat_type is 'group' or 'supergroup'")
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = _Chat({"id": chat_id, "title": title, "type": kind}, bot_status=bot_status)
            self._chats[chat_id] = chat
        if chat.migrated_to is not None:
            raise ValueError(f"group {chat_id} was upgraded to supergroup {chat.migrated_to}")
        return chat

    def _incoming_message(
        self, chat: _Chat, user: _User, text: str, reply_to_message_id: int | None
    ) -> JSON:
        reply_to: JSON | None = None
        if reply_to_message_id is not None:
            reply_to = chat.messages.get(reply_to_message_id)
            if reply_to is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat.id}")
        message = self._new_message(chat, user.data)
        message["text"] = text
        entities = [e.to_json() for e in find_entities(text)]
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = _without_reply(reply_to)
        return message

    def _meant_for_bot(self, message: JSON) -> bool:
        reply_to = message.get("reply_to_message")
        if reply_to is not None and reply_to.get("from", {}).get("id") == self.bot_id:
            return True
        for entity in message.get("entities", []):
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                command = _utf16_slice(message["text"], 0, entity["length"])
                _, _, target = command.partition("@")
                return not target or target.lower() == self.bot_username.lower()
        return False

    def _member_update(self, chat: _Chat, user: _User, old: str, new: str) -> JSON:
        return {
            "chat": copy.deepcopy(chat.data),
            "from": copy.deepcopy(user.data),
            "date": self._date(),
            "old_chat_member": _chat_member(self.bot_user, old),
            "new_chat_member": _chat_member(self.bot_user, new),
        }

    # ------------------------------------------------------------------ methods

    async def _m_get_chat(self, args: _Args) -> tuple[Any, str | None]:
        chat = self._resolve_chat(args)
        info = copy.deepcopy(chat.data)
        info.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": True,
                    "limited_gifts": True,
                    "unique_gifts": True,
                    "premium_subscription": True,
                    "gifts_from_channels": True,
                },
            }
        )
        return info, None

    async def _m_get_chat_member(self, args: _Args) -> tuple[Any, str | None]:
        chat = self._resolve_chat(args)
        user_id = args.get_int("user_id", 0)
        if user_id <= 0:
            raise _bad("invalid user_id specified")
        if user_id == self.bot_id:
            status = "member" if chat.type == "private" else chat.bot_status
            return _chat_member(self.bot_user, status), None
        user = self._users.get(user_id)
        if user is None:
            raise _bad("user not found")
        if chat.type == "private":
            status = "member" if user_id == chat.id else "left"
        else:
            status = chat.members.get(user_id, "left")
        return _chat_member(user.data, status), None


def _utf16_slice(text: str, offset: int, length: int) -> str:
    encoded = text.encode("utf-16-le", "surrogatepass")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le", "surrogatepass")


def _chat_member(user: JSON, status: str) -> JSON:
    member: JSON = {"user": copy.deepcopy(user), "status": status}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
            }
        )
    elif status == "restricted":
        member.update(
            {
                "is_member": True,
                "can_send_messages": False,
                "can_send_audios": False,
                "can_send_documents": False,
                "can_send_photos": False,
                "can_send_videos": False,
                "can_send_video_notes": False,
                "can_send_voice_notes": False,
                "can_send_polls": False,
                "can_send_other_messages": False,
                "can_add_web_page_previews": False,
                "can_change_info": False,
                "can_invite_users": False,
                "can_pin_messages": False,
                "can_manage_topics": False,
                "until_date": 0,
            }
        )
    elif status == "kicked":
        member["until_date"] = 0
    return member
