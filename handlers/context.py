"""The typed context every handler receives: `context.services` instead of dict lookups in `bot_data`.

`Services` bundles the long-lived objects `bot.py` creates at start-up (config, storage, translator, the domain
services — rounds, membership, member settings, the schedule — and the outbox); handlers reach them only through
`KierrosContext.services`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from checkins.config.app import AppConfig
from checkins.digest.service import DigestService
from checkins.i18n import Catalog, Translator
from checkins.outbox import Outbox
from checkins.privacy.personal_data import PersonalDataService
from checkins.privacy.replies import ReplyService
from checkins.rounds.membership import MembershipService, Person
from checkins.rounds.processes import ProcessService
from checkins.rounds.service import RoundService
from checkins.rounds.settings import SettingsService
from checkins.schedule.reminding import ReminderService
from checkins.schedule.scheduler import ScheduleService
from checkins.storage import Store

SERVICES_KEY = "services"


@dataclass
class Services:
    config: AppConfig
    store: Store
    translator: Translator
    outbox: Outbox
    rounds: RoundService
    membership: MembershipService
    personal_data: PersonalDataService
    replies: ReplyService
    processes: ProcessService
    settings: SettingsService
    schedule: ScheduleService
    digests: DigestService
    reminders: ReminderService

    def catalog_for(self, person: Person) -> Catalog:
        return self.translator.for_language(self.membership.language_of(person))


class KierrosContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    @property
    def services(self) -> Services:
        services = self.application.bot_data[SERVICES_KEY]
        assert isinstance(services, Services)
        return services


KierrosApplication = Application[ExtBot[None], KierrosContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]
