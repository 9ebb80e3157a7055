"""The programme's words as data: loading and validating the ``content/`` folder.

Every piece of copy the app shows (help, guides, icebreakers, contracting prompts, agenda and
reflection prompts, the concern form, support resources, surveys, the speed-event briefing, the
privacy notice, other messages and the words of every error a service raises) lives in YAML
files under ``content/`` at the repository root, one topic per file. :func:`load_content` reads
them, validates them against the pydantic models below and returns one immutable :class:`Content`
object. Any problem (a missing file or field,
invalid YAML, a duplicate id, an empty text, a label too long for Slack, an unknown placeholder)
raises a single :class:`ContentError` that names the file and the field.

Files and their models::

    help.yml               HelpFile            /mentoring sub-commands, grouped
    topics.yml             TopicsFile          perspectives to share or learn about (bank)
    privacy_notice.yml     PrivacyNotice       the notice everyone confirms at enrolment
    guides.yml             GuidesFile          one guide per role (mentor, mentee, lead)
    first_meeting.yml      FirstMeeting        guidance sent with the introduction
    icebreakers.yml        IcebreakersFile     icebreaker questions by kind (bank)
    contracting.yml        ContractingFile     the contract prompts and form copy
    agenda.yml             AgendaFile          agenda prompts for mentee and mentor
    reflection.yml         ReflectionFile      the private reflection form
    concern.yml            ConcernFile         the concern form and receipt
    support_resources.yml  SupportResourcesFile  support resources (bank)
    surveys.yml            SurveysFile         baseline, midpoint and end surveys per role
    speed_event.yml        SpeedEventFile      reverse speed mentoring event copy
    induction.yml          InductionFile       the induction in steps per role (and an event's briefing)
    messages.yml           MessagesFile        other reusable messages
    promises.yml           PromisesFile        every "who will see this" label, with its audience
    errors.yml             ErrorsFile          the words of every error a service raises, by code

Programme content folders
-------------------------
A programme can point at its own content folder, passed as ``extra_folders``. For every file
above, in each extra folder in order:

* ``<name>.yml`` REPLACES the default file of the same name as a whole;
* ``errors.yml`` is the exception: it OVERRIDES only the error codes it lists (a translation
  lists them all); an unknown code, or a placeholder the default text does not use, is an error;
* for the banks (``icebreakers``, ``topics``, ``support_resources``) a file named
  ``<name>.extend.yml`` EXTENDS the default bank instead: its lists (``kinds`` and
  ``questions``, ``topics``, ``resources``) are appended to the ones already loaded. Ids must
  stay unique across the default and the extension. If a folder holds both files, the
  replacement is applied first and then the extension.

Any other ``*.yml``/``*.yaml`` file in a content folder is an error (usually a typo in a name);
other files (a README, say) are ignored. The merged result is validated exactly like the
default content.

Text conventions
----------------
Text rendered in Slack is mrkdwn: ``*bold*`` with single asterisks, no Markdown headings, and
no raw ``<``, ``>`` or ``&``. Anything rendered in one Block Kit section stays under 3,000
characters; select/radio/checkbox option labels are at most 75 characters, placeholders at most
150, modal titles and submit labels at most 24. Some texts are templates with ``{placeholders}``
(listed in each file's comments); fill them with :func:`fill`. A template may only use the
placeholders its field allows, so a typo fails at load time rather than when a message is sent.

The default load (``load_content()`` with no arguments) is cached; call
:func:`clear_content_cache` in tests that need a fresh read. Loads of a programme's folder are
not cached: keep the returned :class:`Content` if you need it often.
"""

from __future__ import annotations

import functools
import random
import string
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.settings import Settings

__all__ = [
    "BANK_FILES",
    "CONTENT_FILES",
    "DEFAULT_CONTENT_DIR",
    "OVERRIDE_FILES",
    "Content",
    "ContentError",
    "clear_content_cache",
    "fill",
    "load_content",
]

DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"

# Slack Block Kit limits (and our own) that the content must respect.
SECTION_MAX = 3000
"""A section block's text."""
INPUT_LABEL_MAX = 2000
"""An input block's label or hint."""
HEADER_MAX = 150
"""A header block's text; also used for titles and headings."""
PLACEHOLDER_MAX = 150
"""An input element's placeholder."""
OPTION_MAX = 75
"""The text of a select, radio button or checkbox option; also a button's text."""
MODAL_TITLE_MAX = 24
"""A modal's title, submit and close labels."""
MAX_SELECT_OPTIONS = 100
"""A static select's options."""
MIN_ICEBREAKERS = 40
MIN_ICEBREAKER_KINDS = 4
SCALE_POINTS = (1, 2, 3, 4, 5)

Role = Literal["mentor", "mentee"]
GuideRole = Literal["mentor", "mentee", "lead"]
SurveyKind = Literal["baseline", "midpoint", "end"]
Owner = Literal["both", "mentor", "mentee"]


class ContentError(Exception):
    """Content is missing or invalid. The message names the file and the field(s)."""

    def __init__(self, path: Path | str | None, problems: Sequence[str]) -> None:
        self.path = Path(path) if path is not None else None
        self.problems = list(problems)
        where = str(path) if path is not None else "content"
        if len(self.problems) == 1:
            message = f"{where}: {self.problems[0]}"
        else:
            message = f"{where}: {len(self.problems)} problems:\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


# --------------------------------------------------------------------------------------------
# Field types


def _text(max_length: int) -> Any:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


Text = Annotated[str, _text(SECTION_MAX)]
"""Non-empty text that fits in one section block."""
InputLabel = Annotated[str, _text(INPUT_LABEL_MAX)]
Heading = Annotated[str, _text(HEADER_MAX)]
Placeholder = Annotated[str, _text(PLACEHOLDER_MAX)]
OptionLabel = Annotated[str, _text(OPTION_MAX)]
ModalTitle = Annotated[str, _text(MODAL_TITLE_MAX)]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
"""A stable identifier: lower case letters and digits joined by single hyphens."""
CommandName = Annotated[str, StringConstraints(pattern=r"^[a-z]+(?:-[a-z]+)*(?: [a-z]+(?:-[a-z]+)*)*$")]


def placeholders(template: str) -> set[str]:
    """The ``{names}`` used in a template. Raises ``ValueError`` if the braces are malformed."""
    names: set[str] = set()
    for _literal, name, _spec, _conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier():
            raise ValueError(f"placeholder {{{name}}} is not a simple name")
        names.add(name)
    return names


def _allowing(*allowed: str) -> Callable[[str], str]:
    """A validator for a template that may use only the given placeholders."""

    def check(value: str) -> str:
        try:
            used = placeholders(value)
        except ValueError as exc:
            raise ValueError(f"badly formed placeholder ({exc}); write {{{{ and }}}} for a literal brace") from exc
        unknown = used - set(allowed)
        if unknown:
            allowed_text = ", ".join(f"{{{a}}}" for a in allowed) if allowed else "none"
            raise ValueError(
                f"unknown placeholder(s) {', '.join(f'{{{u}}}' for u in sorted(unknown))}; allowed here: {allowed_text}"
            )
        return value

    return check


def fill(template: str, **values: object) -> str:
    """Fill a template's ``{placeholders}``. A placeholder without a value raises ``KeyError``."""
    return template.format(**values)


def _unique(items: Iterable[Any], attribute: str = "id", what: str = "id") -> None:
    seen: set[str] = set()
    for item in items:
        key = getattr(item, attribute)
        if key in seen:
            raise ValueError(f"duplicate {what} {key!r}")
        seen.add(key)


def _is_extension(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("extension"))


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------------------------
# Shared building blocks


class Section(_Model):
    """A heading and a body, rendered together as one mrkdwn section: ``*heading*\\nbody``."""

    heading: Heading
    body: Text

    def as_mrkdwn(self) -> str:
        return f"*{self.heading}*\n{self.body}"

    @model_validator(mode="after")
    def _fits_one_section(self) -> Section:
        if len(self.as_mrkdwn()) > SECTION_MAX:
            raise ValueError(f"heading and body together must be at most {SECTION_MAX} characters")
        return self


class Document(_Model):
    """A titled piece of guidance: a title, an intro and a few sections."""

    title: Heading
    intro: Text
    sections: tuple[Section, ...] = Field(min_length=1)


class FormField(_Model):
    """Copy for one input field of a modal."""

    label: InputLabel
    placeholder: Placeholder | None = None
    hint: InputLabel | None = None
    optional: bool = False


class RatingScale(_Model):
    """A 1-5 scale with a label for every point. In YAML: a mapping ``1: label`` ... ``5: label``."""

    labels: dict[int, OptionLabel]

    @model_validator(mode="before")
    @classmethod
    def _from_bare_mapping(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "labels" not in data:
            return {"labels": dict(data)}
        return data

    @field_validator("labels")
    @classmethod
    def _one_to_five(cls, labels: dict[int, str]) -> dict[int, str]:
        if tuple(sorted(labels)) != SCALE_POINTS:
            raise ValueError(f"a scale needs exactly the points 1 to 5, got {sorted(labels)}")
        return dict(sorted(labels.items()))

    def options(self) -> list[tuple[int, str]]:
        """``[(1, label), ..., (5, label)]``."""
        return sorted(self.labels.items())

    def label(self, value: int) -> str:
        return self.labels[value]


class RatingQuestion(_Model):
    label: InputLabel
    scale: RatingScale


# --------------------------------------------------------------------------------------------
# help.yml

REQUIRED_HELP_COMMANDS = (
    "help", "join", "profile", "status", "schedule", "agenda", "icebreaker", "contract", "reflect",
    "reflections", "concern", "leave", "my-data", "delete-my-data",
    "programme new", "programme edit", "programmes", "invite", "match", "report", "report csv",
    "event new",
)  # fmt: skip


class HelpCommand(_Model):
    name: CommandName
    """The sub-command as typed after ``/mentoring``, e.g. ``"report csv"``."""
    usage: Heading
    """What follows ``/mentoring``, starting with the name: e.g. ``invite [programme] @person``."""
    description: Text
    promise: Id | None = None
    """A visibility promise (content/promises.yml) shown after the description."""

    @property
    def full_usage(self) -> str:
        """e.g. ``/mentoring invite [programme] @person``."""
        return f"/mentoring {self.usage}"

    def as_mrkdwn(self) -> str:
        return f"`{self.full_usage}`\n{self.description}"

    @model_validator(mode="after")
    def _usage_starts_with_name(self) -> HelpCommand:
        if self.usage != self.name and not self.usage.startswith(self.name + " "):
            raise ValueError(f"usage must start with the command's name {self.name!r} (without /mentoring)")
        return self


class HelpGroup(_Model):
    id: Id
    title: Heading
    lead_only: bool = False
    commands: tuple[HelpCommand, ...] = Field(min_length=1)

    def as_mrkdwn(self) -> str:
        return f"*{self.title}*\n" + "\n".join(c.as_mrkdwn() for c in self.commands)

    @model_validator(mode="after")
    def _fits_one_section(self) -> HelpGroup:
        if len(self.as_mrkdwn()) > SECTION_MAX:
            raise ValueError(f"the group's rendered list must be at most {SECTION_MAX} characters")
        return self


class HelpFile(_Model):
    intro: Text
    groups: tuple[HelpGroup, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> HelpFile:
        _unique(self.groups)
        _unique(self.commands(), "name", "command")
        missing = [name for name in REQUIRED_HELP_COMMANDS if name not in {c.name for c in self.commands()}]
        if missing:
            raise ValueError(f"missing command(s): {', '.join(missing)}")
        return self

    @property
    def everyone(self) -> list[HelpCommand]:
        """The commands everyone can use."""
        return [c for g in self.groups if not g.lead_only for c in g.commands]

    @property
    def leads(self) -> list[HelpCommand]:
        """The commands only programme leads and admins can use."""
        return [c for g in self.groups if g.lead_only for c in g.commands]

    def commands(self, *, include_lead: bool = True) -> list[HelpCommand]:
        return [c for g in self.groups if include_lead or not g.lead_only for c in g.commands]

    def command(self, name: str) -> HelpCommand:
        """The command called ``name`` (e.g. ``"report csv"``). ``KeyError`` if unknown."""
        for command in self.commands():
            if command.name == name:
                return command
        raise KeyError(name)

    def groups_for(self, *, is_lead: bool) -> list[HelpGroup]:
        """The groups to show someone: everyone's, plus the lead-only ones for a lead."""
        return [g for g in self.groups if is_lead or not g.lead_only]


# --------------------------------------------------------------------------------------------
# topics.yml (bank)


class Topic(_Model):
    id: Id
    label: OptionLabel
    description: Text | None = None


class TopicsFile(_Model):
    topics: tuple[Topic, ...] = Field(default=(), max_length=MAX_SELECT_OPTIONS)

    @field_validator("topics")
    @classmethod
    def _check(cls, topics: tuple[Topic, ...], info: ValidationInfo) -> tuple[Topic, ...]:
        _unique(topics)
        if not topics and not _is_extension(info):
            raise ValueError("at least one topic is needed")
        return topics


# --------------------------------------------------------------------------------------------
# privacy_notice.yml


class PrivacyItem(Section):
    body: Annotated[Text, AfterValidator(_allowing("retention_days", "min_group"))]


class PrivacyNotice(_Model):
    version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-]*$", max_length=32)]
    """Recorded with each enrolment; changes whenever the wording changes."""
    title: Heading
    intro: Text
    items: tuple[PrivacyItem, ...] = Field(min_length=1)
    confirm_label: OptionLabel
    """The checkbox text a person ticks to confirm."""

    def as_mrkdwn(self, retention_days: int, min_group: int) -> str:
        """The whole notice as one mrkdwn text (it is validated to fit one section).

        ``min_group`` is the MIN_GROUP_SIZE setting (``Content.setting``)."""
        parts = [f"*{self.title}*", self.intro]
        parts += [fill(item.as_mrkdwn(), retention_days=retention_days, min_group=min_group) for item in self.items]
        return "\n\n".join(parts)

    @model_validator(mode="after")
    def _fits_one_section(self) -> PrivacyNotice:
        if len(self.as_mrkdwn(retention_days=99999, min_group=100)) > SECTION_MAX:
            raise ValueError(f"the whole notice must render in at most {SECTION_MAX} characters")
        return self


# --------------------------------------------------------------------------------------------
# guides.yml and first_meeting.yml


class GuideSection(Section):
    """A guide's section: its body may name the MIN_GROUP_SIZE setting as ``{min_group}``
    (filled by :meth:`Content.with_setting_values`)."""

    body: Annotated[Text, AfterValidator(_allowing("min_group"))]


class Guide(Document):
    role: GuideRole
    sections: tuple[GuideSection, ...] = Field(min_length=1)


class GuidesFile(_Model):
    guides: tuple[Guide, ...]

    @field_validator("guides")
    @classmethod
    def _check(cls, guides: tuple[Guide, ...]) -> tuple[Guide, ...]:
        _unique(guides, "role", "role")
        missing = {"mentor", "mentee"} - {g.role for g in guides}
        if missing:
            raise ValueError(f"a guide is needed for each role; missing: {', '.join(sorted(missing))}")
        return guides


class FirstMeeting(Document):
    pass


# --------------------------------------------------------------------------------------------
# icebreakers.yml (bank)


class IcebreakerKind(_Model):
    id: Id
    label: OptionLabel


Depth = Literal["light", "personal", "deeper"]
DEPTHS: tuple[Depth, ...] = ("light", "personal", "deeper")
FIRST_MEETING_DEPTHS: frozenset[str] = frozenset({"light", "personal"})
"""What a pair that has not met yet is drawn from: questions that seek differences come later."""
MIN_FIRST_MEETING_ICEBREAKERS = 10


class Icebreaker(_Model):
    id: Id
    kind: Id
    text: Text
    depth: Depth = "deeper"
    """light, personal or deeper (seeks differences). Untagged questions count as deeper, so a
    programme's own question is never drawn for a first meeting unless it says it is light."""


class IcebreakersFile(_Model):
    kinds: tuple[IcebreakerKind, ...] = ()
    questions: tuple[Icebreaker, ...] = ()

    @field_validator("kinds", "questions")
    @classmethod
    def _unique_ids(cls, items: tuple[Any, ...]) -> tuple[Any, ...]:
        _unique(items)
        return items

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> IcebreakersFile:
        if _is_extension(info):
            return self
        kind_ids = {k.id for k in self.kinds}
        unknown = sorted({q.kind for q in self.questions} - kind_ids)
        if unknown:
            raise ValueError(f"questions use undefined kind(s): {', '.join(unknown)}")
        if len(self.questions) < MIN_ICEBREAKERS:
            raise ValueError(f"at least {MIN_ICEBREAKERS} questions are needed, found {len(self.questions)}")
        used = {q.kind for q in self.questions}
        if len(used) < MIN_ICEBREAKER_KINDS:
            raise ValueError(f"questions must cover at least {MIN_ICEBREAKER_KINDS} kinds, found {len(used)}")
        gentle = [q for q in self.questions if q.depth in FIRST_MEETING_DEPTHS]
        if len(gentle) < MIN_FIRST_MEETING_ICEBREAKERS:
            raise ValueError(
                f"at least {MIN_FIRST_MEETING_ICEBREAKERS} light or personal questions are needed for first "
                f"meetings, found {len(gentle)}"
            )
        return self


# --------------------------------------------------------------------------------------------
# contracting.yml


class ContractPrompt(_Model):
    id: Id
    title: Heading
    """The heading of the prompt and the label of its form field."""
    prompt: Text
    """The question the pair talks through."""
    placeholder: Placeholder
    hint: InputLabel | None = None
    owner: Owner = "both"
    """Whose item it is: goals exist for both the mentor and the mentee."""
    required: bool = True


class ContractingFile(_Model):
    modal_title: ModalTitle
    submit_label: ModalTitle
    intro: Text
    confirm_button: OptionLabel
    recorded: Text
    prompts: tuple[ContractPrompt, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> ContractingFile:
        _unique(self.prompts)
        owners = {p.owner for p in self.prompts}
        if not {"mentor", "mentee"} <= owners:
            raise ValueError("prompts need goals for both people: one with owner mentor and one with owner mentee")
        return self

    def prompt(self, prompt_id: str) -> ContractPrompt:
        for p in self.prompts:
            if p.id == prompt_id:
                return p
        raise KeyError(prompt_id)


# --------------------------------------------------------------------------------------------
# agenda.yml

_SessionTemplate = Annotated[Text, AfterValidator(_allowing("partner", "when"))]


class AgendaSide(_Model):
    request: _SessionTemplate
    """DM asking for agenda items. Placeholders: ``{partner}``, ``{when}``."""
    field: FormField
    ideas: tuple[Text, ...] = Field(min_length=1)


class AgendaFile(_Model):
    modal_title: ModalTitle
    submit_label: ModalTitle
    mentee: AgendaSide
    """The mentee sets the agenda."""
    mentor: AgendaSide
    """The mentor is invited to add items."""

    def for_role(self, role: Role | str) -> AgendaSide:
        return self.mentee if _role_value(role) == "mentee" else self.mentor


# --------------------------------------------------------------------------------------------
# reflection.yml

_PartnerTemplate = Annotated[Text, AfterValidator(_allowing("partner"))]


class ShareOption(_Model):
    field: FormField
    option_text: OptionLabel
    shared_intro: _PartnerTemplate
    """Heads the shared note in the partner's DM. Placeholder: ``{partner}`` (the author)."""


class ReflectionFile(_Model):
    prompt: _PartnerTemplate
    prompt_button: OptionLabel
    modal_title: ModalTitle
    submit_label: ModalTitle
    takeaways: FormField
    do_differently: FormField
    explore_next: FormField
    safety: RatingQuestion
    usefulness: RatingQuestion
    share: ShareOption
    saved: Text


# --------------------------------------------------------------------------------------------
# concern.yml

URGENCY_IDS = ("today", "this-week", "fyi")
IDENTITY_IDS = ("named", "anonymous")


class UrgencyOption(_Model):
    id: Id
    label: OptionLabel
    receipt_line: Text


class IdentityOption(_Model):
    id: Id
    label: OptionLabel


class ConcernFile(_Model):
    modal_title: ModalTitle
    submit_label: ModalTitle
    intro: Text
    details: FormField
    what_would_help: FormField = FormField(
        label="What would help?",
        placeholder="For example: a conversation with the lead, a change of partner, or just for the lead to know",
        optional=True,
    )
    urgency_label: InputLabel
    urgency: tuple[UrgencyOption, ...]
    identity_label: InputLabel
    identity: tuple[IdentityOption, ...]
    anonymity_note: Text
    receipt: Text
    acknowledged: Text
    support_intro: Text
    emergency_note: Text
    # Later messages to the reporter and the pair (never the lead's notes). Defaults keep older
    # programme content folders valid.
    closed: Text = "The programme lead has closed your concern. Thank you for raising it."
    contact: Text = "The programme lead would like to talk your concern through with you and will be in touch."
    pair_paused: Text = "Your pair has been paused for now by the programme lead. Nothing is needed from you."
    pair_ended: Text = "Your pair has ended, and you are back in the pool for a new match. No reason is needed."
    # Follow-through (issue 14): the lead's closing message, "This isn't resolved", a low safety rating.
    closing_message_default: Text = "Thank you for raising this. I have looked into it and I am closing it now."
    closing_message_intro: Text = "Their message to you:"
    reopen_button: OptionLabel = "This isn't resolved"
    reopen_note: Text = "If it isn't resolved for you, press the button by {date} and it goes back to the lead."
    reopened: Text = "Your concern is open again, and the programme lead has been told it isn't resolved."
    already_open: Text = "Your concern is already open: the programme lead knows it isn't resolved."
    reopen_too_late: Annotated[Text, AfterValidator(_allowing("days"))] = (
        "This concern was closed over {days} days ago. You can raise a new one at any time."
    )
    low_safety_offer: Text = "Thank you for being honest about how safe you felt. You don't have to carry this alone."
    low_safety_start: Text = "I haven't felt safe to speak openly in my mentoring sessions."

    @field_validator("urgency")
    @classmethod
    def _urgency_ids(cls, options: tuple[UrgencyOption, ...]) -> tuple[UrgencyOption, ...]:
        _unique(options)
        if tuple(o.id for o in options) != URGENCY_IDS:
            raise ValueError(f"urgency options must have the ids {', '.join(URGENCY_IDS)}, in that order")
        return options

    @field_validator("identity")
    @classmethod
    def _identity_ids(cls, options: tuple[IdentityOption, ...]) -> tuple[IdentityOption, ...]:
        _unique(options)
        if tuple(o.id for o in options) != IDENTITY_IDS:
            raise ValueError(f"identity options must have the ids {', '.join(IDENTITY_IDS)}, in that order")
        return options

    def urgency_option(self, urgency_id: str) -> UrgencyOption:
        for option in self.urgency:
            if option.id == urgency_id:
                return option
        raise KeyError(urgency_id)


# --------------------------------------------------------------------------------------------
# support_resources.yml (bank)


class SupportResource(_Model):
    id: Id
    name: OptionLabel
    description: Text
    promise: Id | None = None
    """A visibility promise (content/promises.yml) shown after the description."""
    contact: Text | None = None
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=3000)] | None = None

    def as_mrkdwn(self, description: str | None = None) -> str:
        """``description``: the description with its promise (:meth:`Content.resource_description`)."""
        name = f"<{self.url}|{self.name}>" if self.url else self.name
        lines = [f"*{name}*", description or self.description]
        if self.contact:
            lines.append(self.contact)
        return "\n".join(lines)


class SupportResourcesFile(_Model):
    resources: tuple[SupportResource, ...] = ()

    @field_validator("resources")
    @classmethod
    def _check(cls, resources: tuple[SupportResource, ...], info: ValidationInfo) -> tuple[SupportResource, ...]:
        _unique(resources)
        if not resources and not _is_extension(info):
            raise ValueError("at least one support resource is needed")
        return resources


# --------------------------------------------------------------------------------------------
# surveys.yml


class SurveyQuestion(_Model):
    id: Id
    text: InputLabel
    scale: RatingScale


class Survey(_Model):
    kind: SurveyKind
    role: Role
    modal_title: ModalTitle
    title: Heading
    intro: Text
    questions: tuple[SurveyQuestion, ...] = Field(min_length=3, max_length=6)
    comment: FormField

    @field_validator("questions")
    @classmethod
    def _unique_ids(cls, questions: tuple[SurveyQuestion, ...]) -> tuple[SurveyQuestion, ...]:
        _unique(questions)
        return questions

    def question(self, question_id: str) -> SurveyQuestion:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)


class SurveysFile(_Model):
    scales: dict[Id, RatingScale] = Field(default_factory=dict)
    surveys: tuple[Survey, ...]

    @model_validator(mode="before")
    @classmethod
    def _resolve_named_scales(cls, data: Any) -> Any:
        """Replace ``scale: agreement`` by the scale defined under ``scales``."""
        if not isinstance(data, Mapping):
            return data
        scales = data.get("scales") or {}
        surveys = data.get("surveys")
        if not isinstance(scales, Mapping) or not isinstance(surveys, list):
            return data
        resolved = []
        for survey in surveys:
            if isinstance(survey, Mapping) and isinstance(survey.get("questions"), list):
                questions = []
                for question in survey["questions"]:
                    if isinstance(question, Mapping) and isinstance(question.get("scale"), str):
                        name = question["scale"]
                        if name not in scales:
                            raise ValueError(
                                f"question {question.get('id')!r} in the {survey.get('kind')} survey for "
                                f"{survey.get('role')}s uses undefined scale {name!r}; "
                                f"defined: {', '.join(map(str, scales)) or 'none'}"
                            )
                        question = {**question, "scale": scales[name]}
                    questions.append(question)
                survey = {**survey, "questions": questions}
            resolved.append(survey)
        return {**data, "surveys": resolved}

    @model_validator(mode="after")
    def _check(self) -> SurveysFile:
        keys = [(s.kind, s.role) for s in self.surveys]
        for key in keys:
            if keys.count(key) > 1:
                raise ValueError(f"duplicate survey: {key[0]} for {key[1]}s")
        for kind in ("baseline", "midpoint", "end"):
            for role in ("mentor", "mentee"):
                if (kind, role) not in keys:
                    raise ValueError(f"missing survey: {kind} for {role}s")
        for role in ("mentor", "mentee"):
            baseline = self.survey("baseline", role)
            end = self.survey("end", role)
            end_questions = {q.id: q for q in end.questions}
            for q in baseline.questions:
                if q.id not in end_questions:
                    raise ValueError(
                        f"baseline question {q.id!r} for {role}s is missing from the end survey, "
                        "so the two cannot be compared"
                    )
                if end_questions[q.id] != q:
                    raise ValueError(
                        f"question {q.id!r} for {role}s differs between baseline and end "
                        "(text and scale must match so the answers can be compared)"
                    )
        return self

    def survey(self, kind: SurveyKind | str, role: Role | str) -> Survey:
        kind_value, role_value = _role_value(kind), _role_value(role)
        for s in self.surveys:
            if s.kind == kind_value and s.role == role_value:
                return s
        raise KeyError((kind_value, role_value))


# --------------------------------------------------------------------------------------------
# speed_event.yml


class SpeedFeedbackForm(_Model):
    modal_title: ModalTitle
    submit_label: ModalTitle
    intro: Text | None = None  # default: the promise speed-feedback (content/promises.yml)
    usefulness: RatingQuestion
    learned: FormField
    action: FormField
    again_option: OptionLabel
    comments: FormField
    # The issue-8 questions (defaults keep older programme content folders valid).
    recommend_label: InputLabel = "Would you recommend this event to a colleague?"
    start_programme_label: InputLabel = "Would you start a reverse mentoring programme in your organisation?"
    interested_option: OptionLabel = "Invite me to a longer reverse mentoring programme"
    interested_hint: InputLabel = "If you tick this, the event lead sees your name so they can invite you."


class SpeedEventFile(_Model):
    title: Heading
    briefing: Document
    mentor_guide: Document
    mentee_guide: Document
    round_start: Annotated[Text, AfterValidator(_allowing("round", "minutes"))]
    round_ending: Annotated[Text, AfterValidator(_allowing("minutes"))]
    swap: Text
    closing: Text
    feedback: SpeedFeedbackForm

    def guide_for(self, role: Role | str) -> Document:
        return self.mentee_guide if _role_value(role) == "mentee" else self.mentor_guide

    @model_validator(mode="after")
    def _briefing_placeholders(self) -> SpeedEventFile:
        """The briefing is filled with the event's round length: ``{minutes}`` is its only placeholder."""
        check = _allowing("minutes")
        for part in self.briefing.sections:
            check(part.heading)
            check(part.body)
        return self


# --------------------------------------------------------------------------------------------
# messages.yml

_Programme = Annotated[Text, AfterValidator(_allowing("programme"))]
_Command = Annotated[Text, AfterValidator(_allowing("command"))]
_Plain = Annotated[Text, AfterValidator(_allowing())]
_Error = Annotated[Text, AfterValidator(_allowing("error"))]


class DeliveryFailureReasons(_Model):
    """Why a message could not be delivered, as the lead is told (bot/outbox/notifications.py);
    each says what the lead can do. ``missing_scope`` may use ``{needed}``, the others ``{error}``."""

    not_in_channel: _Error
    channel_not_found: _Error
    is_archived: _Error
    account_inactive: _Error
    user_not_found: _Error
    cannot_dm_bot: _Error
    missing_scope: Annotated[Text, AfterValidator(_allowing("needed", "error"))]
    restricted_action: _Error
    message_refused: _Error
    rate_limited: _Error
    slack_unavailable: _Error
    unreachable: _Error
    render_error: _Error
    unknown: _Error


class MessagesFile(_Model):
    """Other reusable copy. Each field lists its placeholders."""

    enrolment_confirmation: _Programme
    waiting_list: _Programme
    match_declined_self: _Programme
    """To the person who declined a match (no reason needed)."""
    match_declined_partner: _Programme
    """The neutral notice to the other person when a match is declined."""
    match_working: _Programme
    """The small modal `/mentoring match` opens at once, while the proposal is worked out."""
    match_failed: _Plain
    """That modal, when working out the proposal failed."""
    match_not_opened: _Programme
    """A DM to the lead when the modal could not be opened at all (Slack refused or was too slow)."""
    """That modal, when working out the proposal failed."""
    leaving_confirmation: _Programme
    leaving_partner_notice: _Programme
    leaving_lead_notice: Annotated[Text, AfterValidator(_allowing("person", "programme"))]
    error_generic: _Plain
    unknown_command: _Command
    usage_hint: Annotated[Text, AfterValidator(_allowing("usage"))]
    lead_only: _Command
    not_enrolled: _Plain
    data_export_ready: _Plain
    data_deletion_confirmed: _Plain
    leads_channel_not_invited: Annotated[Text, AfterValidator(_allowing("channel", "programme"))]
    """To each lead when the leads' channel refused an alert because the app is not in it."""
    leads_channel_unusable: Annotated[Text, AfterValidator(_allowing("channel", "programme"))]
    """To each lead when the leads' channel refused an alert for another lasting reason (archived)."""
    delivery_failed: Annotated[Text, AfterValidator(_allowing("who", "programme", "reason"))]
    """To each lead when a message could not be delivered; ``{reason}`` is one of the next."""
    delivery_failure_reasons: DeliveryFailureReasons



# --------------------------------------------------------------------------------------------
# induction.yml

InductionRole = Literal["mentor", "mentee", "lead", "event-mentor", "event-mentee"]
InductionTopic = Literal[
    "what-it-is", "your-role", "confidentiality", "feedback", "usual-roles", "not-going-well", "support"
]
PROGRAMME_INDUCTION_ROLES = ("mentor", "mentee", "lead")
EVENT_INDUCTION_ROLES = ("event-mentor", "event-mentee")
EVENT_BRIEFING_TOPICS = frozenset({"what-it-is", "your-role", "confidentiality", "not-going-well"})


class InductionStep(_Model):
    """One step, completed with a click. Its ``topic`` is also its id within the role."""

    topic: InductionTopic
    heading: Heading
    body: Annotated[Text, AfterValidator(_allowing("min_group"))]
    """May name the MIN_GROUP_SIZE setting as ``{min_group}`` (:meth:`Content.with_setting_values`)."""

    @property
    def id(self) -> str:
        return self.topic

    def as_mrkdwn(self) -> str:
        return f"*{self.heading}*\n{self.body}"

    @model_validator(mode="after")
    def _fits_one_section(self) -> InductionStep:
        if len(self.as_mrkdwn()) > SECTION_MAX:
            raise ValueError(f"heading and body together must be at most {SECTION_MAX} characters")
        return self


class Induction(_Model):
    role: InductionRole
    title: Heading
    intro: Text
    steps: tuple[InductionStep, ...] = Field(min_length=1, max_length=12)

    @field_validator("steps")
    @classmethod
    def _unique_topics(cls, steps: tuple[InductionStep, ...]) -> tuple[InductionStep, ...]:
        _unique(steps, "topic", "topic")
        return steps


_Steps = Annotated[Text, AfterValidator(_allowing("step", "steps"))]
_Progress = Annotated[Text, AfterValidator(_allowing("done", "steps"))]


class InductionFile(_Model):
    done_label: OptionLabel
    finish_label: OptionLabel
    start_label: OptionLabel
    continue_label: OptionLabel
    review_label: OptionLabel
    event_start_label: OptionLabel
    step_of: _Steps
    finished: _Programme
    progress: _Progress
    progress_complete: _Plain
    required_note: _Plain
    event_finished: _Programme  # followed by the promise briefing-read
    # Who sees the steps a person completed: the promise induction-steps (content/promises.yml).
    inductions: tuple[Induction, ...]

    @model_validator(mode="after")
    def _check(self) -> InductionFile:
        _unique(self.inductions, "role", "role")
        roles: dict[str, Induction] = {induction.role: induction for induction in self.inductions}
        missing = sorted(set(PROGRAMME_INDUCTION_ROLES + EVENT_INDUCTION_ROLES) - set(roles))
        if missing:
            raise ValueError(f"an induction is needed for each role; missing: {', '.join(missing)}")
        every_topic: set[str] = set(InductionTopic.__args__)  # type: ignore[attr-defined]
        for role in PROGRAMME_INDUCTION_ROLES:
            uncovered: set[str] = every_topic - {step.topic for step in roles[role].steps}
            if uncovered:
                missing_topics = ", ".join(sorted(uncovered))
                raise ValueError(f"the {role} induction must cover every topic; missing: {missing_topics}")
        for role in EVENT_INDUCTION_ROLES:
            uncovered = set(EVENT_BRIEFING_TOPICS) - {step.topic for step in roles[role].steps}
            if uncovered:
                raise ValueError(f"the {role} briefing must cover: {', '.join(sorted(uncovered))}")
        return self

    def for_role(self, role: str) -> Induction:
        for induction in self.inductions:
            if induction.role == role:
                return induction
        raise KeyError(role)

# --------------------------------------------------------------------------------------------
# promises.yml

Audience = Literal["author", "partner", "lead"]


# The settings a promise's numbers may come from (the promise's words name them as {min_group}).
PromiseSetting = Literal["min_group_size"]


class Promise(_Model):
    """A label that tells a person who will see something: its words and the audience it names.

    ``scope: data`` (the default) speaks of what the person gave (a field, an answer): only
    ``visibility`` ever receives it. ``scope: message`` speaks of the message or view it sits in
    ("Only you can see this message."): every payload holding the words reaches exactly that
    audience. ``totals_for`` names who sees the data only as totals, for groups of at least the
    ``min_group_setting`` (never one by one, so they are not in ``visibility``).
    """

    id: Id
    about: Heading
    visibility: tuple[Audience, ...] = Field(min_length=1)
    scope: Literal["data", "message"] = "data"
    totals_for: Audience | None = None
    min_group_setting: PromiseSetting | None = None
    text: Annotated[InputLabel, AfterValidator(_allowing("min_group", "partner"))]

    @model_validator(mode="after")
    def _totals_have_a_group(self) -> Promise:
        uses_group = "min_group" in placeholders(self.text)
        if (self.totals_for is None) != (self.min_group_setting is None):
            raise ValueError("`totals_for` and `min_group_setting` go together")
        if uses_group and self.min_group_setting is None:
            raise ValueError("{min_group} needs `min_group_setting`: the number comes from that setting")
        if self.totals_for is not None and self.totals_for in self.visibility:
            raise ValueError(f"`{self.totals_for}` sees only totals: leave it out of `visibility`")
        if self.scope == "message" and self.totals_for is not None:
            raise ValueError("a message promise names who sees the message, not totals")
        return self

    @field_validator("visibility")
    @classmethod
    def _author_first(cls, visibility: tuple[str, ...]) -> tuple[str, ...]:
        if "author" not in visibility:
            raise ValueError("the author always sees what they gave: list `author`")
        if len(set(visibility)) != len(visibility):
            raise ValueError("an audience is listed twice")
        return visibility


class PromisesFile(_Model):
    promises: tuple[Promise, ...] = Field(min_length=1)

    @field_validator("promises")
    @classmethod
    def _unique_ids(cls, promises: tuple[Promise, ...]) -> tuple[Promise, ...]:
        _unique(promises)
        return promises


# --------------------------------------------------------------------------------------------
# errors.yml

_ErrorName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


def _well_formed(value: str) -> str:
    try:
        placeholders(value)
    except ValueError as exc:
        raise ValueError(f"badly formed placeholder ({exc}); write {{{{ and }}}} for a literal brace") from exc
    return value


_ErrorText = Annotated[Text, AfterValidator(_well_formed)]


class ErrorsFile(_Model):
    """The words of every error a service raises, by code. In YAML the codes are grouped by
    feature: ``concerns: {not_visible: ...}`` holds the code ``concerns.not_visible``. Which
    codes must exist, and which placeholders each may use, is fixed by the code that raises them
    (``tests/test_error_codes.py``); a programme's ``errors.yml`` overrides some of the default
    texts and may use only the placeholders the default text uses."""

    features: dict[_ErrorName, dict[_ErrorName, _ErrorText]]

    @model_validator(mode="before")
    @classmethod
    def _from_bare_mapping(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "features" not in data:
            return {"features": dict(data)}
        return data

    @field_validator("features")
    @classmethod
    def _not_empty(cls, features: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        empty = [feature for feature, texts in features.items() if not texts]
        if empty:
            raise ValueError(f"feature(s) without any error text: {', '.join(empty)}")
        return features

    @property
    def texts(self) -> dict[str, str]:
        """Code -> text, e.g. ``{"concerns.not_visible": "That concern doesn't exist, ..."}``."""
        return {f"{feature}.{name}": text for feature, texts in self.features.items() for name, text in texts.items()}


def _override_errors(base: ErrorsFile, override: ErrorsFile, where: str) -> dict[str, Any]:
    """The default texts with a programme's overrides applied, checked against the default."""
    problems: list[str] = []
    known = base.texts
    for code, text in override.texts.items():
        if code not in known:
            problems.append(f"{code}: unknown error code (a typo? the app raises only the codes in the default file)")
            continue
        extra = placeholders(text) - placeholders(known[code])
        if extra:
            allowed = ", ".join(f"{{{p}}}" for p in sorted(placeholders(known[code]))) or "none"
            unknown = ", ".join(f"{{{p}}}" for p in sorted(extra))
            problems.append(f"{code}: unknown placeholder(s) {unknown}; allowed here: {allowed}")
    if problems:
        raise ContentError(where, problems)
    merged = {feature: dict(texts) for feature, texts in base.features.items()}
    for feature, texts in override.features.items():
        merged.setdefault(feature, {}).update(texts)
    return merged


# --------------------------------------------------------------------------------------------
# Content: everything together


def _role_value(value: object) -> str:
    """Accept ``"mentor"`` or an Enum whose value is ``"mentor"``."""
    return str(value.value) if isinstance(value, Enum) else str(value)


class Content(_Model):
    """All the programme's words, validated. Immutable and safe to share between threads."""

    help: HelpFile
    topics: TopicsFile
    privacy_notice: PrivacyNotice
    guides: GuidesFile
    first_meeting: FirstMeeting
    icebreakers: IcebreakersFile
    contracting: ContractingFile
    agenda: AgendaFile
    reflection: ReflectionFile
    concern: ConcernFile
    support_resources: SupportResourcesFile
    surveys: SurveysFile
    speed_event: SpeedEventFile
    induction: InductionFile
    messages: MessagesFile
    promises: PromisesFile
    errors: ErrorsFile
    folders: tuple[Path, ...] = ()
    """The folders this content was loaded from: the base folder, then any extra folders."""
    # The values of the settings promises name (``min_group_setting``): the runtime's, set by
    # :meth:`with_settings`; a setting not given here has its default.
    setting_values: Mapping[str, int] = Field(default_factory=dict)

    # Guides ---------------------------------------------------------------------------------

    def guide_for(self, role: GuideRole | str) -> Guide:
        """The guide for ``"mentor"``, ``"mentee"`` or ``"lead"`` (or an Enum with that value)."""
        wanted = _role_value(role)
        for guide in self.guides.guides:
            if guide.role == wanted:
                return guide
        raise KeyError(wanted)

    # Visibility promises ---------------------------------------------------------------------

    def with_settings(self, settings: Settings) -> Content:
        """This content, knowing the values of the settings its promises name."""
        values = {name: int(getattr(settings, name)) for name in get_args(PromiseSetting)}
        return self.model_copy(update={"setting_values": values})

    def setting(self, name: PromiseSetting) -> int:
        """A setting a promise names: the runtime's value (:meth:`with_settings`), else its default."""
        if name in self.setting_values:
            return self.setting_values[name]
        return int(Settings.model_fields[name].default)

    def with_setting_values(self, template: str) -> str:
        """A guide's section or an induction step (``as_mrkdwn()``), with ``{min_group}`` filled in
        from the MIN_GROUP_SIZE setting, so the number it shows is the one the app uses."""
        return fill(template, min_group=self.setting("min_group_size"))

    def resource_description(self, resource: SupportResource) -> str:
        """A support resource's description, followed by the words of its promise if it names one."""
        if resource.promise is None:
            return resource.description
        return f"{resource.description} {self.promise(resource.promise)}"

    def promise(self, promise_id: str, **values: object) -> str:
        """The words of the visibility promise ``promise_id`` (content/promises.yml), filled in.

        ``{min_group}`` is the value of the promise's ``min_group_setting`` (given, or the
        runtime's); ``partner`` a name.
        """
        for promise in self.promises.promises:
            if promise.id == promise_id:
                if promise.min_group_setting is not None:
                    values.setdefault("min_group", self.setting(promise.min_group_setting))
                return fill(promise.text, **values)
        raise KeyError(promise_id)

    # Icebreakers ----------------------------------------------------------------------------

    def icebreaker(self, icebreaker_id: str) -> Icebreaker:
        for question in self.icebreakers.questions:
            if question.id == icebreaker_id:
                return question
        raise KeyError(icebreaker_id)

    def icebreaker_kind_label(self, kind_id: str) -> str:
        for kind in self.icebreakers.kinds:
            if kind.id == kind_id:
                return kind.label
        raise KeyError(kind_id)

    def icebreakers_for(
        self,
        kinds: Iterable[str] | None = None,
        *,
        count: int | None = None,
        exclude: Iterable[str] = (),
        seed: int | str | None = None,
        depths: Iterable[str] | None = None,
    ) -> list[Icebreaker]:
        """Icebreakers to offer a pair.

        ``kinds`` limits the kinds (default: all, in file order); ``exclude`` drops ids the pair
        has already seen; ``depths`` limits the depths (default: all). Without ``count`` every
        matching question is returned, in file order
        unless ``seed`` is given. With ``count`` the questions are picked at random, taking one
        kind after another so a pair sees a spread of kinds; pass a ``seed`` (a pair id, say) for
        a repeatable pick. Fewer than ``count`` (possibly none) come back when the bank runs out.
        """
        known = [k.id for k in self.icebreakers.kinds]
        wanted = known if kinds is None else list(dict.fromkeys(kinds))
        unknown = [k for k in wanted if k not in known]
        if unknown:
            raise KeyError(f"unknown icebreaker kind(s): {', '.join(unknown)}")
        excluded = set(exclude)
        deep = set(DEPTHS if depths is None else depths)
        pool = [
            q for q in self.icebreakers.questions if q.kind in wanted and q.id not in excluded and q.depth in deep
        ]
        if count is None and seed is None:
            return pool
        rng = random.Random(seed)
        if count is None:
            rng.shuffle(pool)
            return pool
        by_kind = {k: [q for q in pool if q.kind == k] for k in wanted}
        for questions in by_kind.values():
            rng.shuffle(questions)
        order = [k for k in wanted if by_kind[k]]
        rng.shuffle(order)
        picked: list[Icebreaker] = []
        while len(picked) < count and order:
            for kind in list(order):
                if len(picked) >= count:
                    break
                picked.append(by_kind[kind].pop())
                if not by_kind[kind]:
                    order.remove(kind)
        return picked

    # Topics ---------------------------------------------------------------------------------

    def topic(self, topic_id: str) -> Topic:
        for topic in self.topics.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(topic_id)

    def topic_label(self, topic_id: str) -> str:
        """The label for a topic id. An id no longer in the content (stored before the content
        changed) gets a readable fallback made from the id rather than an error."""
        try:
            return self.topic(topic_id).label
        except KeyError:
            return topic_id.replace("-", " ").capitalize()

    def topic_options(self) -> list[tuple[str, str]]:
        """``[(id, label), ...]`` for a select menu."""
        return [(t.id, t.label) for t in self.topics.topics]

    # Other accessors ------------------------------------------------------------------------

    def survey(self, kind: SurveyKind | str, role: Role | str) -> Survey:
        """The ``"baseline"``, ``"midpoint"`` or ``"end"`` survey for ``"mentor"``/``"mentee"``."""
        return self.surveys.survey(kind, role)

    def contract_prompt(self, prompt_id: str) -> ContractPrompt:
        return self.contracting.prompt(prompt_id)

    def help_command(self, name: str) -> HelpCommand:
        return self.help.command(name)

    def usage(self, name: str) -> str:
        """The full usage line of a sub-command: ``usage("invite")`` ->
        ``"/mentoring invite [programme] @person @person"``."""
        return self.help.command(name).full_usage

    @property
    def support(self) -> tuple[SupportResource, ...]:
        return self.support_resources.resources

    def message(self, name: str, **values: object) -> str:
        """A message from ``messages.yml`` with its placeholders filled."""
        if name not in MessagesFile.model_fields:
            raise KeyError(name)
        return fill(getattr(self.messages, name), **values)

    def error_text(self, code: str, **values: object) -> str:
        """The words of a service error (``errors.yml``) with its placeholders filled:
        ``error_text("concerns.note_too_long", max=2000)``. ``KeyError`` for an unknown code."""
        return fill(self.errors.texts[code], **values)

    def iter_texts(self) -> Iterator[tuple[str, str]]:
        """Every text in the content as ``(location, text)``, e.g. for linting copy."""

        def walk(value: Any, location: str) -> Iterator[tuple[str, str]]:
            if isinstance(value, str):
                yield location, value
            elif isinstance(value, Mapping):
                for key, item in value.items():
                    yield from walk(item, f"{location}.{key}")
            elif isinstance(value, list | tuple):
                for index, item in enumerate(value):
                    yield from walk(item, f"{location}[{index}]")

        for name in CONTENT_FILES:
            yield from walk(getattr(self, name).model_dump(), f"{name}.yml")


CONTENT_FILES: dict[str, type[_Model]] = {
    "help": HelpFile,
    "topics": TopicsFile,
    "privacy_notice": PrivacyNotice,
    "guides": GuidesFile,
    "first_meeting": FirstMeeting,
    "icebreakers": IcebreakersFile,
    "contracting": ContractingFile,
    "agenda": AgendaFile,
    "reflection": ReflectionFile,
    "concern": ConcernFile,
    "support_resources": SupportResourcesFile,
    "surveys": SurveysFile,
    "speed_event": SpeedEventFile,
    "induction": InductionFile,
    "messages": MessagesFile,
    "promises": PromisesFile,
    "errors": ErrorsFile,
}
"""File stem -> model. Each file is ``<stem>.yml`` in a content folder."""

BANK_FILES = frozenset({"icebreakers", "topics", "support_resources"})
"""Files a programme can extend with ``<stem>.extend.yml`` instead of replacing."""

OVERRIDE_FILES = frozenset({"errors"})
"""Files whose programme copy overrides the default entries it names instead of replacing it."""


# --------------------------------------------------------------------------------------------
# Loading


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that rejects duplicate keys instead of silently keeping the last."""


def _construct_mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Any:
    seen: set[Any] = set()
    for key_node, _value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:  # an unhashable key; let the normal constructor report it
            break
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_without_duplicates)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(path, ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(path, [f"cannot read the file: {exc}"]) from exc
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as exc:
        raise ContentError(path, [f"invalid YAML: {exc}"]) from exc
    if data is None:
        raise ContentError(path, ["the file is empty"])
    if not isinstance(data, dict):
        raise ContentError(path, [f"the file must hold a mapping of fields, not a {type(data).__name__}"])
    return data


def _describe_location(loc: tuple[int | str, ...], data: Any) -> str:
    """``("questions", 3, "text")`` -> ``questions[3] (id 'life-04').text``."""
    parts: list[str] = []
    current: Any = data
    for item in loc:
        if isinstance(item, int):
            text = f"[{item}]"
            if isinstance(current, list) and 0 <= item < len(current):
                current = current[item]
                if isinstance(current, Mapping) and isinstance(current.get("id"), str):
                    text += f" (id {current['id']!r})"
            else:
                current = None
            parts.append(text)
        else:
            parts.append(("." if parts else "") + str(item))
            current = current.get(item) if isinstance(current, Mapping) else None
    return "".join(parts) or "(file)"


def _problems(exc: ValidationError, data: Any) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{_describe_location(tuple(error['loc']), data)}: {message}")
    return problems


def _validate(model: type[_Model], data: Any, where: str, *, extension: bool = False) -> _Model:
    try:
        return model.model_validate(data, context={"extension": extension})
    except ValidationError as exc:
        raise ContentError(where, _problems(exc, data)) from None


def _check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise ContentError(folder, ["content folder not found"])
    known = {f"{stem}.yml" for stem in CONTENT_FILES} | {f"{stem}.extend.yml" for stem in BANK_FILES}
    unknown = sorted(p.name for p in folder.iterdir() if p.suffix in {".yml", ".yaml"} and p.name not in known)
    if unknown:
        raise ContentError(
            folder / unknown[0],
            [f"unknown content file(s): {', '.join(unknown)}. Known files: {', '.join(sorted(known))}"],
        )


def _merge_bank(base: dict[str, Any], extension: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, items in extension.items():
        existing = merged.get(key) or []
        merged[key] = [*existing, *items] if isinstance(existing, list) else items
    return merged


def _load(folder: Path, extra_folders: Sequence[Path]) -> Content:
    folders = [Path(folder), *(Path(f) for f in extra_folders)]
    for f in folders:
        _check_folder(f)
    base = folders[0]
    raw: dict[str, dict[str, Any]] = {}
    where: dict[str, str] = {}
    for stem in CONTENT_FILES:
        path = base / f"{stem}.yml"
        raw[stem] = _read_yaml(path)
        where[stem] = str(path)
    for extra in folders[1:]:
        for stem, model in CONTENT_FILES.items():
            replacement = extra / f"{stem}.yml"
            if replacement.is_file() and stem in OVERRIDE_FILES:
                base_errors = _validate(model, raw[stem], where[stem])
                override = _validate(model, _read_yaml(replacement), str(replacement))
                assert isinstance(base_errors, ErrorsFile) and isinstance(override, ErrorsFile)
                raw[stem] = _override_errors(base_errors, override, str(replacement))
                where[stem] = f"{where[stem]} overridden by {replacement}"
            elif replacement.is_file():
                raw[stem] = _read_yaml(replacement)
                where[stem] = str(replacement)
            extension_path = extra / f"{stem}.extend.yml"
            if stem in BANK_FILES and extension_path.is_file():
                extension = _read_yaml(extension_path)
                _validate(model, extension, str(extension_path), extension=True)
                raw[stem] = _merge_bank(raw[stem], extension)
                where[stem] = f"{where[stem]} extended by {extension_path}"
    files = {stem: _validate(model, raw[stem], where[stem]) for stem, model in CONTENT_FILES.items()}
    _check_named_promises(files, where)
    return Content.model_validate({**files, "folders": tuple(folders)})


def _check_named_promises(files: Mapping[str, _Model], where: Mapping[str, str]) -> None:
    """A promise named in help.yml or support_resources.yml (``promise:``) exists in promises.yml."""
    promises, help_file, support = files["promises"], files["help"], files["support_resources"]
    assert isinstance(promises, PromisesFile) and isinstance(help_file, HelpFile)
    assert isinstance(support, SupportResourcesFile)
    known = {promise.id for promise in promises.promises}
    named = {
        "help": [(f"command {c.name!r}", c.promise) for c in help_file.commands()],
        "support_resources": [(f"resource {r.id!r}", r.promise) for r in support.resources],
    }
    for stem, items in named.items():
        unknown = [f"{what}: unknown promise {pid!r}" for what, pid in items if pid is not None and pid not in known]
        if unknown:
            raise ContentError(where[stem], unknown)


@functools.lru_cache(maxsize=1)
def _load_default() -> Content:
    return _load(DEFAULT_CONTENT_DIR, ())


def load_content(folder: Path | None = None, extra_folders: Sequence[Path] = ()) -> Content:
    """Load and validate the content.

    ``folder`` is the base folder (default: the repository's ``content/``); each of
    ``extra_folders`` (a programme's own content) then replaces or extends files as described in
    the module docstring. Raises :class:`ContentError` naming the file and field on any problem.
    The default call (no arguments) is cached.
    """
    if folder is None and not extra_folders:
        return _load_default()
    return _load(folder if folder is not None else DEFAULT_CONTENT_DIR, extra_folders)


def clear_content_cache() -> None:
    """Forget the cached default load (for tests, or after editing ``content/``)."""
    _load_default.cache_clear()
