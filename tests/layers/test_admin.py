import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db


def test_administrators_see_and_search_the_land_use_code_list(client):
    client.force_login(User.objects.create_superuser("admin", "admin@example.org", "x-unused-x"))
    response = client.get("/admin/land/landusecode/", {"q": "ODT"})
    assert response.status_code == 200
    assert "Đất ở tại đô thị" in response.content.decode()
    assert client.get("/admin/education/schoollevel/").status_code == 200


def test_the_admin_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/admin/land/landusecode/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_import_log_is_read_only_for_administrators(client, tmp_path):
    from importers.models import ImportRecord

    ImportRecord.objects.create(layer_id="parcels", file_name="thua.zip", sha256="0" * 64, size_bytes=1,
                                file_format="shapefile", mode="append", status="done")
    client.force_login(User.objects.create_superuser("admin2", "a@example.org", "x-unused-x"))
    page = client.get("/admin/importers/importrecord/")
    assert page.status_code == 200 and "thua.zip" in page.content.decode()
    assert client.get("/admin/importers/importrecord/add/").status_code == 403


# -- layer features in the admin (issue 9: "individual features cannot be opened in the admin") --

def _officer(username: str, *roles: str) -> User:
    """A signed-in officer holding `roles` (Django groups), not staff: the role is what lets them in."""
    from django.contrib.auth.models import Group

    user = User.objects.create_user(username, password="x-unused-x")
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def _parcel_form(parcel, **changes) -> dict:
    data = {"commune": parcel.commune_id, "map_sheet_no": parcel.map_sheet_no, "parcel_no": parcel.parcel_no,
            "land_use": parcel.land_use_id, "address": parcel.address, "geometry": ""}
    return {**data, **changes}


def test_a_land_officer_lists_searches_and_opens_parcels(client, django_assert_max_num_queries):
    from land.models import Parcel

    client.force_login(_officer("can-bo-dat", "officer:land"))
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "/admin/land/parcel/" in index.content.decode()
    assert "/admin/safety/camera/" not in index.content.decode()  # internal layer, no role

    with django_assert_max_num_queries(9):  # session, user, roles, perms, filter, count, page: not per row
        listing = client.get("/admin/land/parcel/")
    assert listing.status_code == 200 and "/admin/land/parcel/" in listing.content.decode()

    parcel = Parcel.objects.exclude(address="").order_by("pk").first()
    word = parcel.address.split(",")[1].strip()  # e.g. "Phường Thác Mơ"
    from layers.admin import fold
    for query in (word, fold(word)):  # with and without diacritics
        found = client.get("/admin/land/parcel/", {"q": query})
        assert f"/admin/land/parcel/{parcel.pk}/change/" in found.content.decode(), query
    assert f"/admin/land/parcel/{parcel.pk}/change/" in client.get(
        "/admin/land/parcel/", {"q": f"{parcel.map_sheet_no} {parcel.parcel_no} {fold(word)}"}).content.decode()

    page = client.get(f"/admin/land/parcel/{parcel.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="address"' in body and 'name="geometry"' in body  # editable
    assert f"/ogcapi/collections/parcels/items/{parcel.pk}?f=html" in body
    assert "cdn.jsdelivr" not in body and "openlayers" not in body.lower()  # no map widget from the internet


def test_internal_layers_stay_invisible_without_the_role(client):
    from safety.models import Camera

    camera = Camera.objects.order_by("pk").first()
    client.force_login(_officer("can-bo-dat-2", "officer:land"))
    assert client.get("/admin/safety/camera/").status_code == 403
    assert client.get(f"/admin/safety/camera/{camera.pk}/change/").status_code == 403

    client.force_login(_officer("van-hanh-ioc", "ioc_operator"))
    assert client.get("/admin/safety/camera/").status_code == 200
    assert client.get(f"/admin/safety/camera/{camera.pk}/change/").status_code == 200
    assert "/admin/land/parcel/" in client.get("/admin/").content.decode()  # public layers: read-only
    assert "/admin/land/parcel/add/" not in client.get("/admin/land/parcel/").content.decode()


def test_officers_of_another_department_may_open_but_not_change_public_features(client):
    from land.models import Parcel

    parcel = Parcel.objects.order_by("pk").first()
    client.force_login(_officer("can-bo-y-te", "officer:health"))
    page = client.get(f"/admin/land/parcel/{parcel.pk}/change/")
    assert page.status_code == 200 and 'name="address"' not in page.content.decode()  # read-only view
    refused = client.post(f"/admin/land/parcel/{parcel.pk}/change/", _parcel_form(parcel, address="Sửa trái phép"))
    assert refused.status_code == 403
    parcel.refresh_from_db()
    assert parcel.address != "Sửa trái phép"


def test_admin_writes_go_through_the_editing_checks(client):
    from land.models import Parcel

    parcel = Parcel.objects.order_by("pk").first()
    client.force_login(_officer("can-bo-dat-3", "officer:land"))
    url = f"/admin/land/parcel/{parcel.pk}/change/"

    # A point for a polygon layer: refused by layers.editing, shown on the form, nothing saved.
    point = '{"type": "Point", "coordinates": [106.88, 11.53]}'
    refused = client.post(url, _parcel_form(parcel, address="Không lưu", geometry=point))
    assert refused.status_code == 200 and "errornote" in refused.content.decode()
    parcel.refresh_from_db()
    assert parcel.address != "Không lưu"

    saved = client.post(url, _parcel_form(parcel, address="Khu phố 9, Phường Tân Phú"))
    assert saved.status_code == 302, saved.content.decode()[:2000]
    parcel.refresh_from_db()
    assert parcel.address == "Khu phố 9, Phường Tân Phú"

    # A new parcel with its geometry as GeoJSON; a duplicate identity is a conflict, not a 500.
    square = ('{"type": "MultiPolygon", "coordinates": [[[[106.880, 11.530], [106.8802, 11.530], '
              '[106.8802, 11.5302], [106.880, 11.5302], [106.880, 11.530]]]]}')
    created = client.post("/admin/land/parcel/add/", _parcel_form(parcel, parcel_no=99999, geometry=square))
    assert created.status_code == 302, created.content.decode()[:2000]
    new = Parcel.objects.get(commune_id=parcel.commune_id, map_sheet_no=parcel.map_sheet_no, parcel_no=99999)
    assert new.area_m2 > 400  # ~22 m x 22 m at 11.5° N
    duplicate = client.post("/admin/land/parcel/add/", _parcel_form(parcel, parcel_no=99999, geometry=square))
    assert duplicate.status_code == 200 and "errornote" in duplicate.content.decode()

    client.post(f"/admin/land/parcel/{new.pk}/delete/", {"post": "yes"})
    assert not Parcel.objects.filter(pk=new.pk).exists()


def test_superusers_open_every_layer_and_citizens_none(client):
    from layers import registry

    client.force_login(User.objects.create_superuser("quan-tri", "q@example.org", "x-unused-x"))
    for spec in registry.all_layers():
        meta = spec.model._meta
        assert client.get(f"/admin/{meta.app_label}/{meta.model_name}/").status_code == 200, spec.id
        first = spec.model.objects.order_by("pk").first()
        if first is not None:
            assert client.get(f"/admin/{meta.app_label}/{meta.model_name}/{first.pk}/change/").status_code == 200

    client.force_login(User.objects.create_user("nguoi-dan-2", password="x-unused-x"))
    assert client.get("/admin/land/parcel/").status_code == 302  # to the admin's sign-in
