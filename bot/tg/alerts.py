"""Deadline alerts: /subscribe, /unsubscribe, /deadlines and the subscription buttons."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.core import conversation
from bot.core.languages import Lang
from bot.core.views import ShowDeadlines, ShowSubscriptions, ToggleSubscription, Unsubscribe
from bot.logs import in_context
from bot.services.subscriptions import SubscriptionService
from bot.tg import callback_data
from bot.tg.common import NEW_MESSAGES, Handler, Users, private_commands
from bot.tg.render import send_reply

SUBSCRIPTION_ACTIONS = (ToggleSubscription, Unsubscribe, ShowDeadlines, ShowSubscriptions)


def handlers(subscriptions: SubscriptionService, users: Users) -> list[Handler]:
    async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/subscribe [programme]: the toggles, or subscribe at once to the programme named (a private chat's
        only: alerts are personal, a group is never subscribed)."""
        if (message := update.effective_message) is not None:
            lang = await users.lang(update)
            args = list(context.args or [])
            reply = await subscriptions.subscribe(message.chat.id, args[0] if args else None, lang)
            await send_reply(message, reply, lang)

    async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/unsubscribe [programme|all]: stop one programme's alerts, or all; without a name, the toggles."""
        if (message := update.effective_message) is not None:
            lang = await users.lang(update)
            args = list(context.args or [])
            reply = await subscriptions.unsubscribe(message.chat.id, args[0] if args else None, lang)
            await send_reply(message, reply, lang)

    async def deadlines(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/deadlines: open and upcoming application windows, with an "Add to calendar" button."""
        if (message := update.effective_message) is not None:
            lang = await users.lang(update)
            await send_reply(message, subscriptions.deadlines(lang), lang)

    async def subscription_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if (tapped := await users.tapped(update)) is None:
            return
        query, action, lang = tapped
        await query.answer()
        if isinstance(query.message, Message):
            await _on_button(subscriptions, query.message, action, lang)

    return [
        *private_commands(users, {"subscribe": subscribe}),
        CommandHandler("unsubscribe", in_context(unsubscribe), filters=NEW_MESSAGES),
        CommandHandler("deadlines", in_context(deadlines), filters=NEW_MESSAGES),
        CallbackQueryHandler(in_context(subscription_button), pattern=is_subscription_button),
    ]


def is_subscription_button(data: object) -> bool:
    return isinstance(callback_data.unpack(data), SUBSCRIPTION_ACTIONS)


async def _on_button(subscriptions: SubscriptionService, message: Message, action: object, lang: Lang) -> None:
    chat_id = message.chat.id
    if isinstance(action, (ToggleSubscription, ShowSubscriptions)) and message.chat.type != ChatType.PRIVATE:
        # Alerts are personal: a group is never subscribed, as with /subscribe.
        await send_reply(message, conversation.private_chat_only(lang), lang)
    elif isinstance(action, ToggleSubscription):
        reply = await subscriptions.toggle(chat_id, action.programme_id, lang)
        await send_reply(message, reply, lang, in_place=True)
    elif isinstance(action, ShowSubscriptions):
        await send_reply(message, await subscriptions.menu(chat_id, lang), lang, in_place=True)
    elif isinstance(action, Unsubscribe):
        # From an alert: the alert stays; the confirmation comes below it.
        reply = await subscriptions.unsubscribe_from_alert(chat_id, action.programme_id, lang)
        await send_reply(message, reply, lang)
    elif isinstance(action, ShowDeadlines):
        if action.calendar:
            content = subscriptions.calendar(lang)
            await message.reply_document(content, filename="deadlines.ics", caption=None)
        else:
            await send_reply(message, subscriptions.deadlines(lang), lang)
