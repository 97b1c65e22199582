"""A problem of an office catalogue, kept both as the English text the loader reports and as a
template with its values, so the console's catalogue editor shows it in the officer's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext


class Problem(str):
    """A problem of a catalogue: the English text (what ``read_catalogue`` reports, "service
    kk: requirement x: label is missing") that also keeps its template and values, so the
    console's catalogue editor shows it in the officer's language (:meth:`translated`)."""

    where: str
    template: str
    params: dict[str, Any]

    def __new__(cls, where: str, template: str, **params: Any) -> Problem:
        text = template % params if params else template
        problem = super().__new__(cls, f"{where}: {text}" if where else text)
        problem.where, problem.template, problem.params = where, template, params
        return problem

    def translated(self) -> str:
        text = gettext(self.template)
        return text % self.params if self.params else text
