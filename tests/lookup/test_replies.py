"""The lookup job through the core, as a person uses it: every reply's actual text."""

from __future__ import annotations

import pytest

from bot.frameworks import Framework
from bot.lookup import Lookup
from bot.types import Reply

from ..conftest import CS_LEVEL_LABELS, SOURCES, FakeAdapter, text_of


def quotes(reply: Reply) -> list[str]:
    """The texts a reply serves from a framework (quotes and indicator bullets)."""
    out = [b.text for b in reply.blocks if b.kind == "quote"]
    for block in reply.blocks:
        if block.kind == "bullets":
            out += list(block.items)
    return out


def test_leadership_level_4_is_verbatim_with_definition_and_level_name(chat: FakeAdapter) -> None:
    reply = chat.say("/behaviour leadership level 4")
    assert reply.title == "Leadership: Level 4"
    text = text_of(reply)
    assert "Civil Service Behaviours · Level 4: Grade 7 and 6 or equivalent" in text
    assert quotes(reply) == [
        "Show pride and passion for public service. Create and engage others in delivering a "
        "shared vision. Value difference, diversity and inclusion, ensuring fairness and "
        "opportunity for all.",
        "Promote diversity, inclusion and equality of opportunity, respecting difference and "
        "external experience. Welcome and respond to views and challenges from others, despite "
        "any conflicting pressures to ignore or give in to them. Stand by, promote or defend own "
        "and team's actions and decisions where needed. Seek out shared interests beyond own area "
        "of responsibility, understanding the extent of the impact actions have on the "
        "organisation. Inspire and motivate teams to be fully engaged in their work and dedicated "
        "to their role.",
    ]
    # every level is offered, so that choice numbers are level numbers
    assert [c.label for c in reply.choices][:6] == CS_LEVEL_LABELS
    assert "Compare with Level 3" in [c.label for c in reply.choices]


@pytest.mark.parametrize(
    "text", ["leadership level 4", "behaviour leadership level 4", "/ leadership L4"]
)
def test_the_same_text_works_without_slash_or_behaviour(chat: FakeAdapter, text: str) -> None:
    assert chat.say(text).title == "Leadership: Level 4"


def test_a_behaviour_alone_gives_its_definition_and_six_levels_to_pick(chat: FakeAdapter) -> None:
    reply = chat.say("/behaviour leadership")
    assert reply.title == "Leadership"
    assert "Leadership is described at 6 levels. Pick one:" in text_of(reply)
    assert [c.command for c in reply.choices[:6]] == [
        f"show civil-service/leadership/{n}" for n in range(1, 7)
    ]
    picked = chat.pick("Level 4")
    assert picked.title == "Leadership: Level 4"


@pytest.mark.parametrize("text", ["/behaviour", "/behaviour help", "help", "hello"])
def test_help_lists_what_the_bot_does_and_the_frameworks(chat: FakeAdapter, text: str) -> None:
    reply = chat.say(text)
    body = text_of(reply)
    assert reply.title == "behaviourbot"
    assert "leadership level 4: a behaviour at one level" in body
    assert "Civil Service Behaviours (Civil Service): 9 behaviours at 6 levels" in body
    assert "Core Leadership Competencies (DHS SES): 8 competencies at 2 levels" in body
    assert (
        "Competency and Values Framework for Policing (Policing CVF): 6 competencies at 1 level"
        in body
    )
    assert chat.pick("Compare leadership levels 3 and 4").title == both("Leadership", 3, 4)


def test_civil_service_lists_the_nine_behaviours_to_pick(chat: FakeAdapter) -> None:
    reply = chat.say("/behaviour civil service")
    assert reply.title == "Civil Service Behaviours"
    assert len(reply.choices) == 9
    assert reply.choices[3].label == "Leadership"
    assert chat.pick("Leadership").title == "Leadership"


def test_a_dhs_competency_shows_both_performance_levels(chat: FakeAdapter) -> None:
    reply = chat.say("/behaviour principled")
    body = text_of(reply)
    assert reply.title == "1.1 Principled"
    assert "Achieved Excellence" in body and "Achieved Expectations" in body
    assert "adheres to the highest ethical standards of public service" in body
    one = chat.say("/behaviour ses 1.4 excellence")
    assert one.title == "1.4 Performance Centered: Achieved Excellence"
    assert "Achieved Expectations" not in [b.text for b in one.blocks if b.kind == "heading"]
    note = chat.say("1.7")
    assert "In CBP, this core leadership competency includes supporting" in text_of(note)


def test_a_policing_competency_shows_its_cluster_and_indicators(chat: FakeAdapter) -> None:
    reply = chat.say("/behaviour we analyse critically")
    assert reply.title == "We analyse critically"
    body = text_of(reply)
    assert "Cluster: Intelligent, Creative and Informed Policing" in body
    bullets = next(b for b in reply.blocks if b.kind == "bullets")
    assert len(bullets.items) == 5
    assert bullets.items[0].startswith("I balance the risks, costs and benefits")
    assert chat.say("/behaviour policing collaborative").title == "We are collaborative"


def test_compare_shows_both_levels_and_what_the_higher_adds(chat: FakeAdapter) -> None:
    reply = chat.say("/behaviour compare leadership 3 4")
    (columns,) = [b for b in reply.blocks if b.kind == "columns"]
    assert [c.heading for c in columns.columns] == [
        "Level 3 (HEO and SEO or equivalent)",
        "Level 4 (Grade 7 and 6 or equivalent)",
    ]
    body = text_of(reply)
    assert "What Level 4 adds" in body
    assert "• Inspire and motivate teams to be fully engaged in their work" in body
    assert "Words new at Level 4: promote, diversity" in body
    # the order of the levels typed does not matter, nor the way they are written
    assert chat.say("compare leadership HEO G7").title == reply.title
    assert chat.say("compare leadership level 4 and level 3").title == reply.title
    assert chat.pick("Compare Level 4 and Level 5").title == both("Leadership", 4, 5)


def test_compare_without_levels_offers_the_pairs(chat: FakeAdapter) -> None:
    reply = chat.say("compare pace")
    assert [c.label for c in reply.choices] == [
        "Level 1 and Level 2",
        "Level 2 and Level 3",
        "Level 3 and Level 4",
        "Level 4 and Level 5",
        "Level 5 and Level 6",
    ]
    assert (
        chat.say("compare principled").choices[0].label
        == "Achieved Expectations and Achieved Excellence"
    )
    assert "nothing to compare" in text_of(chat.say("compare we take ownership"))


def test_search_lists_every_text_that_mentions_the_word(chat: FakeAdapter) -> None:
    reply = chat.say("/behaviour search wellbeing")
    body = text_of(reply)
    assert "7 texts mention it, best matches first" in body
    assert "Working Together, Level 6 (Director and Director General) (Civil Service)" in body
    assert "We are emotionally aware, Level Three (Senior Manager/Executive) (Policing CVF)" in body
    assert chat.pick("We are emotionally aware").title == "We are emotionally aware"
    assert text_of(chat.say("search well-being")) == body
    assert text_of(chat.say('search "wellbeing"')) == body


def test_search_for_nothing_and_for_nonsense(chat: FakeAdapter) -> None:
    assert chat.say("search").title == "What should I search for?"
    assert "No definition or level mentions “qwertyuiop”" in text_of(chat.say("search qwertyuiop"))


def test_ambiguous_query_asks_with_choices(chat: FakeAdapter) -> None:
    reply = chat.say("collaborative")
    assert reply.title == "Which one do you mean?"
    assert "“collaborative” matches 2 entries. Pick one:" in text_of(reply)
    assert sorted(c.label for c in reply.choices) == [
        "1.6 Highly Collaborative (DHS SES)",
        "We are collaborative (Policing CVF)",
    ]
    assert chat.pick("1.6").title == "1.6 Highly Collaborative"


def test_no_match_says_so_and_suggests(chat: FakeAdapter) -> None:
    reply = chat.say("leadrship teapot")
    assert reply.title == "No match for “leadrship teapot”"
    assert "Leadership (Civil Service)" in [c.label for c in reply.choices]
    assert "Search the texts for “leadrship teapot”" in [c.label for c in reply.choices]


def test_words_left_out_are_named_in_the_answer(chat: FakeAdapter) -> None:
    reply = chat.say("leadership teapot")
    assert reply.title == "Leadership"
    assert "I did not use this word, which matches no behaviour name: teapot." in text_of(reply)


def test_a_missing_level_is_explained_with_the_real_levels(chat: FakeAdapter) -> None:
    reply = chat.say("leadership level 9")
    assert reply.title == "Leadership has no level “level 9”"
    assert len(reply.choices) == 6


def test_numbers_pick_the_choices_last_offered(chat: FakeAdapter) -> None:
    chat.say("leadership")
    assert chat.say("4").title == "Leadership: Level 4"
    reply = chat.say("42")
    assert reply.title == "There is no choice 42"
    assert "Pick a number from 1 to" in text_of(reply)
    # the bad number did not lose the choices on offer
    assert chat.say("1").title == "Leadership: Level 1"


def test_a_stale_or_forged_command_is_answered_not_crashed(chat: FakeAdapter) -> None:
    (reply,) = chat.send(action="show civil-service/no-such-thing/4")
    assert reply.title == "That choice is out of date"


def test_user_text_cannot_inject_blocks_or_choices(chat: FakeAdapter) -> None:
    reply = chat.say("xyzzy\n# Title\n=> show dhs-ses/principled | Click me")
    assert [b.kind for b in reply.blocks].count("title") == 1
    assert "Click me" not in [c.label for c in reply.choices]


def test_a_very_long_message_is_refused_politely(chat: FakeAdapter) -> None:
    reply = chat.say("leadership " * 100)
    assert reply.title == "That is longer than a lookup needs"
    assert "I read lookups of up to 300 characters, and your message is longer." in (
        reply.plain_text()
    )
    # No count to contradict what the person typed: NFKC turns one "ﬃ" into three letters.
    assert chat.say("ﬃ" * 150).title == "That is longer than a lookup needs"


def test_every_reply_quote_is_verbatim_in_the_sources(frameworks: list[Framework]) -> None:
    sources = "\n".join(p.read_text(encoding="utf-8") for p in SOURCES.glob("*.txt"))
    for fw in frameworks:
        for fix in fw.source_fixes:
            sources = sources.replace(fix.find, fix.replace)
    lookup = Lookup(frameworks)
    for fw in frameworks:
        for b in fw.behaviours:
            for lv in fw.levels_of(b):
                reply = lookup.answer(f"show {fw.id}/{b.id}/{lv.id}")
                served = quotes(reply)
                assert served, (b.key, lv.id)
                for text in served:
                    assert text in sources, text[:80]


def test_search_is_narrowed_by_framework_and_level_words(chat: FakeAdapter) -> None:
    reply = chat.say("search diversity dhs")
    assert reply.title == "Search: “diversity” in DHS SES"
    assert {c.label.split(",")[0] for c in reply.choices} == {
        "1.5 Diversity Advocate",
        "1.6 Highly Collaborative",
    }
    at_g7 = chat.say("search stakeholders at G7")
    assert at_g7.title == "Search: “stakeholders” in Level 4"
    assert at_g7.choices and all(c.label.endswith("Level 4") for c in at_g7.choices)


@pytest.mark.parametrize("typed", ["2", "2.", "2)", "(2)", "#2", "no. 2", " 2 "])
def test_a_choice_number_may_carry_punctuation(chat: FakeAdapter, typed: str) -> None:
    chat.say("collaborative")
    assert chat.say(typed).title == chat.last.title  # type: ignore[union-attr]
    assert chat.last.title in ("1.6 Highly Collaborative", "We are collaborative")  # type: ignore[union-attr]


def test_a_negative_choice_number_is_refused(chat: FakeAdapter) -> None:
    chat.say("collaborative")
    assert chat.say("-1").title == "There is no choice -1"


@pytest.mark.parametrize("text", ["???", "...", "#", "–", "!!!"])
def test_punctuation_alone_gets_help(chat: FakeAdapter, text: str) -> None:
    assert chat.say(text).title == "behaviourbot"


def test_thanks_is_answered(chat: FakeAdapter) -> None:
    assert chat.say("thanks!").title == "You're welcome"


def test_compare_never_silently_compares_other_levels(chat: FakeAdapter) -> None:
    reply = chat.say("compare leadership 4 4")
    assert reply.title == "Compare levels of Leadership"
    assert "Both levels you named are Level 4. Pick two different levels:" in text_of(reply)
    missing = chat.say("compare leadership 4 7")
    assert "Leadership has no level “7”. Pick two of its levels:" in text_of(missing)
    assert missing.choices[0].command == "compare civil-service/leadership/1/2"


def test_compare_explains_itself_when_the_query_is_not_one_behaviour(chat: FakeAdapter) -> None:
    alone = chat.say("compare")
    assert alone.title == "Compare two levels of one behaviour"
    both = chat.say("compare leadership and working together")
    assert "I could not find one behaviour to compare in" in text_of(both)
    assert {c.command for c in both.choices} == {
        "compare civil-service/leadership",
        "compare civil-service/working-together",
    }


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("level 7", "Civil Service Behaviours has no level “level 7”"),
        ("grade 1", "Civil Service Behaviours has no level “grade 1”"),
        ("leadership grade 3", "Leadership has no level “grade 3”"),
    ],
)
def test_levels_that_do_not_exist_are_explained(chat: FakeAdapter, text: str, title: str) -> None:
    assert chat.say(text).title == title


def test_suggestions_keep_the_level_typed(chat: FakeAdapter) -> None:
    reply = chat.say("leadrship teapot G7")
    assert "Leadership (Civil Service), Level 4" in [c.label for c in reply.choices]


CS = "Civil Service Behaviours"
CVF = "Competency and Values Framework for Policing"


def both(behaviour: str, low: int, high: int) -> str:
    return f"{behaviour}: Level {low} and Level {high}"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        # listing a framework, at a grade
        ("which behaviours apply to an EO?", f"{CS}: Level 2"),
        ("show me all the behaviours for grade 7", f"{CS}: Level 4"),
        ("list the dhs competencies", "Core Leadership Competencies"),
        ("what are the policing competencies?", CVF),
        ("which behaviours apply to an AA?", f"{CS}: Level 1"),
        ("list all the behaviours for an HEO", f"{CS}: Level 3"),
        ("What behaviours are expected of a G6?", f"{CS}: Level 4"),
        ("show me every behaviour for grade 6", f"{CS}: Level 4"),
        ("behaviours for deputy directors", f"{CS}: Level 5"),
        ("list the policing competencies", CVF),
        ("which competencies apply to a superintendent?", f"{CVF}: Level Three"),
        # comparing two levels
        ("what's the difference between leadership at SEO and G7?", both("Leadership", 3, 4)),
        ("how does delivering at pace change from AO to EO", both("Delivering at Pace", 1, 2)),
        ("leadership: G7 vs SCS1", both("Leadership", 4, 5)),
        ("compare working together between EO and HEO", both("Working Together", 2, 3)),
        ("Changing and improving: AO vs G7", both("Changing and Improving", 1, 4)),
        (
            "difference between seeing the big picture for EOs and HEOs",
            both("Seeing the Big Picture", 2, 3),
        ),
        ("how does leadership differ from HEO to G7?", both("Leadership", 3, 4)),
        ("compare leadership between SCS1 and SCS2", both("Leadership", 5, 6)),
        # one behaviour at one grade or rank
        ("teamwork expectations for a DD?", "Working Together: Level 5"),
        ("teamwork expectations for a grade 7", "Working Together: Level 4"),
        ("what does taking ownership mean for a superintendent?", "We take ownership"),
        ("taking ownership for a chief superintendent", "We take ownership"),
        ("what's expected of an SEO in leadership?", "Leadership: Level 3"),
        ("Leadership for a G7", "Leadership: Level 4"),
        ("leadrship for a grade 6", "Leadership: Level 4"),
        ("delivering at pace, deputy director!", "Delivering at Pace: Level 5"),
        (
            "what does making effective decisions look like for an administrative officer",
            "Making Effective Decisions: Level 1",
        ),
        # exact names win; synonyms within a framework
        ("we are collaborative", "We are collaborative"),
        ("tell me about we are collaborative", "We are collaborative"),
        ("collaboration G7", "Working Together: Level 4"),
        ("Collaboration for an EO", "Working Together: Level 2"),
        # the interview method itself
        ("what is STAR?", "The STAR method"),
        ("what is the STAR method?", "The STAR method"),
        ("What does STAR stand for", "The STAR method"),
        ("list behaviours", "Frameworks"),  # a new user's trial
        ("what is the difference between a G6 and a G7", "Civil Service Behaviours: Level 4"),
        (
            "SEO vs G7",
            "Level 3 (HEO and SEO or equivalent) and Level 4 (Grade 7 and 6 or equivalent): "
            "which behaviour?",
        ),
        ("difference between AO and EO", "Level 1 (AA and AO or equivalent) and Level 2 "
         "(EO or equivalent): which behaviour?"),
        ("change from AO to EO", "Changing and Improving: Level 1 and Level 2"),
        ("what behaviours are there?", "Frameworks"),
        ("show me all the competencies", "Frameworks"),
    ],
)  # fmt: skip
def test_natural_questions_are_read(chat: FakeAdapter, text: str, title: str) -> None:
    assert chat.say(text).title == title


def test_star_is_explained_and_prep_offered(chat: FakeAdapter) -> None:
    reply = chat.say("what is STAR?")
    body = text_of(reply)
    for part in ("Situation", "Task", "Action", "Result"):
        assert part in body
    assert "prep" in [c.command for c in reply.choices]


def test_an_ansi_colour_sequence_typed_into_a_lookup_is_dropped(chat: FakeAdapter) -> None:
    reply = chat.say("\x1b[31mleadership level 4\x1b[0m")
    assert reply.title == "Leadership: Level 4"
    assert "31m" not in text_of(reply)
