"""Chinese names sorted as people expect: by their pinyin (toneless), not by code point."""

from pypinyin import Style, lazy_pinyin


def sort_key(text: str) -> str:
    """ "武汉钢铁" -> "wu han gang tie"; other characters are kept, lower-cased."""
    return " ".join(lazy_pinyin(text or "", style=Style.NORMAL)).lower()
