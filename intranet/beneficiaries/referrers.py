"""The partners a file may name as its referrer: a directory the partners feature plugs in.

Beneficiaries is a lower feature than partners and never imports it: the partners feature puts its
directory in ``app.extensions["referrer_directory"]`` when it is registered. Without one, a file
names its referrer in free text only.
"""

from typing import Protocol

from flask import current_app

Choice = tuple[int, str]


class ReferrerDirectory(Protocol):
    def partners(self, association_id: int, q: str = "", include: int | None = None) -> list[Choice]:
        """The association's active partners (and `include`, even inactive), by name, matching `q`."""

    def contacts(self, association_id: int, partner_id: int | None, include: int | None = None) -> list[Choice]:
        """The active contacts of one of the association's partners (and `include`, even one who left)."""


def _directory() -> ReferrerDirectory | None:
    return current_app.extensions.get("referrer_directory")


def partner_choices(association_id: int, q: str = "", include: int | None = None) -> list[Choice]:
    directory = _directory()
    return directory.partners(association_id, q, include) if directory else []


def contact_choices(association_id: int, partner_id: int | None, include: int | None = None) -> list[Choice]:
    directory = _directory()
    return directory.contacts(association_id, partner_id, include) if directory and partner_id else []
