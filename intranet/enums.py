"""Statuses and kinds: each one enum with its French labels, stored as its value under a CHECK constraint.

A feature declares its list once, in its ``models.py``::

    class BeneficiaryStatus(LabelledEnum):
        NEW = "new", _l("Nouveau")
        ...

and uses it everywhere: the column (``default=BeneficiaryStatus.NEW`` and
``CheckConstraint(BeneficiaryStatus.check("status"), name="status")``), the form
(``choices=BeneficiaryStatus.choices()``), the services (members compare equal to their stored
strings), the list filters (``arg_choice("status", BeneficiaryStatus)``) and the templates, where
every enum is a global and ``{{ b.status|label(BeneficiaryStatus) }}`` shows the French label.

A column that may hold no answer yet (not asked, not exited) stores "" and is declared with
``check(column, blank=True)``; "" is never a member.
"""

from collections.abc import Iterable
from enum import StrEnum


class LabelledEnum(StrEnum):
    """A string enum whose members carry a lazy French label: ``DONE = "done", _l("Réalisé")``."""

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = value if label is None else label
        return member

    @property
    def label(self):
        """The member's label, translated when it is shown."""
        return self._label

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """The stored strings, in the declared order."""
        return tuple(member.value for member in cls)

    @classmethod
    def choices(cls, empty=None, members: Iterable["LabelledEnum"] | None = None) -> list[tuple[str, object]]:
        """(value, label) pairs for a WTForms SelectField, after an ("", `empty`) choice when given."""
        pairs = [(member.value, member.label) for member in (cls if members is None else members)]
        return ([("", empty)] if empty is not None else []) + pairs

    @classmethod
    def of(cls, value: str | None) -> "LabelledEnum | None":
        """The member stored as `value`, or None ("" or a value no longer known)."""
        return cls._value2member_map_.get(value or "")

    @classmethod
    def label_of(cls, value: str | None, blank: str = "—"):
        """The label of a stored value; `blank` for "", the value itself if unknown."""
        member = cls.of(value)
        if member is not None:
            return member.label
        return value if value else blank

    @classmethod
    def check(cls, column: str, *, blank: bool = False) -> str:
        """The CHECK constraint text that keeps `column` to these values ("" too when `blank`)."""
        allowed = ", ".join(f"'{value}'" for value in (("",) if blank else ()) + cls.values())
        return f"{column} IN ({allowed})"


def all_enums() -> dict[str, type[LabelledEnum]]:
    """Every LabelledEnum of the application by class name (the features' modules being imported)."""
    found: dict[str, type[LabelledEnum]] = {}
    pending = list(LabelledEnum.__subclasses__())
    while pending:
        enum = pending.pop()
        if enum.__name__ in found and found[enum.__name__] is not enum:
            raise RuntimeError(f"two enums are named {enum.__name__}")
        found[enum.__name__] = enum
        pending.extend(enum.__subclasses__())
    return found


def label(value: str | None, enum: type[LabelledEnum], blank: str = "—"):
    """Jinja filter: ``{{ b.status|label(BeneficiaryStatus) }}``."""
    return enum.label_of(value, blank)
