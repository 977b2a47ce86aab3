"""A deterministic synthetic Bình Phước: geometry and attributes for every layer.

Framework-free (numpy + shapely): the same seed gives the same province, byte for byte. Geometries
are in EPSG:4326 (lon/lat degrees); distances and sizes given in metres are converted with a local
equirectangular frame, accurate to well under 1 % across a commune.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon, box
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


class Province:
    """The synthetic province. Build once per seed; each layer is generated on demand."""

    def __init__(self, seed: int = 2021):
        self.seed = seed
        self.outline = Polygon(facts.OUTLINE)
        self.districts = self._districts()
        self.communes = [c for d in self.districts for c in d.communes]
        self.main_roads = self._main_roads()
        self.town_streets = {d.gso_code: self._town_streets(d) for d in self.districts}

    def rng(self, *keys: int) -> np.random.Generator:
        """An independent random stream per (seed, keys): one part's draws never shift another's."""
        return np.random.default_rng([self.seed, *keys])

    # -- administrative units ------------------------------------------------------------------
    def _districts(self) -> list[District]:
        seats = [Point(seat) for _, _, seat, _ in facts.DISTRICTS]
        cells = shapely.voronoi_polygons(shapely.MultiPoint(seats), extend_to=self.outline.buffer(1),
                                         ordered=True)
        districts = []
        commune_code = facts.FIRST_COMMUNE_CODE
        for i, ((code, name, seat, commune_names), cell) in enumerate(zip(facts.DISTRICTS, cells.geoms)):
            geom = as_multipolygon(cell.intersection(self.outline))
            district = District(code, name, seat, geom)
            for j, (commune_name, commune_geom, commune_seat) in enumerate(
                    self._communes(district, commune_names, self.rng(1, i))):
                district.communes.append(Commune(
                    index=len(districts) * 100 + j, gso_code=f"{commune_code:05d}", name=commune_name,
                    district_code=code, district_name=name, seat=commune_seat, geom=commune_geom,
                    urban=commune_name.startswith(("Phường", "Thị trấn")),
                ))
                commune_code += 3
            districts.append(district)
        return districts

    @staticmethod
    def _communes(district: District, names: list[str], rng: np.random.Generator):
        """Split a district into len(names) communes: Voronoi cells around well-spaced seeds."""
        minx, miny, maxx, maxy = district.geom.bounds
        area_deg = district.geom.area
        spacing = 0.6 * math.sqrt(area_deg / len(names))
        seeds = [district.seat]
        shapely.prepare(district.geom)
        while len(seeds) < len(names):
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if not shapely.contains_xy(district.geom, x, y):
                continue
            if min(math.dist((x, y), s) for s in seeds) < spacing:
                spacing *= 0.995  # relax slowly so crowded districts still finish
                continue
            seeds.append((x, y))
        cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=district.geom.buffer(1),
                                         ordered=True)
        for name, cell, seed in zip(names, cells.geoms, seeds):
            yield name, as_multipolygon(cell.intersection(district.geom)), seed

    def admin_units(self) -> Iterator[Feature]:
        yield Feature({"gso_code": facts.PROVINCE["gso_code"], "name": facts.PROVINCE["name"],
                       "level": "province", "parent_code": None}, as_multipolygon(self.outline))
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
    def _wiggle(self, waypoints, rng, step_m=800.0, amplitude_m=120.0) -> LineString:
        """A road through the waypoints, densified every `step_m` metres with a gentle meander."""
        coords = []
        for (x0, y0), (x1, y1) in zip(waypoints, waypoints[1:]):
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
        roads = []
        for i, (name, road_class, width, waypoints) in enumerate(facts.MAIN_ROADS):
            line = self._wiggle(waypoints, self.rng(2, i)).intersection(self.outline)
            roads.append(Feature({"name": name, "road_class": road_class, "width_m": width},
                                 as_multilinestring(linemerge(line) if not isinstance(line, LineString) else line)))
        return roads

    def _town_streets(self, district: District) -> list[Feature]:
        """A grid of urban streets around a district seat: 5 x 5 lines, 350 m apart, 1.6 km long."""
        rng = self.rng(3, int(district.gso_code))
        x0, y0 = district.seat
        kx, ky = deg_per_m(y0)
        angle = rng.uniform(-0.35, 0.35)
        ca, sa = math.cos(angle), math.sin(angle)
        half = 800.0
        names = list(facts.URBAN_STREET_NAMES)
        rng.shuffle(names)
        streets = []
        for axis in (0, 1):
            for k, offset in enumerate(np.arange(-2, 3) * 350.0):
                a = np.array([[-half, offset], [half, offset]]) if axis == 0 else np.array([[offset, -half], [offset, half]])
                xs = x0 + (a[:, 0] * ca - a[:, 1] * sa) * kx
                ys = y0 + (a[:, 0] * sa + a[:, 1] * ca) * ky
                line = LineString(zip(xs, ys)).intersection(district.geom)
                if line.is_empty:
                    continue
                streets.append(Feature({"name": f"Đường {names[(axis * 5 + k) % len(names)]}",
                                        "road_class": "urban", "width_m": float(rng.choice([7.0, 10.5, 13.0, 16.0]))},
                                       as_multilinestring(line)))
        return streets

    def roads(self) -> Iterator[Feature]:
        yield from self.main_roads
        for d in self.districts:
            yield from self.town_streets[d.gso_code]

    # -- parcels ---------------------------------------------------------------------------------
    def parcel_counts(self, total: int) -> list[int]:
        """How many of `total` parcels each commune gets: urban communes twice a rural one's share."""
        weights = np.array([2.0 if c.urban else 1.0 for c in self.communes])
        counts = np.floor(total * weights / weights.sum()).astype(int)
        counts[: total - counts.sum()] += 1
        return counts.tolist()

    def commune_parcels(self, commune: Commune, k: int) -> "ParcelBatch":
        """`k` non-overlapping parcels around the commune seat: a jittered, rotated grid of quads,
        nearest the seat first, every corner inside the commune. Sizes in metres (urban lots
        12 x 30 m, fields 45 x 90 m), shrunk until `k` fit."""
        rng = self.rng(4, commune.index)
        cx, cy = commune.seat
        kx, ky = deg_per_m(cy)
        cell_w, cell_h = (12.0, 30.0) if commune.urban else (45.0, 90.0)
        angle = rng.uniform(-0.5, 0.5)
        ca, sa = math.cos(angle), math.sin(angle)
        shapely.prepare(commune.geom)
        for _ in range(30):
            side = int(math.ceil(math.sqrt(k * 1.3))) + 2
            gx = (np.arange(side + 1) - side / 2) * cell_w
            gy = (np.arange(side + 1) - side / 2) * cell_h
            vx, vy = np.meshgrid(gx, gy)  # (side+1, side+1) vertex grid, metres
            vx = vx + rng.uniform(-0.15, 0.15, vx.shape) * cell_w
            vy = vy + rng.uniform(-0.15, 0.15, vy.shape) * cell_h
            lon = cx + (vx * ca - vy * sa) * kx
            lat = cy + (vx * sa + vy * ca) * ky
            # corners of cell (r, c): (r,c) (r,c+1) (r+1,c+1) (r+1,c) and back to (r,c)
            r, c = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
            r, c = r.ravel(), c.ravel()
            ring_r = np.stack([r, r, r + 1, r + 1, r], axis=1)
            ring_c = np.stack([c, c + 1, c + 1, c, c], axis=1)
            x, y = lon[ring_r, ring_c], lat[ring_r, ring_c]
            inside = shapely.contains_xy(commune.geom, x[:, :4].ravel(), y[:, :4].ravel()).reshape(-1, 4).all(axis=1)
            if inside.sum() >= k:
                break
            cell_w, cell_h = cell_w * 0.8, cell_h * 0.8
        else:
            raise RuntimeError(f"{commune.name}: cannot fit {k} parcels")
        centre_r, centre_c = r + 0.5 - side / 2, c + 0.5 - side / 2
        dist = np.hypot(centre_r * cell_h, centre_c * cell_w)
        dist[~inside] = np.inf
        chosen = np.sort(np.argsort(dist, kind="stable")[:k])
        rank = np.empty(k)
        rank[np.argsort(dist[chosen], kind="stable")] = np.arange(k) / max(k - 1, 1)
        # Map sheets are 20 x 20 blocks of the grid; parcels numbered row by row within a sheet.
        sheet_cols = side // 20 + 1
        sheet = (r[chosen] // 20) * sheet_cols + c[chosen] // 20 + 1
        order = np.lexsort((c[chosen], r[chosen], sheet))
        parcel_no = np.empty(k, dtype=int)
        sorted_sheet = sheet[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_sheet)) + 1]
        first = np.repeat(starts, np.diff(np.r_[starts, k]))
        parcel_no[order] = np.arange(k) - first + 1
        land_use = self._parcel_land_use(rank, commune.urban, rng)
        return ParcelBatch(commune, sheet, parcel_no, land_use, x[chosen], y[chosen])

    @staticmethod
    def _parcel_land_use(rank: np.ndarray, urban: bool, rng: np.random.Generator) -> np.ndarray:
        """Land-use codes by distance rank from the seat (0 nearest, 1 farthest)."""
        if urban:
            rings = [(0.55, ["ODT", "TMD", "DGD", "DYT", "TSC", "DKV"], [0.84, 0.08, 0.03, 0.01, 0.02, 0.02]),
                     (0.80, ["ODT", "CLN", "HNK", "SKC"], [0.5, 0.3, 0.15, 0.05]),
                     (1.01, ["CLN", "HNK", "LUC", "NTD"], [0.6, 0.25, 0.13, 0.02])]
        else:
            rings = [(0.12, ["ONT", "DGD", "DYT", "DCH", "DSH", "TSC"], [0.86, 0.04, 0.02, 0.03, 0.03, 0.02]),
                     (0.70, ["CLN", "HNK", "LUC", "ONT", "NTS"], [0.62, 0.16, 0.12, 0.07, 0.03]),
                     (1.01, ["CLN", "RSX", "HNK", "DCS"], [0.55, 0.30, 0.10, 0.05])]
        out = np.empty(len(rank), dtype=object)
        lower = -1.0
        for upper, codes, p in rings:
            sel = (rank > lower) & (rank <= upper)
            out[sel] = rng.choice(codes, size=int(sel.sum()), p=p)
            lower = upper
        return out

    # -- zoning ----------------------------------------------------------------------------------
    def zoning_for(self, commune: Commune, parcel_area: Polygon, plan_no: int) -> list[Feature]:
        """Zones of the commune's plan over the area its parcels cover: a grid of blocks (250 m in
        towns, 900 m in the country) not aligned with the parcel grid, so some parcels are split."""
        if parcel_area.is_empty:
            return []
        rng = self.rng(5, commune.index)
        kx, ky = deg_per_m(commune.seat[1])
        size = 250.0 if commune.urban else 900.0
        minx, miny, maxx, maxy = parcel_area.bounds
        xs = np.arange(minx - rng.uniform(0, size * kx), maxx, size * kx)
        ys = np.arange(miny - rng.uniform(0, size * ky), maxy, size * ky)
        district = next(d for d in self.districts if d.gso_code == commune.district_code)
        if commune.urban:
            plan = f"Quy hoạch chung đô thị {district.short_name} đến năm 2040"
            uses = (["ODT", "TMD", "DGD", "DKV", "DYT", "SKC"], [0.6, 0.15, 0.08, 0.08, 0.04, 0.05])
        else:
            plan = f"Quy hoạch sử dụng đất đến năm 2030 {lower_first(district.name)}"
            uses = (["ONT", "CLN", "HNK", "LUC", "RSX", "SKK"], [0.2, 0.45, 0.12, 0.1, 0.1, 0.03])
        decision = f"{100 + plan_no * 7 % 900}/QĐ-UBND"
        decision_date = f"20{19 + plan_no % 5}-{1 + plan_no % 12:02d}-{1 + plan_no % 27:02d}"
        limits = {"ODT": (7, 28.0, 80.0), "TMD": (15, 60.0, 60.0), "DGD": (4, 18.0, 40.0),
                  "DKV": (1, 6.0, 5.0), "DYT": (7, 30.0, 40.0), "SKC": (3, 20.0, 60.0),
                  "ONT": (3, 12.0, 70.0), "SKK": (3, 24.0, 60.0)}
        zones = []
        for i, x in enumerate(xs):
            for j, y in enumerate(ys):
                geom = box(x, y, x + size * kx, y + size * ky).intersection(parcel_area)
                geom = as_multipolygon(geom)
                if geom.is_empty or geom.area < (size * kx) * (size * ky) * 0.02:
                    continue
                use = str(rng.choice(uses[0], p=uses[1]))
                floors, height, density = limits.get(use, (None, None, None))
                zones.append(Feature({
                    "zone_code": f"{use}-{i + 1:02d}{j + 1:02d}", "planned_land_use_code": use,
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
        """Street intersections of a town (where valves and transformers go)."""
        streets = [s.geom for s in self.town_streets[district.gso_code]]
        nodes = []
        for i, a in enumerate(streets):
            for b in streets[i + 1:]:
                inter = a.intersection(b)
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
        for name, category, (x, y), description in facts.SIGHTS:
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
    """The parcels of one commune, as arrays (geometry as closed rings of 5 lon/lat vertices)."""

    commune: Commune
    map_sheet_no: np.ndarray
    parcel_no: np.ndarray
    land_use: np.ndarray
    x: np.ndarray
    y: np.ndarray

    def __len__(self):
        return len(self.parcel_no)

    def area(self) -> Polygon:
        """The ground the batch covers (its parcels' convex hull), clipped to the commune."""
        pts = shapely.multipoints(np.c_[self.x[:, :4].ravel(), self.y[:, :4].ravel()])
        return shapely.convex_hull(pts).intersection(self.commune.geom)
