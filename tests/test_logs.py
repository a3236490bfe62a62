"""Log lines name the update and the handler they come from, in text and in JSON."""

import json
import logging

from bot.logs import JsonFormatter, UpdateContext, in_context


class FakeUpdate:
    update_id = 4242


async def test_a_line_logged_in_a_handler_names_its_update_and_handler(caplog) -> None:
    """While a wrapped handler runs, every record carries its update id and name; outside, a dash."""
    log = logging.getLogger("bot.test")

    async def question(update: object, context: object) -> None:
        log.info("matched")

    caplog.handler.addFilter(UpdateContext())
    caplog.set_level(logging.INFO)
    await in_context(question)(FakeUpdate(), None)
    log.info("outside")

    inside, outside = caplog.records[-2:]
    assert (inside.update_id, inside.handler) == (4242, "question")
    assert (outside.update_id, outside.handler) == ("-", "-")
    assert json.loads(JsonFormatter().format(inside))["update_id"] == 4242
    assert "update_id" not in json.loads(JsonFormatter().format(outside))
