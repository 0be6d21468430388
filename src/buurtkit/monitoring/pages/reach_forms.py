"""Forms of the reach and survey pages: they read what was typed; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from buurtkit.monitoring.models import AgeBand, JobSeeking, SurveyPhase, TargetGroup
from buurtkit.monitoring.reach import FLAGS


class ProfileForm(forms.Form):
    consent = forms.BooleanField(
        label=_("The person agrees to be counted per target group (statistics, without name)"),
        required=False,
    )
    age_band = forms.ChoiceField(
        label=_("Age"),
        required=False,
        choices=[("", _("unknown")), *list(AgeBand.choices)],
        help_text=_("Filled in from the birth year when the person has one."),
    )
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    job_seeking = forms.ChoiceField(
        label=_("Looking for work"),
        required=False,
        choices=[("", _("no")), *list(JobSeeking.choices)],
    )
    groups = forms.MultipleChoiceField(
        label=_("Target groups"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(key, label) for key, label in TargetGroup.choices if key in FLAGS],
    )


class GroupFiguresForm(forms.Form):
    """One population and ambition field per target group."""

    def __init__(self, *args: Any, groups: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in groups:
            self.fields[f"{key}_population"] = forms.IntegerField(
                label=_("%(group)s: residents") % {"group": label},
                required=False,
                min_value=0,
                max_value=10_000_000,
            )
            self.fields[f"{key}_ambition"] = forms.IntegerField(
                label=_("%(group)s: ambition (%%)") % {"group": label},
                min_value=0,
                max_value=100,
            )


class SurveyEntryForm(forms.Form):
    """A paper form typed in (or the tablet): before/after, who, and one answer per question."""

    phase = forms.ChoiceField(
        label=_("Before or after"), choices=SurveyPhase.choices, widget=forms.RadioSelect
    )
    person_id = forms.IntegerField(
        label=_("Person number"),
        required=False,
        min_value=1,
        help_text=_("Or leave empty and write the pairing code of the form."),
    )
    pairing_code = forms.CharField(label=_("Pairing code"), max_length=20, required=False)

    def __init__(
        self,
        *args: Any,
        questions: list[tuple[str, str]],
        scale: list[tuple[int, str]],
        anonymous_only: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if anonymous_only:
            del self.fields["person_id"]
            self.fields["pairing_code"].required = True
            self.fields["pairing_code"].help_text = _(
                "Choose a code you will remember, and use the same code afterwards."
            )
        for key, text in questions:
            self.fields[f"q_{key}"] = forms.TypedChoiceField(
                label=text,
                choices=[
                    (n, f"{n} – {label}" if label != str(n) else str(n)) for n, label in scale
                ],
                coerce=int,
                widget=forms.RadioSelect,
            )

    def answers(self) -> dict[str, int]:
        return {
            name[2:]: value for name, value in self.cleaned_data.items() if name.startswith("q_")
        }


class SurveyLinkAnswerForm(forms.Form):
    def __init__(
        self, *args: Any, questions: list[tuple[str, str]], scale: list[tuple[int, str]], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        for key, text in questions:
            self.fields[f"q_{key}"] = forms.TypedChoiceField(
                label=text,
                choices=[(n, label) for n, label in scale],
                coerce=int,
                widget=forms.RadioSelect,
            )

    def answers(self) -> dict[str, int]:
        return {
            name[2:]: value for name, value in self.cleaned_data.items() if name.startswith("q_")
        }


class SurveySendForm(forms.Form):
    person_id = forms.IntegerField(label=_("Person number"), min_value=1)
    phase = forms.ChoiceField(label=_("Before or after"), choices=SurveyPhase.choices)
