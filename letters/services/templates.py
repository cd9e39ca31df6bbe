"""Letter templates the school edits: saving one (checked by the sandbox first; each change to its
text is a new version, kept word for word) and installing the product's starter templates."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from ..errors import LetterError
from ..models import LetterTemplate, LetterTemplateVersion
from ..rendering import compile_text
from ..starters import starters

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


def save_template(
    *,
    school,
    user,
    key: str,
    title: str,
    purpose: str = "",
    subject: str,
    body: str,
    kind: str = "letter",
    template: LetterTemplate | None = None,
) -> LetterTemplate:
    """Create or change a template. The text is checked by the sandbox first; the version goes
    up (and the new text is kept as a version) only when the subject, body or kind change."""
    key, title, subject = (key or "").strip(), (title or "").strip(), (subject or "").strip()
    if not KEY_RE.match(key):
        raise LetterError("The key is lower-case letters, digits, - and _ (e.g. persistent_absence).", field="key")
    if not title:
        raise LetterError("Give the template a title.", field="title")
    if kind not in LetterTemplate.Kind.values:
        raise LetterError("A template is a letter or a certificate.", field="kind")
    if not subject:
        raise LetterError("Give the letter a subject (its heading).", field="subject", part="subject")
    if not body.strip():
        raise LetterError("The letter has no text.", field="body", part="body")
    compile_text(subject, body)
    with transaction.atomic():
        clash = LetterTemplate.objects.filter(school=school, key=key)
        if template is not None:
            clash = clash.exclude(pk=template.pk)
        if clash.exists():
            raise LetterError(f"This school already has a template with the key “{key}”.", field="key")
        if template is None:
            template = LetterTemplate(school=school, key=key, version=1)
            changed = True
        else:
            template = LetterTemplate.objects.select_for_update().get(pk=template.pk)
            if template.school_id != school.pk:
                raise PermissionDenied("That template belongs to another school.")
            changed = (template.subject, template.body, template.kind) != (subject, body, kind)
            if changed:
                template.version += 1
        template.key, template.title, template.purpose = key, title, (purpose or "").strip()
        template.subject, template.body, template.kind = subject, body, kind
        template.updated_by = user
        template._history_user = user
        try:
            template.save()
        except IntegrityError:
            raise LetterError(f"This school already has a template with the key “{key}”.", field="key")
        if changed:
            LetterTemplateVersion.objects.create(
                template=template,
                version=template.version,
                title=title,
                kind=kind,
                subject=subject,
                body=body,
                created_by=user,
            )
    return template


def install_starter_templates(*, school) -> int:
    """Add the product's starter templates the school does not have yet (by key); returns how
    many were added. Running it again adds nothing and never touches a school's own edits."""
    existing = set(LetterTemplate.objects.filter(school=school).values_list("key", flat=True))
    added = 0
    for starter in starters():
        if starter.key in existing:
            continue
        save_template(
            school=school,
            user=None,
            key=starter.key,
            title=starter.title,
            purpose=starter.purpose,
            subject=starter.subject,
            body=starter.body,
            kind=starter.kind,
        )
        added += 1
    return added
