"""The network's figures change in place, and a large export shows its progress then hands out its file."""

from pathlib import Path

import pytest

from intranet.demo import load_demo

pytestmark = pytest.mark.commits(scope="module")  # the demo network, loaded once for the module


@pytest.fixture(scope="module")
def demo(app, module_rows):
    with app.app_context():
        load_demo()


MAP_STATE = """Array.from(document.querySelectorAll('#france-map svg g.departments path'))
    .map(p => [p.dataset.code, p.getAttribute('class'), p.querySelector('title').textContent])"""


def test_changing_the_period_updates_table_chart_and_map_in_place(new_page, live_server, demo):
    page = new_page(signed_in_as="reseau@tremplin.test")
    page.goto(live_server + "/network/?period=month")
    assert page.locator("#f-sort").is_hidden()  # a wide screen sorts by the column titles
    page.evaluate("window.stayed = true")
    table = page.locator("table.compare tbody").inner_html()
    chart = page.locator("#chart-people title").first.text_content()
    departments = page.evaluate(MAP_STATE)
    assert len({code for code, _, _ in departments}) == 101 and len(departments) == 105  # + Paris enlarged
    assert any("has-association" in cls for _, cls, _ in departments)
    assert page.locator("#france-map svg").bounding_box()["height"] > 200  # drawn, not an empty box
    page.select_option("#f-period", "last_month")
    page.wait_for_url("**/network/?*period=last_month*")
    page.wait_for_function("document.querySelector('.period-line').textContent.includes('1 nov.')")
    assert page.evaluate("window.stayed === true")  # no page load: the figures were swapped in place
    assert page.locator("table.compare tbody").inner_html() != table
    assert page.locator("#chart-people title").first.text_content() != chart
    after = page.evaluate(MAP_STATE)
    assert len(after) == 105 and after != departments  # the map's shades and titles are those of the new period
    page.go_back()
    page.wait_for_function("document.querySelector('#f-period').value === 'month'")


def download_when_ready(page, url: str):
    """On an export's page (`url`): the progress bar, then the download button once the job is done; its file."""
    page.wait_for_url(url)
    assert page.locator("progress").count() == 1
    link = page.get_by_role("button", name="Télécharger")
    link.wait_for(timeout=30_000)
    assert page.locator("progress").get_attribute("value") == "100"
    with page.expect_download() as download:
        link.click()
    return download.value


def test_a_large_export_shows_its_progress_then_downloads(new_page, live_server, demo, app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_SYNC_ROWS", 5)
    page = new_page(signed_in_as="admin.bordeaux@tremplin.test")
    page.goto(live_server + "/a/bordeaux/beneficiaries")
    page.get_by_role("button", name="Exporter ces fiches").click()
    content = Path(download_when_ready(page, "**/a/bordeaux/exports/*").path()).read_text(encoding="utf-8-sig")
    assert content.startswith("N° de fiche;Prénom;Nom") and content.count("\n") > 5


def test_the_esf_report_file_is_prepared_then_downloaded(new_page, live_server, demo):
    page = new_page(signed_in_as="reseau@tremplin.test")
    page.goto(live_server + "/network/esf?period=year")
    page.get_by_role("button", name="Participant·es (CSV)").click()
    download = download_when_ready(page, "**/network/exports/*")
    assert download.suggested_filename.startswith("fse-participants-")
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    assert content.startswith("Association;Programme;N° de fiche") and "Participant·e : " in content
    page.get_by_role("link", name="Rapport FSE+").click()
    page.wait_for_url("**/network/esf")


def test_on_a_phone_the_associations_are_sorted_from_the_filters(new_page, live_server, demo):
    page = new_page(signed_in_as="reseau@tremplin.test")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_server + "/network/?period=year")
    assert page.locator("#f-sort").is_visible()  # the column titles are off screen: the cards sort from here
    names = "Array.from(document.querySelectorAll('table.compare tbody th')).map(th => th.textContent.trim())"
    page.select_option("#f-sort", "name")
    page.wait_for_url("**/network/?*sort=name*order=desc*")
    page.select_option("#f-order", "asc")
    page.wait_for_url("**/network/?*sort=name*order=asc*")
    ascending = page.evaluate(names)
    assert ascending == sorted(ascending, key=str.lower) and len(ascending) > 2
    page.select_option("#f-order", "desc")
    page.wait_for_url("**order=desc*")
    page.wait_for_function(f"JSON.stringify({names}) === JSON.stringify({ascending[::-1]!r})".replace("'", '"'))
