"""Study definitions: the validated model of ``studies/<name>/study.yaml``.

A study definition says everything a style-preference study needs: the style dimensions (each
with a range, levels and a natural-language descriptor per level), the base prompts and
responses, the questionnaires, the GSP settings (Study 2) or the pairwise-analysis settings
(Study 1), attention checks, consent text and the completion code. Every number has a
documented default in the field's description; nothing is taken from a paper.

Load a file with :func:`load_study`; every problem becomes one :class:`~edutools.errors.StudyError`
line naming the file and the key path, e.g.
``study.yaml: gsp.chains_per_participant: must be >= 1``.

Example
-------
>>> study = load_study("studies/style_preference/study.yaml")  # doctest: +SKIP
>>> [d.name for d in study.dimensions]  # doctest: +SKIP
['authoritativeness', 'certainty', 'articulateness', 'verbosity']
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlparse

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from edutools.errors import StudyError

__all__ = [
    "AnalysisSettings",
    "AttentionCheck",
    "AttentionSettings",
    "BaseItem",
    "ChoiceLabels",
    "Completion",
    "Consent",
    "GSPSettings",
    "InstrumentUse",
    "Level",
    "PairwiseSettings",
    "PopulationAttribute",
    "StudyDefinition",
    "StyleDimension",
    "TransferSettings",
    "format_validation_error",
    "load_study",
]

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Key = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

INSTRUMENT_DIR = Path(__file__).parent / "instruments"


class _KeyProblemError(ValueError):
    """A cross-field problem that belongs to a key below the model that found it."""

    def __init__(self, path: Sequence[str | int], message: str) -> None:
        super().__init__(message)
        self.path = tuple(path)
        self.message = message


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- style space


class Level(_Model):
    """One level of a style dimension: where it sits and how the rewrite prompt describes it."""

    value: float = Field(description="Position on the dimension's range.")
    label: Text = Field(description="Short name shown to researchers, e.g. 'very low'.")
    descriptor: Text = Field(
        description="Natural-language description the style-transfer prompt uses for this level."
    )


class StyleDimension(_Model):
    """A style dimension: name, description, numeric range and its ordered levels."""

    name: Name
    description: Text
    range: tuple[float, float] = Field(description="[low, high] of the dimension's scale.")
    levels: list[Level] = Field(min_length=2, description="At least two, in increasing value.")

    @model_validator(mode="after")
    def _check(self) -> StyleDimension:
        low, high = self.range
        if not low < high:
            raise _KeyProblemError(["range"], f"low {low} must be below high {high}")
        values = [lv.value for lv in self.levels]
        for i, v in enumerate(values):
            if not low <= v <= high:
                raise _KeyProblemError(
                    ["levels", i, "value"], f"{v} lies outside range [{low}, {high}]"
                )
            if i and v <= values[i - 1]:
                raise _KeyProblemError(
                    ["levels", i, "value"],
                    f"{v} must be greater than the previous level's {values[i - 1]}",
                )
        return self

    @property
    def low(self) -> float:
        """Lower end of the range."""
        return self.range[0]

    @property
    def high(self) -> float:
        """Upper end of the range."""
        return self.range[1]

    @property
    def level_values(self) -> tuple[float, ...]:
        """The level values in increasing order."""
        return tuple(lv.value for lv in self.levels)

    def nearest_level(self, value: float) -> Level:
        """The level closest to ``value`` (ties go to the lower level)."""
        return min(self.levels, key=lambda lv: (abs(lv.value - value), lv.value))


class BaseItem(_Model):
    """A base prompt and the neutral response that style transfer rewrites."""

    id: Key
    prompt: Text
    response: Text
    topic: str = ""
    details: list[Text] = Field(
        default_factory=list,
        description="Sentences that explain or illustrate points of the response (reasons, "
        "examples) without new claims; the local style-transfer engine adds them, in order, "
        "at the higher verbosity levels.",
    )


# --------------------------------------------------------------------------- questionnaires


class InstrumentUse(_Model):
    """A questionnaire the study administers (a file in ``edutools/survey/instruments``)."""

    id: Key = Field(description="Instrument file stem, e.g. 'bfi10', 'tipi', 'trust_automation'.")
    position: Literal["before_task", "after_task"] = Field(
        "after_task", description="When participants fill it in (default after the GSP task)."
    )
    substitutions: dict[str, str] = Field(
        default_factory=dict,
        description="Values for the instrument's placeholders, e.g. {system: 'the AI assistant'}.",
    )
    min_fraction: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Missing-item rule override: a subscale score needs at least this fraction "
        "of its items answered (default: the instrument file's rule).",
    )


# --------------------------------------------------------------------------- GSP (Study 2)


class GSPSettings(_Model):
    """Gibbs Sampling with People, with the semantics of PsyNet's Gibbs trial maker."""

    dimensions: list[Name] | None = Field(
        None, description="Dimensions the chains move along (default: all study dimensions)."
    )
    chain_type: Literal["within", "across"] = Field(
        "within",
        description="'within': each participant owns their chains; 'across': chains are shared "
        "and passed from participant to participant.",
    )
    chains_per_participant: int = Field(
        4, ge=1, description="Chains created for each participant (within chains)."
    )
    chains_per_experiment: int | None = Field(
        None, ge=1, description="Size of the shared chain pool (across chains; required there)."
    )
    max_nodes_per_chain: int = Field(
        16, ge=1, description="Nodes (iterations) that receive trials before a chain is full."
    )
    trials_per_node: int = Field(
        1, ge=1, description="Responses aggregated into each node's value on the active dimension."
    )
    max_trials_per_participant: int | None = Field(
        None,
        ge=1,
        description="Cap on one participant's trials. Default within: chains x nodes x trials "
        "per node; across: chains_per_experiment (times nodes x trials per node when "
        "revisiting is allowed).",
    )
    aggregation: Literal["mean", "median", "kde_mode"] = Field(
        "mean", description="How a node's trials are summarised (PsyNet's default is the mean)."
    )
    kde_bandwidth: Literal["scott", "silverman"] | float = Field(
        "scott", description="Gaussian KDE bandwidth rule or factor for kde_mode."
    )
    randomize_dimension_order: bool = Field(
        False, description="Draw a random dimension order per chain instead of the listed order."
    )
    resample_start_value: bool = Field(
        True, description="Each trial starts the slider at a fresh random value."
    )
    reverse_probability: float = Field(
        0.5, ge=0, le=1, description="Probability that a trial's slider is shown reversed."
    )
    snap_to_levels: bool = Field(
        True,
        description="Slider values snap to the dimension's levels (pre-generated rewrites exist "
        "only there); false gives a continuous slider.",
    )
    balance_across_chains: bool = Field(
        True, description="Give a participant the eligible chain with the fewest completed nodes."
    )
    allow_revisiting_chains: bool = Field(
        False, description="Across chains: may a participant contribute to a chain twice?"
    )
    claim_timeout_seconds: float = Field(
        300.0,
        gt=0,
        description="A claimed chain head not answered within this time is released to others.",
    )
    burn_in_nodes: int = Field(
        4, ge=0, description="Nodes the analysis drops from the start of each chain."
    )
    seed: int = Field(0, description="Seed of every random draw the sampler makes.")

    @model_validator(mode="after")
    def _check(self) -> GSPSettings:
        if self.chain_type == "across" and self.chains_per_experiment is None:
            raise _KeyProblemError(
                ["chains_per_experiment"], "required when chain_type is 'across' (e.g. 20)"
            )
        if self.burn_in_nodes >= self.max_nodes_per_chain:
            raise _KeyProblemError(
                ["burn_in_nodes"],
                f"{self.burn_in_nodes} leaves no nodes of a {self.max_nodes_per_chain}-node "
                "chain; use a value below max_nodes_per_chain",
            )
        return self


# --------------------------------------------------------------------------- pairwise (Study 1)


class PopulationAttribute(_Model):
    """A user attribute that may moderate preference (a column of the pairwise data)."""

    name: Name
    kind: Literal["categorical", "numeric"]
    description: str = ""
    levels: list[str] | None = Field(None, description="Categorical levels, reference first.")

    @model_validator(mode="after")
    def _check(self) -> PopulationAttribute:
        if self.kind == "categorical" and not self.levels:
            raise _KeyProblemError(["levels"], "a categorical attribute needs at least two levels")
        if self.levels is not None and len(self.levels) < 2:
            raise _KeyProblemError(["levels"], "needs at least two levels")
        if self.kind == "numeric" and self.levels:
            raise _KeyProblemError(["levels"], "a numeric attribute takes no levels")
        return self


class ChoiceLabels(_Model):
    """How the pairwise data spell each possible choice."""

    a: Text = "A"
    b: Text = "B"
    tie: Text = "tie"


class PairwiseSettings(_Model):
    """Study 1: which style features predict the choice between two responses, and for whom."""

    features: list[str] = Field(
        min_length=1,
        description="Style-measure columns (edutools.survey.styles.FEATURES, or judge_<dimension> "
        "for LLM-judge ratings) whose A-minus-B differences are the predictors.",
    )
    standardize_features: bool = Field(
        True, description="Scale each difference by its SD so coefficients are comparable."
    )
    population_attributes: list[PopulationAttribute] = Field(default_factory=list)
    choice_labels: ChoiceLabels = Field(
        default_factory=lambda: ChoiceLabels(),
        description="How the data spell a choice of A, of B, and a tie.",
    )
    ties: Literal["drop", "half"] = Field(
        "drop", description="Drop ties, or count a tie as half a win for each side."
    )


# --------------------------------------------------------------------------- participant flow


class AttentionCheck(_Model):
    """An instructed-response question with one correct option."""

    id: Key
    question: Text
    options: list[Text] = Field(min_length=2)
    correct: Text
    after_trial: int = Field(0, ge=0, description="Shown after this many task trials.")

    @model_validator(mode="after")
    def _check(self) -> AttentionCheck:
        if self.correct not in self.options:
            raise _KeyProblemError(
                ["correct"], f"{self.correct!r} is not one of the options {self.options}"
            )
        return self


class AttentionSettings(_Model):
    """Attention checks and the exclusion rule."""

    checks: list[AttentionCheck] = Field(default_factory=list)
    max_failures: int = Field(
        0, ge=0, description="Participants failing more checks than this are excluded."
    )


class Consent(_Model):
    """The consent page."""

    text: Text
    agree_label: Text = "I agree to take part"
    decline_label: Text = "I do not agree"


class Completion(_Model):
    """What a participant gets at the end: the completion code and the Prolific return URL."""

    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{4,32}$")]
    prolific_url: str | None = Field(
        None, description="e.g. https://app.prolific.com/submissions/complete?cc=<code>"
    )
    screened_out_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{4,32}$")] | None = (
        Field(None, description="Code for participants excluded by attention checks.")
    )

    @model_validator(mode="after")
    def _check(self) -> Completion:
        if self.prolific_url is not None:
            url = urlparse(self.prolific_url)
            if url.scheme != "https" or not url.netloc:
                raise _KeyProblemError(["prolific_url"], "must be an https:// URL")
            cc = parse_qs(url.query).get("cc")
            if cc and cc[0] != self.code:
                raise _KeyProblemError(
                    ["prolific_url"], f"cc={cc[0]} does not match completion.code {self.code}"
                )
        return self


# --------------------------------------------------------------------------- LLM and analysis


class TransferSettings(_Model):
    """Style transfer: the prompt files that rewrite and judge, and the validation thresholds."""

    prompt: Key = Field(
        "style_transfer", description="Rewrite prompt: a template stem in prompts/."
    )
    judge_prompt: Key = Field(
        "style_judge", description="LLM-judge prompt: a template stem in prompts/."
    )
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    validation_measures: dict[Name, str] = Field(
        default_factory=dict,
        description="Per dimension, the measured column the validation correlates with the "
        "target level: a style feature, judge_<dimension>, or either with a leading '-' to "
        "reverse it (e.g. certainty: -hedge_rate). Default: judge_<dimension>.",
    )
    min_similarity: float = Field(
        0.35,
        ge=0,
        le=1,
        description="Rewrites whose content similarity to their base is below this are flagged.",
    )
    max_leakage: float = Field(
        0.3,
        ge=0,
        le=1,
        description="|Spearman rho| above this between one dimension's target and another "
        "dimension's measure is reported as leakage.",
    )
    max_judge_error: float = Field(
        1.0,
        gt=0,
        description="A rewrite whose judge rating misses its target by more than this is "
        "flagged off target.",
    )


class AnalysisSettings(_Model):
    """Choices the analysis makes; the same file reproduces the same report."""

    preferred_point: Literal["mean", "kde_mode"] = Field(
        "mean", description="Per-participant preferred point from post-burn-in GSP nodes."
    )
    correction: Literal["holm", "fdr_bh"] = Field(
        "holm", description="Multiple-comparison correction across dimensions."
    )
    n_bootstrap: int = Field(1000, ge=0, description="Bootstrap resamples for CIs (0 = none).")
    confidence: float = Field(0.95, gt=0, lt=1)
    seed: int = 0


# --------------------------------------------------------------------------- the study


class StudyDefinition(_Model):
    """A whole study. ``design`` is 'gsp' (Study 2) or 'pairwise' (Study 1)."""

    id: Key
    title: Text
    design: Literal["gsp", "pairwise"]
    description: str = ""
    dimensions: list[StyleDimension] = Field(min_length=1)
    base_items: list[BaseItem] = Field(default_factory=list)
    instruments: list[InstrumentUse] = Field(default_factory=list)
    gsp: GSPSettings | None = None
    pairwise: PairwiseSettings | None = None
    transfer: TransferSettings = Field(default_factory=TransferSettings)
    attention: AttentionSettings = Field(default_factory=AttentionSettings)
    stimuli: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.csv$")] = (
        Field(
            "stimuli.csv",
            description="File of pre-generated rewrites participants read, beside the study "
            "file (written by `edutools study stimuli`).",
        )
    )
    max_participants: int = Field(
        500,
        ge=1,
        description="Cap on participants: once this many have started, new ids are refused "
        "(people already in the study go on).",
    )
    consent: Consent | None = None
    completion: Completion | None = None
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)

    @model_validator(mode="after")
    def _check(self) -> StudyDefinition:
        names = [d.name for d in self.dimensions]
        _unique(names, lambda i: ["dimensions", i, "name"])
        _unique([b.id for b in self.base_items], lambda i: ["base_items", i, "id"])
        _unique([u.id for u in self.instruments], lambda i: ["instruments", i, "id"])
        _unique([c.id for c in self.attention.checks], lambda i: ["attention", "checks", i, "id"])
        known = available_instruments()
        for i, use in enumerate(self.instruments):
            if use.id not in known:
                raise _KeyProblemError(
                    ["instruments", i, "id"],
                    f"unknown instrument {use.id!r}; available: {', '.join(sorted(known))}",
                )
        if self.design == "gsp":
            for key in ("gsp", "consent", "completion"):
                if getattr(self, key) is None:
                    raise _KeyProblemError([key], "required when design is 'gsp'")
            if not self.base_items:
                raise _KeyProblemError(["base_items"], "a GSP study needs at least one base item")
            for i, name in enumerate(self.gsp.dimensions or []):  # type: ignore[union-attr]
                if name not in names:
                    raise _KeyProblemError(
                        ["gsp", "dimensions", i],
                        f"unknown dimension {name!r}; defined: {', '.join(names)}",
                    )
        if self.design == "pairwise" and self.pairwise is None:
            raise _KeyProblemError(["pairwise"], "required when design is 'pairwise'")
        from edutools.survey.styles import FEATURES

        measurable = [*FEATURES, *(f"judge_{n}" for n in names)]
        for dim, measure in self.transfer.validation_measures.items():
            if dim not in names:
                raise _KeyProblemError(
                    ["transfer", "validation_measures", dim],
                    f"unknown dimension; defined: {', '.join(names)}",
                )
            if measure.removeprefix("-") not in measurable:
                raise _KeyProblemError(
                    ["transfer", "validation_measures", dim],
                    f"unknown measure {measure!r}; valid: {', '.join(measurable)} "
                    "(optionally with a leading '-')",
                )
        if self.pairwise is not None:
            valid = [*FEATURES, *(f"judge_{n}" for n in names)]
            for i, feature in enumerate(self.pairwise.features):
                if feature not in valid:
                    raise _KeyProblemError(
                        ["pairwise", "features", i],
                        f"unknown style feature {feature!r}; valid: {', '.join(valid)}",
                    )
        return self

    @property
    def gsp_dimensions(self) -> list[StyleDimension]:
        """The dimensions GSP chains move along, in order."""
        chosen = self.gsp.dimensions if self.gsp is not None else None
        if not chosen:
            return list(self.dimensions)
        by_name = {d.name: d for d in self.dimensions}
        return [by_name[n] for n in chosen]

    def dimension(self, name: str) -> StyleDimension:
        """The dimension called ``name``; StudyError naming the defined ones otherwise."""
        for d in self.dimensions:
            if d.name == name:
                return d
        raise StudyError(
            f"unknown dimension {name!r}; defined: {', '.join(d.name for d in self.dimensions)}"
        )

    def base_item(self, item_id: str) -> BaseItem:
        """The base item with id ``item_id``; StudyError naming the defined ones otherwise."""
        for b in self.base_items:
            if b.id == item_id:
                return b
        raise StudyError(
            f"unknown base item {item_id!r}; defined: {', '.join(b.id for b in self.base_items)}"
        )


def _unique(values: list[str], path: Any) -> None:
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise _KeyProblemError(path(i), f"duplicate {v!r}")
        seen.add(v)


def available_instruments() -> set[str]:
    """Stems of the instrument files shipped in ``edutools/survey/instruments``."""
    return {p.stem for p in INSTRUMENT_DIR.glob("*.yaml")}


# --------------------------------------------------------------------------- loading and errors


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate mapping keys (PyYAML keeps the last silently)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            mark = key_node.start_mark
            raise StudyError(
                f"line {mark.line + 1}: duplicate key {key!r}; each key may appear once"
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _field_names(model: Any, loc: Sequence[str | int]) -> list[str] | None:
    """The keys valid at ``loc`` (walking the model's annotations), for 'unknown key' messages."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        current = _unwrap(current)
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = field.annotation
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return None


def _unwrap(tp: Any) -> Any:
    """The model class inside Optional[...], list[...], dict[..., ...] or Annotated[...]."""
    for _ in range(5):
        origin = typing.get_origin(tp)
        if origin is None:
            return tp
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if origin is typing.Annotated:
            tp = args[0]
        elif origin in (list, tuple, set, dict, typing.Union, types.UnionType):
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = models[0] if models else args[-1] if args else tp
        else:
            return tp
    return tp


def _path(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _message(err: Any, model: Any) -> tuple[tuple[str | int, ...], str]:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "value_error" and isinstance(ctx.get("error"), _KeyProblemError):
        problem: _KeyProblemError = ctx["error"]
        return loc + problem.path, problem.message
    if kind == "extra_forbidden":
        valid = _field_names(model, loc[:-1])
        hint = f"; valid keys: {', '.join(valid)}" if valid else ""
        return loc, f"unknown key{hint}"
    bounds = {
        "greater_than_equal": ("ge", ">="),
        "greater_than": ("gt", ">"),
        "less_than_equal": ("le", "<="),
        "less_than": ("lt", "<"),
    }
    if kind in bounds:
        name, op = bounds[kind]
        return loc, f"must be {op} {ctx[name]} (got {value!r})"
    if kind == "missing":
        return loc, "required key is missing"
    if kind == "literal_error":
        return loc, f"must be one of {ctx['expected']} (got {value!r})"
    if kind == "too_short":
        return loc, f"needs at least {ctx['min_length']} entries (got {ctx.get('actual_length')})"
    if kind == "string_pattern_mismatch":
        return loc, f"{value!r} must match {ctx['pattern']}"
    if kind in ("string_too_short",):
        return loc, "must not be empty"
    if kind.endswith(("_type", "_parsing")):
        expected = kind.split("_")[0]
        return loc, f"expected a {expected} (got {value!r})"
    return loc, str(err["msg"])


def format_validation_error(
    exc: ValidationError, source: str, model: type[BaseModel] = BaseModel
) -> str:
    """One line naming ``source`` and the key path of each problem.

    Example
    -------
    >>> try:
    ...     GSPSettings(chains_per_participant=0)
    ... except ValidationError as exc:
    ...     print(format_validation_error(exc, "study.yaml", GSPSettings))
    study.yaml: chains_per_participant: must be >= 1 (got 0)
    """
    seen: list[str] = []
    for err in exc.errors():
        loc, msg = _message(err, model)
        line = f"{_path(loc)}: {msg}"
        if line not in seen:
            seen.append(line)
    shown = seen[:3]
    more = f" (and {len(seen) - 3} more)" if len(seen) > 3 else ""
    return f"{source}: " + "; ".join(shown) + more


def parse_study(data: Any, source: str = "study") -> StudyDefinition:
    """Validate an already-parsed mapping as a :class:`StudyDefinition`."""
    if not isinstance(data, dict):
        raise StudyError(
            f"{source}: the top level must be a mapping of keys, not {type(data).__name__}"
        )
    try:
        return StudyDefinition.model_validate(data)
    except ValidationError as exc:
        raise StudyError(format_validation_error(exc, source, StudyDefinition)) from None


def load_study(path: str | Path) -> StudyDefinition:
    """Read and validate a study definition file (YAML).

    Parameters
    ----------
    path
        The study file, e.g. ``studies/style_preference/study.yaml``.

    Returns
    -------
    StudyDefinition
        The validated, immutable definition.

    Raises
    ------
    StudyError
        One line naming the file and the key path of each problem.

    Example
    -------
    >>> study = load_study("studies/style_preference/study.yaml")  # doctest: +SKIP
    >>> study.gsp.chain_type  # doctest: +SKIP
    'within'
    """
    p = Path(path)
    source = str(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StudyError(f"{source}: no such file") from None
    except OSError as exc:
        raise StudyError(f"{source}: cannot be read ({exc.strerror})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except StudyError as exc:
        raise StudyError(f"{source}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise StudyError(f"{source}: {where}invalid YAML ({problem})") from None
    return parse_study(data, source)
