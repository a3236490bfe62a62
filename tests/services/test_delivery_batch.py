"""How many deliveries the dispatcher claims at once follows the sending rate it is given."""

from __future__ import annotations

import pytest

from bot.app import build_services
from bot.core.engine import Engine
from bot.services.delivery import BATCH, batch_for_rate
from tests.conftest import settings_for
from tests.fake_bot_api import FakeBotApi


@pytest.mark.parametrize(("rate", "batch"), [(30, BATCH), (100, BATCH), (1000, 500)])
def test_a_paid_rate_claims_half_a_second_of_sending_at_once(rate: float, batch: int) -> None:
    assert batch_for_rate(rate) == batch


@pytest.mark.parametrize("rate", [30, 1000])
def test_the_bot_claims_by_its_sending_rate(engine: Engine, fake_api: FakeBotApi, rate: float) -> None:
    services = build_services(settings_for(fake_api, send_rate_per_second=rate), engine)
    assert services.dispatcher.batch_size == batch_for_rate(rate)
