"""The dry run: what each row of a file would do (create, update, unchanged, error), and duplicate groups.

The same plan is made again at commit time, against the database as it is then, so what is written
is exactly what the admin saw, minus what changed meanwhile.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from intranet.beneficiaries.models import Beneficiary
from intranet.extensions import db
from intranet.imports import cells
from intranet.imports.fields import Field, read_cell
from intranet.imports.reading import Table, is_blank
from intranet.journeys.models import Journey, JourneyModule
from intranet.search import fold
from intranet.values import InvalidValue

# What a beneficiary row may set on the file (module dates and the person's name split aside).
FILE_FIELDS = ("first_name", "last_name", "email", "phone", "postcode", "commune", "referrer", "target_job",
               "interview_on", "notes", "gender", "birth_date", "status")
CONTEXT_FIELDS = ("referrer", "target_job", "interview_on", "notes")
ESF_FIELDS = ("gender", "birth_date")


@dataclass
class Row:
    n: int  # the row's number in the file
    data: dict = field(default_factory=dict)
    modules: dict = field(default_factory=dict)  # module id -> date
    qualifications: dict = field(default_factory=dict)  # training id -> (obtained on, valid until, dated)
    errors: list = field(default_factory=list)  # [column, message]
    warnings: list = field(default_factory=list)
    status: str = ""
    changes: dict = field(default_factory=dict)
    match: int | None = None
    group: str | None = None

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.data.get("first_name", ""), self.data.get("last_name", "")) if p)

    def as_dict(self) -> dict:
        return {"n": self.n, "status": self.status, "label": self.label, "errors": self.errors,
                "warnings": self.warnings, "changes": self.changes, "match": self.match, "group": self.group}


def parse_rows(table: Table, fields: list[Field], mapping: dict, today: date) -> list[Row]:
    """Read every row's mapped cells; a cell that cannot be read is an error named after its column."""
    by_key = {f.key: f for f in fields}
    columns = [(i, header, by_key.get(mapping["columns"].get(header, "")))
               for i, header in enumerate(table.headers)]
    columns = [(i, h, f) for i, h, f in columns if f is not None]
    values = mapping.get("values", {})
    width = len(table.headers)
    rows = []
    for n, raw in table.rows:
        row = Row(n)
        extra = [c for c in raw[width:] if not is_blank(c)]
        if extra:
            row.errors.append(["", _("la ligne a %(count)s colonne(s) de plus que l’en-tête (« %(value)s ») : un "
                                     "séparateur en trop ou une cellule décalée ?", count=len(raw) - width,
                                     value=cells.text(extra[0])[:40])])
        for i, header, f in columns:
            cell = raw[i] if i < len(raw) else None
            try:
                value, warning = read_cell(f, cell, values=values.get(f.key, {}), epoch=table.epoch, today=today)
            except InvalidValue as error:
                row.errors.append([header, str(error)])
                continue
            if warning:
                row.warnings.append([header, warning])
            if f.key == "full_name":
                first, last = cells.split_full_name(value)
                row.data.setdefault("first_name", first)
                row.data.setdefault("last_name", last)
            elif f.type == "module_date":
                if value:
                    row.modules[int(f.key.split(":")[1])] = value
            elif value not in ("", None) or f.key not in row.data:
                row.data[f.key] = value
        rows.append(row)
    return rows


# --- beneficiaries ------------------------------------------------------------------------------

def _keys(data: dict) -> list[tuple]:
    """Duplicate keys from strong to weak: e-mail; phone and first name; name and birth date."""
    keys = []
    if data.get("email"):
        keys.append(("email", data["email"].lower()))
    if data.get("phone") and data.get("first_name"):
        keys.append(("phone", data["phone"], fold(data["first_name"])))
    if data.get("birth_date") and data.get("last_name") and data.get("first_name"):
        keys.append(("name", fold(data["last_name"]), fold(data["first_name"]), data["birth_date"].isoformat()))
    return keys





def _reason(kind: str) -> str:
    return {"email": _("même e-mail"), "phone": _("même téléphone et même prénom"),
            "name": _("même nom et même date de naissance")}[kind]


class Existing:
    """The association's files, read once: their keys and the values an import compares."""

    def __init__(self, association_id: int):
        columns = [getattr(Beneficiary, f) for f in FILE_FIELDS]
        self.values: dict[int, dict] = {}
        self.index: dict[tuple, list[int]] = defaultdict(list)
        self.phones: dict[str, list[int]] = defaultdict(list)
        for row in db.session.execute(select(Beneficiary.id, *columns)
                                      .where(Beneficiary.association_id == association_id)):
            data = dict(zip(FILE_FIELDS, row[1:], strict=True))
            self.values[row[0]] = data
            for key in _keys(data):
                self.index[key].append(row[0])
            if data["phone"]:
                self.phones[data["phone"]].append(row[0])
        self.modules: dict[int, set] = defaultdict(set)
        for beneficiary_id, module_id in db.session.execute(
                select(Journey.beneficiary_id, JourneyModule.module_id)
                .join(Journey, Journey.id == JourneyModule.journey_id)
                .where(JourneyModule.association_id == association_id, JourneyModule.status == "done")):
            self.modules[beneficiary_id].add(module_id)

    def find(self, data: dict) -> tuple[int | None, str]:
        for key in _keys(data):
            if self.index.get(key):
                return self.index[key][0], key[0]
        return None, ""


class _Groups:
    def __init__(self):
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def merge_choices(rows: list[Row], keys, existing: dict | None, keep: int, picks: dict | None = None) -> list[dict]:
    """The fields whose values differ in a duplicate group, each with the values offered and the one chosen.

    A value is offered once with every place it comes from (the rows' numbers, "existing" for the
    association's file); a blank is never offered. The file already there is preselected, then the row
    kept, then the first row that has a value; `picks` holds what the admin chose ({key: source}).
    """
    choices = []
    for key in keys:
        offered: dict[str, dict] = {}
        if existing is not None and existing.get(key) not in ("", None):
            offered[shown(existing[key])] = {"source": "existing", "from": ["existing"]}
        for row in rows:
            value = row.data.get(key)
            if value in ("", None):
                continue
            entry = offered.setdefault(shown(value), {"source": str(row.n), "from": []})
            entry["from"].append(row.n)
        if len(offered) < 2:
            continue
        sources = [e["source"] for e in offered.values()]
        kept = next((e["source"] for e in offered.values() if keep in e["from"]), sources[0])
        chosen = (picks or {}).get(key)
        if chosen not in sources:
            chosen = "existing" if "existing" in sources else kept
        choices.append({"key": key, "chosen": chosen,
                        "options": [{"source": e["source"], "value": text, "from": e["from"]}
                                    for text, e in offered.items()]})
    return choices


def merge_rows(rows: list[Row], keep: int, choices: list[dict] = (), existing: dict | None = None) -> Row:
    """One row from a group: the values chosen field by field, else the kept row's, blanks filled from the others."""
    first = next((r for r in rows if r.n == keep), rows[0])
    merged = Row(first.n, data=dict(first.data), modules=dict(first.modules), errors=list(first.errors),
                 warnings=list(first.warnings))
    for other in rows:
        for key, value in other.data.items():
            if merged.data.get(key) in ("", None) and value not in ("", None):
                merged.data[key] = value
        for module, day in other.modules.items():
            merged.modules.setdefault(module, day)
        for training, held in other.qualifications.items():
            merged.qualifications.setdefault(training, held)
    by_n = {str(r.n): r for r in rows}
    for choice in choices:
        key, source = choice["key"], choice["chosen"]
        if source == "existing" and existing is not None:
            merged.data[key] = existing[key]
        elif source in by_n:
            merged.data[key] = by_n[source].data[key]
    return merged


def _compare(row: Row, existing: Existing, match: int) -> None:
    old = existing.values[match]
    for key, value in row.data.items():
        if key in old and value not in ("", None) and old[key] != value:
            row.changes[key] = [shown(old[key]), shown(value)]
    for module_id in row.modules:
        if module_id not in existing.modules.get(match, set()):
            row.changes[f"module:{module_id}"] = ["", shown(row.modules[module_id])]
    row.status = "update" if row.changes else "unchanged"


def shown(value) -> str:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def plan_beneficiaries(rows: list[Row], association_id: int, decisions: dict, consent: str) -> dict:
    """Give each row its status, group duplicates, and count."""
    for row in rows:
        if not row.data.get("last_name"):
            row.errors.append(["", _("nom manquant")])
        if not row.data.get("first_name"):
            row.errors.append(["", _("prénom manquant")])
        if not consent and any(row.data.get(f) not in ("", None) for f in CONTEXT_FIELDS + ESF_FIELDS):
            row.errors.append(["", _("le consentement n’est pas indiqué pour ces données (choisissez-le à "
                                     "l’étape des colonnes)")])
    valid = [r for r in rows if not r.errors]
    for row in rows:
        if row.errors:
            row.status = "error"
    # Inside the file: rows sharing a key are one person (a phone alone never joins two people).
    groups = _Groups()
    first_with: dict[tuple, int] = {}
    reasons: dict[int, str] = {}
    phones: dict[str, Row] = {}
    for row in valid:
        for key in _keys(row.data):
            if key in first_with:
                groups.union(first_with[key], row.n)
                reasons.setdefault(row.n, _reason(key[0]))
            else:
                first_with[key] = row.n
        phone = row.data.get("phone")
        if phone:
            if phone in phones and groups.find(phones[phone].n) != groups.find(row.n):
                row.warnings.append(["", _("même téléphone que la ligne %(n)s (%(name)s), mais une autre personne : "
                                           "deux fiches", n=phones[phone].n, name=phones[phone].label)])
            phones.setdefault(phone, row)
    members: dict[int, list[Row]] = defaultdict(list)
    for row in valid:
        members[groups.find(row.n)].append(row)
    existing = Existing(association_id)
    report_groups = []
    units: list[tuple[Row, list[Row]]] = []
    for root, group_rows in members.items():
        match, why = None, ""
        for row in group_rows:
            match, why = existing.find(row.data)
            if match:
                break
        weak = match is not None and why != "email" and any(
            existing.values[match].get(k) not in ("", None) and v not in ("", None) and existing.values[match][k] != v
            for r in group_rows for k, v in r.data.items() if k in ("email", "birth_date", "last_name"))
        if len(group_rows) == 1 and not weak:
            units.append((group_rows[0], group_rows))
            group_rows[0].match = match
            continue
        gid = f"g{root}"
        decision = decisions.get(gid, {})
        action = decision.get("action") or "merge"
        keep = decision.get("keep") or group_rows[0].n
        values = existing.values[match] if match is not None else None
        choices = merge_choices(group_rows, FILE_FIELDS, values, keep, decision.get("fields"))
        report_groups.append({"id": gid, "rows": [{"n": r.n, "label": r.label, "email": r.data.get("email", ""),
                                                   "phone": r.data.get("phone", ""),
                                                   "birth_date": shown(r.data.get("birth_date"))} for r in group_rows],
                              "existing": match, "existing_label": _existing_label(existing, match),
                              "reason": reasons.get(group_rows[-1].n) or _reason(why or "name"),
                              "action": action, "keep": keep, "fields": choices})
        for row in group_rows:
            row.group = gid
        if action == "skip":
            for row in group_rows:
                row.status = "skipped"
        elif action == "both":
            for row in group_rows:
                row.match = None if weak else existing.find(row.data)[0]
                units.append((row, [row]))
        else:
            merged = merge_rows(group_rows, keep, choices, values)
            merged.match = match
            for row in group_rows:
                if row.n != merged.n:
                    row.status = "merged"
            units.append((merged, group_rows))
    plan_rows = {r.n: r for r in rows}
    for unit, _group in units:
        if unit.match is None:
            unit.status = "create"
        else:
            _compare(unit, existing, unit.match)
        target = plan_rows[unit.n]
        target.status, target.match, target.changes = unit.status, unit.match, unit.changes
        target.data, target.modules = unit.data, unit.modules
    counts = defaultdict(int)
    for row in rows:
        counts[row.status] += 1
    counts["warnings"] = sum(1 for r in rows if r.warnings)
    return {"rows": [r.as_dict() for r in rows], "groups": report_groups, "counts": dict(counts)}


def _existing_label(existing: Existing, match: int | None) -> str:
    if match is None:
        return ""
    values = existing.values[match]
    return f"{values['first_name']} {values['last_name']}"
