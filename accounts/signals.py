"""Django's own authentication and membership signals feed the audit log (there is no other hook
for sign-ins and group changes made anywhere, the admin included)."""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from .audit import audit_record
from .models import AuditEvent

User = get_user_model()


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    audit_record(AuditEvent.Kind.SIGN_IN, request=request, actor=user.get_username(), subject=user.get_username())


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(AuditEvent.Kind.SIGN_OUT, request=request, actor=user.get_username(), subject=user.get_username())


@receiver(user_login_failed)
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # The password never goes to the log, only the name that was tried.
    audit_record(AuditEvent.Kind.SIGN_IN_FAILED, request=request, actor="", subject=str(credentials.get("username", "")))


def _membership_changed(sender, instance, action, model, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    names = sorted(str(o) for o in model.objects.filter(pk__in=pk_set or []))
    audit_record(AuditEvent.Kind.ROLES_CHANGED, actor="", subject=str(instance), action=action.removeprefix("post_"),
                 relation=sender._meta.model_name, objects=names)


m2m_changed.connect(_membership_changed, sender=User.groups.through, dispatch_uid="audit_user_groups")
m2m_changed.connect(_membership_changed, sender=User.user_permissions.through, dispatch_uid="audit_user_permissions")
m2m_changed.connect(_membership_changed, sender=Group.permissions.through, dispatch_uid="audit_group_permissions")
