"""A deterministic synthetic Bình Phước: geometry and attributes for every layer.

Framework-free (numpy + shapely): the same seed gives the same province, byte for byte. Geometries
are in EPSG:4326 (lon/lat degrees); distances and sizes given in metres are converted with a local
equirectangular frame, accurate to well under 1 % across a commune.

How it is drawn: districts are the Voronoi cells of points placed where the real districts lie
(province.DISTRICT_ANCHORS), communes split them, and a smooth one-to-one warp bends every border so
none is straight. Main roads follow their real waypoints through the towns; each town gets rings
and spokes of streets (never a grid) and each village a few roads. Parcels subdivide the blocks left
between the roads (road corridors of their full width are kept free): rows of narrow lots facing the
street, larger lots behind them, and big plantation lots in the country. Zoning zones follow the
blocks.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon
from shapely.ops import linemerge

from . import province as facts

M_PER_DEG_LAT = 110_574.0


def deg_per_m(lat: float) -> tuple[float, float]:
    """Degrees of longitude and latitude per metre at latitude `lat` (degrees)."""
    return 1.0 / (111_320.0 * math.cos(math.radians(lat))), 1.0 / M_PER_DEG_LAT


def lower_first(name: str) -> str:
    """'Huyện Lộc Ninh' -> 'huyện Lộc Ninh', as the unit type reads inside a longer name."""
    return name[:1].lower() + name[1:]


UNIT_TYPES = ("Thành phố ", "Thị xã ", "Huyện ", "Thị trấn ", "Phường ", "Xã ")


def without_unit_type(name: str) -> str:
    """'Huyện Lộc Ninh' -> 'Lộc Ninh'."""
    for prefix in UNIT_TYPES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def as_multipolygon(geom) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon) and not g.is_empty]
    return MultiPolygon(parts)


def as_multilinestring(geom) -> MultiLineString:
    if isinstance(geom, MultiLineString):
        return geom
    if isinstance(geom, LineString):
        return MultiLineString([geom])
    return MultiLineString([g for g in getattr(geom, "geoms", []) if isinstance(g, LineString)])


class LocalFrame:
    """Metres east and north of an origin (lon, lat), equirectangular: for work inside one commune."""

    def __init__(self, origin: tuple[float, float]):
        self.x0, self.y0 = origin
        self.kx, self.ky = deg_per_m(self.y0)

    def to_m(self, coords: np.ndarray) -> np.ndarray:
        return np.c_[(coords[:, 0] - self.x0) / self.kx, (coords[:, 1] - self.y0) / self.ky]

    def to_deg(self, coords: np.ndarray) -> np.ndarray:
        return np.c_[self.x0 + coords[:, 0] * self.kx, self.y0 + coords[:, 1] * self.ky]


class Warp:
    """A smooth deterministic displacement of the plane (lon/lat degrees). Its gradient stays below 1,
    so it is one-to-one: straight borders come out irregular, and what lay inside a polygon lies
    inside the warped polygon (where two warped borders still cross, the sliver is given to a
    neighbour). Displacements reach about 2 km."""

    OCTAVES = ((0.35, 0.012), (0.12, 0.004), (0.05, 0.0025), (0.02, 0.0009), (0.008, 0.0002))  # wavelength, amplitude (°)

    def __init__(self, rng: np.random.Generator):
        self.waves = []
        for wavelength, amplitude in self.OCTAVES:
            for axis in (0, 1):
                direction, k = rng.uniform(0, 2 * math.pi), 2 * math.pi / wavelength
                self.waves.append((axis, k * math.cos(direction), k * math.sin(direction),
                                   rng.uniform(0, 2 * math.pi), amplitude))

    def xy(self, coords: np.ndarray) -> np.ndarray:
        out = np.array(coords, dtype=float)
        for axis, fx, fy, phase, amplitude in self.waves:
            out[:, axis] += amplitude * np.sin(fx * coords[:, 0] + fy * coords[:, 1] + phase)
        return out

    def geom(self, geom, step_deg: float = 0.003):
        """The warped geometry, densified first (every `step_deg` degrees) so its edges bend too."""
        return shapely.transform(shapely.segmentize(geom, step_deg), self.xy)

    def point(self, xy: tuple[float, float]) -> tuple[float, float]:
        x, y = self.xy(np.array([xy], dtype=float))[0]
        return float(x), float(y)


@dataclass
class Commune:
    index: int
    gso_code: str
    name: str
    district_code: str
    district_name: str
    seat: tuple[float, float]
    geom: MultiPolygon
    urban: bool

    @property
    def short_name(self) -> str:
        return without_unit_type(self.name)


@dataclass
class District:
    gso_code: str
    name: str
    seat: tuple[float, float]
    geom: MultiPolygon
    communes: list[Commune] = field(default_factory=list)

    @property
    def short_name(self) -> str:
        return without_unit_type(self.name)


@dataclass
class Feature:
    """A generated feature: attribute dict plus a shapely geometry in EPSG:4326."""

    attrs: dict
    geom: object


# Lots, in metres: (front row depth, front lot width, back row depth, back lot width) as (low, high).
# Front rows face a road; back rows fill the middle of deep blocks.
LOT_SIZES = {
    "urban": ((16.0, 24.0), (4.5, 7.5), (25.0, 40.0), (10.0, 22.0)),
    "rural": ((50.0, 80.0), (20.0, 40.0), (120.0, 250.0), (40.0, 110.0)),
}
# Land-use codes and their shares: by lot class, row (front/back) and, in the country, distance.
LAND_USE = {
    ("urban", "front"): (["ODT", "TMD", "DGD", "DYT", "TSC", "DCH"], [0.80, 0.12, 0.03, 0.01, 0.02, 0.02]),
    ("urban", "back"): (["ODT", "CLN", "HNK", "SKC", "DKV", "DGD"], [0.72, 0.14, 0.05, 0.04, 0.03, 0.02]),
    ("village", "front"): (["ONT", "TMD", "DGD", "DYT", "DCH", "DSH", "TSC"],
                           [0.78, 0.06, 0.04, 0.02, 0.03, 0.04, 0.03]),
    ("rural", "front"): (["ONT", "CLN", "HNK"], [0.40, 0.50, 0.10]),
    ("rural", "back"): (["CLN", "HNK", "LUC", "RSX", "NTS", "DCS"], [0.70, 0.10, 0.06, 0.08, 0.03, 0.03]),
    ("forest", "back"): (["RSX", "CLN", "RPH", "DCS", "HNK"], [0.45, 0.35, 0.10, 0.05, 0.05]),
}
VILLAGE_RADIUS_M = 700.0  # rural front lots this close to the commune seat are the village's houses
FOREST_FROM_M = 600.0  # in forest districts, back country this far from the seat is mostly forest
ROAD_CLEARANCE_M = 1.2  # parcels keep this far beyond a road's half width (and the commune border)


class Province:
    """The synthetic province. Build once per seed; each layer is generated on demand."""

    def __init__(self, seed: int = 2021):
        self.seed = seed
        self.warp = Warp(self.rng(0))
        self.districts = self._districts()
        self.communes = [c for d in self.districts for c in d.communes]
        self.outline = as_multipolygon(shapely.union_all([d.geom for d in self.districts]))
        self.main_roads = self._main_roads()
        self.towns = self._towns()  # (commune index, centre, radius in metres)
        self.town_streets = {d.gso_code: self._town_streets(d) for d in self.districts}
        self.village_roads = self._village_roads()
        self._all_roads = self.main_roads + [s for d in self.districts for s in self.town_streets[d.gso_code]] \
            + self.village_roads
        self._road_tree = shapely.STRtree([r.geom for r in self._all_roads])

    def rng(self, *keys: int) -> np.random.Generator:
        """An independent random stream per (seed, keys): one part's draws never shift another's."""
        return np.random.default_rng([self.seed, *keys])

    # -- administrative units ------------------------------------------------------------------
    def _districts(self) -> list[District]:
        """Districts from Voronoi cells of their anchor points, communes from Voronoi cells inside
        them; then every border (shared ones once) is densified and warped, and the pieces are put
        back together, so communes still tile their district and districts the province."""
        outline = Polygon(facts.OUTLINE)
        points, owner = [], []
        for i, (code, _, seat, _) in enumerate(facts.DISTRICTS):
            for p in [seat, *facts.DISTRICT_ANCHORS[code]]:
                points.append(p)
                owner.append(i)
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(points),
                                                           extend_to=outline.buffer(1), ordered=True))
        owner = np.array(owner)
        raw = []  # (district index, commune name, geometry, seed point)
        for i, (code, _, seat, names) in enumerate(facts.DISTRICTS):
            area = shapely.union_all(cells[owner == i]).intersection(outline)
            raw += [(i, *c) for c in self._communes(area, seat, names, self.rng(1, i))]
        raw_geoms = shapely.set_precision(np.array([g for _, _, g, _ in raw], dtype=object), 1e-7)
        lines = shapely.union_all(shapely.boundary(raw_geoms), grid_size=1e-7)
        raw_faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
        warped_lines = shapely.union_all(self.warp.geom(lines), grid_size=1e-9)  # nodes any new crossing
        faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(warped_lines)))
        # Which commune each face is: found on the raw faces, carried over by the warped probe points;
        # a sliver the warp made on its own goes to the commune whose warped outline holds it.
        probes = shapely.point_on_surface(raw_faces)
        raw_tree = shapely.STRtree(raw_geoms)
        probe_idx, commune_idx = raw_tree.query(probes, predicate="intersects")
        commune_of_face = np.full(len(raw_faces), -1)
        commune_of_face[probe_idx[::-1]] = commune_idx[::-1]  # the first match wins
        missing = commune_of_face < 0
        if missing.any():
            commune_of_face[missing] = raw_tree.query_nearest(probes[missing], all_matches=False)[1]
        warped_probes = shapely.points(self.warp.xy(shapely.get_coordinates(probes)))
        probe_idx, face_idx = shapely.STRtree(faces).query(warped_probes, predicate="within")
        face_commune = np.full(len(faces), -1)
        by_area = np.argsort(shapely.area(raw_faces)[probe_idx], kind="stable")  # the largest raw face wins
        face_commune[face_idx[by_area]] = commune_of_face[probe_idx[by_area]]
        orphans = np.flatnonzero(face_commune < 0)
        if len(orphans):
            warped_communes = shapely.make_valid(self.warp.geom(raw_geoms))
            face_commune[orphans] = shapely.STRtree(warped_communes).query_nearest(
                shapely.point_on_surface(faces[orphans]), all_matches=False)[1]
        districts = []
        commune_code = facts.FIRST_COMMUNE_CODE
        for i, (code, name, seat, _) in enumerate(facts.DISTRICTS):
            district = District(code, name, self.warp.point(seat), MultiPolygon())
            for j, (n, (_, commune_name, _, commune_seed)) in enumerate(
                    (n, r) for n, r in enumerate(raw) if r[0] == i):
                geom = as_multipolygon(shapely.union_all(faces[face_commune == n]))
                district.communes.append(Commune(
                    index=i * 100 + j, gso_code=f"{commune_code:05d}", name=commune_name,
                    district_code=code, district_name=name, seat=self.warp.point(commune_seed), geom=geom,
                    urban=commune_name.startswith(("Phường", "Thị trấn")),
                ))
                commune_code += 3
            district.geom = as_multipolygon(shapely.union_all([c.geom for c in district.communes]))
            districts.append(district)
        return districts

    @staticmethod
    def _communes(area, seat, names: list[str], rng: np.random.Generator):
        """Split a district into len(names) communes: Voronoi cells around well-spaced seeds, the
        first at the district seat."""
        minx, miny, maxx, maxy = area.bounds
        spacing = 0.6 * math.sqrt(area.area / len(names))
        seeds = [seat]
        shapely.prepare(area)
        while len(seeds) < len(names):
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if not shapely.contains_xy(area, x, y):
                continue
            if min(math.dist((x, y), s) for s in seeds) < spacing:
                spacing *= 0.995  # relax slowly so crowded districts still finish
                continue
            seeds.append((x, y))
        cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=area.buffer(1), ordered=True)
        for name, cell, seed in zip(names, cells.geoms, seeds):
            yield name, cell.intersection(area), seed

    def admin_units(self) -> Iterator[Feature]:
        yield Feature({"gso_code": facts.PROVINCE["gso_code"], "name": facts.PROVINCE["name"],
                       "level": "province", "parent_code": None}, self.outline)
        for d in self.districts:
            yield Feature({"gso_code": d.gso_code, "name": d.name, "level": "district",
                           "parent_code": facts.PROVINCE["gso_code"]}, d.geom)
        for c in self.communes:
            yield Feature({"gso_code": c.gso_code, "name": c.name, "level": "commune",
                           "parent_code": c.district_code}, c.geom)

    def district_at(self, x: float, y: float) -> District | None:
        for d in self.districts:
            if d.geom.intersects(Point(x, y)):
                return d
        return None

    # -- roads -----------------------------------------------------------------------------------
    def _wiggle(self, waypoints, rng, step_m=600.0, amplitude_m=150.0) -> LineString:
        """A road through the waypoints, densified every `step_m` metres with a gentle meander."""
        coords = []
        for (x0, y0), (x1, y1) in itertools.pairwise(waypoints):
            kx, ky = deg_per_m((y0 + y1) / 2)
            length_m = math.hypot((x1 - x0) / kx, (y1 - y0) / ky)
            n = max(2, int(length_m / step_m))
            t = np.linspace(0, 1, n, endpoint=False)
            nx, ny = -(y1 - y0) / ky, (x1 - x0) / kx  # normal, in metres
            norm = math.hypot(nx, ny) or 1.0
            offset = amplitude_m * np.sin(t * math.pi * rng.integers(1, 4)) * rng.uniform(0.3, 1.0)
            offset[0] = 0.0
            coords += list(zip(x0 + t * (x1 - x0) + offset * nx / norm * kx,
                               y0 + t * (y1 - y0) + offset * ny / norm * ky))
        coords.append(waypoints[-1])
        return LineString(coords)

    def _main_roads(self) -> list[Feature]:
        """QL13, QL14, ĐT741 and the other provincial roads through their real towns, warped with the
        borders (so they keep their place relative to them) and cut at the province border."""
        roads = []
        shapely.prepare(self.outline)
        for i, (name, road_class, width, waypoints) in enumerate(facts.MAIN_ROADS):
            line = self.warp.geom(self._wiggle(waypoints, self.rng(2, i))).intersection(self.outline)
            line = linemerge(line) if not isinstance(line, LineString) else line
            roads.append(Feature({"name": name, "road_class": road_class, "width_m": width},
                                 as_multilinestring(line)))
        return roads

    def _towns(self) -> list[tuple[int, tuple[float, float], float]]:
        """Town centres with streets: every district seat (large for the city and the towns) and the
        seat of every other ward or township outside the district town."""
        towns = []
        for d in self.districts:
            radius = facts.TOWN_RADIUS_M.get(d.gso_code, facts.DISTRICT_TOWN_RADIUS_M)
            towns.append((d.communes[0].index, d.communes[0].seat, radius))
            for c in d.communes[1:]:
                frame = LocalFrame(d.communes[0].seat)
                x, y = frame.to_m(np.array([c.seat]))[0]
                if c.urban and math.hypot(x, y) > radius:
                    towns.append((c.index, c.seat, facts.WARD_TOWN_RADIUS_M))
        return towns

    def _town_streets(self, district: District) -> list[Feature]:
        """The district's town streets: for each town in it, irregular rings around the centre joined
        by spokes and short cross streets (a web that follows the main roads' junction, not a grid)."""
        rng = self.rng(3, int(district.gso_code))
        names = list(facts.URBAN_STREET_NAMES)
        rng.shuffle(names)
        names = iter(names * 20)
        numbers = itertools.count(1)
        own = {c.index for c in district.communes}
        streets = []
        taken = []
        for index, centre, radius in self.towns:
            if index not in own:
                continue
            area = district.geom if not taken else district.geom.difference(shapely.union_all(taken))
            lines = self._town_web(centre, radius, rng)
            frame = LocalFrame(centre)
            taken.append(affinity.scale(Point(centre).buffer(1.0, 32), frame.kx * radius,
                                        frame.ky * radius, origin=centre))
            for kind, line in lines:
                geom = line.intersection(area)
                if geom.is_empty or geom.length == 0:
                    continue
                name = f"Đường {next(names)}" if kind != "cross" else f"Đường số {next(numbers)}"
                width = {"ring": [10.5, 13.0, 16.0], "spoke": [13.0, 16.0, 20.0], "cross": [6.0, 7.0, 8.0]}[kind]
                streets.append(Feature({"name": name, "road_class": "urban", "width_m": float(rng.choice(width))},
                                       as_multilinestring(geom)))
        return streets

    @staticmethod
    def _town_web(centre, radius: float, rng: np.random.Generator) -> list[tuple[str, LineString]]:
        """Rings (denser towards the centre, wobbly, some left open), spokes that meander out of the
        centre, and cross streets between neighbouring rings. Lon/lat lines."""
        frame = LocalFrame(centre)
        tilt, stretch = rng.uniform(0, math.pi), rng.uniform(0.8, 1.25)
        harmonics = [(h, rng.uniform(0.03, 0.08), rng.uniform(0, 2 * math.pi)) for h in (2, 3, 5)]

        def ring_radius(r, theta, jitter):
            wobble = sum(a * np.sin(h * theta + p) for h, a, p in harmonics)
            return r * (1 + wobble + jitter * np.sin(7 * theta + r))

        def to_line(rr, theta):
            x, y = rr * np.cos(theta) * stretch, rr * np.sin(theta) / stretch
            xy = np.c_[x * math.cos(tilt) - y * math.sin(tilt), x * math.sin(tilt) + y * math.cos(tilt)]
            return LineString(frame.to_deg(xy))

        radii, r = [], 170.0
        while r <= radius:
            radii.append(r)
            r += 170.0 + 0.13 * r
        jitters = rng.uniform(0.0, 0.03, len(radii))
        lines = []
        theta = np.linspace(0, 2 * math.pi, 145)
        for j, r in enumerate(radii):
            arc = theta
            if j == len(radii) - 1 and j > 0:  # the outer ring is only partly built
                start, span = rng.uniform(0, 2 * math.pi), rng.uniform(0.55, 0.85) * 2 * math.pi
                arc = np.linspace(start, start + span, 121)
            lines.append(("ring", to_line(ring_radius(r, arc, jitters[j]), arc)))
        n_spokes = int(rng.integers(5, 9))
        base = rng.uniform(0, 2 * math.pi)
        for s in range(n_spokes):
            a = base + 2 * math.pi * s / n_spokes + rng.uniform(-0.2, 0.2)
            t = np.linspace(0, 1, 25)
            angle = a + np.cumsum(rng.normal(0, 0.03, 25))
            rr = (radii[0] * 0.5 if s % 2 else 0.0) + t * radius * 1.12
            lines.append(("spoke", to_line(rr, angle)))
        for j in range(1, len(radii)):
            r0, r1 = radii[j - 1], radii[j]
            n = max(3, int(2 * math.pi * (r0 + r1) / 2 / 300.0))
            offset = rng.uniform(0, 2 * math.pi)
            for k in range(n):
                a0 = offset + 2 * math.pi * (k + rng.uniform(-0.25, 0.25)) / n
                a1 = a0 + rng.uniform(-0.06, 0.06)
                rr = np.array([ring_radius(r0, a0, jitters[j - 1]) - 6.0, ring_radius(r1, a1, jitters[j]) + 6.0])
                lines.append(("cross", to_line(rr, np.array([a0, a1]))))
        return lines

    def _village_roads(self) -> list[Feature]:
        """Three meandering commune roads out of every rural commune seat without a town, the first
        heading for the nearest main road."""
        mains = shapely.union_all([r.geom for r in self.main_roads])
        town_of = {index for index, _, _ in self.towns}
        roads = []
        self._village_roads_of = {}
        for c in self.communes:
            if c.index in town_of:
                continue
            rng = self.rng(13, c.index)
            frame = LocalFrame(c.seat)
            target = shapely.ops.nearest_points(mains, Point(c.seat))[0]
            tx, ty = frame.to_m(np.array([target.coords[0]]))[0]
            base = math.atan2(ty, tx)
            for k in range(3):
                a = base + 2 * math.pi * k / 3 + (rng.uniform(-0.4, 0.4) if k else 0.0)
                angle = a + np.cumsum(rng.normal(0, 0.025, 40))
                step = np.full(40, 250.0)
                xy = np.c_[np.r_[0, np.cumsum(step * np.cos(angle))], np.r_[0, np.cumsum(step * np.sin(angle))]]
                geom = LineString(frame.to_deg(xy)).intersection(c.geom)
                if geom.is_empty or geom.length == 0:
                    continue
                roads.append(Feature({"name": f"Đường xã {c.short_name} số {k + 1}", "road_class": "commune",
                                      "width_m": 6.0}, as_multilinestring(geom)))
                self._village_roads_of.setdefault(c.gso_code, []).append(roads[-1].geom)
        return roads

    def roads(self) -> Iterator[Feature]:
        yield from self._all_roads

    # -- parcels ---------------------------------------------------------------------------------
    def parcel_counts(self, total: int) -> list[int]:
        """How many of `total` parcels each commune gets: urban communes twice a rural one's share."""
        weights = np.array([2.0 if c.urban else 1.0 for c in self.communes])
        counts = np.floor(total * weights / weights.sum()).astype(int)
        counts[: total - counts.sum()] += 1
        return counts.tolist()

    def _hamlets(self, commune: Commune, frame: LocalFrame) -> np.ndarray:
        """Where a commune's parcels gather (metres of `frame`): the seat, and in the country also
        two hamlets out along its roads, among the plantations."""
        centres = [(0.0, 0.0)]
        if not commune.urban:
            for road in self._village_roads_of.get(commune.gso_code, [])[:2]:
                line = max(road.geoms, key=lambda g: g.length)
                metric = LineString(frame.to_m(np.asarray(line.coords)))
                centres.append(metric.interpolate(min(2200.0, 0.7 * metric.length)).coords[0])
        return np.array(centres)

    def _blocks(self, commune: Commune, frame: LocalFrame,
                hamlets: np.ndarray) -> tuple[list[Polygon], np.ndarray]:
        """The commune's ground between the roads, in metres of `frame`: the commune (less a margin)
        minus every road's corridor (half its width plus ROAD_CLEARANCE_M), nearest a hamlet first,
        with their distances to the nearest hamlet."""
        to_m = frame.to_m
        ground = shapely.transform(commune.geom, to_m).buffer(-ROAD_CLEARANCE_M)
        minx, miny, maxx, maxy = commune.geom.bounds
        pad = 50 * frame.ky  # wider than any corridor
        roads = self._road_tree.query(shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad))
        corridors = [
            shapely.transform(shapely.clip_by_rect(self._all_roads[i].geom, minx - pad, miny - pad, maxx + pad,
                                                   maxy + pad), to_m)
            .buffer(self._all_roads[i].attrs["width_m"] / 2 + ROAD_CLEARANCE_M, quad_segs=4)
            for i in sorted(roads.tolist())
        ]
        if corridors:
            ground = ground.difference(shapely.union_all(corridors))
        blocks = [b for b in shapely.get_parts(ground) if b.area > 300.0]
        distance = shapely.distance(blocks, shapely.MultiPoint(hamlets))
        return [blocks[i] for i in np.argsort(distance, kind="stable")], np.sort(distance, kind="stable")

    @staticmethod
    def _without_overlaps(polys: np.ndarray) -> np.ndarray:
        """Which lots to keep so that no two meet: the later of any meeting pair goes (lots were
        shrunk apart first, so only lots laid across each other at a block corner meet)."""
        left, right = shapely.STRtree(polys).query(polys, predicate="intersects")
        keep = np.ones(len(polys), bool)
        for i, j in sorted(zip(left.tolist(), right.tolist())):
            if i < j and keep[i]:
                keep[j] = False
        return keep

    @staticmethod
    def _shrunk(polys: np.ndarray) -> np.ndarray:
        """Lots pulled a few centimetres in towards their centre (3 % of their perimeter over area:
        ~4 cm across a 5 m town lot, ~10 cm across a field), so that neighbours never share a line
        that floating point could make overlap."""
        coords, index = shapely.get_coordinates(polys, return_index=True)
        centre = shapely.get_coordinates(shapely.centroid(polys))
        factor = 1.0 - 0.03 * shapely.length(polys) / np.maximum(shapely.area(polys), 1.0)
        moved = centre[index] + (coords - centre[index]) * factor[index, None]
        return shapely.set_coordinates(polys.copy(), moved)

    @staticmethod
    def _frontage(ring: LineString, depth: float, w0: float, w1: float, rng: np.random.Generator) -> np.ndarray:
        """Lots along a block's outline (counter-clockwise, so inward is to the left): widths drawn
        in [w0, w1], side lines along the inward normal, `depth` deep; neighbours share side lines.
        Rings (n, 5, 2)."""
        length = ring.length
        n = int(length / w0) + 2
        s = np.r_[0.0, np.cumsum(rng.uniform(w0, w1, n))]
        s = s[s <= length - 0.5 * w0]
        if len(s) < 2:
            return np.empty((0, 5, 2))
        p = shapely.get_coordinates(shapely.line_interpolate_point(ring, s))
        ahead = shapely.get_coordinates(shapely.line_interpolate_point(ring, np.minimum(s + 1.5, length)))
        behind = shapely.get_coordinates(shapely.line_interpolate_point(ring, np.maximum(s - 1.5, 0.0)))
        t = ahead - behind
        t /= np.hypot(t[:, 0], t[:, 1])[:, None]
        normal = np.c_[-t[:, 1], t[:, 0]]
        inner, p = p + depth * normal, p + 0.3 * normal  # the street side starts just inside the block
        return np.stack([p[:-1], p[1:], inner[1:], inner[:-1], p[:-1]], axis=1)

    @classmethod
    def _block_lots(cls, block: Polygon, lot_class: str, scale: float, rng: np.random.Generator):
        """Lots subdividing one block (metres): a band of narrow lots facing the streets all round
        its outline, then rows of larger lots filling the middle of deep blocks (parallel to the
        block's long side; neighbours share side lines, slightly skewed). No two lots overlap.
        Returns (rings (n, 5, 2), is front lot (n,), row number (n,), zoning split depth or None)."""
        (df0, df1), (wf0, wf1), (di0, di1), (wi0, wi1) = LOT_SIZES[lot_class]
        block = shapely.orient_polygons(block, exterior_cw=False)
        shapely.prepare(block)
        front = rng.uniform(df0, df1) * scale
        front_rings = cls._frontage(block.exterior, front, wf0 * scale, wf1 * scale, rng)
        middle = block.buffer(-(front + 0.5))
        back_rings, back_rows = [np.empty((0, 5, 2))], [np.empty(0, int)]
        if not middle.is_empty:
            corners = np.asarray(shapely.oriented_envelope(middle).exterior.coords)[:3]
            e1, e2 = corners[1] - corners[0], corners[2] - corners[1]
            u = e1 if np.hypot(*e1) >= np.hypot(*e2) else e2
            u = u / np.hypot(*u)
            v = np.array([-u[1], u[0]])
            pts = shapely.get_coordinates(middle)
            pu, pv = pts @ u, pts @ v
            umin, umax, vmin, vmax = pu.min(), pu.max(), pv.min(), pv.max()
            n_rows = max(1, round((vmax - vmin) / (rng.uniform(di0, di1) * scale)))
            cuts = vmin + (vmax - vmin) * np.arange(n_rows + 1) / n_rows
            w0, w1 = wi0 * scale, wi1 * scale
            for r, (va, vb) in enumerate(itertools.pairwise(cuts)):
                n = int((umax - umin) / w0) + 2
                edges = umin + np.r_[0.0, np.cumsum(rng.uniform(w0, w1, n))]
                edges = edges[edges <= umax]
                if len(edges) < 2:
                    continue
                skew = rng.uniform(-0.2, 0.2, len(edges)) * w0
                a, b, sa, sb = edges[:-1], edges[1:], skew[:-1], skew[1:]
                ru = np.stack([a, b, b + sb, a + sa, a], axis=1)
                rv = np.stack([np.full_like(a, va)] * 2 + [np.full_like(a, vb)] * 2 + [np.full_like(a, va)], axis=1)
                back_rings.append(ru[..., None] * u + rv[..., None] * v)
                back_rows.append(np.full(len(a), r + 1))
            back_rings = np.concatenate(back_rings)
            back_polys, back_rows = cls._fitted(shapely.polygons(back_rings), np.concatenate(back_rows), middle)
        else:
            back_polys, back_rows = np.empty(0, object), np.empty(0, int)
        front_polys, front_rows = cls._fitted(shapely.polygons(front_rings), np.zeros(len(front_rings), int), block)
        polys = np.concatenate([front_polys, back_polys])
        row_no = np.concatenate([front_rows, back_rows])
        polys = cls._shrunk(polys) if len(polys) else polys
        keep = cls._without_overlaps(polys) if len(polys) else np.empty(0, bool)
        # Zoning cuts a deep town block through its back lots; a country block, at times, with a
        # residential strip along the road through its front lots.
        split = front + 0.5 * di0 * scale if lot_class == "urban" and not middle.is_empty else (
            0.55 * front if lot_class == "rural" else None)
        return polys[keep], row_no[keep] == 0, row_no[keep], split

    @staticmethod
    def _fitted(polys: np.ndarray, row_no: np.ndarray, area: Polygon) -> tuple[np.ndarray, np.ndarray]:
        """Lots cut to `area` where they stick out of it; a lot left with less than half its ground
        (or in pieces) is dropped."""
        if not len(polys):
            return polys, row_no
        shapely.prepare(area)
        inside = shapely.contains(area, polys) & shapely.is_valid(polys)
        out = polys.copy()
        cut = np.flatnonzero(~inside)
        if len(cut):
            pieces = shapely.intersection(shapely.make_valid(polys[cut]), area)
            good = (shapely.get_type_id(pieces) == 3) & (shapely.area(pieces) >= 0.5 * shapely.area(polys[cut]))
            out[cut[good]] = pieces[good]
            inside[cut[good]] = True
        return out[inside], row_no[inside]

    def _lot_class(self, commune: Commune, frame: LocalFrame, block: Polygon) -> str:
        """Town lots inside a town's radius in a commune with streets of its own, country lots elsewhere."""
        if not any(index == commune.index for index, _, _ in self.towns):
            return "rural"
        p = block.representative_point()
        lon, lat = frame.to_deg(np.array([[p.x, p.y]]))[0]
        for _, centre, radius in self.towns:
            kx, ky = deg_per_m(centre[1])
            if math.hypot((lon - centre[0]) / kx, (lat - centre[1]) / ky) < radius * 1.05:
                return "urban"
        return "rural"

    def commune_parcels(self, commune: Commune, k: int) -> ParcelBatch:
        """The `k` lots nearest the commune seat (and its hamlets), subdividing the blocks between its roads (see
        _block_lots). Lot sizes shrink (same shapes) until `k` fit. Map sheets group consecutive
        lots; parcels are numbered within their sheet in the order they were laid out."""
        frame = LocalFrame(commune.seat)
        hamlets = self._hamlets(commune, frame)
        blocks, block_distance = self._blocks(commune, frame, hamlets)
        classes = [self._lot_class(commune, frame, b) for b in blocks]
        usable = sum(b.area for b in blocks)
        mean_lot = 900.0 if commune.urban else 6000.0
        scale = min(1.0, math.sqrt(usable / mean_lot / max(k, 1) / 1.5))
        for attempt in range(40):
            rng = self.rng(4, commune.index, attempt)
            parts, distances, from_seat, total, kth = [], [], [], 0, math.inf
            for b, (block, lot_class) in enumerate(zip(blocks, classes)):
                if total >= k and block_distance[b] > kth:
                    break
                # Only the part of a big block within reach of the k nearest lots is laid out.
                reach = block_distance[b] + math.sqrt(4 * k * mean_lot * scale ** 2 / len(hamlets) / math.pi) + 300.0
                if block.area > 2 * math.pi * reach ** 2:
                    block = block.intersection(shapely.MultiPoint(hamlets).buffer(reach, 16))
                    block = max(shapely.get_parts(block), key=lambda g: g.area) if not block.is_empty else block
                    if block.is_empty or block.geom_type != "Polygon":
                        continue
                    blocks[b] = block
                lots, is_front, row_no, split = self._block_lots(block, lot_class, scale, rng)
                if not len(lots):
                    continue
                parts.append((b, lots, is_front, row_no, split, lot_class))
                centre = shapely.get_coordinates(shapely.centroid(lots))
                distances.append(np.min(np.hypot(centre[:, None, 0] - hamlets[None, :, 0],
                                                 centre[:, None, 1] - hamlets[None, :, 1]), axis=1))
                from_seat.append(np.hypot(centre[:, 0], centre[:, 1]))
                total += len(lots)
                if total >= k:
                    kth = np.partition(np.concatenate(distances), k - 1)[k - 1]
            if total >= k:
                break
            scale *= 0.85
        else:
            raise RuntimeError(f"{commune.name}: cannot fit {k} parcels")
        distance = np.concatenate(distances)
        chosen = np.sort(np.argsort(distance, kind="stable")[:k])  # in the order they were laid out
        lots = np.concatenate([p[1] for p in parts])[chosen]
        is_front = np.concatenate([p[2] for p in parts])[chosen]
        row_no = np.concatenate([p[3] for p in parts])[chosen]
        block_no = np.concatenate([np.full(len(p[1]), i) for i, p in enumerate(parts)])[chosen]
        lot_class = np.array([p[5] for p in parts], dtype=object)[block_no]
        per_sheet = int(min(800, max(8, math.ceil(k / 6))))
        sheet = np.arange(k) // per_sheet + 1
        parcel_no = np.arange(k) % per_sheet + 1
        land_use = self._parcel_land_use(commune, lot_class, is_front, row_no * 1000 + block_no,
                                         np.concatenate(from_seat)[chosen], self.rng(4, commune.index, 999))
        geoms = shapely.transform(lots, frame.to_deg)
        used = sorted(set(block_no.tolist()))
        zones = [(blocks[parts[i][0]], parts[i][4], parts[i][5]) for i in used]
        return ParcelBatch(commune, sheet, parcel_no, land_use, geoms, zones=zones, frame=frame)

    @staticmethod
    def _parcel_land_use(commune: Commune, lot_class: np.ndarray, is_front: np.ndarray, row_key: np.ndarray,
                         distance: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Land-use codes: town front rows mostly houses and shops; villages around the seat; rubber,
        cashew and pepper (CLN) in the country, forest (RSX, RPH) in the north and east. Back rows of
        the country share one crop each (a plantation), with a few exceptions."""
        forest = commune.district_code in facts.FOREST_DISTRICTS
        group = np.where(lot_class == "urban", np.where(is_front, 0, 1),
                         np.where(is_front, np.where(distance < VILLAGE_RADIUS_M, 2, 3),
                                  np.where(forest & (distance > FOREST_FROM_M), 5, 4)))
        tables = [LAND_USE[("urban", "front")], LAND_USE[("urban", "back")], LAND_USE[("village", "front")],
                  LAND_USE[("rural", "front")], LAND_USE[("rural", "back")], LAND_USE[("forest", "back")]]
        out = np.empty(len(group), dtype=object)
        for g, (codes, p) in enumerate(tables):
            sel = np.flatnonzero(group == g)
            out[sel] = rng.choice(codes, size=len(sel), p=p)
            if g >= 4 and len(sel):  # one crop per plantation row
                keys, inverse = np.unique(row_key[sel], return_inverse=True)
                crop = rng.choice(codes, size=len(keys), p=p)[inverse]
                same = rng.random(len(sel)) < 0.85
                out[sel[same]] = crop[same]
        if commune.urban:
            out[out == "ONT"] = "ODT"
        else:
            out[out == "ODT"] = "ONT"
        return out

    # -- zoning ----------------------------------------------------------------------------------
    def zoning_for(self, batch: ParcelBatch, plan_no: int) -> list[Feature]:
        """Zones of the commune's plan over the blocks its parcels use: each block one zone, or two
        where the plan draws a line through it (the middle of a deep block's first back row, or a
        residential strip along a country road), so some parcels are split between two zones."""
        commune = batch.commune
        rng = self.rng(5, commune.index)
        district = next(d for d in self.districts if d.gso_code == commune.district_code)
        if commune.urban:
            plan = f"Quy hoạch chung đô thị {district.short_name} đến năm 2040"
        else:
            plan = f"Quy hoạch sử dụng đất đến năm 2030 {lower_first(district.name)}"
        uses = {("urban", 0): (["ODT", "TMD", "DGD", "DYT", "DKV"], [0.66, 0.2, 0.05, 0.03, 0.06]),
                ("urban", 1): (["ODT", "DKV", "SKC", "TMD", "DGD"], [0.55, 0.15, 0.1, 0.1, 0.1]),
                ("rural", 0): (["ONT", "CLN", "TMD"], [0.75, 0.2, 0.05]),
                ("rural", 1): (["CLN", "RSX", "HNK", "LUC", "SKK"], [0.6, 0.15, 0.1, 0.1, 0.05])}
        decision = f"{100 + plan_no * 7 % 900}/QĐ-UBND"
        decision_date = f"20{19 + plan_no % 5}-{1 + plan_no % 12:02d}-{1 + plan_no % 27:02d}"
        limits = {"ODT": (7, 28.0, 80.0), "TMD": (15, 60.0, 60.0), "DGD": (4, 18.0, 40.0),
                  "DKV": (1, 6.0, 5.0), "DYT": (7, 30.0, 40.0), "SKC": (3, 20.0, 60.0),
                  "ONT": (3, 12.0, 70.0), "SKK": (3, 24.0, 60.0)}
        zones = []
        for n, (block, split, lot_class) in enumerate(batch.zones):
            pieces = [block]
            if split is not None and (lot_class == "urban" or rng.random() < 0.4):
                inner = block.buffer(-split)
                pieces = [block.difference(inner), inner]
            for part, piece in enumerate(pieces):
                geom = as_multipolygon(shapely.transform(piece, batch.frame.to_deg))
                if geom.is_empty:
                    continue
                codes, shares = uses[(lot_class, min(part, 1))]
                use = str(rng.choice(codes, p=shares))
                floors, height, density = limits.get(use, (None, None, None))
                zones.append(Feature({
                    "zone_code": f"{use}-{n + 1:03d}{'AB'[part]}", "planned_land_use_code": use,
                    "plan_name": plan, "decision_no": decision, "decision_date": decision_date,
                    "max_floors": floors, "max_height_m": height, "building_density_pct": density,
                }, geom))
        return zones

    # -- street lights, water, power -------------------------------------------------------------
    @staticmethod
    def points_along(line, step_m: float, start_m: float = 0.0) -> list[Point]:
        """Points every `step_m` metres along a lon/lat line (metres from the local frame)."""
        kx, ky = deg_per_m(line.centroid.y)
        points = []
        for part in getattr(line, "geoms", [line]):
            coords = np.asarray(part.coords)
            metric = LineString(np.c_[coords[:, 0] / kx, coords[:, 1] / ky])
            for d in np.arange(start_m, metric.length, step_m):
                p = metric.interpolate(d)
                points.append(Point(p.x * kx, p.y * ky))
        return points

    def streetlights(self) -> Iterator[Feature]:
        for d in self.districts:
            rng = self.rng(6, int(d.gso_code))
            for s, street in enumerate(self.town_streets[d.gso_code]):
                circuit = f"TĐ-{d.gso_code}-{s + 1:02d}"
                for n, p in enumerate(self.points_along(street.geom, 35.0, 10.0)):
                    yield Feature({
                        "light_code": f"DCS-{d.gso_code}-{s + 1:02d}-{n + 1:03d}", "circuit": circuit,
                        "lamp_type": str(rng.choice(["led", "sodium", "metal_halide"], p=[0.7, 0.25, 0.05])),
                        "wattage_w": int(rng.choice([100, 150, 250])),
                        "status": str(rng.choice(["operating", "fault", "off"], p=[0.93, 0.05, 0.02])),
                    }, p)

    def _street_nodes(self, district: District) -> list[Point]:
        """Street crossings of the district's towns (where valves and transformers go)."""
        streets = [s.geom for s in self.town_streets[district.gso_code]]
        if not streets:
            return []
        left, right = shapely.STRtree(streets).query(streets, predicate="intersects")
        nodes = []
        for i, j in zip(left.tolist(), right.tolist()):
            if i < j:
                inter = streets[i].intersection(streets[j])
                nodes += [g for g in getattr(inter, "geoms", [inter]) if isinstance(g, Point)]
        return nodes

    def _plant(self, district: District, bearing: float, distance_m: float) -> Point:
        x, y = district.seat
        kx, ky = deg_per_m(y)
        p = Point(x + math.cos(bearing) * distance_m * kx, y + math.sin(bearing) * distance_m * ky)
        return p if district.geom.contains(p) else Point(x + 200 * kx, y - 200 * ky)

    def water(self) -> dict[str, list[Feature]]:
        """Per town: a trunk main from the water plant to the centre, distribution pipes under every
        street (all meeting at the street grid, so the network is connected), valves at each
        intersection, hydrants every 150 m."""
        pipes, valves, hydrants = [], [], []
        for d in self.districts:
            rng = self.rng(7, int(d.gso_code))
            plant = self._plant(d, rng.uniform(0, 2 * math.pi), 1500.0)
            trunk = LineString([plant.coords[0], d.seat])
            pipes.append(Feature({"asset_code": f"ON-{d.gso_code}-000", "diameter_mm": 300, "material": "HDPE",
                                  "owner": "BPW", "status": "operating"}, MultiLineString([trunk])))
            for s, street in enumerate(self.town_streets[d.gso_code]):
                pipes.append(Feature({"asset_code": f"ON-{d.gso_code}-{s + 1:03d}",
                                      "diameter_mm": int(rng.choice([100, 150, 200])),
                                      "material": str(rng.choice(["HDPE", "uPVC", "gang dẻo"])),
                                      "owner": "BPW", "status": "operating"}, street.geom))
            for n, node in enumerate(self._street_nodes(d)):
                valves.append(Feature({"asset_code": f"VAN-{d.gso_code}-{n + 1:03d}",
                                       "state": "closed" if rng.random() < 0.05 else "open",
                                       "diameter_mm": 150, "owner": "BPW", "status": "operating"}, node))
            network = shapely.union_all([trunk] + [s.geom for s in self.town_streets[d.gso_code]])
            for n, p in enumerate(self.points_along(network, 150.0, 75.0)):
                hydrants.append(Feature({"asset_code": f"TCH-{d.gso_code}-{n + 1:03d}",
                                         "pressure_bar": round(float(rng.uniform(1.5, 4.0)), 1),
                                         "owner": "BPW", "status": "operating"}, p))
        return {"water_pipes": pipes, "water_valves": valves, "hydrants": hydrants}

    def power(self) -> dict[str, list[Feature]]:
        """A 110 kV substation per district seat joined by a minimum spanning tree of 110 kV lines;
        22 kV feeders from each to its town grid and along every street; 22/0.4 kV transformer
        stations at alternate street intersections; poles every 50 m on the 22 kV lines."""
        subs, lines, poles = [], [], []
        sites = []
        for d in self.districts:
            rng = self.rng(8, int(d.gso_code))
            site = self._plant(d, rng.uniform(0, 2 * math.pi), 900.0)
            sites.append(site)
            subs.append(Feature({"asset_code": f"TBA110-{d.gso_code}", "name": f"Trạm 110kV {d.short_name}",
                                 "voltage_kv": "110/22", "capacity_kva": 63000, "owner": "PCBP",
                                 "status": "operating"}, site))
            feeders = [LineString([site.coords[0], d.seat])] + [
                g for s in self.town_streets[d.gso_code] for g in s.geom.geoms]
            for f, feeder in enumerate(feeders):
                lines.append(Feature({"asset_code": f"DZ22-{d.gso_code}-{f:02d}", "voltage_kv": 22.0,
                                      "owner": "PCBP", "status": "operating"}, MultiLineString([feeder])))
                for n, p in enumerate(self.points_along(feeder, 50.0)):
                    poles.append(Feature({"asset_code": f"COT-{d.gso_code}-{f:02d}-{n + 1:03d}",
                                          "voltage_kv": 22.0, "owner": "PCBP", "status": "operating"}, p))
            for n, node in enumerate(self._street_nodes(d)[::2]):
                subs.append(Feature({"asset_code": f"TBA-{d.gso_code}-{n + 1:03d}",
                                     "name": f"Trạm {d.short_name} {n + 1}", "voltage_kv": "22/0.4",
                                     "capacity_kva": int(rng.choice([250, 400, 630])), "owner": "PCBP",
                                     "status": "operating"}, node))
        # Prim's minimum spanning tree over the 110 kV sites (distances in degrees suffice here).
        joined, edges = {0}, []
        while len(joined) < len(sites):
            a, b = min(((a, b) for a in joined for b in range(len(sites)) if b not in joined),
                       key=lambda ab: sites[ab[0]].distance(sites[ab[1]]))
            joined.add(b)
            edges.append((a, b))
        for a, b in edges:
            da, db = self.districts[a].gso_code, self.districts[b].gso_code
            lines.append(Feature({"asset_code": f"DZ110-{da}-{db}", "voltage_kv": 110.0, "owner": "PCBP",
                                  "status": "operating"}, MultiLineString([[sites[a].coords[0], sites[b].coords[0]]])))
        return {"substations": subs, "power_lines": lines, "power_poles": poles}

    # -- public services -------------------------------------------------------------------------
    def _near(self, commune: Commune, rng: np.random.Generator, radius_m: float = 1500.0) -> Point:
        """A random point within `radius_m` metres of the commune seat, inside the commune."""
        kx, ky = deg_per_m(commune.seat[1])
        for _ in range(100):
            r, a = radius_m * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
            p = Point(commune.seat[0] + r * math.cos(a) * kx, commune.seat[1] + r * math.sin(a) * ky)
            if commune.geom.contains(p):
                return p
        return Point(commune.seat)

    def _communes_by_size(self) -> list[Commune]:
        """Communes ordered: urban first, then by area, largest first (who gets a second facility)."""
        return sorted(self.communes, key=lambda c: (not c.urban, -c.geom.area, c.gso_code))

    def schools(self) -> Iterator[Feature]:
        rng = self.rng(9)
        ranked = self._communes_by_size()
        district_of = {d.gso_code: d for d in self.districts}
        seats = [d.communes[0] for d in self.districts]
        for level, count in facts.SCHOOL_COUNTS.items():
            prefix = facts.SCHOOL_PREFIX[level]
            if level == "continuing_provincial":
                hosts = [district_of[facts.PROVINCIAL_CAPITAL].communes[0]]
            elif level == "continuing_district":
                hosts = [c for c in seats if c.district_code != facts.PROVINCIAL_CAPITAL][:count]
            elif level == "upper_secondary":
                hosts = [seats[i % len(seats)] if i < len(seats) else ranked[i - len(seats)] for i in range(count)]
            else:
                hosts = [ranked[i % len(ranked)] for i in range(count)]
            seen: dict[str, int] = {}
            for commune in hosts:
                seen[commune.gso_code] = seen.get(commune.gso_code, 0) + 1
                district = district_of[commune.district_code]
                if level == "continuing_provincial":
                    name = prefix
                elif level == "continuing_district":
                    name = f"{prefix} {lower_first(district.name)}"
                else:
                    name = f"{prefix} {commune.short_name}" + (f" số {seen[commune.gso_code]}" if seen[commune.gso_code] > 1 else "")
                students = {"kindergarten": (120, 450), "primary": (300, 1000), "lower_secondary": (300, 1100),
                            "upper_secondary": (700, 1800)}.get(level, (200, 600))
                yield Feature({"name": name, "level": level, "district_code": commune.district_code,
                               "address": f"{commune.name}, {district.name}",
                               "students": int(rng.integers(*students))}, self._near(commune, rng))

    def clinics(self) -> Iterator[Feature]:
        rng = self.rng(10)
        district_of = {d.gso_code: d for d in self.districts}
        capital = district_of[facts.PROVINCIAL_CAPITAL]
        ranked = self._communes_by_size()
        plans = [("provincial_hospital", capital.communes[0], "Bệnh viện Đa khoa tỉnh Bình Phước", 700)]
        for d in self.districts:
            plans.append(("district_centre", d.communes[0], f"Trung tâm Y tế {lower_first(d.name)}",
                          int(rng.integers(100, 250))))
        extra = facts.CLINIC_COUNTS["district_centre"] - len(self.districts)
        for d in sorted(self.districts, key=lambda d: -d.geom.area)[:extra]:
            plans.append(("district_centre", d.communes[1], f"Bệnh viện Đa khoa khu vực {d.short_name}",
                          int(rng.integers(80, 150))))
        for c in [c for c in ranked if not c.urban][: facts.CLINIC_COUNTS["polyclinic"]]:
            plans.append(("polyclinic", c, f"Phòng khám đa khoa khu vực {c.short_name}", int(rng.integers(10, 30))))
        for i in range(facts.CLINIC_COUNTS["commune_station"]):
            c = ranked[i % len(ranked)]
            suffix = f" (cơ sở {i // len(ranked) + 1})" if i >= len(ranked) else ""
            plans.append(("commune_station", c, f"Trạm Y tế {lower_first(c.name)}{suffix}",
                          int(rng.integers(3, 10))))
        for clinic_type, commune, name, beds in plans:
            district = district_of[commune.district_code]
            yield Feature({"name": name, "clinic_type": clinic_type, "beds": beds,
                           "district_code": commune.district_code,
                           "address": f"{commune.name}, {district.name}"}, self._near(commune, rng, 1000.0))

    def cameras(self) -> Iterator[Feature]:
        rng = self.rng(11)
        district_of = {d.gso_code: d for d in self.districts}
        point_no = 0

        def camera(phase, point_code, purpose, district_code, road, p, n, status="operating"):
            return Feature({"camera_code": f"CAM-{phase}-{point_code[-3:]}-{n}", "point_code": point_code,
                            "purpose": purpose, "phase": phase, "district_code": district_code,
                            "road_name": road, "status": status}, p)

        # Phase 1: 29 points on town streets; the first 6 watch traffic violations; 46 cameras.
        points = []
        for code, n_points in facts.CAMERA_PHASE1_POINTS.items():
            streets = self.town_streets[code]
            for k in range(n_points):
                street = streets[k % len(streets)]
                p = street.geom.interpolate(rng.uniform(0.2, 0.8), normalized=True)
                points.append((code, street.attrs["name"], p))
        extra = facts.CAMERA_PHASE1_CAMERAS - len(points)
        for i, (code, road, p) in enumerate(points):
            point_no += 1
            purpose = "violation" if i < facts.CAMERA_PHASE1_VIOLATION_POINTS else "security"
            for n in range(1, 3 if i < extra else 2):
                yield camera(1, f"P1-{point_no:03d}", purpose, code, road, p, n,
                             "fault" if rng.random() < 0.05 else "operating")
        # Phase 2: 17 points spread along QL13, QL14 and ĐT741.
        purposes = [p for p, n in facts.CAMERA_PHASE2_PURPOSES.items() for _ in range(n)]
        rng.shuffle(purposes)
        roads = {r.attrs["name"]: r.geom for r in self.main_roads}
        i = 0
        for road, n_points in facts.CAMERA_PHASE2_ROAD_POINTS.items():
            for k in range(n_points):
                p = roads[road].interpolate((k + 0.5) / n_points, normalized=True)
                district = self.district_at(p.x, p.y)
                point_no += 1
                yield camera(2, f"P2-{point_no:03d}", purposes[i], district.gso_code, road, p, 1)
                i += 1
        # Phase 3: one speed point on QL14, 12 security points in three districts (planned).
        p = roads[facts.CAMERA_PHASE3_SPEED_ROAD].interpolate(0.9, normalized=True)
        point_no += 1
        yield camera(3, f"P3-{point_no:03d}", "speed", self.district_at(p.x, p.y).gso_code,
                     facts.CAMERA_PHASE3_SPEED_ROAD, p, 1, "planned")
        for code, n_points in facts.CAMERA_PHASE3_SECURITY.items():
            communes = district_of[code].communes
            for k in range(n_points):
                point_no += 1
                yield camera(3, f"P3-{point_no:03d}", "security", code, "",
                             self._near(communes[k % len(communes)], rng, 800.0), 1, "planned")

    def tourism_pois(self) -> Iterator[Feature]:
        rng = self.rng(12)
        for name, category, place, description in facts.SIGHTS:
            x, y = self.warp.point(place)  # moved with the borders, so it stays where it was drawn
            d = self.district_at(x, y)
            yield Feature({"name": name, "category": category, "description": description,
                           "address": d.name if d else ""}, Point(x, y))
        hotel_names = ["Khách sạn {t}", "Khách sạn Hoàng Gia {t}", "Nhà nghỉ Sao Mai {t}"]
        restaurant_names = ["Nhà hàng {t}", "Quán ăn Hạt Điều {t}", "Nhà hàng Sóc Bom Bo {t}"]
        for d in self.districts:
            seat = d.communes[0]
            for names, category, n in ((hotel_names, "hotel", facts.HOTELS_PER_SEAT),
                                       (restaurant_names, "restaurant", facts.RESTAURANTS_PER_SEAT)):
                for k in range(n):
                    yield Feature({"name": names[k % len(names)].format(t=d.short_name), "category": category,
                                   "description": "", "address": f"{seat.name}, {d.name}"},
                                  self._near(seat, rng, 700.0))


@dataclass
class ParcelBatch:
    """The parcels of one commune, as arrays (geometry as lon/lat polygons), with the blocks they
    subdivide (metres of `frame`) for the zoning drawn over them."""

    commune: Commune
    map_sheet_no: np.ndarray
    parcel_no: np.ndarray
    land_use: np.ndarray
    geoms: np.ndarray
    zones: list = field(default_factory=list)
    frame: LocalFrame | None = None

    def __len__(self):
        return len(self.parcel_no)

    def ewkb_hex(self, srid: int) -> list[str]:
        """Hex EWKB MultiPolygons, for COPY into PostGIS."""
        multi = shapely.multipolygons(self.geoms, indices=np.arange(len(self.geoms)))
        return shapely.to_wkb(shapely.set_srid(multi, srid), hex=True, include_srid=True).tolist()
