"""The import forms: upload, how to read the file, the columns' mapping, the duplicates' decisions.

The mapping and decisions forms have one field per column, value or group of the file at hand, so
they are built for each batch.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField, SelectField

from intranet.beneficiaries.models import ConsentScope
from intranet.forms import IntegerField
from intranet.imports.models import Delimiter, ImportKind
from intranet.imports.reading import ENCODING_CHOICES


class UploadForm(FlaskForm):
    kind = SelectField(_l("Le fichier contient"), choices=ImportKind.choices(), default=ImportKind.BENEFICIARIES)
    file = FileField(_l("Fichier CSV ou Excel (.xlsx), 15 Mo et 20 000 lignes au plus"),
                     validators=[FileRequired(_l("Choisissez un fichier."))])


def options_form(batch, formdata=None) -> FlaskForm:
    """Encoding and delimiter (CSV) or sheet (workbook), and the header row."""
    detected = batch.options.get("detected", {})

    class OptionsForm(FlaskForm):
        header_row = IntegerField(_l("Ligne des en-têtes"), default=batch.options.get("header_row", 1))

    if batch.file_type == "xlsx":
        OptionsForm.sheet = SelectField(_l("Feuille"), choices=[(s, s) for s in detected.get("sheets", [])],
                                        default=batch.options.get("sheet"))
    else:
        encodings = list(dict.fromkeys([detected.get("encoding", "utf-8"), *ENCODING_CHOICES]))
        OptionsForm.encoding = SelectField(_l("Encodage"), choices=[(e, e.upper()) for e in encodings],
                                           default=batch.options.get("encoding"))
        OptionsForm.delimiter = SelectField(_l("Séparateur"), choices=Delimiter.choices(),
                                            default=batch.options.get("delimiter"))
    return OptionsForm(formdata=formdata)


def mapping_form(batch, fields, value_choices: dict, formdata=None) -> FlaskForm:
    """One select per column (`col_<i>`), one per distinct value of a list field (`val_<i>_<j>`), the consent."""
    choices = [("", _l("— ne pas importer —"))] + [(f.key, f.label) for f in fields]
    by_key = {f.key: f for f in fields}

    class MappingForm(FlaskForm):
        consent = SelectField(_l("Consentement recueilli par l’association pour ces personnes"),
                              choices=[("", _l("Non indiqué : n’importer que l’identité et les coordonnées")),
                                       *ConsentScope.choices()],
                              default=batch.mapping.get("consent", ""))

    columns = batch.mapping.get("columns", {})
    for i, header in enumerate(batch.preview.get("headers", [])):
        setattr(MappingForm, f"col_{i}", SelectField(header, choices=choices, default=columns.get(header, "")))
        if header in value_choices:
            f = by_key[value_choices[header]["field"].key]
            options = [("", _l("— valeur ignorée (erreur) —"))] + [(c, str(label)) for c, label in f.choices]
            for j, (_value, _count, chosen) in enumerate(value_choices[header]["values"]):
                setattr(MappingForm, f"val_{i}_{j}", SelectField(_value, choices=options, default=chosen))
    return MappingForm(formdata=formdata)


ACTIONS = {"merge": _l("Une seule personne : fusionner"), "both": _l("Deux personnes : garder les deux"),
           "skip": _l("Ne pas importer ces lignes")}


def _option_label(option: dict, f) -> str:
    """« Talence » — ligne 3 ; a list value by its label, a phone as people write it."""
    from flask_babel import gettext as _

    from intranet.phones import format_phone

    value = option["value"]
    if f is not None and f.is_list:
        value = str(dict(f.choices).get(value, value))
    elif f is not None and f.type == "phone":
        value = format_phone(value)
    rows = [n for n in option["from"] if n != "existing"]
    where = []
    if "existing" in option["from"]:
        where.append(_("fiche existante"))
    if rows:
        where.append(_("ligne %(n)s", n=rows[0]) if len(rows) == 1 else
                     _("lignes %(n)s", n=", ".join(str(n) for n in rows)))
    return f"« {value} » — {' ; '.join(where)}"


def decisions_form(batch, fields: dict, formdata=None) -> FlaskForm:
    """Per duplicate group: what to do (`action_<group>`), and for a merge the value kept of each field that
    differs (`pick_<group>_<field>`, the existing file's value preselected)."""
    class DecisionsForm(FlaskForm):
        pass

    for group in batch.report.get("groups", []):
        actions = group.get("actions") or list(ACTIONS)
        setattr(DecisionsForm, f"action_{group['id']}", RadioField(
            _l("Que faire ?"), default=group["action"], choices=[(a, ACTIONS[a]) for a in actions]))
        for choice in group.get("fields", []):
            f = fields.get(choice["key"])
            setattr(DecisionsForm, f"pick_{group['id']}_{choice['key']}", RadioField(
                f.label if f is not None else choice["key"], default=choice["chosen"],
                choices=[(o["source"], _option_label(o, f)) for o in choice["options"]]))
    return DecisionsForm(formdata=formdata)
