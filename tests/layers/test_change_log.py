"""The change log (layers/changelog.py): every write of every registered layer recorded set-based by
statement triggers, attached after every migrate, checked by a system check, attributed by the one
write service (layers/writes.py)."""
import pytest
from django.contrib.gis.geos import Point
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection

from layers import changelog, history, registry, writes
from layers.editing import Editor
from layers.models import Change
from layers.selectors import layer_version, layers_changed_at
from transport.models import Streetlight

pytestmark = pytest.mark.django_db

OFFICER = Editor(frozenset({"admin"}), None, None, "can-bo-gt")


def light(**extra) -> dict:
    global _codes
    _codes += 1
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.88, 11.53]},
            "properties": {"light_code": f"DCS-T{_codes}", "circuit": "TĐ-01", "lamp_type": "led", "wattage_w": 100,
                           "status": "operating", **extra}}


_codes = 0
OFF = {"type": "Feature", "properties": {"status": "off"}}


def pole(i: int) -> Streetlight:
    return Streetlight(light_code=f"DCS-B{i}", circuit="TĐ-02", lamp_type_id="led", wattage_w=60,
                       status_id="operating", geom=Point(106.8 + i * 1e-4, 11.5, srid=4326))


def test_every_registered_table_has_its_triggers_and_the_check_says_so():
    assert changelog.untracked() == []
    assert [e for e in run_checks(databases=["default"]) if e.id == "layers.E010"] == []


def test_a_table_without_its_triggers_fails_the_check_and_migrate_attaches_them_again():
    """As for a layer registered after the database was migrated: its table has no trigger until the
    next migrate, and the system check says so meanwhile."""
    spec = registry.get("streetlights")
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TRIGGER "{spec.table}_log_update" ON "{spec.table}"')
    errors = [e for e in run_checks(databases=["default"]) if e.id == "layers.E010"]
    assert len(errors) == 1 and "streetlights" in errors[0].msg and "log_update" in errors[0].msg
    call_command("migrate", verbosity=0)
    assert changelog.untracked() == []


def test_writes_through_the_service_are_attributed_and_raw_sql_is_still_logged():
    created = writes.feature_create(spec=registry.get("streetlights"), editor=OFFICER, feature=light())
    change = Change.objects.get(layer_id="streetlights", feature_id=created.feature_id)
    assert (change.op, change.version, change.actor, change.source) == ("I", 1, "can-bo-gt", "api")
    assert created.version == 1
    Streetlight.objects.filter(pk=created.feature_id).update(status="off")  # outside the service
    raw = Change.objects.filter(layer_id="streetlights", feature_id=created.feature_id).latest("id")
    assert (raw.op, raw.version, raw.actor, raw.source) == ("U", 2, "", "sql")
    assert raw.before["status"] == "operating" and raw.before["geom"].startswith("0101000020e6100000")


def test_a_bulk_statement_is_logged_set_based_with_one_layer_version_bump():
    before = Change.objects.order_by("-id").values_list("id", flat=True).first()
    with writes.writing(OFFICER, source=writes.SEED):
        writes.create_many(registry.get("streetlights"), OFFICER, [pole(i) for i in range(250)])
    logged = Change.objects.filter(layer_id="streetlights", id__gt=before)
    assert logged.count() == 250 and set(logged.values_list("source", "actor", "op")) == {("seed", "can-bo-gt", "I")}
    assert len(set(logged.values_list("txid", flat=True))) == 1
    assert layer_version("streetlights") is None  # written by this (uncommitted) transaction: no shared cache
    assert layers_changed_at(["streetlights"]) == logged.first().at


def test_versions_count_every_change_and_unchanged_writes_make_none():
    spec = registry.get("streetlights")
    fid = writes.feature_create(spec=spec, editor=OFFICER, feature=light()).feature_id
    assert writes.feature_replace(spec=spec, editor=OFFICER, feature_id=fid, feature=OFF, partial=True).version == 2
    assert writes.feature_replace(spec=spec, editor=OFFICER, feature_id=fid, feature=OFF, partial=True).version == 2  # the same values: no new version
    with pytest.raises(writes.PreconditionFailed) as stale:
        writes.feature_delete(spec=spec, editor=OFFICER, feature_id=fid, expected={1})
    assert stale.value.current == 2 and Streetlight.objects.filter(pk=fid).exists()
    assert writes.feature_delete(spec=spec, editor=OFFICER, feature_id=fid, expected={2}).version == 3
    assert history.latest(spec, fid).op == "D"
    back = writes.feature_revert(spec=spec, editor=OFFICER, feature_id=fid, version=2)
    assert back.version == 4 and Streetlight.objects.get(pk=fid).status_id == "off"
    first = writes.feature_revert(spec=spec, editor=OFFICER, feature_id=fid, version=1)
    assert first.version == 5 and Streetlight.objects.get(pk=fid).status_id == "operating"
    ops = list(Change.objects.filter(layer_id="streetlights", feature_id=fid).order_by("id")
               .values_list("op", "version", "source"))
    assert ops == [("I", 1, "api"), ("U", 2, "api"), ("D", 3, "api"), ("I", 4, "revert"), ("U", 5, "revert")]


def test_a_truncate_is_one_entry_and_changes_the_layer_version():
    with writes.writing(OFFICER, source=writes.SEED):
        writes.truncate([registry.get("streetlights")], OFFICER)
    entry = Change.objects.filter(layer_id="streetlights").latest("id")
    assert (entry.op, entry.feature_id, entry.source) == ("T", None, "seed")
    assert layer_version("streetlights") is None and layers_changed_at(["streetlights"]) == entry.at


def test_bulk_steps_refuse_to_run_outside_the_service_transaction():
    with pytest.raises(RuntimeError, match="inside layers.writes.writing"):
        writes.create_many(registry.get("streetlights"), OFFICER, [])


def test_an_import_is_attributed_to_its_officer_and_its_record_and_an_upsert_logs_only_real_changes(
        tmp_path, django_user_model):
    from django.contrib.auth.models import Group

    from importers.services import ImportOptions, layer_import
    from land.models import Parcel
    from tests.importers import corpus

    officer = django_user_model.objects.create_user("can-bo-dat", password="x-unused-x")
    officer.groups.add(Group.objects.get_or_create(name="officer:land")[0])
    frame = corpus.parcel_squares(3, sheet=951)
    report = layer_import(layer_id="parcels", path=corpus.write_shapefile_zip(frame, tmp_path / "a.zip"), user=officer)
    logged = Change.objects.filter(record_id=report.record_id)
    assert logged.count() == 3
    assert set(logged.values_list("op", "source", "actor", "version")) == {("I", "import", "can-bo-dat", 1)}
    # The same file again as an upsert on the parcel identity, one address changed: one new version.
    frame.loc[0, "DiaChi"] = "Ấp 5, Xã Tiến Hưng"
    again = layer_import(layer_id="parcels", path=corpus.write_shapefile_zip(frame, tmp_path / "b.zip"), user=officer,
                         options=ImportOptions(mode="upsert", key=("commune_code", "map_sheet_no", "parcel_no"),
                                               mapping={"address": "DiaChi"}))
    changed = Change.objects.filter(record_id=again.record_id)
    assert list(changed.values_list("op", "version")) == [("U", 2)]
    assert Parcel.objects.get(pk=changed.get().feature_id).address == "Ấp 5, Xã Tiến Hưng"


def test_a_parcel_with_its_computed_area_can_be_reverted_and_its_deletion_undone():
    """Generated columns (a parcel's area) are computed again, never written back from history."""
    from land.models import Parcel

    spec = registry.get("parcels")
    parcel = Parcel.objects.order_by("id").first()
    old_address, old_area = parcel.address, parcel.area_m2
    writes.feature_replace(spec=spec, editor=OFFICER, feature_id=parcel.pk, partial=True,
                           feature={"type": "Feature", "properties": {"address": "Ấp 7"}})
    writes.feature_delete(spec=spec, editor=OFFICER, feature_id=parcel.pk)
    assert writes.feature_revert(spec=spec, editor=OFFICER, feature_id=parcel.pk, version=2).version == 4
    assert Parcel.objects.get(pk=parcel.pk).address == "Ấp 7"
    writes.feature_revert(spec=spec, editor=OFFICER, feature_id=parcel.pk, version=1)
    back = Parcel.objects.get(pk=parcel.pk)
    assert (back.address, back.area_m2) == (old_address, pytest.approx(old_area))


def test_writers_of_one_layer_do_not_wait_for_each_other_and_versions_move_at_commit():
    """A long transaction writing a layer (an import) holds no lock another writer of the layer needs:
    the version is bumped at commit. The second writer commits while the first is still open (with a
    lock timeout, it would fail rather than wait), and each commit moves the version once."""
    import threading

    from django.db import connection as main

    spec = registry.get("streetlights")
    first_wrote, second_done = threading.Event(), threading.Event()
    created, errors = [], []

    def writer(name, before_commit=None, after_write=None):
        from django.db import connection
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '5s'")
            with writes.writing(OFFICER, source=writes.API):
                created.append(writes.feature_create(spec=spec, editor=OFFICER, feature=light()).feature_id)
                if after_write:
                    after_write.set()
                if before_commit:
                    before_commit.wait()
        except Exception as error:  # noqa: BLE001 - reported to the test below
            errors.append((name, error))
        finally:
            connection.close()

    def version():
        with main.cursor() as cursor:
            cursor.execute("SELECT version FROM layers_layerversion WHERE layer_id = 'streetlights'")
            row = cursor.fetchone()
        return row[0] if row else 0

    start = version()
    first = threading.Thread(target=writer, args=("first", second_done, first_wrote))
    first.start()
    first_wrote.wait()
    second = threading.Thread(target=writer, args=("second",))
    second.start()
    second.join()
    try:
        assert errors == [] and version() == start + 1  # the second committed while the first was open
    finally:
        second_done.set()
        first.join()
    try:
        assert errors == [] and version() == start + 2
    finally:
        def clean():
            from django.db import connection
            Streetlight.objects.filter(pk__in=created).delete()
            connection.close()
        cleaner = threading.Thread(target=clean)
        cleaner.start()
        cleaner.join()


def test_a_committed_transaction_notifies_its_layer_once_and_a_rolled_back_or_idle_one_not():
    """The live push (live/hub.py) listens on `layers_change`: "<layer> <txid>" at commit, once per
    transaction however many statements it ran. Committed writes need connections of their own."""
    import select

    import psycopg2

    db = connection.settings_dict
    connect = lambda: psycopg2.connect(host=db["HOST"], port=db["PORT"], user=db["USER"],  # noqa: E731
                                       password=db["PASSWORD"], dbname=db["NAME"])
    listener, writer = connect(), connect()
    listener.autocommit = True
    txid = None
    try:
        with listener.cursor() as cursor:
            cursor.execute("LISTEN layers_change")
        with writer.cursor() as cursor:
            cursor.execute("INSERT INTO transport_streetlight (light_code, circuit, lamp_type, wattage_w, status, geom) "
                           "SELECT 'DCS-N1', circuit, lamp_type, wattage_w, status, geom FROM transport_streetlight "
                           "ORDER BY id LIMIT 1 RETURNING id")
            light_id = cursor.fetchone()[0]
            cursor.execute("UPDATE transport_streetlight SET wattage_w = 61 WHERE id = %s", [light_id])
            cursor.execute("UPDATE transport_streetlight SET wattage_w = 62 WHERE id = %s", [light_id])
            cursor.execute("SELECT pg_current_xact_id()::text")
            txid = cursor.fetchone()[0]
        writer.commit()
        with writer.cursor() as cursor:
            cursor.execute("UPDATE transport_streetlight SET wattage_w = 99 WHERE id = %s", [light_id])
        writer.rollback()
        with writer.cursor() as cursor:
            cursor.execute("UPDATE transport_streetlight SET wattage_w = 62 WHERE id = %s", [light_id])  # unchanged
        writer.commit()

        received = []
        while select.select([listener], [], [], 2)[0]:  # until two quiet seconds
            listener.poll()
            received += [n.payload for n in listener.notifies if n.payload.startswith("streetlights ")]
            listener.notifies.clear()
        assert received == [f"streetlights {txid}"]
    finally:
        with writer.cursor() as cursor:
            cursor.execute("DELETE FROM transport_streetlight WHERE light_code = 'DCS-N1'")
            if txid is not None:
                cursor.execute("DELETE FROM layers_change WHERE layer_id = 'streetlights' AND txid >= %s::bigint",
                               [txid])
        writer.commit()
        writer.close()
        listener.close()
