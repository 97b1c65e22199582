"""Valid example answers for any data-entry form, as an officer would post them."""

from __future__ import annotations

from layan.offices.fields import Field

NIK = "1808011708900001"


def example(spec: Field, index: int = 0) -> str:
    if spec.kind == "nik":
        return NIK[:-4] + f"{index + 1:04d}"
    if spec.kind == "kk":
        return "1808010101200001"
    if spec.kind == "number":
        return "1"
    if spec.kind == "date":
        return "1990-08-17"
    if spec.kind == "choice":
        return spec.choices[0][0]
    return f"Contoh {spec.label}"[:100]


def form_post(specs: list[Field]) -> dict[str, str]:
    """The POST body of a fully and validly filled data-entry form."""
    post: dict[str, str] = {}
    for spec in specs:
        if spec.kind == "table":
            rows = max(1, spec.min_rows)
            post[f"{spec.code}-rows"] = str(rows)
            for i in range(rows):
                for column in spec.columns:
                    post[f"{spec.code}-{i}-{column.code}"] = example(column, i)
        else:
            post[spec.code] = example(spec)
    return post


def form_data(service) -> dict:
    """Valid stored values for every data-entry field of ``service`` (tables as row dicts)."""
    from layan.offices.fields import fields_of

    data: dict = {}
    for spec in fields_of(service):
        if spec.kind == "table":
            data[spec.code] = [
                {column.code: example(column, i) for column in spec.columns}
                for i in range(max(1, spec.min_rows))
            ]
        else:
            data[spec.code] = example(spec)
    return data


def data_for(case, action_kind: str) -> dict:
    """What to send with an action: the form data when it completes a data-entry step."""
    step = case.step
    if step is not None and step.data_entry and action_kind in ("complete", "approve"):
        return form_data(case.service)
    return {}
