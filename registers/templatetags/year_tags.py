"""`{{ pupil.year|year_label }}`: "Nursery 2", "Reception", "Year 6" (registers.years)."""

from django import template

from registers.years import year_label

register = template.Library()
register.filter("year_label", year_label)
