"""Field types, limits and the base of every section of a scenario file."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True)
PosFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
# money: bounded so that a cost per day (rates x hours x technicians) stays a finite float
Money = Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]

MAX_MACHINES_TOTAL = 50_000_000  # beyond this a run cannot fit in memory on one machine
MAX_REPLICATIONS = 100_000
MAX_TECHNICIANS_TOTAL = 1_000_000
MAX_UNITS_PER_CALL = 10_000  # mean units of one part a call needs


class Section(BaseModel):
    model_config = _STRICT


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"


class Shift(Section):
    """Weekly working hours, e.g. Monday-Friday 08:00-17:00 (the clock starts Monday 00:00)."""

    days: Annotated[list[Weekday], Field(min_length=1)]
    start: Annotated[str, Field(pattern=_CLOCK)]
    end: Annotated[str, Field(pattern=_CLOCK)]


def _printable(name: str) -> str:
    """Names end up in table cells, folder names and terminal lines: a control character
    (line break, carriage return, ESC...) would split a CSV row or drive the terminal."""
    bad = next((c for c in name if not c.isprintable()), None)
    if bad is not None:
        raise ValueError(f"contains the control character {bad!r}; use printable characters only")
    return name


#: the ``class`` value of the overall rows in every table: no service class may take it
RESERVED_CLASS_NAMES = ("all",)


def not_reserved(name: str) -> str:
    if name.strip().lower() in RESERVED_CLASS_NAMES:
        raise ValueError(f"{name!r} is reserved (the tables' overall rows); choose another class name")
    return name


def name_type(max_length: int) -> Any:
    return Annotated[str, Field(min_length=1, max_length=max_length), AfterValidator(_printable)]
