from django import forms
from django.contrib import admin

from layan.bot import wording
from layan.bot.models import BotText, CaseContact, SurveyResponse


class BotTextForm(forms.ModelForm):
    key = forms.ChoiceField(choices=[])

    class Meta:
        model = BotText
        fields = ["office", "key", "language", "text"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        for key in wording.text_keys():
            default = wording.catalogue()["texts"][key]["id"]
            if isinstance(default, str):
                choices.append((key, f"{key} — {default[:60]}"))
        self.fields["key"].choices = choices


@admin.register(BotText)
class BotTextAdmin(admin.ModelAdmin):
    form = BotTextForm
    list_display = ["key", "language", "office", "updated_at"]
    list_filter = ["office", "language"]
    search_fields = ["key", "text"]


@admin.register(CaseContact)
class CaseContactAdmin(admin.ModelAdmin):
    list_display = ["case", "conversation", "kind", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["case", "conversation"]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ["case", "office", "service", "submitted_at"]
    list_filter = ["office"]
    raw_id_fields = ["case"]

    def has_change_permission(self, request, obj=None):
        return False
