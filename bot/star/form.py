"""The whole draft as one form (a Slack modal, a Teams card, or asked field by field in
the terminal) and its submission: every part checked first, saved whole or not at all."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from bot.render import compose
from bot.star.drafting import Target, _guide, _parts_module, _say, _without_draft, next_part
from bot.star.review import DEFAULT_TARGET, PARTS, STAR
from bot.text import clean
from bot.types import Event, Field, Form, Reply

FORM_MAX_CHARS = 3000  # characters in one field of a form: Slack's limit, the smallest


class DraftForm:
    """The form half of `StarFlow` (a mixin over its store and replies)."""

    def _form_command(self, event: Event, draft: dict[str, Any], target: Target) -> Reply:
        """`draft N form`: the form, where the platform shows forms and every part fits."""
        number = draft["number"]
        if not event.forms:
            return compose("star/no_form.j2", number=number, long=None)
        longest = max(PARTS, key=lambda part: len(draft["parts"].get(part, "")))
        if len(draft["parts"].get(longest, "")) > FORM_MAX_CHARS:
            return compose("star/no_form.j2", number=number, long=longest, limit=FORM_MAX_CHARS)
        return self._form(target, draft)

    def _form(
        self,
        target: Target,
        draft: dict[str, Any],
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> Reply:
        number, errors = draft["number"], errors or {}
        values = draft["parts"] if values is None else values
        goal = draft.get("target") or DEFAULT_TARGET
        words = _parts_module()
        fields = tuple(
            Field(
                name=part,
                label=words.names[part],
                value=values.get(part, ""),
                hint=_say("star/form_hint.j2", part=part, words=_guide(goal, part)),
                optional=part == "learned",
                error=errors.get(part, ""),
            )
            for part in PARTS
        )
        reply = compose("star/form.j2", target=target, number=number, errors=errors)
        form = Form(
            title=_say("star/form_words.j2", what="title", number=number),
            fields=fields,
            submit=f"draft {number} save {_version(draft)}",
            command=f"draft {number} form",
            submit_label=_say("star/form_words.j2", what="submit", number=number),
        )
        return replace(reply, form=form)

    def _submit(
        self,
        state: dict[str, Any],
        event: Event,
        draft: dict[str, Any],
        target: Target,
        version: str,
    ) -> tuple[dict[str, Any], list[Reply]]:
        """A submitted form: every part checked first; saved whole, or not at all. A
        part changed in the chat since the form opened is not overwritten unasked."""
        submitted = event.fields or {}
        values = {
            part: clean(str(submitted.get(part) or ""), keep_newlines=True, exact=True).strip()
            for part in PARTS
        }
        errors: dict[str, str] = {}
        shown = version.split(".")
        if len(shown) == len(PARTS) and version != _version(draft):
            for part, then in zip(PARTS, shown, strict=True):
                saved = draft["parts"].get(part, "")
                changed = then != _fingerprint(draft["parts"].get(part))
                if changed and values[part] and values[part] != saved:
                    errors[part] = _say("star/form_error.j2", problem="changed", saved=saved)
            if errors:
                # The form comes back marked, with a fresh version: saving it again
                # replaces those parts on purpose.
                return state, [self._form(target, draft, values, errors)]
        for part, text in values.items():
            if len(text) > FORM_MAX_CHARS:
                errors[part] = _say(
                    "star/form_error.j2", problem="long", chars=len(text), limit=FORM_MAX_CHARS
                )
        saved_parts: dict[str, str] = draft["parts"]
        if not any(values[part] or saved_parts.get(part) for part in STAR):
            errors["situation"] = _say("star/form_error.j2", problem="empty")
        if errors:
            return state, [self._form(target, draft, values, errors)]
        # A box left empty keeps what the draft already holds: nothing is lost.
        kept = [p for p in STAR if not values[p] and saved_parts.get(p)]
        parts = {p: values[p] or saved_parts.get(p, "") for p in STAR}
        parts = {p: text for p, text in parts.items() if text}
        if values["learned"] or saved_parts.get("learned"):
            parts["learned"] = values["learned"] or saved_parts["learned"]
        elif len(parts) == len(STAR):
            parts["learned"] = ""  # left empty in a full form: not wanted
        number = draft["number"]
        self.store.save_draft(event.user, number, parts=parts)
        saved = dict(draft, parts=parts)
        new_state = _without_draft(state, number)
        following = next_part(parts)
        done = compose("star/form_saved.j2", number=number, missing=following, kept=kept)
        if following is None or following == "learned":
            return new_state, [done, self._review(target, saved, forms=True)]
        return new_state, [done, self._opened(target, saved, forms=True)]


def _fingerprint(text: str | None) -> str:
    return hashlib.sha256((text if text is not None else "\0").encode()).hexdigest()[:6]


def _version(draft: dict[str, Any]) -> str:
    """A fingerprint of each part, as the form showed it: the form carries it, to
    notice parts changed in the chat while it was open."""
    return ".".join(_fingerprint(draft["parts"].get(part)) for part in PARTS)
