"""Loading the synthetic province into the layers: one transaction, parcels streamed with COPY."""
from __future__ import annotations

import random
import sys
from contextlib import nullcontext
from dataclasses import dataclass

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from psycopg2 import sql
from tqdm import tqdm

from dispatch.demo import demo_response_units_load
from layers import changelog, registry, writes
from layers.editing import Editor
from layers.geometry import STORAGE_SRID

from incidents.demo import demo_incidents_load

from .generator import Feature, Province, lower_first
from .province import PROVINCE

MAX_PARCELS = 5_000_000
SEED_EDITOR = Editor.system("seed_demo")


class SeedError(Exception):
    """The demo province cannot be loaded as asked (said to the user as is)."""


@dataclass
class SeedReport:
    counts: dict[str, int]
    skipped: bool = False


def _layer_is_empty() -> bool:
    return not any(spec.model.objects.exists() for spec in registry.all_layers())


def _create(layer_id: str, features) -> int:
    """Insert generated features (attrs keyed by column name) into a layer, through the write service."""
    spec = registry.get(layer_id)
    attname = {f.column: f.attname for f in spec.model._meta.concrete_fields}
    objects = [
        spec.model(**{attname[k]: v for k, v in f.attrs.items()},
                   geom=GEOSGeometry(memoryview(shapely.to_wkb(f.geom)), srid=STORAGE_SRID))
        for f in features
    ]
    return writes.create_many(spec, SEED_EDITOR, objects)


class _Stream:
    """A file-like object whose reads are the chunks an iterator yields: one COPY for every commune,
    the next commune generated while the database stores the previous one."""

    def __init__(self, chunks):
        self.chunks = chunks

    def read(self, size: int = -1) -> str:
        return next(self.chunks, "")


def _copy_parcels(province: Province, total: int, progress: bool) -> tuple[int, list[Feature]]:
    """COPY `total` parcels commune by commune (memory bounded by the largest commune); returns
    the count and the zoning zones drawn over the ground the parcels cover."""
    spec = registry.get("parcels")
    columns = ["commune_code", "map_sheet_no", "parcel_no", "land_use_code", "address", "geom"]
    zones: list[Feature] = []
    loaded = 0
    bar = tqdm(total=total, unit=" parcels", disable=not progress, file=sys.stderr, smoothing=0.1)

    def communes():
        nonlocal loaded
        for plan_no, (commune, k) in enumerate(zip(province.communes, province.parcel_counts(total))):
            if k == 0:
                continue
            batch = province.commune_parcels(commune, k)
            place = "Khu phố" if commune.urban else "Ấp"
            suffix = f", {commune.name}, {commune.district_name}, {lower_first(PROVINCE['name'])}"
            geoms = batch.ewkb_hex(STORAGE_SRID)
            text = "".join(
                f"{commune.gso_code}\t{s}\t{n}\t{u}\t{place} {s}{suffix}\t{g}\n"
                for s, n, u, g in zip(batch.map_sheet_no.tolist(), batch.parcel_no.tolist(), batch.land_use, geoms)
            )
            zones.extend(province.zoning_for(batch, plan_no))
            loaded += len(batch)
            bar.update(len(batch))
            yield text

    # The layer is empty here (a fresh or emptied province): a big load builds its indexes and checks
    # its foreign keys once, after the rows are in.
    with connection.cursor() as cursor, (writes.indexes_rebuilt_after(cursor, spec)
                                         if total >= writes.rebuild_indexes_from() else nullcontext()):
        writes.copy_rows(spec, SEED_EDITOR, columns, _Stream(communes()))
    bar.close()
    return loaded, zones


def demo_province_load(*, parcels: int = 50_000, seed: int = 2021, replace: bool = False,
                       if_empty: bool = False, progress: bool = False) -> SeedReport:
    """Load the synthetic Bình Phước into every layer, all or nothing.

    An existing province is kept unless `replace` (then every layer is emptied first); with
    `if_empty` an existing province is left alone and the report says it was skipped.
    """
    if not 0 < parcels <= MAX_PARCELS:
        raise SeedError(f"--parcels must be between 1 and {MAX_PARCELS:,}, not {parcels:,}.")
    with writes.writing(SEED_EDITOR, source=writes.SEED):
        return _load(parcels, seed, replace, if_empty, progress)


def _load(parcels: int, seed: int, replace: bool, if_empty: bool, progress: bool) -> SeedReport:
    with connection.cursor() as cursor:
        # Check foreign keys row by row, and let TRUNCATE run after earlier writes in this transaction.
        changelog.constraints_immediate(cursor)
    if not _layer_is_empty():
        if if_empty:
            return SeedReport(counts={}, skipped=True)
        if not replace:
            raise SeedError("The layers already hold data; use --replace to wipe them and load the demo "
                            "province, or --if-empty to keep them.")
        writes.truncate(registry.all_layers(), SEED_EDITOR)
    province = Province(seed)
    counts = {"admin_units": _create("admin_units", province.admin_units())}
    counts["parcels"], zones = _copy_parcels(province, parcels, progress)
    counts["zoning"] = _create("zoning", zones)
    counts["roads"] = _create("roads", province.roads())
    counts["streetlights"] = _create("streetlights", province.streetlights())
    for group in (province.water(), province.power()):
        for layer_id, features in group.items():
            counts[layer_id] = _create(layer_id, features)
    counts["cameras"] = _create("cameras", province.cameras())
    counts["tourism_pois"] = _create("tourism_pois", province.tourism_pois())
    counts["schools"] = _create("schools", province.schools())
    counts["clinics"] = _create("clinics", province.clinics())
    counts["response_units"] = demo_response_units_load(rng=province.rng(20), editor=SEED_EDITOR)
    # A month of incidents after the units (the live hours' immediate incidents are dispatched to them).
    counts["incidents"] = demo_incidents_load(rng=random.Random(seed + 11))
    with connection.cursor() as cursor:
        for spec in registry.all_layers():
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(spec.table)))
    return SeedReport(counts=counts)
