"""The layer registry is the one source of truth: models, tables, indexes and pygeoapi's
configuration must all agree with it."""
import pytest
import yaml
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from layers import registry
from ogcapi.config import committed_yaml, generate

EXPECTED_COLLECTIONS = {
    "admin_units", "parcels", "zoning", "roads", "streetlights", "water_pipes", "water_valves", "hydrants",
    "power_lines", "power_poles", "substations", "cameras", "tourism_pois", "schools", "clinics",
    "response_units", "incidents",
}
INTERNAL = {"water_pipes", "water_valves", "hydrants", "power_lines", "power_poles", "substations", "cameras",
            "response_units", "incidents"}


def test_registry_has_exactly_the_province_layers():
    assert {spec.id for spec in registry.all_layers()} == EXPECTED_COLLECTIONS


def test_critical_infrastructure_is_internal_and_the_rest_public():
    assert {spec.id for spec in registry.all_layers() if not spec.public} == INTERNAL
    for spec in registry.all_layers():
        assert spec.title_vi and spec.title_en and spec.title_vi != spec.title_en
        assert spec.edit_roles or spec.workflow, f"{spec.id}: nobody may edit it"
        if not spec.public:
            assert spec.read_roles, f"{spec.id}: internal but readable by no role"


def test_registry_is_locked_after_start_up():
    spec = registry.get("parcels")
    with pytest.raises(registry.RegistryLocked):
        registry.register(spec)


def test_committed_pygeoapi_config_is_what_the_registry_generates():
    call_command("generate_pygeoapi_config", "--check")


def test_pygeoapi_config_describes_each_layer_table():
    resources = yaml.safe_load(committed_yaml())["resources"]
    assert set(resources) == EXPECTED_COLLECTIONS
    for spec in registry.all_layers():
        provider = resources[spec.id]["providers"][0]
        assert provider["table"] == spec.model._meta.db_table
        assert provider["id_field"] == spec.model._meta.pk.column
        assert provider["geom_field"] == "geom"
        assert resources[spec.id]["title"] == {"vi": spec.title_vi, "en": spec.title_en}
    assert generate()["resources"].keys() == resources.keys()


@pytest.mark.django_db
def test_every_layer_is_stored_in_4326_with_a_spatial_index():
    with connection.cursor() as cursor:
        for spec in registry.all_layers():
            cursor.execute("SELECT srid, type FROM geometry_columns WHERE f_table_name = %s AND f_geometry_column = 'geom'",
                           [spec.table])
            srid, geometry_type = cursor.fetchone()
            assert srid == 4326, spec.id
            assert geometry_type == spec.geometry_type.upper(), spec.id
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef ILIKE %s",
                           [spec.table, "%USING gist (geom)%"])
            assert cursor.fetchone(), f"{spec.id} has no GiST index on geom"


@pytest.mark.django_db
@pytest.mark.parametrize("layer_id", sorted(EXPECTED_COLLECTIONS))
def test_every_layer_rejects_an_invalid_geometry(layer_id):
    spec = registry.get(layer_id)
    row = spec.model.objects.first()
    assert row is not None, f"demo province left {layer_id} empty"
    bow_tie = Polygon(((106.9, 11.5), (106.91, 11.51), (106.91, 11.5), (106.9, 11.51), (106.9, 11.5)), srid=4326)
    invalid = {"MultiPolygon": MultiPolygon(bow_tie, srid=4326)}.get(spec.geometry_type)
    if invalid is None:  # points and lines: an empty geometry is the invalid case
        invalid = type(row.geom)(srid=4326) if spec.geometry_type != "Point" else None
    with connection.cursor() as cursor:
        sql = f'UPDATE "{spec.table}" SET geom = ST_GeomFromText(%s, 4326) WHERE id = %s'
        wkt = invalid.wkt if invalid is not None else "POINT EMPTY"
        with pytest.raises(IntegrityError), transaction.atomic():
            cursor.execute(sql, [wkt, row.pk])


def test_code_list_columns_point_at_code_list_tables():
    for spec in registry.all_layers():
        columns = {f.column: f for f in spec.model._meta.concrete_fields}
        for column, model in spec.code_lists.items():
            assert column in columns, f"{spec.id}: no column {column}"
            assert columns[column].related_model is model, f"{spec.id}.{column} is not a foreign key to {model}"


def test_every_geometry_model_is_a_registered_layer():
    from django.apps import apps
    from django.contrib.gis.db.models import GeometryField

    registered = {spec.model for spec in registry.all_layers()}
    for model in apps.get_models():
        if any(isinstance(f, GeometryField) for f in model._meta.fields) and not getattr(model, "layer_exempt", ""):
            assert model in registered, f"{model.__name__} has a geometry but no layer spec"
