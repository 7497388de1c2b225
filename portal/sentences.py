"""Sentences kept as a message id and its parameters, composed in the reader's language
when shown (docs/decisions/0007-stored-texts-and-fixed-formats.md).

A service writing to someone says ``Sentence(gettext_noop("设计方案 %(n)s 已定稿"),
n=scheme.number)`` rather than a translated string: the reader's page composes it in the
reader's language, whoever caused it and in whatever language they worked. Parameters are
plain values (names, numbers, dates as text), lazily translated labels (a choice's
``.label``) or other Sentences; the latter two are shown in the reader's language too.
``as_data`` / ``from_data`` keep a Sentence in a JSON column; ``compose_data`` shows it,
or returns the fallback when it cannot be composed.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext

# Higher floors compose their own coded sentences (telemetry's alarm details): they register
# a function (code, params) -> text here in AppConfig.ready(), under a name stored with the row.
RENDERERS: dict = {}


def register_renderer(name: str, render) -> None:
    RENDERERS[name] = render


class Sentence:
    def __init__(self, msgid: str, context: str = "", **params):
        self.msgid = str(msgid)
        self.context = context
        self.params = params
        self.renderer = ""

    @classmethod
    def label(cls, label) -> Sentence:
        """A lazily translated label (a choice's ``.label``) on its own."""
        data = _param(label)
        if isinstance(data, dict):
            return cls(data["msgid"], data.get("context", ""))
        return cls(str(label))

    @classmethod
    def coded(cls, renderer: str, code: str, params: dict | None = None) -> Sentence:
        """A sentence a registered renderer composes from its code and parameters."""
        sentence = cls(code, **(params or {}))
        sentence.renderer = renderer
        return sentence

    def __str__(self) -> str:
        return compose_data(self.as_data())

    def __repr__(self) -> str:
        return f"Sentence({self.msgid!r}, {self.params!r})"

    def in_portal_language(self) -> str:
        """The sentence as it is stored and e-mailed: in the portal's language."""
        with translation.override(settings.LANGUAGE_CODE):
            return str(self)

    def as_data(self) -> dict:
        if self.renderer:
            return {"renderer": self.renderer, "code": self.msgid, "params": self.params}
        data = {"msgid": self.msgid, "params": {k: _param(v) for k, v in self.params.items()}}
        if self.context:
            data["context"] = self.context
        return data


def _param(value):
    if isinstance(value, Sentence):
        return value.as_data()
    if isinstance(value, Promise):
        # gettext_lazy(msgid) or pgettext_lazy(context, msgid): keep what composes it.
        args = getattr(value, "_args", ())
        if len(args) == 1 and isinstance(args[0], str):
            return {"msgid": args[0], "params": {}}
        if len(args) == 2 and all(isinstance(a, str) for a in args):
            return {"msgid": args[1], "context": args[0], "params": {}}
        return str(value)
    if isinstance(value, (int, float)) or value is None:
        return value
    return str(value)


def _compose(data) -> str:
    if not isinstance(data, dict):
        return "" if data is None else str(data)
    if "renderer" in data:
        text = RENDERERS[data["renderer"]](data["code"], data.get("params") or {})
        if not text:
            raise KeyError(data["code"])
        return text
    msgid = data["msgid"]
    text = pgettext(data["context"], msgid) if data.get("context") else gettext(msgid)
    params = {
        k: (_compose(v) if isinstance(v, dict) else v) for k, v in data.get("params", {}).items()
    }
    return text % params if params or "%(" in text else text


def compose_data(data, fallback: str = "") -> str:
    """The stored sentence in the active language; `fallback` when there is none or it
    does not fit (a message changed since, parameters missing)."""
    if not data:
        return fallback
    try:
        return _compose(data)
    except (KeyError, TypeError, ValueError):
        return fallback
