"""The evaluation form (faces, what I learned, a suggestion) and the self-assessment's six
statements: the same form on paper (typed by staff), by link, and on the tablet."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from buurtkit.activities.questions import FACES, SCALE, STATEMENTS


class EvaluationForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("How did you like it?"),
        choices=[],  # set per request: in the reader's language
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    learned = forms.CharField(
        label=_("What did you learn?"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    suggestion = forms.CharField(
        label=_("What could be better?"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)

    def __init__(
        self,
        *args: Any,
        statements: bool = False,
        evaluation: bool = True,
        people: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        faces = self.fields["satisfaction"]
        faces.choices = [(v, f"{face} {label}") for v, (face, label) in FACES.items()]  # type: ignore[attr-defined]
        if people is not None:
            self.fields["registration"] = forms.ChoiceField(
                label=_("Who filled it in"),
                choices=[("", _("Anonymous")), *people],
                required=False,
            )
            self.order_fields(["registration"])
        if not evaluation:
            for name in ("satisfaction", "learned", "suggestion"):
                del self.fields[name]
        if statements:
            for key, text in STATEMENTS.items():
                self.fields[f"a_{key}"] = forms.TypedChoiceField(
                    label=text,
                    choices=list(SCALE.items()),
                    coerce=int,
                    empty_value=None,
                    required=not evaluation,
                    widget=forms.RadioSelect,
                )

    def answers(self) -> dict[str, int]:
        return {
            key: self.cleaned_data[f"a_{key}"]
            for key in STATEMENTS
            if self.cleaned_data.get(f"a_{key}") is not None
        }

    def statement_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("a_")]
