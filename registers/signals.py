from django.db.models.signals import post_migrate
from django.dispatch import receiver

from .codes import load_codes
from .db import install_audit_triggers


@receiver(post_migrate, dispatch_uid="registers.after_migrate")
def _after_migrate(sender, app_config, using, **kwargs):
    """Keep the national codes and the audit triggers in place after every migrate or
    test flush (a flush empties tables; post_migrate follows it)."""
    if app_config.label == "registers":
        from .models import AttendanceCode

        load_codes(AttendanceCode.objects.db_manager(using).model)
        install_audit_triggers(using)
