"""France's departments, overseas ones included, placed on a simplified tile map drawn by us.

No map file could be fetched where this was built, so the map is a tile map (a cartogram): each
department is one square near its real place, computed from the approximate latitude and longitude of
its centre (snapped to a grid, a neighbour's cell taken when two fall in one); the five overseas
departments sit in a row of their own below. Our own work, under the project's licence.
"""

from dataclasses import dataclass

# code, name, latitude, longitude (approximate centre)
DEPARTMENTS = [
    ("01", "Ain", 46.1, 5.35), ("02", "Aisne", 49.55, 3.6), ("03", "Allier", 46.4, 3.2),
    ("04", "Alpes-de-Haute-Provence", 44.1, 6.25), ("05", "Hautes-Alpes", 44.65, 6.3),
    ("06", "Alpes-Maritimes", 43.9, 7.15), ("07", "Ardèche", 44.75, 4.45), ("08", "Ardennes", 49.6, 4.65),
    ("09", "Ariège", 42.95, 1.5), ("10", "Aube", 48.3, 4.15), ("11", "Aude", 43.1, 2.4),
    ("12", "Aveyron", 44.3, 2.6), ("13", "Bouches-du-Rhône", 43.5, 5.1), ("14", "Calvados", 49.1, -0.35),
    ("15", "Cantal", 45.05, 2.65), ("16", "Charente", 45.7, 0.2), ("17", "Charente-Maritime", 45.75, -0.7),
    ("18", "Cher", 47.05, 2.5), ("19", "Corrèze", 45.35, 1.9), ("2A", "Corse-du-Sud", 41.85, 8.95),
    ("2B", "Haute-Corse", 42.4, 9.2), ("21", "Côte-d’Or", 47.4, 4.75), ("22", "Côtes-d’Armor", 48.45, -2.85),
    ("23", "Creuse", 46.05, 2.0), ("24", "Dordogne", 45.1, 0.75), ("25", "Doubs", 47.15, 6.35),
    ("26", "Drôme", 44.7, 5.15), ("27", "Eure", 49.1, 1.0), ("28", "Eure-et-Loir", 48.4, 1.35),
    ("29", "Finistère", 48.25, -4.05), ("30", "Gard", 44.0, 4.2), ("31", "Haute-Garonne", 43.35, 1.2),
    ("32", "Gers", 43.7, 0.45), ("33", "Gironde", 44.85, -0.55), ("34", "Hérault", 43.6, 3.4),
    ("35", "Ille-et-Vilaine", 48.15, -1.65), ("36", "Indre", 46.8, 1.6), ("37", "Indre-et-Loire", 47.25, 0.7),
    ("38", "Isère", 45.25, 5.6), ("39", "Jura", 46.75, 5.7), ("40", "Landes", 43.95, -0.75),
    ("41", "Loir-et-Cher", 47.6, 1.4), ("42", "Loire", 45.7, 4.2), ("43", "Haute-Loire", 45.1, 3.8),
    ("44", "Loire-Atlantique", 47.35, -1.7), ("45", "Loiret", 47.9, 2.3), ("46", "Lot", 44.6, 1.6),
    ("47", "Lot-et-Garonne", 44.35, 0.45), ("48", "Lozère", 44.5, 3.5), ("49", "Maine-et-Loire", 47.4, -0.55),
    ("50", "Manche", 49.1, -1.3), ("51", "Marne", 48.95, 4.25), ("52", "Haute-Marne", 48.1, 5.2),
    ("53", "Mayenne", 48.15, -0.65), ("54", "Meurthe-et-Moselle", 48.8, 6.1), ("55", "Meuse", 48.95, 5.4),
    ("56", "Morbihan", 47.85, -2.8), ("57", "Moselle", 49.0, 6.65), ("58", "Nièvre", 47.1, 3.5),
    ("59", "Nord", 50.45, 3.2), ("60", "Oise", 49.4, 2.45), ("61", "Orne", 48.6, 0.1),
    ("62", "Pas-de-Calais", 50.5, 2.3), ("63", "Puy-de-Dôme", 45.7, 3.15),
    ("64", "Pyrénées-Atlantiques", 43.25, -0.75), ("65", "Hautes-Pyrénées", 43.05, 0.15),
    ("66", "Pyrénées-Orientales", 42.6, 2.5), ("67", "Bas-Rhin", 48.65, 7.55), ("68", "Haut-Rhin", 47.85, 7.25),
    ("69", "Rhône", 45.85, 4.65), ("70", "Haute-Saône", 47.65, 6.1), ("71", "Saône-et-Loire", 46.65, 4.55),
    ("72", "Sarthe", 48.0, 0.2), ("73", "Savoie", 45.5, 6.4), ("74", "Haute-Savoie", 46.05, 6.4),
    ("75", "Paris", 48.86, 2.35), ("76", "Seine-Maritime", 49.65, 1.05), ("77", "Seine-et-Marne", 48.6, 2.95),
    ("78", "Yvelines", 48.8, 1.85), ("79", "Deux-Sèvres", 46.55, -0.3), ("80", "Somme", 49.95, 2.3),
    ("81", "Tarn", 43.8, 2.15), ("82", "Tarn-et-Garonne", 44.05, 1.3), ("83", "Var", 43.45, 6.2),
    ("84", "Vaucluse", 44.0, 5.15), ("85", "Vendée", 46.65, -1.35), ("86", "Vienne", 46.55, 0.45),
    ("87", "Haute-Vienne", 45.9, 1.25), ("88", "Vosges", 48.2, 6.4), ("89", "Yonne", 47.85, 3.6),
    ("90", "Territoire de Belfort", 47.65, 6.9), ("91", "Essonne", 48.5, 2.25), ("92", "Hauts-de-Seine", 48.85, 2.2),
    ("93", "Seine-Saint-Denis", 48.92, 2.48), ("94", "Val-de-Marne", 48.78, 2.47), ("95", "Val-d’Oise", 49.08, 2.15),
]
OVERSEAS = [("971", "Guadeloupe"), ("972", "Martinique"), ("973", "Guyane"), ("974", "La Réunion"),
            ("976", "Mayotte")]
NAMES = {code: name for code, name, *_ in DEPARTMENTS} | dict(OVERSEAS)

TILE = 26  # side of a tile, in SVG units
GAP = 2
_LON_STEP, _LAT_STEP = 0.78, 0.56  # degrees a tile stands for


@dataclass(frozen=True)
class Tile:
    code: str
    name: str
    x: int
    y: int
    overseas: bool = False


def _layout() -> list[Tile]:
    """Each department in the grid cell nearest its centre, the most crowded ones placed first."""
    north, west = 51.1, -4.9
    taken: dict[tuple[int, int], str] = {}
    placed = []
    wanted = [(code, name, (lon - west) / _LON_STEP, (north - lat) / _LAT_STEP) for code, name, lat, lon in DEPARTMENTS]
    for code, name, col, row in sorted(wanted, key=lambda d: d[0]):
        best = None
        for dc in range(-3, 4):
            for dr in range(-3, 4):
                cell = (round(col) + dc, round(row) + dr)
                if cell in taken:
                    continue
                distance = (cell[0] - col) ** 2 + (cell[1] - row) ** 2
                if best is None or distance < best[0]:
                    best = (distance, cell)
        taken[best[1]] = code
        placed.append(Tile(code, name, best[1][0] * (TILE + GAP), best[1][1] * (TILE + GAP)))
    bottom = max(t.y for t in placed) + 2 * (TILE + GAP)
    placed += [Tile(code, name, i * (TILE + GAP) * 2, bottom, overseas=True) for i, (code, name) in enumerate(OVERSEAS)]
    return placed


TILES = tuple(_layout())
WIDTH = max(t.x for t in TILES) + TILE
HEIGHT = max(t.y for t in TILES) + TILE + 14
OVERSEAS_Y = max(t.y for t in TILES if not t.overseas) + TILE + GAP + 12
