from django.contrib import admin

from sqms.surveys.models import Campaign, Instrument, Invitation, SurveyDefaults


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "version", "kind", "title_zh", "anonymous", "is_active")
    list_filter = ("kind", "is_active")
    readonly_fields = ("spec",)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "instrument", "unit", "status", "opens_on", "closes_on", "anonymous")
    list_filter = ("status", "anonymous")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    # Responses are not in the admin: an anonymous one must not be browsable beside its
    # invitation. Invitations show only whether they were used.
    list_display = ("code", "campaign", "unit", "responded")
    list_filter = ("responded",)
    exclude = ("token",)


admin.site.register(SurveyDefaults)
