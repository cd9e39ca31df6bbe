"""One way to render a form field, for every form in the product (settings.FORM_RENDERER).

`{{ form.field.as_field_group }}` and `{% include "common/field.html" with field=… %}` render
the same accessible markup. Django (5.2) puts `aria-invalid` and `aria-describedby` on the
widget; the template gives the hint and the errors the ids those attributes name
(`<id>_helptext`, `<id>_error`), announces errors (`role="alert"`), and groups radio buttons
and checkboxes in a fieldset with a legend."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    field_template_name = "common/field.html"
