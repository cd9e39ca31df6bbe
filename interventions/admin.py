from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Alert, Band, Case, LadderStage, PenaltyNotice, Policy, Rule


class StageInline(admin.TabularInline):
    model = LadderStage
    extra = 0


class BandInline(admin.TabularInline):
    model = Band
    extra = 0


class RuleInline(admin.StackedInline):
    model = Rule
    extra = 0


@admin.register(Policy)
class PolicyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "school", "preset", "active"]
    inlines = [StageInline, BandInline, RuleInline]


@admin.register(Rule)
class RuleAdmin(SimpleHistoryAdmin):
    list_display = ["name", "policy", "trigger", "active"]
    list_filter = ["trigger"]


admin.site.register(Alert, SimpleHistoryAdmin)
admin.site.register(Case, SimpleHistoryAdmin)
admin.site.register(PenaltyNotice, SimpleHistoryAdmin)
