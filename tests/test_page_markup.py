"""Markup every page shares: no attribute left pointing at nothing."""

from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import StringField

from tests.test_hostile_values import GET_RULES, World, _build, world  # noqa: F401  (the fixture)


def test_no_page_says_aria_describedby_none(client, world):  # noqa: F811
    """Every page of the URL map, opened as the network office and admin of an association with data."""
    opened, broken = 0, []
    for rule in GET_RULES:
        response = client.get(_build(rule, world.values(rule)))
        if response.status_code != 200 or not response.mimetype.startswith("text/html"):
            continue
        opened += 1
        if 'aria-describedby="None"' in response.get_data(as_text=True):
            broken.append(rule.rule)
    assert opened > 30 and broken == []


def test_a_field_without_help_or_error_points_to_nothing(app):
    class Form(FlaskForm):
        name = StringField("Nom")

    with app.test_request_context():
        html = render_template_string('{% from "_macros/forms.html" import field %}{{ field(form.name) }}',
                                      form=Form(meta={"csrf": False}))
    assert "aria-describedby" not in html and 'id="name"' in html
