"""The audit log: sign-ins, failures, role changes, machine clients, internal exports; append-only."""
import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import DatabaseError, transaction

from accounts.models import AuditEvent
from layers.registry import ROLE_UTILITY

pytestmark = pytest.mark.django_db


def kinds():
    return list(AuditEvent.objects.order_by("id").values_list("kind", "actor", "subject"))


def test_sign_ins_and_failures_are_recorded_with_the_address(client):
    User.objects.create_user("can-bo", password="Dung-mat-khau-1")
    client.post("/accounts/login/", {"username": "can-bo", "password": "sai"}, REMOTE_ADDR="10.1.2.3")
    client.post("/accounts/login/", {"username": "can-bo", "password": "Dung-mat-khau-1"}, REMOTE_ADDR="10.1.2.3")
    events = list(AuditEvent.objects.order_by("id"))
    assert [(e.kind, e.subject, e.ip) for e in events] == [("sign_in_failed", "can-bo", "10.1.2.3"),
                                                           ("sign_in", "can-bo", "10.1.2.3")]
    assert "sai" not in str(events[0].detail)


def test_role_changes_machine_clients_and_internal_exports(client, tmp_path):
    user = User.objects.create_user("nguoi-dung")
    user.groups.add(Group.objects.get_or_create(name=ROLE_UTILITY)[0])
    assert ("roles_changed", "", "nguoi-dung") in kinds()
    call_command("create_machine_client", "audit-sync", "--role", ROLE_UTILITY, "--organisation", "BPW", verbosity=0)
    event = AuditEvent.objects.get(kind="client_created")
    assert event.subject == "audit-sync" and event.detail["organisation"] == "BPW" and event.actor.startswith("shell:")
    client.force_login(User.objects.create_superuser("quan-tri", "a@example.org", "x-unused-x"))
    assert client.get("/data/export", {"layer": "water_valves", "format": "geojson"}).status_code == 200
    assert client.get("/data/export", {"layer": "schools", "format": "geojson"}).status_code == 200
    exports = AuditEvent.objects.filter(kind="internal_export")
    assert [(e.actor, e.subject) for e in exports] == [("quan-tri", "water_valves")]  # public layers are not logged
    assert client.get("/admin/accounts/auditevent/").status_code == 200


def test_the_log_cannot_be_changed_or_deleted():
    event = AuditEvent.objects.create(kind="sign_in", actor="x")
    for change in (lambda: AuditEvent.objects.filter(pk=event.pk).update(actor="y"),
                   lambda: AuditEvent.objects.filter(pk=event.pk).delete()):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    assert AuditEvent.objects.get(pk=event.pk).actor == "x"


def test_clients_created_in_the_admin_are_audited(client):
    client.force_login(User.objects.create_superuser("quan-tri-2", "b@example.org", "x-unused-x"))
    response = client.post("/admin/oauth2_provider/application/add/", {
        "client_id": "admin-made", "client_secret": "s3cret-value-long-enough", "client_type": "confidential",
        "authorization_grant_type": "client-credentials", "name": "Đồng hồ nước", "algorithm": "RS256",
        "redirect_uris": "", "post_logout_redirect_uris": "", "allowed_origins": "", "hash_client_secret": "on",
        "skip_authorization": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(kind="client_created", subject="Đồng hồ nước")
    assert event.actor == "quan-tri-2" and event.detail["via"] == "admin"
