"""Words for the Imports pages: "pupils", "Pupils: 10 new, 2 changed"."""

from django import template

from registers.imports.report import counts_text, plural

register = template.Library()
register.filter("plural_thing", plural)
register.filter("import_counts", counts_text)
