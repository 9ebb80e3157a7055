"""The content folder loads, validates, can be replaced or extended per programme, and reads well."""

from __future__ import annotations

import re
import shutil
from enum import Enum
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.content import (
    BANK_FILES,
    CONTENT_FILES,
    DEFAULT_CONTENT_DIR,
    MIN_ICEBREAKER_KINDS,
    MIN_ICEBREAKERS,
    OPTION_MAX,
    REQUIRED_HELP_COMMANDS,
    SECTION_MAX,
    Content,
    ContentError,
    MessagesFile,
    PromisesFile,
    fill,
    load_content,
    placeholders,
)
from bot.settings import Settings


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def default_yaml(stem: str) -> dict:
    return yaml.safe_load((DEFAULT_CONTENT_DIR / f"{stem}.yml").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# The default content


def test_default_content_loads_and_is_cached(content: Content) -> None:
    assert load_content() is load_content()
    assert content.folders == (DEFAULT_CONTENT_DIR,)
    for stem in CONTENT_FILES:
        assert (DEFAULT_CONTENT_DIR / f"{stem}.yml").is_file()


def test_icebreakers_are_plentiful_varied_and_uniquely_identified(content: Content) -> None:
    questions = content.icebreakers.questions
    assert len(questions) >= max(MIN_ICEBREAKERS, 48)
    assert len({q.kind for q in questions}) >= max(MIN_ICEBREAKER_KINDS, 5)
    assert len({q.id for q in questions}) == len(questions)
    assert content.icebreaker("life-01").kind == "life"
    assert any("would never guess" in q.text for q in questions)
    assert any("karaoke" in q.text for q in questions)


def test_icebreakers_for_spreads_kinds_repeats_with_a_seed_and_skips_seen(content: Content) -> None:
    picked = content.icebreakers_for(count=5, seed="pair-42")
    assert len(picked) == 5
    assert len({q.kind for q in picked}) == 5
    assert [q.id for q in content.icebreakers_for(count=5, seed="pair-42")] == [q.id for q in picked]

    seen = [q.id for q in picked]
    fresh = content.icebreakers_for(count=10, exclude=seen, seed=1)
    assert not set(seen) & {q.id for q in fresh}

    values = content.icebreakers_for(["values"])
    assert values and all(q.kind == "values" for q in values)
    assert content.icebreakers_for(["values"], exclude=[q.id for q in values], count=3) == []
    with pytest.raises(KeyError):
        content.icebreakers_for(["no-such-kind"])


class _Role(Enum):
    MENTOR = "mentor"
    MENTEE = "mentee"


def test_guides_exist_for_both_roles_and_say_the_right_things(content: Content) -> None:
    mentor = content.guide_for("mentor")
    mentee = content.guide_for(_Role.MENTEE)
    mentor_text = " ".join(s.as_mrkdwn() for s in mentor.sections).lower()
    mentee_text = " ".join(s.as_mrkdwn() for s in mentee.sections).lower()

    assert "you decide what you share" in mentor_text
    assert "i'll come back to you on that" in mentor_text
    assert "/mentoring concern" in mentor_text and "never to your partner or their manager" in mentor_text
    assert "visibility" in mentor_text and "network" in mentor_text

    assert "listen more than you speak" in mentee_text
    assert "role reversion" in mentee_text
    assert "free training" in mentee_text and "consultancy" in mentee_text
    assert "not your report" in mentee_text
    assert "confidential" in mentee_text
    assert "you set the agenda" in mentee_text
    assert content.guide_for("lead").title


def test_first_meeting_guidance(content: Content) -> None:
    text = " ".join([content.first_meeting.intro, *(s.as_mrkdwn() for s in content.first_meeting.sections)])
    assert "getting to know each other" in text
    assert "neutral" in text and "mentee's office" in text
    assert "mentee sets the agenda" in text.lower()
    # The rhythm comes from the programme's settings, shown above the guidance, never fixed in words here.
    assert "three to four weeks" not in text and "an hour" not in text
    assert "How the programme works" in text
    # A gentle start: light, personal icebreakers first; differences once the pair has met.
    assert "karaoke" in text and "differences" in text


def test_topics_fit_select_options(content: Content) -> None:
    topics = content.topics.topics
    assert 11 <= len(topics) <= 25
    assert all(len(t.label) <= OPTION_MAX for t in topics)
    for wanted in ("race-ethnicity", "disability", "lgbtq", "neurodiversity", "caring", "mental-health"):
        content.topic(wanted)
    assert content.topic_label("lgbtq") == "LGBTQ+"
    assert content.topic_label("long-gone-topic") == "Long gone topic"
    assert content.topic_options()[0] == ("race-ethnicity", "Race and ethnicity")


def test_help_lists_every_command_with_usage(content: Content) -> None:
    names = {c.name for c in content.help.commands()}
    assert set(REQUIRED_HELP_COMMANDS) <= names
    assert {c.name for c in content.help.leads} >= {"programme new", "match", "report csv", "event new"}
    assert "match" not in {c.name for c in content.help.everyone}
    assert content.usage("invite").startswith("/mentoring invite ")
    assert len(content.help.groups_for(is_lead=False)) < len(content.help.groups_for(is_lead=True))
    for group in content.help.groups:
        assert len(group.as_mrkdwn()) <= SECTION_MAX


def test_privacy_notice_is_faithful_to_the_visibility_table(content: Content) -> None:
    notice = content.privacy_notice
    rendered = notice.as_mrkdwn(retention_days=90, min_group=8)
    assert len(rendered) <= SECTION_MAX
    assert "90 days after the programme closes" in rendered
    assert "{" not in rendered
    assert "at least 8 people" in rendered, "the MIN_GROUP_SIZE setting, not a number in the text"
    assert "never by your partner" in rendered
    assert "encrypted" in rendered
    assert "never need to give a reason" in rendered
    assert "/mentoring my-data" in rendered and "/mentoring delete-my-data" in rendered
    assert len(notice.confirm_label) <= OPTION_MAX


def test_contracting_has_goals_for_both_people(content: Content) -> None:
    owners = {p.owner for p in content.contracting.prompts}
    assert {"mentor", "mentee"} <= owners
    ids = {p.id for p in content.contracting.prompts}
    assert {"meetings", "confidentiality", "off-limits", "feedback", "not-working"} <= ids
    assert "SMART" in (content.contract_prompt("mentor-goals").hint or "")
    assert "programme lead" in content.contract_prompt("confidentiality").prompt


def test_surveys_are_comparable_and_on_one_to_five_scales(content: Content) -> None:
    for role in ("mentor", "mentee"):
        baseline, end = content.survey("baseline", role), content.survey("end", role)
        assert {q.id for q in baseline.questions} <= {q.id for q in end.questions}
        for kind in ("baseline", "midpoint", "end"):
            survey = content.survey(kind, role)
            assert 3 <= len(survey.questions) <= 6
            for question in survey.questions:
                assert [value for value, _ in question.scale.options()] == [1, 2, 3, 4, 5]
            assert survey.comment.optional
    assert "felt-heard" in {q.id for q in content.survey("baseline", "mentor").questions}
    assert "inclusion-confidence" in {q.id for q in content.survey("baseline", "mentee").questions}


def test_reflection_and_concern_copy(content: Content) -> None:
    reflection = content.reflection
    assert reflection.safety.scale.label(1) and reflection.usefulness.scale.label(5)
    assert len(reflection.share.option_text) <= OPTION_MAX
    assert [o.id for o in content.concern.urgency] == ["today", "this-week", "fyi"]
    assert "anonymity" in content.concern.anonymity_note
    assert "partner has not been told" in content.concern.receipt
    assert {r.id for r in content.support} >= {"employee-assistance", "listening-service", "hr"}


def test_every_message_fills_with_its_placeholders(content: Content) -> None:
    sample = {
        "programme": "Spring 2025", "command": "frobnicate", "usage": "/mentoring help", "person": "Ada",
        "channel": "<#C1>", "who": "Ada", "reason": "Because.", "error": "not_in_channel", "needed": "chat:write",
    }
    for name in MessagesFile.model_fields:
        if name == "delivery_failure_reasons":  # a group of texts, filled one by one below
            continue
        text = content.message(name, **sample)
        assert "{" not in text and "}" not in text, name
    reasons = content.messages.delivery_failure_reasons
    for name in type(reasons).model_fields:
        text = fill(getattr(reasons, name), **sample)
        assert text and "{" not in text and "}" not in text, name
    assert "Spring 2025" in content.message("waiting_list", programme="Spring 2025")
    assert fill(content.agenda.mentee.request, partner="Sam", when="Tuesday 4 March, 10:00").count("Sam") == 2
    with pytest.raises(KeyError):
        content.message("no_such_message")


# --------------------------------------------------------------------------------------------
# Programme folders: replace and extend


def test_a_programme_file_replaces_the_default(tmp_path: Path) -> None:
    write(
        tmp_path, "topics.yml", "topics:\n  - id: ageing\n    label: Ageing\n  - id: rurality\n    label: Rural life\n"
    )
    content = load_content(extra_folders=[tmp_path])
    assert [t.id for t in content.topics.topics] == ["ageing", "rurality"]
    assert content.folders == (DEFAULT_CONTENT_DIR, tmp_path)
    # The cached default is untouched.
    assert len(load_content().topics.topics) > 2


def test_an_extend_file_adds_to_the_bank(tmp_path: Path) -> None:
    write(
        tmp_path,
        "icebreakers.extend.yml",
        """
kinds:
  - id: local
    label: Our organisation
questions:
  - id: local-01
    kind: local
    text: What is one thing about our organisation you would change tomorrow?
  - id: values-99
    kind: values
    text: What value of ours do you see lived out least?
""",
    )
    write(
        tmp_path,
        "support_resources.extend.yml",
        """
resources:
  - id: staff-network
    name: Staff networks
    description: Our staff networks welcome everyone.
    url: https://intranet.example/networks
""",
    )
    default = load_content()
    content = load_content(extra_folders=[tmp_path])
    assert len(content.icebreakers.questions) == len(default.icebreakers.questions) + 2
    assert content.icebreaker("local-01").kind == "local"
    assert content.icebreaker("life-01") == default.icebreaker("life-01")
    assert content.icebreakers_for(["local"])[0].id == "local-01"
    assert content.support[-1].id == "staff-network"
    assert "<https://intranet.example/networks|Staff networks>" in content.support[-1].as_mrkdwn()


def test_extending_with_an_existing_id_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "topics.extend.yml", "topics:\n  - id: gender\n    label: Gender again\n")
    with pytest.raises(ContentError) as caught:
        load_content(extra_folders=[tmp_path])
    assert "topics.extend.yml" in str(caught.value)
    assert "duplicate id 'gender'" in str(caught.value)


def test_only_banks_can_be_extended_and_unknown_files_are_reported(tmp_path: Path) -> None:
    assert {"guides"} & BANK_FILES == set()
    write(tmp_path, "guides.extend.yml", "guides: []\n")
    with pytest.raises(ContentError, match=r"unknown content file\(s\): guides\.extend\.yml"):
        load_content(extra_folders=[tmp_path])


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="content folder not found"):
        load_content(extra_folders=[tmp_path / "nowhere"])


def test_a_full_copy_of_the_content_works_as_a_base_folder(tmp_path: Path) -> None:
    shutil.copytree(DEFAULT_CONTENT_DIR, tmp_path / "content")
    assert load_content(tmp_path / "content") == load_content().model_copy(update={"folders": (tmp_path / "content",)})


# --------------------------------------------------------------------------------------------
# Broken files raise one ContentError naming the file and the field


def test_a_missing_field_names_file_and_field(tmp_path: Path) -> None:
    guides = default_yaml("guides")
    del guides["guides"][0]["title"]
    path = write(tmp_path, "guides.yml", yaml.safe_dump(guides))
    with pytest.raises(ContentError) as caught:
        load_content(extra_folders=[tmp_path])
    message = str(caught.value)
    assert str(path) in message
    assert "guides[0].title: Field required" in message
    assert caught.value.path == path


def test_a_duplicate_id_names_file_and_id(tmp_path: Path) -> None:
    icebreakers = default_yaml("icebreakers")
    icebreakers["questions"][1]["id"] = icebreakers["questions"][0]["id"]
    write(tmp_path, "icebreakers.yml", yaml.safe_dump(icebreakers))
    with pytest.raises(ContentError, match=r"icebreakers\.yml: questions: duplicate id 'life-01'"):
        load_content(extra_folders=[tmp_path])


def test_an_over_long_option_label_names_file_and_field(tmp_path: Path) -> None:
    write(tmp_path, "topics.yml", f"topics:\n  - id: long\n    label: {'x' * (OPTION_MAX + 1)}\n")
    with pytest.raises(ContentError) as caught:
        load_content(extra_folders=[tmp_path])
    message = str(caught.value)
    assert "topics.yml" in message
    assert "topics[0] (id 'long').label" in message
    assert f"at most {OPTION_MAX} characters" in message


def test_bad_yaml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "concern.yml", "modal_title: Raise a concern\nintro: [unclosed\n")
    with pytest.raises(ContentError) as caught:
        load_content(extra_folders=[tmp_path])
    assert str(path) in str(caught.value)
    assert "invalid YAML" in str(caught.value)


def test_a_duplicate_yaml_key_is_not_silently_dropped(tmp_path: Path) -> None:
    write(tmp_path, "topics.yml", "topics:\n  - id: a\n    label: First\n    label: Second\n")
    with pytest.raises(ContentError, match="duplicate key 'label'"):
        load_content(extra_folders=[tmp_path])


def test_too_few_icebreakers_is_an_error(tmp_path: Path) -> None:
    icebreakers = default_yaml("icebreakers")
    icebreakers["questions"] = icebreakers["questions"][:10]
    write(tmp_path, "icebreakers.yml", yaml.safe_dump(icebreakers))
    with pytest.raises(ContentError, match=f"at least {MIN_ICEBREAKERS} questions"):
        load_content(extra_folders=[tmp_path])


def test_empty_text_and_bad_scales_are_errors(tmp_path: Path) -> None:
    reflection = default_yaml("reflection")
    reflection["takeaways"]["label"] = "   "
    reflection["safety"]["scale"] = {1: "Low", 2: "Mid", 5: "High"}
    write(tmp_path, "reflection.yml", yaml.safe_dump(reflection))
    with pytest.raises(ContentError) as caught:
        load_content(extra_folders=[tmp_path])
    message = str(caught.value)
    assert "takeaways.label: String should have at least 1 character" in message
    assert "safety.scale.labels: a scale needs exactly the points 1 to 5" in message


def test_an_unknown_placeholder_is_an_error(tmp_path: Path) -> None:
    messages = default_yaml("messages")
    messages["waiting_list"] = "You are on the waiting list for {programe}."
    write(tmp_path, "messages.yml", yaml.safe_dump(messages))
    with pytest.raises(ContentError, match=r"waiting_list: unknown placeholder\(s\) \{programe\}"):
        load_content(extra_folders=[tmp_path])


def test_baseline_and_end_surveys_must_stay_comparable(tmp_path: Path) -> None:
    surveys = default_yaml("surveys")
    end_for_mentors = next(s for s in surveys["surveys"] if s["kind"] == "end" and s["role"] == "mentor")
    end_for_mentors["questions"] = [q for q in end_for_mentors["questions"] if q["id"] != "felt-heard"]
    write(tmp_path, "surveys.yml", yaml.safe_dump(surveys))
    with pytest.raises(ContentError, match="baseline question 'felt-heard' for mentors is missing"):
        load_content(extra_folders=[tmp_path])


def test_placeholders_helper() -> None:
    assert placeholders("Hello {partner}, on {when}. {{literal}}") == {"partner", "when"}
    with pytest.raises(ValueError):
        placeholders("Hello {partner")


# --------------------------------------------------------------------------------------------
# Copy lint: roles never swapped, Slack mrkdwn only, UK spelling

SWAPPED_ROLES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\bjunior\W+mentees?\b",
        r"\bsenior\W+mentors?\b",
        r"\bmentees?\W+(?:is\s+|are\s+|who\s+(?:is|are)\s+)?(?:a\s+|the\s+)?(?:more\s+)?junior\b",
        r"\bmentors?\W+(?:is\s+|are\s+|who\s+(?:is|are)\s+)?(?:a\s+|the\s+)?(?:more\s+)?senior\b",
        r"\bmentees?\W+(?:is\s+|are\s+)?(?:a\s+)?colleagues?\s+earlier in",
        r"\bsenior\s+(?:leaders?|colleagues?|people|person)\W+(?:the\s+)?\W*mentors?\b",
        r"\b(?:junior|earlier in (?:their|your|his|her) careers?)\W+(?:the\s+)?\W*mentees?\b",
    )
]
NOT_SLACK_MRKDWN = {
    "Markdown bold (use *single* asterisks)": re.compile(r"\*\*"),
    "Markdown heading": re.compile(r"^\s*#{1,6}\s", re.MULTILINE),
    "Markdown link (use <url|text>)": re.compile(r"\[[^\]]+\]\(https?://"),
    "raw < or > (escape as &lt; &gt;)": re.compile(r"<(?!https?://|mailto:|@|#|!)|(?<![\w/|\"'])>"),
    "raw & (escape as &amp;)": re.compile(r"&(?!amp;|lt;|gt;)"),
}
US_SPELLINGS = re.compile(r"\b(?:organization|behavior|color|honor|program|enroll|center|favorite)s?\b", re.IGNORECASE)


def swapped_roles(text: str) -> list[str]:
    return [m.group(0) for pattern in SWAPPED_ROLES for m in pattern.finditer(text)]


def test_the_role_lint_catches_swaps_and_allows_correct_copy() -> None:
    assert swapped_roles("Meet your junior mentee")
    assert swapped_roles("The senior mentor leads")
    assert swapped_roles("Your mentee is a colleague earlier in their career")
    assert swapped_roles("a senior leader (the *mentor*)")
    assert swapped_roles("The mentor, who is senior, advises")
    assert not swapped_roles(
        "pairs a colleague earlier in their career (the *mentor*) with a senior leader (the *mentee*)"
    )
    assert not swapped_roles("Your mentor is a colleague earlier in their career")
    assert not swapped_roles("Mentors, colleagues earlier in their careers, and mentees, senior leaders, meet")


def test_copy_never_calls_the_mentee_junior_or_the_mentor_senior(content: Content) -> None:
    problems = [(where, swapped_roles(text)) for where, text in content.iter_texts() if swapped_roles(text)]
    assert not problems


def test_copy_is_slack_mrkdwn_in_uk_english(content: Content) -> None:
    problems = []
    for where, text in content.iter_texts():
        problems += [f"{where}: {name}" for name, pattern in NOT_SLACK_MRKDWN.items() if pattern.search(text)]
        problems += [f"{where}: US spelling {m.group(0)!r}" for m in US_SPELLINGS.finditer(text)]
    assert not problems


def test_every_text_fits_a_section(content: Content) -> None:
    assert all(len(text) <= SECTION_MAX for _where, text in content.iter_texts())


def _promise(**fields: object) -> dict[str, object]:
    return {"id": "a-label", "about": "something", "visibility": ["author"], "text": "Only you see it.", **fields}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"text": "Seen as totals of at least {min_group} people."}, "needs `min_group_setting`"),
        ({"totals_for": "lead"}, "`totals_for` and `min_group_setting` go together"),
        ({"min_group_setting": "min_group_size"}, "`totals_for` and `min_group_setting` go together"),
        (
            {"visibility": ["author", "lead"], "totals_for": "lead", "min_group_setting": "min_group_size"},
            "`lead` sees only totals",
        ),
        ({"scope": "message", "totals_for": "lead", "min_group_setting": "min_group_size"}, "not totals"),
        ({"min_group_setting": "long_pause_weeks", "totals_for": "lead"}, "min_group_setting"),
        ({"text": "Only {someone} sees it."}, "unknown placeholder"),
    ],
)
def test_a_promise_names_its_totals_and_their_setting_or_is_refused(fields: dict[str, object], error: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(error)):
        PromisesFile.model_validate({"promises": [_promise(**fields)]})


def test_a_promise_fills_its_number_from_the_setting(content: Content) -> None:
    words = content.promise("survey-answers", min_group=Settings().min_group_size)
    assert f"at least {Settings().min_group_size} people" in words and "{" not in words


def test_a_support_resource_shows_its_promise_and_an_unknown_one_is_refused(tmp_path: Path, content: Content) -> None:
    lead = next(resource for resource in content.support if resource.promise is not None)
    assert content.resource_description(lead).endswith(content.promise(lead.promise or ""))
    bad = write(
        tmp_path,
        "support_resources.yml",
        "resources:\n  - id: lead\n    name: Your lead\n    description: Ask them.\n    promise: no-such-promise\n",
    )
    with pytest.raises(ContentError, match="resource 'lead': unknown promise 'no-such-promise'") as error:
        load_content(extra_folders=[tmp_path])
    assert error.value.path == bad


def test_a_guide_and_an_induction_step_fill_the_smallest_group_from_the_setting(tmp_path: Path) -> None:
    content = load_content().with_settings(Settings(min_group_size=Settings().min_group_size + 4))
    wanted = f"at least {Settings().min_group_size + 4}"
    guide = [content.with_setting_values(part.as_mrkdwn()) for part in content.guide_for("lead").sections]
    step = next(s for s in content.induction.for_role("lead").steps if s.topic == "confidentiality")
    assert any(wanted in text for text in guide) and wanted in content.with_setting_values(step.as_mrkdwn())
    # A placeholder the setting does not give is refused when the content loads.
    guides = (DEFAULT_CONTENT_DIR / "guides.yml").read_text(encoding="utf-8").replace("{min_group}", "{min_groups}")
    write(tmp_path, "guides.yml", guides)
    with pytest.raises(ContentError, match=re.escape("unknown placeholder(s) {min_groups}")):
        load_content(extra_folders=[tmp_path])
